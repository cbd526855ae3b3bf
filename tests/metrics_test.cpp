// Tests of digits/metrics.h: confusion-matrix counts and ratios, the printed tables, and the
// held-out rows of a training run.
#include "digits/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "digits/holdout.h"
#include "digits/trainer.h"
#include "test_util.h"

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

Checkpoint checkpoint_of(const TrainConfig& c) {
  Checkpoint ckpt;
  ckpt.train_options = c.to_options();
  return ckpt;
}

TEST(Holdout, IsReadFromTheCheckpointsTrainingOptions) {
  TrainConfig c;
  c.seed = 5;
  c.val_fraction = 0.2;
  c.limit = 500;
  auto h = holdout_of(checkpoint_of(c));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(*h, (Holdout{0.2, 5, DataOptions(500)}));

  c.validation_seed = 3;  // --split-seed decides the split, not --seed
  h = holdout_of(checkpoint_of(c));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->seed, 3u);

  c.val_fraction = 0;
  EXPECT_FALSE(holdout_of(checkpoint_of(c)));
}

TEST(Holdout, EnsembleMembersMustShareOneSplit) {
  TrainConfig a;
  a.seed = 1;
  a.validation_seed = 7;
  TrainConfig b = a;
  b.seed = 2;  // another member: other weights and batches, same held-out rows
  auto h = common_holdout({checkpoint_of(a), checkpoint_of(b)}, {"a.pt", "b.pt"});
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->seed, 7u);

  b.validation_seed = -1;  // split by --seed 2
  h = common_holdout({checkpoint_of(a), checkpoint_of(b)}, {"a.pt", "b.pt"});
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("b.pt"), std::string::npos) << h.error().message;
  EXPECT_NE(h.error().message.find("--split-seed"), std::string::npos) << h.error().message;
}

TEST(Holdout, RowsAreTheTrainersStratifiedValidationSplit) {
  const Dataset data = testing::mnist_sample(500);
  const Holdout h{0.1, 9, DataOptions(500)};
  const auto rows = holdout_rows(data, h);
  EXPECT_TRUE(rows.equal(stratified_split(data.labels, 0.1, 9).val));
  EXPECT_EQ(rows.numel(), 50);
}

TEST(Holdout, DataMustBeTheDataTheCheckpointWasTrainedOn) {
  const Dataset data = testing::mnist_sample(300);
  Checkpoint ckpt;
  ckpt.data.rows = data.size();
  ckpt.data.fingerprint = fingerprint(data);
  EXPECT_TRUE(check_training_data(ckpt, "run/best.pt", data, "train.csv"));

  const Dataset other = testing::mnist_sample(299);
  const auto st = check_training_data(ckpt, "run/best.pt", other, "train.csv");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("run/best.pt"), std::string::npos);
  EXPECT_NE(st.error().message.find("train.csv"), std::string::npos);

  Dataset unlabelled = data;
  unlabelled.labels = torch::Tensor();
  EXPECT_FALSE(check_training_data(ckpt, "run/best.pt", unlabelled, "test.csv"));
}

}  // namespace
}  // namespace digits
