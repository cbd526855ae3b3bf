// Tests of digits/evaluate/submission.h: Kaggle's ImageId,Label format, the probabilities file and
// the atomic write.
#include "digits/evaluate/submission.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

TEST(Submission, HeaderThenOneRowPerImageCountingFromOne) {
  EXPECT_EQ(format_submission(torch::tensor({7, 2, 1}, torch::kInt64)),
            "ImageId,Label\n1,7\n2,2\n3,1\n");
  EXPECT_EQ(format_submission(torch::tensor({3, 9}), torch::tensor({5, 42})),
            "ImageId,Label\n5,3\n42,9\n");
  EXPECT_EQ(format_submission(torch::zeros({0}, torch::kInt64)), "ImageId,Label\n");
}

TEST(Submission, WritesTheFileAndLeavesNoTemporaryBehind) {
  TempDir dir;
  const auto path = dir.file("submission.csv");
  const auto digits = torch::arange(0, 28000, torch::kInt64).remainder(10);
  ASSERT_TRUE(write_submission(path, digits));
  const std::string text = testing::read_file(path);
  EXPECT_EQ(text.substr(0, 26), "ImageId,Label\n1,0\n2,1\n3,2\n");
  EXPECT_EQ(text.substr(text.size() - 9), "\n28000,9\n");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 28001);

  ASSERT_TRUE(write_submission(path, torch::tensor({4})));  // replaces the old file
  EXPECT_EQ(testing::read_file(path), "ImageId,Label\n1,4\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(Submission, AFailedWriteNamesThePathAndKeepsWhatWasThere) {
  TempDir dir;
  const auto missing = dir.file("no-such-dir/submission.csv");
  auto st = write_submission(missing, torch::tensor({1}));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find(missing), std::string::npos) << st.error().message;

  // A non-empty directory cannot be replaced by a file: the write fails, the directory stays.
  const auto occupied = dir.file("taken");
  std::filesystem::create_directory(occupied);
  testing::write_file(occupied + "/keep.txt", "kept");
  st = write_submission(occupied, torch::tensor({1}));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find(occupied), std::string::npos) << st.error().message;
  EXPECT_EQ(testing::read_file(occupied + "/keep.txt"), "kept");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1)
      << "a temporary file was left behind";
}

TEST(Probabilities, HeaderThenIdMostLikelyDigitAndTheTenProbabilities) {
  auto p = torch::zeros({2, 10});
  p[0][3] = 0.75f;
  p[0][8] = 0.25f;
  p[1][0] = 0.0000004f;  // rounds to 0.000000
  p[1][9] = 0.9999996f;  // rounds to 1.000000
  EXPECT_EQ(format_probabilities(p),
            "ImageId,Label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9\n"
            "1,3,0.000000,0.000000,0.000000,0.750000,0.000000,0.000000,0.000000,0.000000,"
            "0.250000,0.000000\n"
            "2,9,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,"
            "0.000000,1.000000\n");
  // Given ids (e.g. the held-out rows of a file); double input too.
  const auto text = format_probabilities(p.to(torch::kFloat64), torch::tensor({17, 4200}));
  EXPECT_NE(text.find("\n17,3,"), std::string::npos) << text;
  EXPECT_NE(text.find("\n4200,9,"), std::string::npos) << text;
  EXPECT_EQ(format_probabilities(torch::zeros({0, 10})),
            "ImageId,Label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9\n");
}

TEST(Probabilities, LabelsAreTheSubmissionsLabels) {
  torch::manual_seed(3);
  const auto p = torch::softmax(torch::randn({50, 10}), 1);
  const auto ids = torch::arange(101, 151, torch::kInt64);
  const std::string probs = format_probabilities(p, ids);
  const std::string sub = format_submission(p.argmax(1), ids);
  // Each row of the probabilities file starts with the submission's row.
  std::istringstream prob_lines(probs), sub_lines(sub);
  std::string prob_line, sub_line;
  std::getline(prob_lines, prob_line);
  std::getline(sub_lines, sub_line);
  int rows = 0;
  while (std::getline(sub_lines, sub_line)) {
    ASSERT_TRUE(std::getline(prob_lines, prob_line));
    EXPECT_EQ(prob_line.rfind(sub_line + ",", 0), 0u) << prob_line << " vs " << sub_line;
    EXPECT_EQ(std::count(prob_line.begin(), prob_line.end(), ','), 11) << prob_line;
    ++rows;
  }
  EXPECT_EQ(rows, 50);
  EXPECT_FALSE(std::getline(prob_lines, prob_line)) << "extra row: " << prob_line;
}

TEST(Probabilities, WritesAtomicallyAndAFailedWriteNamesThePath) {
  TempDir dir;
  const auto path = dir.file("probabilities.csv");
  const auto p = torch::full({3, 10}, 0.1f);
  ASSERT_TRUE(write_probabilities(path, p));
  EXPECT_EQ(testing::read_file(path), format_probabilities(p));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);

  const auto missing = dir.file("no-such-dir/probabilities.csv");
  const auto st = write_probabilities(missing, p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find(missing), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace digits
