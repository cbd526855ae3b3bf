// Tests of number scoring (digits/evaluate/number_score.h): exact numbers, digits by edit
// distance, "no number" counted as every digit missed, per writer.
#include "digits/evaluate/number_score.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace digits {
namespace {

NumberReading reading(const std::string& text) {
  NumberReading r;
  if (text == "none") return r;
  r.number = true;
  for (char c : text) {
    ReadDigit d;
    d.digit = c - '0';
    r.digits.push_back(d);
  }
  return r;
}

TEST(NumberScore, CountsExactNumbersEditsAndNone) {
  NumberScore s;
  s.add("2024", reading("2024"));
  s.add("2024", reading("224"));  // one digit lost
  s.add("17", reading("none"));   // both missed
  s.add("5", reading("6"));       // one substituted
  EXPECT_EQ(s.numbers, 4);
  EXPECT_EQ(s.exact, 1);
  EXPECT_EQ(s.none, 1);
  EXPECT_EQ(s.digits, 11);
  EXPECT_EQ(s.edits, 4);
  EXPECT_DOUBLE_EQ(s.exact_rate(), 0.25);
  EXPECT_DOUBLE_EQ(s.digit_rate(), 1 - 4.0 / 11);
  EXPECT_EQ(format_number_score(s),
            "numbers=4 exact=0.2500 (1) digits=0.6364 (4 edits in 11) none=0.2500 (1)");
}

TEST(NumberScore, OnlyNumberLabelsAreScoredAndWritersGetALineEach) {
  EXPECT_TRUE(is_number_label("0"));
  EXPECT_TRUE(is_number_label("2024"));
  EXPECT_FALSE(is_number_label(""));
  EXPECT_FALSE(is_number_label("a"));
  EXPECT_FALSE(is_number_label("12a"));
  std::vector<InkSample> samples(3);
  samples[0].label = "12", samples[0].writer = "ann";
  samples[1].label = "7", samples[1].writer = "bob";
  samples[2].label = "word", samples[2].writer = "bob";
  const std::vector<NumberReading> readings = {reading("12"), reading("1"), reading("none")};
  EXPECT_EQ(format_number_scores(samples, readings),
            "numbers=2 exact=0.5000 (1) digits=0.6667 (1 edits in 3) none=0.0000 (0)\n"
            "writer=ann numbers=1 exact=1.0000 digits=1.0000 none=0.0000\n"
            "writer=bob numbers=1 exact=0.0000 digits=0.0000 none=0.0000\n");
}

}  // namespace
}  // namespace digits
