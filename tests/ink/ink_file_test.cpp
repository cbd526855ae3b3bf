// Tests of load_ink (digits/ink/ink_file.h), which tells InkML from UNIPEN, of labelled_digits and
// load_ink_digits (the digits of ink to train on), and of inkml_text (digits/ink/inkml.h), whose
// documents the InkML reader reads back as they were written.
#include "digits/ink/ink_file.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "digits/ink/compose.h"
#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"
#include "pen_digits.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

// The same strokes, point for point within the 1e-6 that InkML's six decimals keep (InkStroke or
// PenDigit strokes alike).
template <class Strokes>
void expect_same_points(const Strokes &a, const Strokes &b) {
  ASSERT_EQ(b.size(), a.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(b[k].size(), a[k].size()) << "stroke " << k;
    for (size_t p = 0; p < a[k].size(); ++p) {
      EXPECT_NEAR(b[k][p].x, a[k][p].x, 1e-6) << "stroke " << k << " point " << p;
      EXPECT_NEAR(b[k][p].y, a[k][p].y, 1e-6) << "stroke " << k << " point " << p;
    }
  }
}

TEST(InkFile, ReadsInkMLAndUnipenPlainOrGzipAndRefusesOtherFiles) {
  TempDir dir;
  testing::write_file(dir.file("n.inkml"),
                      "<ink><annotation type=\"truth\">7</annotation>"
                      "<trace>0 0, 10 0, 5 20</trace></ink>");
  testing::write_gz(dir.file("d.tra.gz"), testing::kTwoDigits);
  testing::write_file(dir.file("x.csv"), "label,pixel0\n1,0\n");
  auto inkml = load_ink(dir.file("n.inkml"));
  ASSERT_TRUE(inkml) << inkml.error().message;
  ASSERT_EQ(inkml->size(), 1u);
  EXPECT_EQ(inkml->front().label, "7");
  auto unipen = load_ink(dir.file("d.tra.gz"));
  ASSERT_TRUE(unipen) << unipen.error().message;
  ASSERT_EQ(unipen->size(), 2u);
  EXPECT_EQ((*unipen)[1].label, "4");
  for (const std::string &bad : {dir.file("x.csv"), dir.file("missing.inkml"), dir.path()}) {
    auto r = load_ink(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.rfind(bad + ":", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  }
}

TEST(InkMLWrite, ComposedNumbersReadBackWithTheirTruthWriterPartsAndPoints) {
  auto digits = parse_unipen(testing::synthetic_unipen(3, 2, 1), "s.tra");
  ASSERT_TRUE(digits);
  auto numbers = compose_numbers(*digits, 5, {}, 4);
  numbers[0].writer = "a <b> & \"c\"";  // escaped
  TempDir dir;
  ASSERT_TRUE(write_inkml(dir.file("n.inkml"), numbers));
  auto back = load_inkml(dir.file("n.inkml"));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    const InkSample &a = numbers[i], &b = (*back)[i];
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.writer, a.writer);
    expect_same_points(a.strokes, b.strokes);
    ASSERT_EQ(b.parts.size(), a.parts.size());
    for (size_t p = 0; p < a.parts.size(); ++p) {
      EXPECT_EQ(b.parts[p].label, a.parts[p].label);
      EXPECT_EQ(b.parts[p].strokes, a.parts[p].strokes);
    }
  }
}

