// Tests of digits/evaluate/metrics.h: confusion-matrix counts and ratios, and the printed tables.
#include "digits/evaluate/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace digits {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<long long> numbers_in(const std::string& line) {
  std::istringstream in(line);
  std::vector<long long> v;
  for (long long x; in >> x;) v.push_back(x);
  return v;
}

// Ten 3s of which two are read as 5 and one as 8; four 5s of which one is read as 3; no 7s, but
// one 1 is read as 7.
ConfusionMatrix example() {
  std::vector<int64_t> y, p;
  auto add = [&](int64_t truth, int64_t predicted, int times) {
    for (int i = 0; i < times; ++i) {
      y.push_back(truth);
      p.push_back(predicted);
    }
  };
  add(3, 3, 7);
  add(3, 5, 2);
  add(3, 8, 1);
  add(5, 5, 3);
  add(5, 3, 1);
  add(1, 1, 4);
  add(1, 7, 1);
  return ConfusionMatrix::of(torch::tensor(y), torch::tensor(p));
}

TEST(ConfusionMatrix, CountsEveryPairAndDerivesAccuracyPrecisionRecall) {
  const auto m = example();
  EXPECT_EQ(m.total(), 19);
  EXPECT_EQ(m.correct(), 14);
  EXPECT_DOUBLE_EQ(m.accuracy(), 14.0 / 19.0);
  EXPECT_EQ(m.count(3, 5), 2);
  EXPECT_EQ(m.count(5, 3), 1);
  EXPECT_EQ(m.count(0, 0), 0);
  EXPECT_EQ(m.support(3), 10);
  EXPECT_EQ(m.predicted(3), 8);
  EXPECT_DOUBLE_EQ(m.recall(3), 0.7);
  EXPECT_DOUBLE_EQ(m.precision(3), 7.0 / 8.0);
  EXPECT_DOUBLE_EQ(m.precision(5), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.recall(5), 0.75);
  EXPECT_DOUBLE_EQ(m.precision(7), 0.0);  // predicted once, never right
  EXPECT_TRUE(std::isnan(m.recall(7)));   // no 7s at all
  EXPECT_TRUE(std::isnan(m.precision(0)));
  EXPECT_TRUE(std::isnan(ConfusionMatrix{}.accuracy()));
}

TEST(ConfusionMatrix, AcceptsAnyIntegerTensorAndRejectsMismatchedLengths) {
  const auto m = ConfusionMatrix::of(torch::tensor({1, 2, 2}, torch::kInt32),
                                     torch::tensor({1, 2, 0}, torch::kUInt8));
  EXPECT_EQ(m.correct(), 2);
  EXPECT_THROW(ConfusionMatrix::of(torch::tensor({1, 2}), torch::tensor({1})), c10::Error);
  EXPECT_THROW(ConfusionMatrix::of(torch::tensor({10}), torch::tensor({1})), c10::Error);
}

TEST(MetricsFormat, AccuracyLineIsOneLineOfKeyValueTokens) {
  EXPECT_EQ(format_accuracy_line(example()), "accuracy=0.736842 correct=14 total=19");
}

TEST(MetricsFormat, ConfusionMatrixIsAnAlignedTableOfTheCounts) {
  auto m = example();
  for (int i = 0; i < 1234; ++i) m.add(0, 0);  // a four-digit count widens every column
  const auto lines = lines_of(format_confusion_matrix(m));
  ASSERT_EQ(lines.size(), 12u);  // title, column header, ten rows
  const auto header = numbers_in(lines[1].substr(lines[1].find_first_of("0123456789")));
  EXPECT_EQ(header, (std::vector<long long>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (size_t r = 2; r < lines.size(); ++r) {
    EXPECT_EQ(lines[r].size(), lines[1].size()) << "row " << r - 2 << " is not aligned";
    const auto row = numbers_in(lines[r]);
    ASSERT_EQ(row.size(), 11u) << lines[r];
    const int64_t truth = static_cast<int64_t>(r - 2);
    EXPECT_EQ(row[0], truth);
    for (int64_t p = 0; p < kClasses; ++p) EXPECT_EQ(row[p + 1], m.count(truth, p));
  }
  // Every count ends in the same column as its digit in the header.
  EXPECT_EQ(lines[1].rfind('9'), lines[2].size() - 1);
  EXPECT_EQ(lines[2].find("1234") + 4, lines[1].find('0', 4) + 1);
}

TEST(MetricsFormat, ClassTableHasPrecisionRecallAndSupportPerDigit) {
  const auto lines = lines_of(format_class_table(example()));
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_NE(lines[0].find("precision"), std::string::npos);
  EXPECT_NE(lines[0].find("recall"), std::string::npos);
  for (size_t r = 1; r < lines.size(); ++r) EXPECT_EQ(lines[r].size(), lines[0].size());
  EXPECT_EQ(lines[4], "    3     0.8750  0.7000       10");
  EXPECT_EQ(lines[8], "    7     0.0000       -        0");
  EXPECT_EQ(lines[1], "    0          -       -        0");
}

}  // namespace
}  // namespace digits
