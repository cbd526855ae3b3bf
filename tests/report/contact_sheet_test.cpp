// Tests of digits/report/contact_sheet.h: a PNG of digits with their captions.
#include "digits/report/contact_sheet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "test_util.h"

namespace digits {
namespace {

using testing::read_file;
using testing::TempDir;

TEST(ContactSheet, WritesAPngOfTheDigitsWithCaptions) {
  TempDir dir;
  auto images = torch::zeros({3, 28, 28}, torch::kUInt8);
  images.index_put_({torch::indexing::Slice(), 10, torch::indexing::Slice()}, 255);
  ASSERT_TRUE(write_contact_sheet(dir.file("sheet.png"), images, torch::tensor({1, 7, 4}),
                                  torch::tensor({7, 1, 9})));
  const std::string png = read_file(dir.file("sheet.png"));
  ASSERT_GT(png.size(), 100u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  ASSERT_TRUE(write_contact_sheet(dir.file("none.png"), torch::zeros({0, 28, 28}, torch::kUInt8),
                                  torch::zeros({0}, torch::kInt64),
                                  torch::zeros({0}, torch::kInt64)));
  EXPECT_EQ(read_file(dir.file("none.png")).substr(1, 3), "PNG");
  EXPECT_FALSE(write_contact_sheet(dir.file("no/such/dir/x.png"), images, torch::tensor({1, 7, 4}),
                                   torch::tensor({7, 1, 9})));
}

}  // namespace
}  // namespace digits
