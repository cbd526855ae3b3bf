#include "digits/ink/canvas.h"

#include <algorithm>
#include <cmath>

namespace digits {

namespace {

float distance_to_segment(float px, float py, float ax, float ay, float bx, float by) {
  const float dx = bx - ax, dy = by - ay;
  const float len2 = dx * dx + dy * dy;
  float t = len2 > 0.f ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.f;
  t = std::clamp(t, 0.f, 1.f);
  const float qx = ax + t * dx - px, qy = ay + t * dy - py;
  return std::sqrt(qx * qx + qy * qy);
}

}  // namespace

Canvas::Canvas(int64_t width, int64_t height)
    : width_(std::max<int64_t>(8, width)),
      height_(std::max<int64_t>(8, height)),
      pixels_(width_ * height_, 0) {}

bool Canvas::has_ink() const {
  return std::any_of(pixels_.begin(), pixels_.end(), [](uint8_t v) { return v != 0; });
}

void Canvas::set_brush_radius(float radius) {
  radius_ = std::clamp(radius, kMinRadius, kMaxRadius);
}

// Coverage of each pixel by a capsule of `radius` around segment a-b, one pixel of soft edge:
// the pixel's centre at distance d gets clamp(r + 0.5 - d, 0, 1).
void Canvas::stamp_segment(CanvasPoint a, CanvasPoint b, float radius, Stroke::Kind kind) {
  const float s = static_cast<float>(height_);
  const float ax = a.x * s, ay = a.y * s, bx = b.x * s, by = b.y * s;
  const float r = std::max(0.5f, radius * s);
  const auto lo = [&](float v, int64_t end) {
    return std::clamp<int64_t>(static_cast<int64_t>(std::floor(v - r - 1.f)), 0, end);
  };
  const auto hi = [&](float v, int64_t end) {
    return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(v + r + 1.f)), 0, end);
  };
  const int64_t x0 = lo(std::min(ax, bx), width_), x1 = hi(std::max(ax, bx), width_);
  const int64_t y0 = lo(std::min(ay, by), height_), y1 = hi(std::max(ay, by), height_);
  for (int64_t y = y0; y < y1; ++y) {
    uint8_t* row = pixels_.data() + y * width_;
    for (int64_t x = x0; x < x1; ++x) {
      const float d = distance_to_segment(x + 0.5f, y + 0.5f, ax, ay, bx, by);
      const float cover = std::clamp(r + 0.5f - d, 0.f, 1.f);
      if (cover <= 0.f) continue;
      const auto v = static_cast<uint8_t>(std::lround(cover * 255.f));
      if (kind == Stroke::Kind::kErase) {
        row[x] = std::min<uint8_t>(row[x], static_cast<uint8_t>(255 - v));
      } else {
        row[x] = std::max(row[x], v);
      }
    }
  }
}

void Canvas::begin_stroke(CanvasPoint p, bool erase) {
  if (stroking_) end_stroke();
  Stroke s;
  s.kind = erase ? Stroke::Kind::kErase : Stroke::Kind::kInk;
  s.radius = erase ? std::min(kMaxRadius, radius_ * kEraseFactor) : radius_;
  s.points.push_back(p);
  stamp_segment(p, p, s.radius, s.kind);
  history_.push_back(std::move(s));
  stroking_ = true;
  ++version_;
}

void Canvas::extend_stroke(CanvasPoint p) {
  if (!stroking_) return;
  Stroke& s = history_.back();
  const CanvasPoint last = s.points.back();
  if (last.x == p.x && last.y == p.y) return;
  s.points.push_back(p);
  stamp_segment(last, p, s.radius, s.kind);
  ++version_;
}

void Canvas::end_stroke() { stroking_ = false; }

void Canvas::clear() {
  end_stroke();
  if (history_.empty() || history_.back().kind == Stroke::Kind::kClear) return;
  Stroke s;
  s.kind = Stroke::Kind::kClear;
  history_.push_back(std::move(s));
  std::fill(pixels_.begin(), pixels_.end(), 0);
  ++version_;
}

bool Canvas::undo() {
  end_stroke();
  if (history_.empty()) return false;
  history_.pop_back();
  render_history();
  ++version_;
  return true;
}

void Canvas::resize(int64_t width, int64_t height) {
  width = std::max<int64_t>(8, width);
  height = std::max<int64_t>(8, height);
  if (width == width_ && height == height_) return;
  width_ = width;
  height_ = height;
  pixels_.assign(width_ * height_, 0);
  render_history();
  ++version_;
}

// Everything after the last Clear, stroke by stroke, segment by segment as it was drawn.
void Canvas::render_history() {
  std::fill(pixels_.begin(), pixels_.end(), 0);
  size_t start = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (history_[i].kind == Stroke::Kind::kClear) start = i + 1;
  }
  for (size_t i = start; i < history_.size(); ++i) {
    const Stroke& s = history_[i];
    stamp_segment(s.points.front(), s.points.front(), s.radius, s.kind);
    for (size_t k = 1; k < s.points.size(); ++k) {
      stamp_segment(s.points[k - 1], s.points[k], s.radius, s.kind);
    }
  }
}

std::vector<InkStroke> ink_strokes(const Canvas& canvas) {
  const auto& history = canvas.history();
  size_t from = 0;
  bool erased = false;
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].kind == Stroke::Kind::kClear) from = i + 1, erased = false;
    if (history[i].kind == Stroke::Kind::kErase) erased = true;
  }
  const auto unit = static_cast<double>(canvas.height());
  auto inked = [&](const CanvasPoint& p) {
    const auto x = std::clamp<int64_t>(std::lround(p.x * unit), 0, canvas.width() - 1);
    const auto y = std::clamp<int64_t>(std::lround(p.y * unit), 0, canvas.height() - 1);
    return canvas.pixels()[static_cast<size_t>(y * canvas.width() + x)] != 0;
  };
  std::vector<InkStroke> out;
  for (size_t i = from; i < history.size(); ++i) {
    if (history[i].kind != Stroke::Kind::kInk) continue;
    InkStroke piece;
    for (const CanvasPoint& p : history[i].points) {
      if (erased && !inked(p)) {
        if (!piece.empty()) out.push_back(std::move(piece));
        piece.clear();
        continue;
      }
      piece.push_back({p.x * unit, p.y * unit});
    }
    if (!piece.empty()) out.push_back(std::move(piece));
  }
  return out;
}

}  // namespace digits