TEST(LabelledDigits, AreTheOneDigitSamplesAndTheDigitPartsOfNumbersWithYTurnedUp) {
  std::vector<InkSample> samples(4);
  samples[0].label = "7";
  samples[0].writer = "12";
  samples[0].where = "a.inkml:3";
  samples[0].strokes = {{{0, 0}, {10, 0}}, {{10, 0}, {5, 20}}};
  samples[1].label = "42";  // a number segmented into its digits
  samples[1].writer = "alice";
  samples[1].strokes = {{{0, 0}, {0, 9}}, {{30, 0}, {40, 9}}, {{2, 5}, {9, 5}}};
  samples[1].parts = {{"4", {0, 2}}, {"2", {1}}};
  samples[2].label = "2024";  // a number not segmented: no digit to learn from
  samples[2].strokes = {{{0, 0}, {1, 1}}};
  samples[3].label = "hello";  // a word with a part that is not a digit
  samples[3].strokes = {{{0, 0}, {1, 1}}};
  samples[3].parts = {{"h", {0}}};
  const std::vector<PenDigit> digits = labelled_digits(samples);
  ASSERT_EQ(digits.size(), 3u);
  EXPECT_EQ(digits[0].label, 7);
  EXPECT_EQ(digits[0].writer, 12);
  EXPECT_EQ(digits[0].line, 3);
  ASSERT_EQ(digits[0].strokes.size(), 2u);
  EXPECT_EQ(digits[0].strokes[1][1].x, 5);
  EXPECT_EQ(digits[0].strokes[1][1].y, -20);  // PenDigit's y grows upwards
  EXPECT_EQ(digits[1].label, 4);
  EXPECT_EQ(digits[1].writer, -1);  // not a whole number
  ASSERT_EQ(digits[1].strokes.size(), 2u);
  EXPECT_EQ(digits[1].strokes[1][0].x, 2);  // the bar of the 4, stroke 2 of the number
  EXPECT_EQ(digits[2].label, 2);
  ASSERT_EQ(digits[2].strokes.size(), 1u);
  EXPECT_EQ(digits[2].strokes[0][0].x, 30);
}

TEST(LabelledDigits, OfUnipenAndOfTheSameInkAsInkMLAreTheSame) {
  TempDir dir;
  testing::write_file(dir.file("d.tra"), testing::synthetic_unipen(2, 2, 3));
  auto unipen = load_unipen(dir.file("d.tra"));
  auto ink = load_unipen_ink(dir.file("d.tra"));
  ASSERT_TRUE(unipen && ink);
  ASSERT_TRUE(write_inkml(dir.file("d.inkml"), *ink));
  auto from_inkml = load_ink_digits(dir.file("d.inkml"));
  ASSERT_TRUE(from_inkml) << from_inkml.error().message;
  ASSERT_EQ(from_inkml->size(), unipen->size());
  for (size_t i = 0; i < unipen->size(); ++i) {
    const PenDigit &a = (*unipen)[i], &b = (*from_inkml)[i];
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.writer, a.writer);
    expect_same_points(a.strokes, b.strokes);
  }
}

TEST(LabelledDigits, AFileWithNoDigitToLearnFromIsAnErrorNamingIt) {
  TempDir dir;
  testing::write_file(dir.file("w.inkml"),
                      "<ink><annotation type=\"truth\">word</annotation>"
                      "<trace>0 0, 10 0, 5 20</trace></ink>");
  auto r = load_ink_digits(dir.file("w.inkml"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind(dir.file("w.inkml") + ": no ink labelled with a digit", 0), 0u)
      << r.error().message;
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
}

// A UNIPEN file of numbers, their digits segmented (DIGIT inside WORD), gives those digits; one
// whose number has no digit segments keeps load_unipen's error naming its line.
TEST(LabelledDigits, OfAUnipenFileOfNumbersAreItsDigitSegments) {
  TempDir dir;
  testing::write_file(dir.file("n.unipen"),
                      ".WRITER_ID 5\n"
                      ".SEGMENT WORD 0-2 ? \"42\"\n"
                      ".SEGMENT DIGIT 0,2 OK \"4\"\n"
                      ".SEGMENT DIGIT 1 OK \"2\"\n"
                      ".PEN_DOWN\n10 100\n10 50\n.PEN_UP\n"
                      ".PEN_DOWN\n40 100\n60 50\n.PEN_UP\n"
                      ".PEN_DOWN\n5 70\n20 70\n.PEN_UP\n");
  auto digits = load_ink_digits(dir.file("n.unipen"));
  ASSERT_TRUE(digits) << digits.error().message;
  ASSERT_EQ(digits->size(), 2u);
  EXPECT_EQ((*digits)[0].label, 4);
  EXPECT_EQ((*digits)[0].strokes.size(), 2u);
  EXPECT_EQ((*digits)[0].writer, 5);
  EXPECT_EQ((*digits)[1].label, 2);
  EXPECT_EQ((*digits)[1].strokes[0][1].y, 50);  // y up again, as load_unipen gives it

  testing::write_file(dir.file("unsegmented.unipen"),
                      ".SEGMENT DIGIT 0 ? \"33\"\n.PEN_DOWN\n1 2\n3 4\n.PEN_UP\n");
  auto refused = load_ink_digits(dir.file("unsegmented.unipen"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("unsegmented.unipen:1: "), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("is not one digit"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace digits
