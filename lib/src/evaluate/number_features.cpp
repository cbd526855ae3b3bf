// The features of a candidate digit and of two neighbours, and the reader's weights as one
// vector (number_reader.h): what decode_number scores and bench/number_tune.cpp learns.
#include "evaluate/number_features.h"

#include <algorithm>
#include <cmath>

namespace digits {

namespace detail {

std::vector<double> unary_features(const DigitCandidate& d, double h,
                                   const NumberReaderOptions& o) {
  const double width = (d.x1 - d.x0) / h, height = (d.y1 - d.y0) / h;
  std::vector<double> f(kUnary, 0.0);
  f[0] = std::log(std::max(d.confidence, 1e-6f));
  f[1] = 1;
  f[2] = std::max(0.0, d.gap - o.gap_free);
  f[3] = std::max(0.0, width - o.wide);
  f[4] = std::max(0.0, o.short_height - height);
  f[5] = std::max(0.0, o.low_height - height);
  f[6] = d.count >= 3 ? 1 : 0;
  f[7 + static_cast<size_t>(d.digit)] = 1;
  if (d.count >= 2) f[7 + kClasses + static_cast<size_t>(d.digit)] = 1;
  return f;
}

std::vector<double> pair_features(const NumberCandidates& c, const DigitCandidate& a,
                                  const DigitCandidate& b) {
  const double h = c.height;
  const double covered = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const double narrower = std::max(std::min(a.x1 - a.x0, b.x1 - b.x0), 0.05 * h);
  std::vector<double> f(kPair, 0.0);
  f[0] = std::clamp(covered / narrower, 0.0, 1.0);
  for (size_t i = a.first; i < a.first + a.count && f[1] == 0; ++i) {
    for (size_t j = b.first; j < b.first + b.count; ++j) {
      if (c.crosses[i][j]) f[1] = 1;
    }
  }
  f[2] = std::clamp((b.x0 - a.x1) / h, -1.0, 1.0);
  // How sure the network is of the two as one digit, where they can be one.
  if (a.first + a.count == b.first && a.count + b.count <= c.index[a.first].size()) {
    f[3] = c.candidates[static_cast<size_t>(c.index[a.first][a.count + b.count - 1])].confidence;
  }
  return f;
}

double dot(const std::vector<double>& w, const std::vector<double>& f, size_t offset) {
  double s = 0;
  for (size_t k = 0; k < f.size(); ++k) s += w[offset + k] * f[k];
  return s;
}

}  // namespace detail

using detail::kPair;
using detail::kUnary;
using detail::pair_features;
using detail::unary_features;

std::vector<double> weight_vector(const NumberReaderOptions& o) {
  std::vector<double> w = {o.log_prob_weight, o.digit_bonus,  -o.gap_penalty, -o.wide_penalty,
                           -o.short_penalty,  -o.low_penalty, -o.many_penalty};
  w.insert(w.end(), o.class_bias.begin(), o.class_bias.end());
  w.insert(w.end(), o.multi_stroke_bias.begin(), o.multi_stroke_bias.end());
  w.insert(w.end(), {-o.overlap_penalty, -o.cross_penalty, o.spacing_weight, -o.merge_penalty});
  return w;
}

void set_weight_vector(NumberReaderOptions& o, const std::vector<double>& w) {
  if (w.size() != kUnary + kPair) return;
  o.log_prob_weight = w[0], o.digit_bonus = w[1], o.gap_penalty = -w[2];
  o.wide_penalty = -w[3], o.short_penalty = -w[4], o.low_penalty = -w[5], o.many_penalty = -w[6];
  std::copy(w.begin() + 7, w.begin() + 7 + kClasses, o.class_bias.begin());
  std::copy(w.begin() + 7 + kClasses, w.begin() + kUnary, o.multi_stroke_bias.begin());
  o.overlap_penalty = -w[kUnary], o.cross_penalty = -w[kUnary + 1];
  o.spacing_weight = w[kUnary + 2], o.merge_penalty = -w[kUnary + 3];
}

std::vector<double> segmentation_features(const NumberCandidates& c,
                                          const std::vector<std::pair<size_t, size_t>>& runs,
                                          const NumberReaderOptions& o) {
  std::vector<double> total(kUnary + kPair, 0.0);
  const DigitCandidate* previous = nullptr;
  for (const auto& [first, count] : runs) {
    const auto& d = c.candidates[static_cast<size_t>(c.index[first][count - 1])];
    const auto u = unary_features(d, c.height, o);
    for (size_t k = 0; k < kUnary; ++k) total[k] += u[k];
    if (previous) {
      const auto p = pair_features(c, *previous, d);
      for (size_t k = 0; k < kPair; ++k) total[kUnary + k] += p[k];
    }
    previous = &d;
  }
  return total;
}

}  // namespace digits
