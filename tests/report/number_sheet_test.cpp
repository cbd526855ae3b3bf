// Tests of the number sheet (digits/report/number_sheet.h): a PNG with a tile per number, the ink
// dark, each digit's box in colour, red for the digit that made it no number; an empty sheet is
// still a picture; a mismatch is an error.
#include "digits/report/number_sheet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace digits {
namespace {

TEST(NumberSheet, DrawsTheInkAndABoxPerDigitRead) {
  testing::TempDir dir;
  InkSample s;
  s.label = "11";
  s.strokes = {{{0, 0}, {0, 100}}, {{60, 0}, {60, 100}}};
  NumberReading r;
  r.number = true;
  for (size_t k = 0; k < 2; ++k) {
    ReadDigit d;
    d.digit = 1, d.strokes = {k};
    d.x0 = d.x1 = 60.0 * k, d.y0 = 0, d.y1 = 100;
    r.digits.push_back(d);
  }
  const std::string path = dir.path() + "/sheet.png";
  ASSERT_TRUE(write_number_sheet(path, {s}, {r}));
  const auto png = testing::read_png(path);
  ASSERT_GT(png.width, 0);
  int dark = 0, blue = 0, orange = 0;
  for (size_t i = 0; i + 2 < png.pixels.size(); i += 3) {
    const int red = png.pixels[i], green = png.pixels[i + 1], b = png.pixels[i + 2];
    dark += red < 60 && green < 60 && b < 60;
    blue += b > 180 && red < 80;
    orange += red > 200 && green > 90 && green < 150 && b < 40;
  }
  EXPECT_GT(dark, 100) << "the ink";
  EXPECT_GT(blue, 50) << "the first digit's box";
  EXPECT_GT(orange, 50) << "the second digit's box";

  // No number, because of the second digit: its box is red.
  r.number = false, r.why = NoNumber::kDoubted, r.why_digit = 1;
  ASSERT_TRUE(write_number_sheet(path, {s}, {r}));
  const auto none = testing::read_png(path);
  int red = 0;
  orange = 0;
  for (size_t i = 0; i + 2 < none.pixels.size(); i += 3) {
    const int rd = none.pixels[i], green = none.pixels[i + 1], b = none.pixels[i + 2];
    red += rd > 180 && green < 60 && b < 60;
    orange += rd > 200 && green > 90 && green < 150 && b < 40;
  }
  EXPECT_GT(red, 50) << "the doubted digit's box";
  EXPECT_EQ(orange, 0);
}

TEST(NumberSheet, NoNumberIsStillAPictureAndCountsMustMatch) {
  testing::TempDir dir;
  EXPECT_TRUE(write_number_sheet(dir.path() + "/empty.png", {}, {}));
  EXPECT_GT(testing::read_png(dir.path() + "/empty.png").width, 0);
  const auto st = write_number_sheet(dir.path() + "/bad.png", {InkSample{}}, {});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("bad.png"), std::string::npos);
}

}  // namespace
}  // namespace digits
