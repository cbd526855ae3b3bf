// Internal: the geometry of strokes that the number reader (evaluate/number_reader.cpp) measures
// candidate digits by: boxes, the line's digit height, gaps, ink length and turning, crossings.
#pragma once

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "digits/ink/ink.h"

namespace digits::detail {

inline constexpr double kPi = 3.14159265358979323846;

// A box; empty (inverted) until something is added.
struct Span {
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  void add(double x, double y) {
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  }
  void add(const Span& o) {
    x0 = std::min(x0, o.x0), x1 = std::max(x1, o.x1);
    y0 = std::min(y0, o.y0), y1 = std::max(y1, o.y1);
  }
  double cx() const { return (x0 + x1) / 2; }
};

// The box of a stroke's points.
Span span_of(const InkStroke& s);

// The line's digit height: the median height of the strokes at least 40% as tall as the
// tallest (the main strokes of digits, not the bars and dots of delayed strokes). Never 0.
double line_height(const std::vector<Span>& spans);

// The widest empty run of columns between the strokes `[first, first + count)` of `order`.
double inner_gap(const std::vector<Span>& spans, const std::vector<size_t>& order, size_t first,
                 size_t count);

// The length of a stroke and how far it turns (radians), ignoring steps shorter than `min_step`
// (the jitter of a tablet's samples).
std::pair<double, double> length_and_turning(const InkStroke& s, double min_step);

// The first and second moments of ink spread evenly along strokes (each segment a uniform line):
// where the ink lies and which way it is drawn out. Moments of several strokes add up.
struct InkMoments {
  double w = 0, x = 0, y = 0, xx = 0, xy = 0, yy = 0;  // sums of length, length * coordinates
  void add(const InkMoments& o) {
    w += o.w, x += o.x, y += o.y, xx += o.xx, xy += o.xy, yy += o.yy;
  }
};
InkMoments moments_of(const InkStroke& s);

// The lean of the ink's long axis from upright, in degrees, positive when its top is to the
// right (y down): the slant of a 1. 0 for ink without length.
double lean_degrees(const InkMoments& m);

// Whether segments ab and cd cross (touching ends count; collinear ones do not).
bool segments_cross(const InkPoint& a, const InkPoint& b, const InkPoint& c, const InkPoint& d);

// Whether two strokes (with their boxes) cross anywhere.
bool strokes_cross(const InkStroke& p, const Span& ps, const InkStroke& q, const Span& qs);

// The least distance between an end of `p` and an end of `q` (infinity when one is empty): the
// strokes of a corner, as of a V or an M, meet end to end.
double ends_apart(const InkStroke& p, const InkStroke& q);

}  // namespace digits::detail
