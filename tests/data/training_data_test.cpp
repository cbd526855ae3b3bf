// Tests of digits/data/training_data.h: load_data joins several files in order (CSV files of one
// format, UNIPEN and InkML pen files drawn with several brushes, bent by --pen-warp and slanted by
// --pen-slant), records where each row came from, and keeps a pen digit's drawings on one side of
// the split; ink that is not a digit (letters, pairs of digits) joins as rows labelled kNotDigit,
// always trained on.
#include "digits/data/training_data.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "digits/ink/compose.h"
#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"
#include "pen_digits.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::kaggle_header;
using testing::kaggle_row;
using testing::ramp_row;
using testing::synthetic_unipen;
using testing::TempDir;
using testing::write_file;

TEST(LoadData, SeveralKaggleCsvsJoinInOrderAndMustShareAFormat) {
  TempDir dir;
  write_file(dir.file("a.csv"), kaggle_header(true) + "\n" + ramp_row(1, 0) + "\n");
  write_file(dir.file("b.csv"), kaggle_header(true) + "\n" + ramp_row(2, 0) + "\n");
  write_file(dir.file("t.csv"), kaggle_header(false) + "\n" + kaggle_row(-1, 0) + "\n");
  auto joined = load_data({dir.file("a.csv"), dir.file("b.csv")});
  ASSERT_TRUE(joined) << joined.error().message;
  ASSERT_EQ(joined->size(), 2);
  EXPECT_EQ(joined->labels[1].item<int64_t>(), 2);
  auto mixed = load_data({dir.file("a.csv"), dir.file("t.csv")});
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().message.find("t.csv"), std::string::npos);
}

// A pen file of 30 digits loaded as written, then changed by `change` under seed 7 (twice) and
// seed 8: what a seeded way of drawing must keep and change.
struct SeededLoads {
  Result<Dataset> plain, seeded, again, other;
};
SeededLoads load_seeded(const TempDir& dir, std::vector<double> brushes,
                        const std::function<void(DataOptions&)>& change) {
  const std::string pen = dir.file("pen.tra");
  write_file(pen, synthetic_unipen(3, 2, 6));
  DataOptions options;
  options.pen_brushes = std::move(brushes);
  auto plain = load_data({pen}, options);
  change(options);
  options.pen_warp_seed = 7;
  auto seeded = load_data({pen}, options);
  auto again = load_data({pen}, options);
  options.pen_warp_seed = 8;
  return {std::move(plain), std::move(seeded), std::move(again), load_data({pen}, options)};
}

TEST(PenData, WarpedDrawingsAreTheSameForTheSameSeed) {
  TempDir dir;
  auto [plain, warped, again, other] =
      load_seeded(dir, {0.75, 1.33}, [](DataOptions& o) { o.pen_warp = 0.04; });
  ASSERT_TRUE(plain && warped && again && other);
  ASSERT_EQ(warped->size(), 30 * 2);
  EXPECT_TRUE(torch::equal(warped->images, again->images));
  EXPECT_TRUE(torch::equal(warped->labels, plain->labels));
  EXPECT_FALSE(torch::equal(warped->images, plain->images));
  EXPECT_FALSE(torch::equal(warped->images, other->images));
  // Each drawing of a digit is bent its own way, not only drawn with another brush: the two
  // drawings of a digit differ from the plain pair by more than the width.
  int64_t bent_apart = 0;
  for (int64_t i = 0; i < 30; ++i) {
    const auto diff = [&](const Dataset& d) {
      return (d.images[2 * i].to(torch::kInt32) - d.images[2 * i + 1].to(torch::kInt32))
          .abs()
          .sum()
          .item<int64_t>();
    };
    bent_apart += diff(*warped) > diff(*plain);
  }
  EXPECT_GT(bent_apart, 20);
}

TEST(PenData, SlantedDrawingsAreSeededAndLeanEachTheirOwnWay) {
  TempDir dir;
  // Two drawings of each digit, alike unless slanted.
  auto [plain, slanted, again, other] =
      load_seeded(dir, {1, 1}, [](DataOptions& o) { o.pen_slant = 30; });
  ASSERT_TRUE(plain && slanted && again && other);
  EXPECT_TRUE(torch::equal(slanted->images, again->images));
  EXPECT_TRUE(torch::equal(slanted->labels, plain->labels));
  EXPECT_FALSE(torch::equal(slanted->images, other->images));
  int64_t apart = 0;
  for (int64_t i = 0; i < 30; ++i) {
    EXPECT_TRUE(torch::equal(plain->images[2 * i], plain->images[2 * i + 1]));
    apart += !torch::equal(slanted->images[2 * i], slanted->images[2 * i + 1]);
  }
  EXPECT_GT(apart, 25);
}

