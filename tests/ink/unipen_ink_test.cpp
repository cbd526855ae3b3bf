// Tests of parse_unipen_ink (digits/ink/unipen.h): the numbers of a UNIPEN file as samples of
// ink, with the digit segments inside a number as its parts, y turned downwards; and that
// parse_unipen still reads one digit per segment.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "digits/ink/unipen.h"
#include "pen_digits.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::kTwoDigits;
using testing::TempDir;
using testing::write_file;

// "2024" by writer 5: a WORD segment and a DIGIT segment per digit, the 4 of two strokes; then
// a word of letters, which is not a number; then "7" by writer 6, with UCI's comment.
const char* const kNumber =
    ".WRITER_ID 5\n"                  // 1
    ".SEGMENT WORD 0-4 ? \"2024\"\n"  // 2
    ".SEGMENT DIGIT 0 OK \"2\"\n"     // 3
    ".SEGMENT DIGIT 1 OK \"0\"\n"     // 4
    ".SEGMENT DIGIT 2 OK \"2\"\n"     // 5
    ".SEGMENT DIGIT 4,3 OK \"4\"\n"   // 6: the strokes in another order
    ".PEN_DOWN\n10 100\n20 110\n.PEN_UP\n"
    ".PEN_DOWN\n40 100\n.PEN_UP\n"
    ".PEN_DOWN\n60 100\n.PEN_UP\n"
    ".PEN_DOWN\n80 100\n.PEN_UP\n"
    ".PEN_DOWN\n90 100\n95 50\n.PEN_UP\n"
    ".PEN_DOWN\n1 1\n.PEN_UP\n"
    ".SEGMENT WORD 5 ? \"hi\"\n"
    ".WRITER_ID 6\n"
    ".PEN_DOWN\n7 7\n.PEN_UP\n"
    ".SEGMENT DIGIT 6 ? \"7\"\n"
    ".COMMENT 7 12 3\n";

TEST(UnipenInk, ReadsNumbersWithTheirDigitsAsParts) {
  auto samples = parse_unipen_ink(kNumber, "n.unipen");
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 2u);
  const InkSample& number = (*samples)[0];
  EXPECT_EQ(number.label, "2024");
  EXPECT_EQ(number.writer, "5");
  EXPECT_EQ(number.where, "n.unipen:2");
  ASSERT_EQ(number.strokes.size(), 5u);
  ASSERT_EQ(number.strokes[0].size(), 2u);
  EXPECT_EQ(number.strokes[0][1].x, 20);
  EXPECT_EQ(number.strokes[0][1].y, -110);  // UNIPEN's y grows upwards; ink's downwards
  EXPECT_EQ(number.strokes[4][1].y, -50);
  ASSERT_EQ(number.parts.size(), 4u);
  const std::vector<std::string> labels = {"2", "0", "2", "4"};
  const std::vector<std::vector<size_t>> strokes = {{0}, {1}, {2}, {3, 4}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(number.parts[i].label, labels[i]);
    EXPECT_EQ(number.parts[i].strokes, strokes[i]);
  }
  const InkSample& seven = (*samples)[1];
  EXPECT_EQ(seven.label, "7");
  EXPECT_EQ(seven.writer, "12");  // UCI's .COMMENT names the writer of the segment before it
  EXPECT_EQ(seven.where, "n.unipen:32");
  EXPECT_TRUE(seven.parts.empty());
  ASSERT_EQ(seven.strokes.size(), 1u);
  EXPECT_EQ(seven.strokes[0][0].y, -7);
}

TEST(UnipenInk, ReadsUciDigitsAsOneDigitSamples) {
  auto samples = parse_unipen_ink(kTwoDigits, "pen.tra");
  ASSERT_TRUE(samples) << samples.error().message;
  auto digits = parse_unipen(kTwoDigits, "pen.tra");
  ASSERT_TRUE(digits) << digits.error().message;
  ASSERT_EQ(samples->size(), digits->size());
  for (size_t i = 0; i < digits->size(); ++i) {
    const InkSample& s = (*samples)[i];
    const PenDigit& d = (*digits)[i];
    EXPECT_EQ(s.label, std::to_string(d.label));
    EXPECT_EQ(s.writer, std::to_string(d.writer));
    EXPECT_EQ(s.where, "pen.tra:" + std::to_string(d.line));
    ASSERT_EQ(s.strokes.size(), d.strokes.size());
    for (size_t k = 0; k < d.strokes.size(); ++k) {
      ASSERT_EQ(s.strokes[k].size(), d.strokes[k].size());
      for (size_t p = 0; p < d.strokes[k].size(); ++p) {
        EXPECT_EQ(s.strokes[k][p].x, d.strokes[k][p].x);
        EXPECT_EQ(s.strokes[k][p].y, -d.strokes[k][p].y);
      }
    }
  }
}

