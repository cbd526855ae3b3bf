#include "digits/evaluate/number_score.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace digits {

void NumberScore::add(const std::string& truth, const NumberReading& reading) {
  ++numbers;
  digits += static_cast<int64_t>(truth.size());
  if (!reading.number) {
    ++none;
    edits += static_cast<int64_t>(truth.size());
    return;
  }
  const std::string read = reading.text();
  exact += read == truth;
  edits += static_cast<int64_t>(edit_distance(read, truth));
}

bool is_number_label(const std::string& label) {
  return !label.empty() &&
         std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string format_number_score(const NumberScore& s) {
  char line[256];
  std::snprintf(line, sizeof line,
                "numbers=%lld exact=%.4f (%lld) digits=%.4f (%lld edits in %lld) none=%.4f (%lld)",
                static_cast<long long>(s.numbers), s.exact_rate(), static_cast<long long>(s.exact),
                s.digit_rate(), static_cast<long long>(s.edits), static_cast<long long>(s.digits),
                s.none_rate(), static_cast<long long>(s.none));
  return line;
}

std::string format_number_scores(const std::vector<InkSample>& samples,
                                 const std::vector<NumberReading>& readings) {
  NumberScore all;
  std::map<std::string, NumberScore> by_writer;
  for (size_t i = 0; i < samples.size() && i < readings.size(); ++i) {
    if (!is_number_label(samples[i].label)) continue;
    all.add(samples[i].label, readings[i]);
    by_writer[samples[i].writer].add(samples[i].label, readings[i]);
  }
  std::string out = format_number_score(all) + "\n";
  if (by_writer.size() < 2) return out;
  for (const auto& [writer, s] : by_writer) {
    char line[200];
    std::snprintf(line, sizeof line, "writer=%s numbers=%lld exact=%.4f digits=%.4f none=%.4f\n",
                  writer.empty() ? "?" : writer.c_str(), static_cast<long long>(s.numbers),
                  s.exact_rate(), s.digit_rate(), s.none_rate());
    out += line;
  }
  return out;
}

}  // namespace digits