TEST(PenData, JoinsCsvRowsAndPenDrawingsAndSplitsDigitsWhole) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(6, 3, 1));
  DataOptions options;
  options.pen_brushes = {0.75, 1, 1.33};
  auto data = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  ASSERT_TRUE(data) << data.error().message;
  const int64_t csv_rows = testing::mnist_sample().size();
  ASSERT_EQ(data->size(), csv_rows + 60 * 3);
  ASSERT_TRUE(data->origin.defined());
  EXPECT_EQ(data->origin.file[csv_rows - 1].item<int64_t>(), 0);
  EXPECT_EQ(data->origin.file[csv_rows].item<int64_t>(), 1);
  EXPECT_EQ(data->origin.pen[csv_rows + 5].item<int64_t>(), 1);  // digit-major, 3 brushes
  EXPECT_EQ(data->origin.writer[0].item<int64_t>(), -1);
  EXPECT_GE(data->origin.writer[csv_rows].item<int64_t>(), 1);

  // The CSV rows are split as they are alone; a pen digit's drawings stay together.
  const Split mixed = split_rows(*data, 0.2, 5);
  auto alone = load_data({testing::mnist_sample_path()});
  ASSERT_TRUE(alone);
  EXPECT_FALSE(alone->origin.defined());
  const Split csv = split_rows(*alone, 0.2, 5);
  const auto mixed_csv_val = mixed.val.masked_select(mixed.val.lt(csv_rows));
  EXPECT_TRUE(torch::equal(mixed_csv_val, csv.val));
  const auto pen_val = mixed.val.masked_select(mixed.val.ge(csv_rows));
  EXPECT_EQ(pen_val.numel(), 10 * 3);  // of each class round(20% of 6) = 1 digit, drawn 3 times
  const auto held_digits = data->origin.pen.index_select(0, pen_val);
  const auto trained_digits =
      data->origin.pen.index_select(0, mixed.train.masked_select(mixed.train.ge(csv_rows)));
  EXPECT_FALSE(torch::isin(held_digits, trained_digits).any().item<bool>());

  // --limit counts digits over the files in order; a test-format file does not mix in.
  options.limit = csv_rows + 10;
  auto limited = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), csv_rows + 30);
  write_file(dir.file("test.csv"),
             testing::kaggle_header(false) + "\n" + testing::kaggle_row(-1, 0) + "\n");
  auto mixed_formats = load_data({dir.file("test.csv"), dir.file("pen.tra")});
  ASSERT_FALSE(mixed_formats);
  EXPECT_NE(mixed_formats.error().message.find("all data files must be alike"), std::string::npos);
  write_file(dir.file("bad.tra"), ".SEGMENT DIGIT 0 ? \"3\"\n.PEN_DOWN\n1 x\n.PEN_UP\n");
  auto bad = load_data({testing::mnist_sample_path(), dir.file("bad.tra")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind(dir.file("bad.tra") + ":3: ", 0), 0u);
}

// InkML files train as UNIPEN files do: the same ink gives the same drawings; numbers composed
// from pen digits give their digits.
TEST(PenData, InkMLDigitsAndNumbersDrawAsTheSameDigitsInUnipen) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(2, 2, 1));
  auto ink = load_unipen_ink(dir.file("pen.tra"));
  ASSERT_TRUE(ink);
  ASSERT_TRUE(write_inkml(dir.file("pen.inkml"), *ink));
  DataOptions options;
  options.pen_brushes = {1, 1.33};
  auto unipen = load_data({dir.file("pen.tra")}, options);
  auto inkml = load_data({dir.file("pen.inkml")}, options);
  ASSERT_TRUE(unipen && inkml) << (inkml ? unipen.error().message : inkml.error().message);
  ASSERT_EQ(inkml->size(), unipen->size());
  EXPECT_TRUE(torch::equal(inkml->labels, unipen->labels));
  // Written with 6 decimals, points may move by 1e-6 units: a pixel's grey by one level at most.
  EXPECT_LE(
      (inkml->images.to(torch::kInt32) - unipen->images.to(torch::kInt32)).abs().max().item<int>(),
      1);
  EXPECT_TRUE(torch::equal(inkml->origin.writer, unipen->origin.writer));

  auto digits = load_unipen(dir.file("pen.tra"));
  ASSERT_TRUE(digits);
  const auto numbers = compose_numbers(*digits, 4, {}, 2);
  ASSERT_TRUE(write_inkml(dir.file("numbers.inkml"), numbers));
  auto from_numbers = load_data({dir.file("numbers.inkml")});
  ASSERT_TRUE(from_numbers) << from_numbers.error().message;
  std::string labels, truth;
  for (int64_t i = 0; i < from_numbers->size(); ++i) {
    labels += std::to_string(from_numbers->labels[i].item<int64_t>());
  }
  for (const auto& n : numbers) truth += n.label;
  EXPECT_EQ(labels, truth);
}

