#include "number_folds.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string>

namespace number_tune {

using digits::NumberCandidates;
using digits::NumberReaderOptions;

Runs truth_runs(const digits::InkSample& s, const NumberCandidates& c) {
  std::vector<size_t> part_of(s.strokes.size());
  for (size_t p = 0; p < s.parts.size(); ++p) {
    for (size_t k : s.parts[p].strokes) part_of[k] = p;
  }
  Runs runs;
  size_t first = 0;
  for (size_t p = 0; p < s.parts.size(); ++p) {
    const size_t count = s.parts[p].strokes.size();
    if (count == 0 || first + count > c.order.size() || count > c.index[first].size()) return {};
    for (size_t k = first; k < first + count; ++k) {
      if (part_of[c.order[k]] != p) return {};
    }
    runs.emplace_back(first, count);
    first += count;
  }
  return first == c.order.size() ? runs : Runs{};
}

Runs read_runs(const digits::NumberReading& r, const NumberCandidates& c) {
  std::vector<size_t> position(c.order.size());
  for (size_t k = 0; k < c.order.size(); ++k) position[c.order[k]] = k;
  Runs runs;
  for (const auto& d : r.digits) {
    size_t first = c.order.size();
    for (size_t k : d.strokes) first = std::min(first, position[k]);
    runs.emplace_back(first, d.strokes.size());
  }
  return runs;
}

Score score(const Fold& fold, const NumberReaderOptions& o) {
  size_t exact = 0, errors = 0, total = 0, rejected = 0;
  for (size_t i = 0; i < fold.numbers.size(); ++i) {
    const auto reading = digits::decode_number(fold.candidates[i], o);
    std::string read;
    for (const auto& d : reading.digits) read += static_cast<char>('0' + d.digit);
    const std::string& truth = fold.numbers[i].label;
    exact += reading.number && read == truth;
    rejected += !reading.number;
    errors += reading.number ? digits::edit_distance(read, truth) : truth.size();
    total += truth.size();
  }
  const auto n = static_cast<double>(fold.numbers.size());
  return {static_cast<double>(exact) / n, 1.0 - static_cast<double>(errors) / total,
          static_cast<double>(rejected) / n};
}

void why_none(const Fold& fold, const NumberReaderOptions& o) {
  size_t doubted_right = 0, doubted_wrong = 0, doubted_cut = 0;
  std::array<size_t, digits::kClasses> right_by_class{};
  std::map<std::string, size_t> other;  // the other reasons (NoNumber), by name
  for (size_t i = 0; i < fold.numbers.size(); ++i) {
    const auto reading = digits::decode_number(fold.candidates[i], o);
    if (reading.number) continue;
    if (reading.why != digits::NoNumber::kDoubted) {
      ++other[digits::no_number_name(reading.why)];
      continue;
    }
    const auto& doubted = reading.digits[static_cast<size_t>(reading.why_digit)];
    const auto& s = fold.numbers[i];
    const auto part = std::find_if(s.parts.begin(), s.parts.end(),
                                   [&](const auto& p) { return p.strokes == doubted.strokes; });
    if (part == s.parts.end()) {
      ++doubted_cut;
    } else if (part->label == std::string(1, static_cast<char>('0' + doubted.digit))) {
      ++doubted_right;
      ++right_by_class[static_cast<size_t>(doubted.digit)];
    } else {
      ++doubted_wrong;
    }
  }
  std::printf("  no number: a digit doubted, cut and read right %zu (by class:", doubted_right);
  for (size_t k : right_by_class) std::printf(" %zu", k);
  std::printf("), cut right but read wrong %zu, cut otherwise %zu; other reasons:", doubted_wrong,
              doubted_cut);
  for (const auto& [name, n] : other) std::printf(" %s %zu", name.c_str(), n);
  std::printf("%s\n", other.empty() ? " none" : "");
}

}  // namespace number_tune
