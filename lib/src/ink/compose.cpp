#include "digits/ink/compose.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "digits/core/random.h"
#include "ink/geometry.h"

namespace digits {

namespace {

using detail::Span;

// y-down bounds of a pen digit (UNIPEN's y grows upwards).
Span bounds_down(const PenDigit& d) {
  Span b;
  for (const auto& s : d.strokes) {
    for (const PenPoint& p : s) b.add(p.x, -p.y);
  }
  return b;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<PenDigit> digits_of_writers(const std::vector<PenDigit>& material,
                                        const std::vector<int64_t>& writers) {
  std::vector<PenDigit> out;
  for (const PenDigit& d : material) {
    if (std::find(writers.begin(), writers.end(), d.writer) != writers.end()) out.push_back(d);
  }
  return out;
}

std::vector<InkSample> compose_numbers(const std::vector<PenDigit>& material, int64_t count,
                                       const ComposeOptions& options, uint64_t seed) {
  std::vector<InkSample> out;
  // Each writer's usable digits (with ink of some height) and their median height.
  std::map<int64_t, std::vector<const PenDigit*>> by_writer;
  for (const PenDigit& d : material) {
    const Span b = bounds_down(d);
    if (!d.strokes.empty() && b.y1 - b.y0 > 0) by_writer[d.writer].push_back(&d);
  }
  if (by_writer.empty() || count <= 0) return out;
  std::vector<int64_t> writers;
  std::map<int64_t, double> height;
  for (const auto& [w, digits] : by_writer) {
    writers.push_back(w);
    std::vector<double> h;
    for (const PenDigit* d : digits) {
      const Span b = bounds_down(*d);
      h.push_back(b.y1 - b.y0);
    }
    height[w] = median(h);
  }
  const int64_t lo = std::max<int64_t>(1, options.min_digits);
  const int64_t hi = std::max(lo, options.max_digits);
  SeededDraws draw(seed);
  out.reserve(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t writer = writers[draw.index(writers.size())];
    const auto& pool = by_writer[writer];
    const double h = height[writer];
    const auto n = static_cast<size_t>(
        lo + static_cast<int64_t>(draw.index(static_cast<size_t>(hi - lo + 1))));
    const double slope = draw.uniform(-options.slope, options.slope);
    const double shear = draw.normal() * options.slant;

    InkSample sample;
    sample.writer = std::to_string(writer);
    sample.where = "composed number " + std::to_string(k + 1);
    // Each digit's strokes placed on the line; written in order later.
    std::vector<std::vector<InkStroke>> placed(n);
    double cursor = 0, drift = 0, previous_width = 0;
    for (size_t i = 0; i < n; ++i) {
      const PenDigit& d = *pool[draw.index(pool.size())];
      sample.label += static_cast<char>('0' + d.label);
      const Span b = bounds_down(d);
      const double size = std::clamp(1 + draw.normal() * options.size_jitter, 0.6, 1.5);
      double gap = i == 0 ? 0 : draw.uniform(options.gap_min, options.gap_max) * h;
      const double width = (b.x1 - b.x0) * size;
      if (gap < 0) gap = std::max(gap, -options.max_overlap * std::min(width, previous_width));
      previous_width = width;
      drift += draw.normal() * options.drift * h;
      // The digit's bottom sits on the baseline at its left edge.
      const double left = cursor + gap;
      const double baseline = slope * left + drift;
      for (const auto& stroke : d.strokes) {
        InkStroke s;
        s.reserve(stroke.size());
        for (const PenPoint& p : stroke) {
          const double x = (p.x - b.x0) * size, y = (-p.y - b.y1) * size;  // y <= 0: above
          s.push_back({left + x - shear * y, baseline + y});
        }
        placed[i].push_back(std::move(s));
      }
      cursor = std::max(cursor, left + width);
    }
    // The writing order: each digit's strokes, a delayed last stroke after the next digit's.
    std::vector<std::vector<size_t>> parts(n);
    std::vector<std::pair<size_t, InkStroke*>> pending;  // a delayed stroke and its digit
    for (size_t i = 0; i < n; ++i) {
      const bool delay = placed[i].size() > 1 && i + 1 < n && draw.uniform() < options.delayed;
      const size_t own = placed[i].size() - (delay ? 1 : 0);
      for (size_t s = 0; s < own; ++s) {
        parts[i].push_back(sample.strokes.size());
        sample.strokes.push_back(std::move(placed[i][s]));
      }
      for (auto& [digit, stroke] : pending) {
        parts[digit].push_back(sample.strokes.size());
        sample.strokes.push_back(std::move(*stroke));
      }
      pending.clear();
      if (delay) pending.emplace_back(i, &placed[i].back());
    }
    for (size_t i = 0; i < n; ++i) {
      std::sort(parts[i].begin(), parts[i].end());
      sample.parts.push_back({std::string(1, sample.label[i]), std::move(parts[i])});
    }
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace digits
