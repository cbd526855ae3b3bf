#include "ink/geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace digits::detail {

Span span_of(const InkStroke& s) {
  Span b;
  for (const InkPoint& p : s) b.add(p.x, p.y);
  return b;
}

double line_height(const std::vector<Span>& spans) {
  double tallest = 0, widest = 0;
  for (const Span& s : spans) tallest = std::max(tallest, s.y1 - s.y0);
  for (const Span& s : spans) widest = std::max(widest, s.x1 - s.x0);
  std::vector<double> tall;
  for (const Span& s : spans) {
    if (s.y1 - s.y0 >= 0.4 * tallest) tall.push_back(s.y1 - s.y0);
  }
  double h = 0;
  if (!tall.empty()) {
    std::nth_element(tall.begin(), tall.begin() + static_cast<std::ptrdiff_t>(tall.size() / 2),
                     tall.end());
    h = tall[tall.size() / 2];
  }
  if (!(h > 0)) h = widest;  // a row of dashes: their width is all there is
  return h > 0 ? h : 1.0;    // a single point
}

double inner_gap(const std::vector<Span>& spans, const std::vector<size_t>& order, size_t first,
                 size_t count) {
  std::vector<std::pair<double, double>> cols;
  for (size_t k = first; k < first + count; ++k) {
    cols.emplace_back(spans[order[k]].x0, spans[order[k]].x1);
  }
  std::sort(cols.begin(), cols.end());
  double gap = 0, reach = cols.front().second;
  for (const auto& [a, b] : cols) {
    gap = std::max(gap, a - reach);
    reach = std::max(reach, b);
  }
  return gap;
}

std::pair<double, double> length_and_turning(const InkStroke& s, double min_step) {
  double length = 0, turning = 0, previous = 0;
  bool have_previous = false;
  InkPoint from = s.front();
  for (size_t i = 1; i < s.size(); ++i) {
    const double dx = s[i].x - from.x, dy = s[i].y - from.y;
    const double step = std::hypot(dx, dy);
    if (step < min_step) continue;
    length += step;
    const double angle = std::atan2(dy, dx);
    if (have_previous) {
      double d = std::fabs(angle - previous);
      if (d > kPi) d = 2 * kPi - d;
      turning += d;
    }
    previous = angle, have_previous = true, from = s[i];
  }
  return {length, turning};
}

InkMoments moments_of(const InkStroke& s) {
  InkMoments m;
  for (size_t i = 1; i < s.size(); ++i) {
    const double dx = s[i].x - s[i - 1].x, dy = s[i].y - s[i - 1].y;
    const double length = std::hypot(dx, dy);
    const double cx = (s[i].x + s[i - 1].x) / 2, cy = (s[i].y + s[i - 1].y) / 2;
    // A uniform segment: its midpoint's moments plus its own spread along it (length^2 / 12).
    m.w += length, m.x += length * cx, m.y += length * cy;
    m.xx += length * (cx * cx + dx * dx / 12);
    m.xy += length * (cx * cy + dx * dy / 12);
    m.yy += length * (cy * cy + dy * dy / 12);
  }
  return m;
}

double lean_degrees(const InkMoments& m) {
  if (m.w <= 0) return 0;
  const double mx = m.x / m.w, my = m.y / m.w;
  const double sxx = m.xx / m.w - mx * mx, sxy = m.xy / m.w - mx * my, syy = m.yy / m.w - my * my;
  // The long axis makes angle t with the x axis: tan 2t = 2 sxy / (sxx - syy).
  const double t = 0.5 * std::atan2(2 * sxy, sxx - syy);
  // Upright is t = +-90 degrees (y down); the top leans right when the axis runs up-right,
  // that is, when x grows as y falls.
  double lean = 90 - std::fabs(t) * 180 / kPi;
  if (t > 0) lean = -lean;  // x grows with y (down-right): the top is to the left
  return lean;
}

bool segments_cross(const InkPoint& a, const InkPoint& b, const InkPoint& c, const InkPoint& d) {
  auto side = [](const InkPoint& p, const InkPoint& q, const InkPoint& r) {
    const double v = (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
    return (v > 0) - (v < 0);
  };
  const int s1 = side(a, b, c), s2 = side(a, b, d), s3 = side(c, d, a), s4 = side(c, d, b);
  if (s1 == 0 && s2 == 0) return false;  // collinear: not a crossing that tells anything
  return s1 != s2 && s3 != s4;
}

bool strokes_cross(const InkStroke& p, const Span& ps, const InkStroke& q, const Span& qs) {
  if (ps.x1 < qs.x0 || qs.x1 < ps.x0 || ps.y1 < qs.y0 || qs.y1 < ps.y0) return false;
  for (size_t i = 1; i < p.size(); ++i) {
    const double x0 = std::min(p[i - 1].x, p[i].x), x1 = std::max(p[i - 1].x, p[i].x);
    if (x1 < qs.x0 || x0 > qs.x1) continue;
    for (size_t j = 1; j < q.size(); ++j) {
      if (segments_cross(p[i - 1], p[i], q[j - 1], q[j])) return true;
    }
  }
  return false;
}

double ends_apart(const InkStroke& p, const InkStroke& q) {
  double best = std::numeric_limits<double>::infinity();
  if (p.empty() || q.empty()) return best;
  for (const InkPoint& a : {p.front(), p.back()}) {
    for (const InkPoint& b : {q.front(), q.back()})
      best = std::min(best, std::hypot(a.x - b.x, a.y - b.y));
  }
  return best;
}

}  // namespace digits::detail
