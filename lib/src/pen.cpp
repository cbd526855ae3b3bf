#include "digits/pen.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace digits {

std::vector<std::vector<CanvasPoint>> pen_strokes(const PenDigit& digit, const PenStyle& style) {
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  for (const auto& stroke : digit.strokes) {
    for (const PenPoint& p : stroke) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
  }
  const auto side = static_cast<double>(style.canvas_side);
  const double extent = std::max(x1 - x0, y1 - y0);
  const double scale = extent > 0 ? style.fill * side / extent : 1.0;
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
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
