// Scoring read numbers against their truth: exact numbers, digits by edit distance, "no number"
// answers, overall and per writer. What `digit-predict --ink` prints on labelled ink.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "digits/evaluate/number_reader.h"
#include "digits/ink/ink.h"

namespace digits {

struct NumberScore {
  int64_t numbers = 0;  // labelled samples scored
  int64_t exact = 0;    // read as a number equal to the truth
  int64_t none = 0;     // read as no number
  int64_t digits = 0;   // digits in the truths
  int64_t edits = 0;    // edit distance of each reading from its truth (all digits for none)
  double exact_rate() const { return numbers ? static_cast<double>(exact) / numbers : 0; }
  double digit_rate() const { return digits ? 1 - static_cast<double>(edits) / digits : 0; }
  double none_rate() const { return numbers ? static_cast<double>(none) / numbers : 0; }
  void add(const std::string& truth, const NumberReading& reading);
};

// Whether a sample's truth is a number (one or more digits and nothing else).
bool is_number_label(const std::string& label);

// "numbers=N exact=F (K) digits=F (E edits in D) none=F (K)".
std::string format_number_score(const NumberScore& s);

// The score of every sample labelled with a number, then one line per writer
// ("writer=W numbers=N exact=F digits=F none=F") where the samples name two writers or more.
std::string format_number_scores(const std::vector<InkSample>& samples,
                                 const std::vector<NumberReading>& readings);

}  // namespace digits
