#include "digits/evaluate/number_reader.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <tuple>

#include "digits/ink/pen.h"
#include "evaluate/number_features.h"
#include "ink/geometry.h"

namespace digits {

namespace {

using detail::dot;
using detail::ends_apart;
using detail::InkMoments;
using detail::inner_gap;
using detail::kUnary;
using detail::lean_degrees;
using detail::length_and_turning;
using detail::line_height;
using detail::moments_of;
using detail::pair_features;
using detail::Span;
using detail::span_of;
using detail::strokes_cross;
using detail::unary_features;

// FNV-1a over `n` bytes, continuing from `h`.
uint64_t fnv(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

// The network's probabilities for each image, as one batch.
std::vector<std::array<float, kClasses>> read_images(const Predictor& predictor,
                                                     const std::vector<DigitPixels>& images) {
  std::vector<std::array<float, kClasses>> out(images.size());
  if (images.empty()) return out;
  auto batch =
      torch::empty({static_cast<int64_t>(images.size()), kImageSide, kImageSide}, torch::kUInt8);
  for (size_t i = 0; i < images.size(); ++i) {
    std::copy(images[i].begin(), images[i].end(),
              batch.data_ptr<uint8_t>() + static_cast<int64_t>(i) * kPixels);
  }
  const torch::Tensor probs = predictor.probabilities(batch).contiguous();
  const float* p = probs.data_ptr<float>();
  for (size_t i = 0; i < images.size(); ++i) {
    std::copy(p + i * kClasses, p + (i + 1) * kClasses, out[i].begin());
  }
  return out;
}

// The most likely class of `probabilities` and its probability.
std::pair<int, float> best_class(const std::array<float, kClasses>& probabilities) {
  const auto best = std::max_element(probabilities.begin(), probabilities.end());
  return {static_cast<int>(best - probabilities.begin()), *best};
}

// Whether the reading is a number, why not when not (the first reason in NoNumber's order), and
// its confidence.
void judge(NumberReading& reading, const NumberReaderOptions& options) {
  reading.why = reading.digits.empty() ? NoNumber::kNoInk : NoNumber::kNumber;
  reading.why_digit = -1;
  auto fail = [&](NoNumber why, size_t digit) {
    if (reading.why != NoNumber::kNumber && reading.why <= why) return;
    reading.why = why, reading.why_digit = static_cast<int64_t>(digit);
  };
  // A writer's 1s lean alike: 1s leaning apart are the straight strokes of a V, W, M, N or X.
  size_t most_left = 0, most_right = 0;
  bool ones = false;
  for (size_t i = 0; i < reading.digits.size(); ++i) {
    const ReadDigit& d = reading.digits[i];
    if (d.digit != 1) continue;
    if (!ones || d.lean < reading.digits[most_left].lean) most_left = i;
    if (!ones || d.lean > reading.digits[most_right].lean) most_right = i;
    ones = true;
  }
  if (ones &&
      reading.digits[most_right].lean - reading.digits[most_left].lean > options.reject_lean) {
    fail(NoNumber::kOnesLeanApart, std::min(most_left, most_right));
  }
  // Two 1s meeting end to end at an angle are a corner of a letter: a writer's 1s stand apart.
  for (size_t i = 0; i + 1 < reading.digits.size(); ++i) {
    const ReadDigit &a = reading.digits[i], &b = reading.digits[i + 1];
    if (a.digit == 1 && b.digit == 1 && a.ends_to_next <= options.corner_distance &&
        std::fabs(a.lean - b.lean) > options.reject_corner_lean) {
      fail(NoNumber::kCorner, i);
    }
  }
  size_t least = 0;
  for (size_t i = 0; i < reading.digits.size(); ++i) {
    const ReadDigit& d = reading.digits[i];
    if ((d.x1 - d.x0) / reading.height > options.reject_wide) fail(NoNumber::kTooWide, i);
    if (d.ink > options.reject_ink) fail(NoNumber::kTooMuchInk, i);
    if (d.turning > options.reject_turning) fail(NoNumber::kTooMuchTurning, i);
    if (d.confidence < reading.digits[least].confidence) least = i;
  }
  // Among digits all read surely, the least sure one is doubted only under a lower bar.
  bool among_sure = reading.digits.size() >= 2;
  for (size_t i = 0; i < reading.digits.size(); ++i) {
    if (i != least && reading.digits[i].confidence < options.sure_confidence) among_sure = false;
  }
  const double bar = options.min_confidence * (among_sure ? options.among_sure_share : 1.0);
  if (!reading.digits.empty() && reading.digits[least].confidence < bar) {
    fail(NoNumber::kDoubted, least);
  }
  reading.number = reading.why == NoNumber::kNumber;
  reading.confidence = 1;
  for (const ReadDigit& d : reading.digits) reading.confidence *= d.confidence;
  if (!reading.number) reading.confidence = 0;
}

// NoNumber's names, and what people are told (after "digit N" where the reason has a digit).
struct NoNumberWords {
  const char* name;
  const char* text;
  bool of_a_digit;
};
constexpr NoNumberWords kNoNumberWords[] = {
    {"number", "", false},
    {"no-ink", "no ink", false},
    {"too-many-strokes", "too many strokes", false},
    {"ones-lean-apart", "1s leaning apart", false},
    {"corner", "1s meeting at a corner", false},
    {"too-wide", " too wide", true},
    {"too-much-ink", ": too much ink", true},
    {"too-much-turning", ": a scribble", true},
    {"doubted", " doubtful", true},
};
static_assert(std::size(kNoNumberWords) == static_cast<size_t>(NoNumber::kDoubted) + 1);

}  // namespace

const char* no_number_name(NoNumber why) { return kNoNumberWords[static_cast<size_t>(why)].name; }

std::string NumberReading::why_code() const {
  if (number) return "";
  std::string code = no_number_name(why);
  if (why_digit >= 0) code += ":" + std::to_string(why_digit + 1);
  return code;
}

std::string NumberReading::why_text() const {
  const NoNumberWords& w = kNoNumberWords[static_cast<size_t>(why)];
  return w.of_a_digit ? "digit " + std::to_string(why_digit + 1) + w.text : w.text;
}

std::string NumberReading::text() const {
  if (!number) return "none";
  std::string s;
  for (const ReadDigit& d : digits) s += static_cast<char>('0' + d.digit);
  return s;
}

NumberCandidates number_candidates(const Predictor& predictor,
                                   const std::vector<InkStroke>& strokes,
                                   const NumberReaderOptions& options, CandidateCache* cache) {
  NumberCandidates c;
  std::vector<Span> spans(strokes.size());
  for (size_t k = 0; k < strokes.size(); ++k) {
    if (strokes[k].empty()) continue;
    spans[k] = span_of(strokes[k]);
    c.order.push_back(k);
  }
  if (c.order.empty() || static_cast<int64_t>(c.order.size()) > options.max_ink_strokes) {
    return c;
  }
  // Centre order; writing order among strokes of one centre.
  std::stable_sort(c.order.begin(), c.order.end(),
                   [&](size_t a, size_t b) { return spans[a].cx() < spans[b].cx(); });
  std::vector<Span> used;
  for (size_t k : c.order) used.push_back(spans[k]);
  c.height = line_height(used);

  const size_t n = c.order.size();
  const auto most = static_cast<size_t>(std::max<int64_t>(1, options.max_strokes));
  // Only strokes of two neighbouring candidates are compared: at most 2 * most - 1 apart.
  c.crosses.assign(n, std::vector<char>(n, 0));
  c.ends_apart.assign(n, std::vector<double>(n, std::numeric_limits<double>::infinity()));
  for (size_t a = 0; a < n; ++a) {
    c.ends_apart[a][a] = 0;
    for (size_t b = a + 1; b < n && b < a + 2 * most; ++b) {
      const size_t p = c.order[a], q = c.order[b];
      c.crosses[a][b] = c.crosses[b][a] = strokes_cross(strokes[p], spans[p], strokes[q], spans[q]);
      c.ends_apart[a][b] = c.ends_apart[b][a] = ends_apart(strokes[p], strokes[q]) / c.height;
    }
  }
  c.index.assign(n, std::vector<int64_t>(most, -1));
  std::vector<std::pair<double, double>> shape(strokes.size());
  std::vector<InkMoments> moments(strokes.size());
  for (size_t k : c.order) {
    shape[k] = length_and_turning(strokes[k], 0.04 * c.height);
    moments[k] = moments_of(strokes[k]);
  }
  std::vector<DigitPixels> images;
  std::vector<size_t> unread;  // candidates the network reads now
  std::vector<uint64_t> keys;  // each candidate's key in the cache
  PenStyle style;
  style.canvas_side = std::max<int64_t>(28, options.render_side);
  for (size_t first = 0; first < n; ++first) {
    for (size_t count = 1; count <= most && first + count <= n; ++count) {
      DigitCandidate d;
      d.first = first, d.count = count;
      Span box;
      std::vector<size_t> which(c.order.begin() + static_cast<std::ptrdiff_t>(first),
                                c.order.begin() + static_cast<std::ptrdiff_t>(first + count));
      std::sort(which.begin(), which.end());  // drawn in writing order
      for (size_t k : which) box.add(spans[k]);
      d.x0 = box.x0, d.y0 = box.y0, d.x1 = box.x1, d.y1 = box.y1;
      d.gap = inner_gap(spans, c.order, first, count) / c.height;
      InkMoments ink;
      for (size_t k : which) {
        d.ink += shape[k].first / c.height;
        d.turning += shape[k].second / (2 * detail::kPi);
        ink.add(moments[k]);
      }
      d.lean = lean_degrees(ink);
      c.index[first][count - 1] = static_cast<int64_t>(c.candidates.size());
      c.candidates.push_back(d);
      uint64_t key = 0;
      if (cache) {
        key = fnv(0xcbf29ce484222325ULL ^ static_cast<uint64_t>(style.canvas_side), &count,
                  sizeof count);
        for (size_t k : which)
          key = fnv(key, strokes[k].data(), strokes[k].size() * sizeof(InkPoint));
        keys.push_back(key);
        if (const auto hit = cache->probabilities.find(key); hit != cache->probabilities.end()) {
          c.candidates.back().probabilities = hit->second;
          continue;
        }
      }
      unread.push_back(c.candidates.size() - 1);
      images.push_back(render_pen_digit(pen_digit_of(strokes, which), style));
    }
  }
  const auto read = read_images(predictor, images);
  if (cache && cache->probabilities.size() + unread.size() > CandidateCache::kMaxEntries) {
    cache->probabilities.clear();
  }
  for (size_t i = 0; i < unread.size(); ++i) {
    c.candidates[unread[i]].probabilities = read[i];
    if (cache) cache->probabilities[keys[unread[i]]] = read[i];
  }
  for (DigitCandidate& d : c.candidates)
    std::tie(d.digit, d.confidence) = best_class(d.probabilities);
  return c;
}

NumberReading decode_number(const NumberCandidates& c, const NumberReaderOptions& options) {
  NumberReading reading;
  const size_t n = c.order.size();
  // number_candidates reads no candidate of more strokes than a line of digits has.
  if (static_cast<int64_t>(n) > options.max_ink_strokes) reading.why = NoNumber::kTooManyStrokes;
  if (n == 0 || c.candidates.empty()) return reading;
  const size_t most = c.index.front().size();
  const double h = c.height;
  const std::vector<double> w = weight_vector(options);
  std::vector<double> scores(c.candidates.size());
  for (size_t i = 0; i < c.candidates.size(); ++i) {
    scores[i] = dot(w, unary_features(c.candidates[i], h, options), 0);
  }
  auto pair = [&](const DigitCandidate& a, const DigitCandidate& b) {
    return dot(w, pair_features(c, a, b), kUnary);
  };
  // best[end][count - 1]: the best score of the first `end` strokes whose last digit has `count`
  // strokes; from[end][count - 1] the count of the digit before it (0: none).
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(n + 1, std::vector<double>(most, kNone));
  std::vector<std::vector<size_t>> from(n + 1, std::vector<size_t>(most, 0));
  for (size_t end = 1; end <= n; ++end) {
    for (size_t count = 1; count <= most && count <= end; ++count) {
      const size_t first = end - count;
      const auto at = static_cast<size_t>(c.index[first][count - 1]);
      const DigitCandidate& d = c.candidates[at];
      const double u = scores[at];
      if (first == 0) {
        best[end][count - 1] = u;
        continue;
      }
      for (size_t before = 1; before <= most && before <= first; ++before) {
        if (best[first][before - 1] == kNone) continue;
        const DigitCandidate& b =
            c.candidates[static_cast<size_t>(c.index[first - before][before - 1])];
        const double s = best[first][before - 1] + u + pair(b, d);
        if (s > best[end][count - 1]) best[end][count - 1] = s, from[end][count - 1] = before;
      }
    }
  }
  size_t count = 1;
  for (size_t k = 1; k <= most && k <= n; ++k) {
    if (best[n][k - 1] > best[n][count - 1]) count = k;
  }
  std::vector<const DigitCandidate*> chosen;
  for (size_t end = n; end > 0;) {
    const size_t before = from[end][count - 1];
    chosen.push_back(&c.candidates[static_cast<size_t>(c.index[end - count][count - 1])]);
    end -= count;
    count = before;
  }
  std::reverse(chosen.begin(), chosen.end());
  reading.height = h;
  for (const DigitCandidate* d : chosen) {
    ReadDigit r;
    r.digit = d->digit, r.confidence = d->confidence, r.probabilities = d->probabilities;
    r.strokes.assign(c.order.begin() + static_cast<std::ptrdiff_t>(d->first),
                     c.order.begin() + static_cast<std::ptrdiff_t>(d->first + d->count));
    std::sort(r.strokes.begin(), r.strokes.end());
    r.x0 = d->x0, r.y0 = d->y0, r.x1 = d->x1, r.y1 = d->y1;
    r.ink = d->ink, r.turning = d->turning, r.lean = d->lean;
    reading.digits.push_back(std::move(r));
  }
  // How near each digit's strokes come to the next's, end to end (candidates made without the
  // ends' distances, as a test may make them, meet nowhere).
  for (size_t i = 0; i + 1 < chosen.size() && c.ends_apart.size() == n; ++i) {
    const DigitCandidate &a = *chosen[i], &b = *chosen[i + 1];
    double& least = reading.digits[i].ends_to_next;
    for (size_t p = a.first; p < a.first + a.count; ++p) {
      for (size_t q = b.first; q < b.first + b.count; ++q)
        least = std::min(least, c.ends_apart[p][q]);
    }
  }
  judge(reading, options);
  return reading;
}

NumberReading read_number(const Predictor& predictor, const std::vector<InkStroke>& strokes,
                          const NumberReaderOptions& options, CandidateCache* cache) {
  NumberReading reading =
      decode_number(number_candidates(predictor, strokes, options, cache), options);
  if (options.final_side <= 0 || options.final_side == options.render_side ||
      reading.digits.empty()) {
    return reading;
  }
  PenStyle style;
  style.canvas_side = options.final_side;
  std::vector<DigitPixels> images;
  for (const ReadDigit& d : reading.digits) {
    images.push_back(render_pen_digit(pen_digit_of(strokes, d.strokes), style));
  }
  const auto read = read_images(predictor, images);
  for (size_t i = 0; i < reading.digits.size(); ++i) {
    ReadDigit& d = reading.digits[i];
    d.probabilities = read[i];
    std::tie(d.digit, d.confidence) = best_class(d.probabilities);
  }
  judge(reading, options);
  return reading;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace digits
