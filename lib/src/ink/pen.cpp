#include "digits/ink/pen.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "digits/core/random.h"

namespace digits {

namespace {

// The bounding box of a digit's points, in its own coordinates.
struct Box {
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  double extent() const { return std::max(x1 - x0, y1 - y0); }  // the longer side
  double cx() const { return (x0 + x1) / 2; }
  double cy() const { return (y0 + y1) / 2; }
};

Box bounds(const PenDigit& digit) {
  Box b;
  for (const auto& stroke : digit.strokes) {
    for (const PenPoint& p : stroke) {
      b.x0 = std::min(b.x0, p.x), b.x1 = std::max(b.x1, p.x);
      b.y0 = std::min(b.y0, p.y), b.y1 = std::max(b.y1, p.y);
    }
  }
  return b;
}

}  // namespace

std::vector<std::vector<CanvasPoint>> pen_strokes(const PenDigit& digit, const PenStyle& style) {
  const Box box = bounds(digit);
  const auto side = static_cast<double>(style.canvas_side);
  const double extent = box.extent(), cx = box.cx(), cy = box.cy();
  const double scale = extent > 0 ? style.fill * side / extent : 1.0;
  const double last = side - 1;
  std::vector<std::vector<CanvasPoint>> out;
  for (const auto& stroke : digit.strokes) {
    std::vector<CanvasPoint> points;
    double px_prev = -1, py_prev = -1;
    for (const PenPoint& p : stroke) {
      // The pointer's whole pixel; UNIPEN's y grows upwards, the canvas's downwards.
      const double px = std::clamp(std::round(side / 2 + (p.x - cx) * scale), 0.0, last);
      const double py = std::clamp(std::round(side / 2 - (p.y - cy) * scale), 0.0, last);
      if (px == px_prev && py == py_prev) continue;
      points.push_back(canvas_point(px, py, side));
      px_prev = px, py_prev = py;
    }
    if (!points.empty()) out.push_back(std::move(points));
  }
  return out;
}

void draw_pen_digit(Canvas& canvas, const PenDigit& digit, const PenStyle& style) {
  canvas.set_brush_radius(style.brush_radius);
  for (const auto& stroke : pen_strokes(digit, style)) {
    canvas.begin_stroke(stroke.front());
    for (size_t k = 1; k < stroke.size(); ++k) canvas.extend_stroke(stroke[k]);
    canvas.end_stroke();
  }
}

DigitPixels render_pen_digit(const PenDigit& digit, const PenStyle& style) {
  Canvas canvas(style.canvas_side);
  draw_pen_digit(canvas, digit, style);
  return prepare_digit(canvas.view());
}

PenDigit pen_digit_of(const std::vector<InkStroke>& strokes, const std::vector<size_t>& which) {
  PenDigit digit;
  for (size_t k : which) {
    if (k >= strokes.size() || strokes[k].empty()) continue;
    std::vector<PenPoint> points;
    points.reserve(strokes[k].size());
    for (const InkPoint& p : strokes[k]) points.push_back({p.x, -p.y});
    digit.strokes.push_back(std::move(points));
  }
  return digit;
}

PenDigit warp_pen_digit(const PenDigit& digit, double strength, uint64_t seed) {
  constexpr double kPi = 3.14159265358979323846;
  if (strength <= 0) return digit;
  const Box box = bounds(digit);
  const double extent = box.extent(), cx = box.cx(), cy = box.cy();
  if (!(extent > 0)) return digit;
  SeededDraws draw(seed);  // the same bend on every machine
  struct Wave {
    double fu, fv, phase, ax, ay;
  };
  constexpr int kWaves = 3;
  Wave waves[kWaves];
  for (Wave& w : waves) {
    w.fu = (2 * draw.uniform() - 1) * 1.5, w.fv = (2 * draw.uniform() - 1) * 1.5;
    w.phase = 2 * kPi * draw.uniform();
    // A sine's mean square is 1/2: sqrt(2 / kWaves) makes the sum's RMS `strength`.
    w.ax = draw.normal() * strength * std::sqrt(2.0 / kWaves);
    w.ay = draw.normal() * strength * std::sqrt(2.0 / kWaves);
  }
  PenDigit out = digit;
  const bool several = digit.strokes.size() > 1;
  for (auto& stroke : out.strokes) {
    const double sx = several ? draw.normal() * strength / 2 : 0;
    const double sy = several ? draw.normal() * strength / 2 : 0;
    for (PenPoint& p : stroke) {
      const double u = (p.x - cx) / extent, v = (p.y - cy) / extent;
      double dx = sx, dy = sy;
      for (const Wave& w : waves) {
        const double s = std::sin(2 * kPi * (w.fu * u + w.fv * v) + w.phase);
        dx += w.ax * s, dy += w.ay * s;
      }
      p.x += dx * extent, p.y += dy * extent;
    }
  }
  return out;
}

PenDigit slant_pen_digit(const PenDigit& digit, double degrees) {
  constexpr double kPi = 3.14159265358979323846;
  const Box box = bounds(digit);
  if (!(box.y1 >= box.y0)) return digit;  // no points
  const double cy = box.cy(), shear = std::tan(degrees * kPi / 180);
  PenDigit out = digit;
  for (auto& stroke : out.strokes) {
    for (PenPoint& p : stroke) p.x += shear * (p.y - cy);  // y up: the top moves right
  }
  return out;
}

std::string pen_replay(const PenDigit& digit, const PenStyle& style) {
  auto text = [](float v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("0");
  };
  std::string script = "# pen digit " + std::to_string(digit.label) + ", writer " +
                       std::to_string(digit.writer) + ", sample " + std::to_string(digit.sample) +
                       "\n";
  for (const auto& stroke : pen_strokes(digit, style)) {
    script += "down " + text(stroke.front().x) + " " + text(stroke.front().y) + "\n";
    for (size_t k = 1; k < stroke.size(); ++k) {
      script += "move " + text(stroke[k].x) + " " + text(stroke[k].y) + "\n";
    }
    script += "up\n";
  }
  return script;
}

}  // namespace digits
