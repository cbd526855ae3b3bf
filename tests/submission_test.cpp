// Tests of digits/submission.h: Kaggle's ImageId,Label format and the atomic write.
#include "digits/submission.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

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

}  // namespace
}  // namespace digits