// Not-digit ink: every sample of its files and the pairs composed from the pen digits follow the
// data's rows, labelled kNotDigit and drawn with each brush; the digits split as they would alone
// and every not-digit row is trained on.
TEST(NotDigitData, FollowsTheDigitsAndIsAlwaysTrainedOn) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(6, 3, 1));
  DataOptions options;
  options.pen_brushes = {1, 1.33};
  auto digits = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  ASSERT_TRUE(digits) << digits.error().message;
  options.not_digit_paths = {testing::ink_fixture("letter-a.inkml")};
  options.not_digit_pairs = 5;
  options.not_digit_seed = 3;
  auto data = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  ASSERT_TRUE(data) << data.error().message;
  const int64_t n = digits->size();
  ASSERT_EQ(data->size(), n + (1 + 5) * 2);
  EXPECT_TRUE(torch::equal(data->images.slice(0, 0, n), digits->images));
  EXPECT_TRUE(torch::equal(data->labels.slice(0, 0, n), digits->labels));
  EXPECT_TRUE(data->labels.slice(0, n).eq(kNotDigit).all().item<bool>());
  EXPECT_TRUE(data->origin.pen.slice(0, n).eq(-1).all().item<bool>());
  EXPECT_EQ(data->origin.file[n].item<int64_t>(), 2);  // past the two data files
  // Ink was drawn: the letter's two drawings differ (two brushes) and are not blank.
  EXPECT_GT(data->images[n].to(torch::kInt32).sum().item<int64_t>(), 0);
  EXPECT_FALSE(torch::equal(data->images[n], data->images[n + 1]));
  // Pairs are two digits: more ink than either of the letter's drawings is not asserted, but
  // the same seed composes the same pairs and another seed others.
  auto again = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  options.not_digit_seed = 4;
  auto other = load_data({testing::mnist_sample_path(), dir.file("pen.tra")}, options);
  ASSERT_TRUE(again && other);
  EXPECT_TRUE(torch::equal(again->images, data->images));
  EXPECT_FALSE(torch::equal(other->images.slice(0, n + 2), data->images.slice(0, n + 2)));

  const Split with = split_rows(*data, 0.2, 5);
  const Split without = split_rows(*digits, 0.2, 5);
  EXPECT_TRUE(torch::equal(with.val, without.val));
  EXPECT_TRUE(torch::equal(with.train.slice(0, 0, without.train.numel()), without.train));
  EXPECT_TRUE(torch::equal(with.train.slice(0, without.train.numel()), torch::arange(n, n + 12)));
}

TEST(NotDigitData, PairsNeedPenDigitsAndFilesNeedInk) {
  TempDir dir;
  DataOptions options;
  options.not_digit_pairs = 3;
  auto no_pen = load_data({testing::mnist_sample_path()}, options);
  ASSERT_FALSE(no_pen);
  EXPECT_NE(no_pen.error().message.find("--not-digit-pairs needs a UNIPEN or InkML --data file"),
            std::string::npos);
  options.not_digit_pairs = 0;
  write_file(dir.file("empty.inkml"), "<ink xmlns=\"http://www.w3.org/2003/InkML\"></ink>\n");
  options.not_digit_paths = {dir.file("empty.inkml")};
  auto empty = load_data({testing::mnist_sample_path()}, options);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message.rfind(dir.file("empty.inkml") + ":1: ", 0), 0u)
      << empty.error().message;
  options.not_digit_paths = {dir.file("missing.inkml")};
  auto missing = load_data({testing::mnist_sample_path()}, options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, dir.file("missing.inkml") + ": no such file");
}

}  // namespace
}  // namespace digits