TEST(UnipenInk, ANumberNeedsNoDigitSegments) {
  const std::string text =
      ".PEN_DOWN\n1 1\n.PEN_UP\n.PEN_DOWN\n2 2\n.PEN_UP\n"
      ".SEGMENT NUMBER 1,0 ? \"305\"\n"
      ".SEGMENT WORD 0 ? 305x\n";
  auto samples = parse_unipen_ink(text, "n");
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].label, "305");
  EXPECT_EQ((*samples)[0].writer, "");
  ASSERT_EQ((*samples)[0].strokes.size(), 2u);
  EXPECT_EQ((*samples)[0].strokes[0][0].x, 2);  // in the delineation's order
  EXPECT_TRUE((*samples)[0].parts.empty());
}

TEST(UnipenInk, ParseUnipenStillReadsOnlyOneDigitPerSegment) {
  // A DIGIT segment of two digits: an error for the digit reader, a number for the ink reader.
  const std::string text = ".SEGMENT DIGIT 0 ? \"33\"\n.PEN_DOWN\n1 2\n3 4\n.PEN_UP\n";
  auto digits = parse_unipen(text, "bad");
  ASSERT_FALSE(digits);
  EXPECT_EQ(digits.error().message, "bad:1: DIGIT segment's label '33' is not one digit 0-9");
  auto samples = parse_unipen_ink(text, "bad");
  ASSERT_TRUE(samples) << samples.error().message;
  EXPECT_EQ((*samples)[0].label, "33");
  // A WORD of digits is no digit: parse_unipen finds none.
  auto word = parse_unipen(".SEGMENT WORD 0 ? \"12\"\n.PEN_DOWN\n1 2\n.PEN_UP\n", "w");
  ASSERT_FALSE(word);
  EXPECT_NE(word.error().message.find("no digit in the file"), std::string::npos);
}

struct BadNumbers {
  const char* name;
  std::string text;
  std::string where;  // "file:line: " the message starts with
  std::string needle;
};

std::vector<BadNumbers> bad_numbers() {
  const std::string two = ".PEN_DOWN\n1 2\n.PEN_UP\n.PEN_DOWN\n3 4\n.PEN_UP\n";  // lines 1-6
  return {
      {"NoNumber", two + ".SEGMENT WORD 0-1 ? \"ab\"\n", "bad: ", "no number in the file"},
      {"SharesSomeStrokes",
       two + ".PEN_DOWN\n5 6\n.PEN_UP\n.SEGMENT WORD 0-1 ? \"12\"\n.SEGMENT WORD 1-2 ? \"23\"\n",
       "bad:11: ", ".SEGMENT '23' shares stroke 1 (line 4) with the number at line 10 but is not "},
      {"StrokeTwice", two + ".SEGMENT WORD 0,1,0 ? \"12\"\n",
       "bad:7: ", ".SEGMENT names stroke 0 twice"},
      {"StrokeMissing", two + ".SEGMENT WORD 0-2 ? \"12\"\n",
       "bad:7: ", "names stroke 2 but the file has 2 strokes"},
      {"DigitNotADigit", two + ".SEGMENT DIGIT 0 ? \"x\"\n",
       "bad:7: ", "DIGIT segment's label 'x' is not one digit 0-9"},
      {"CommentContradicts", two + ".SEGMENT WORD 0-1 ? \"12\"\n.COMMENT 13 1 1\n",
       "bad:8: ", ".COMMENT gives label 13 but the segment at line 7 says 12"},
      {"EmptyStroke", ".SEGMENT WORD 0 ? \"1\"\n.PEN_DOWN\n.PEN_UP\n", "bad:3: ", "has no points"},
  };
}

class UnipenInkRefuses : public ::testing::TestWithParam<BadNumbers> {};

TEST_P(UnipenInkRefuses, NamingFileAndLine) {
  auto samples = parse_unipen_ink(GetParam().text, "bad");
  ASSERT_FALSE(samples) << GetParam().name;
  const std::string& m = samples.error().message;
  EXPECT_EQ(m.rfind(GetParam().where, 0), 0u) << m;
  EXPECT_NE(m.find(GetParam().needle), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(Bad, UnipenInkRefuses, ::testing::ValuesIn(bad_numbers()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(UnipenInk, LoadsPlainAndGzipFiles) {
  TempDir dir;
  write_file(dir.file("n.unipen"), kNumber);
  testing::write_gz(dir.file("n.unipen.gz"), kNumber);
  for (const char* name : {"n.unipen", "n.unipen.gz"}) {
    auto samples = load_unipen_ink(dir.file(name));
    ASSERT_TRUE(samples) << samples.error().message;
    ASSERT_EQ(samples->size(), 2u);
    EXPECT_EQ((*samples)[0].label, "2024");
    EXPECT_EQ((*samples)[0].where, dir.file(name) + ":2");
  }
  auto missing = load_unipen_ink(dir.file("none.unipen"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind(dir.file("none.unipen") + ": cannot open", 0), 0u);
}

}  // namespace
}  // namespace digits
