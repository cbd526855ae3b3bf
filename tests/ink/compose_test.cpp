// Tests of compose_numbers (digits/ink/compose.h): numbers written by one writer each, from that
// writer's digits, seeded, with every digit's strokes named by its part, delayed strokes among
// them, and the options' ranges kept.
#include "digits/ink/compose.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "digits/ink/unipen.h"
#include "pen_digits.h"

namespace digits {
namespace {

std::vector<PenDigit> material() {
  auto digits = parse_unipen(testing::synthetic_unipen(6, 4, 7), "synthetic.tra");
  EXPECT_TRUE(static_cast<bool>(digits));
  return digits ? *digits : std::vector<PenDigit>{};
}

// The label of every stroke of `d`, in writing order, to recognise a digit inside a number.
std::string signature(const std::vector<InkStroke>& strokes) {
  std::string s;
  for (const auto& stroke : strokes) s += std::to_string(stroke.size()) + ",";
  return s;
}

TEST(Compose, TheSameSeedGivesTheSameNumbersAndAnotherSeedOthers) {
  const auto m = material();
  const auto a = compose_numbers(m, 20, {}, 11), b = compose_numbers(m, 20, {}, 11);
  const auto c = compose_numbers(m, 20, {}, 12);
  ASSERT_EQ(a.size(), 20u);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label);
    ASSERT_EQ(a[i].strokes.size(), b[i].strokes.size());
    for (size_t k = 0; k < a[i].strokes.size(); ++k) {
      ASSERT_EQ(a[i].strokes[k].size(), b[i].strokes[k].size());
      for (size_t p = 0; p < a[i].strokes[k].size(); ++p) {
        EXPECT_EQ(a[i].strokes[k][p].x, b[i].strokes[k][p].x);
        EXPECT_EQ(a[i].strokes[k][p].y, b[i].strokes[k][p].y);
      }
    }
    differs = differs || a[i].label != c[i].label;
  }
  EXPECT_TRUE(differs);
}

TEST(Compose, EachNumberIsOneWritersDigitsWithEveryStrokeInOnePart) {
  const auto m = material();
  // What each writer wrote, as stroke-size signatures per label.
  std::map<std::string, std::set<std::string>> written;  // writer -> "label:signature"
  for (const PenDigit& d : m) {
    std::vector<InkStroke> strokes;
    for (const auto& s : d.strokes) strokes.emplace_back(s.size());
    written[std::to_string(d.writer)].insert(std::to_string(d.label) + ":" + signature(strokes));
  }
  ComposeOptions o;
  o.min_digits = 2, o.max_digits = 8;
  const auto numbers = compose_numbers(m, 200, o, 3);
  std::set<size_t> lengths;
  for (const InkSample& s : numbers) {
    lengths.insert(s.label.size());
    ASSERT_GE(s.label.size(), 2u);
    ASSERT_LE(s.label.size(), 8u);
    ASSERT_EQ(s.parts.size(), s.label.size());
    std::vector<int> owner(s.strokes.size(), 0);
    for (size_t p = 0; p < s.parts.size(); ++p) {
      EXPECT_EQ(s.parts[p].label, std::string(1, s.label[p]));
      EXPECT_TRUE(std::is_sorted(s.parts[p].strokes.begin(), s.parts[p].strokes.end()));
      std::vector<InkStroke> strokes;
      for (size_t k : s.parts[p].strokes) {
        ASSERT_LT(k, s.strokes.size());
        ++owner[k];
        strokes.push_back(s.strokes[k]);
      }
      EXPECT_TRUE(written[s.writer].count(s.parts[p].label + ":" + signature(strokes)))
          << s.where << ": digit " << p << " is not one of writer " << s.writer << "'s";
    }
    for (int n : owner) EXPECT_EQ(n, 1) << s.where << ": a stroke in no part or in two";
  }
  EXPECT_EQ(lengths.size(), 7u) << "every length from 2 to 8 occurs";
}

TEST(Compose, SomeDigitsHaveAStrokeWrittenAfterTheNextDigit) {
  ComposeOptions o;
  o.delayed = 1.0;
  size_t delayed = 0;
  for (const InkSample& s : compose_numbers(material(), 100, o, 5)) {
    for (size_t p = 0; p + 1 < s.parts.size(); ++p) {
      const auto& mine = s.parts[p].strokes;
      const auto& next = s.parts[p + 1].strokes;
      if (mine.back() > next.front()) ++delayed;  // written after the next digit began
    }
  }
  EXPECT_GT(delayed, 20u);
  o.delayed = 0.0;
  for (const InkSample& s : compose_numbers(material(), 100, o, 5)) {
    for (size_t p = 0; p + 1 < s.parts.size(); ++p) {
      EXPECT_LT(s.parts[p].strokes.back(), s.parts[p + 1].strokes.front());
    }
  }
}

TEST(Compose, DigitsRunLeftToRightAndOverlapAtMostTheirShare) {
  ComposeOptions o;
  o.gap_min = -0.5, o.gap_max = 0.0, o.max_overlap = 0.35, o.slant = 0, o.size_jitter = 0;
  for (const InkSample& s : compose_numbers(material(), 60, o, 9)) {
    double previous_x0 = -1e300, previous_x1 = -1e300, previous_w = 0;
    for (const InkPart& part : s.parts) {
      double x0 = 1e300, x1 = -1e300;
      for (size_t k : part.strokes) {
        for (const InkPoint& p : s.strokes[k]) x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
      }
      EXPECT_GT(x0, previous_x0) << s.where;
      const double overlap = previous_x1 - x0, narrower = std::min(previous_w, x1 - x0);
      EXPECT_LE(overlap, 0.35 * narrower + 1e-9) << s.where;
      previous_x0 = x0, previous_x1 = std::max(previous_x1, x1), previous_w = x1 - x0;
    }
  }
}

TEST(Compose, WritersAreChosenFromTheMaterialOnly) {
  const auto m = material();
  const auto two = digits_of_writers(m, {1, 3});
  ASSERT_FALSE(two.empty());
  for (const PenDigit& d : two) EXPECT_TRUE(d.writer == 1 || d.writer == 3);
  for (const InkSample& s : compose_numbers(two, 50, {}, 2)) {
    EXPECT_TRUE(s.writer == "1" || s.writer == "3") << s.writer;
  }
  EXPECT_TRUE(compose_numbers({}, 5, {}, 1).empty());
  EXPECT_TRUE(compose_numbers(m, 0, {}, 1).empty());
}

}  // namespace
}  // namespace digits
