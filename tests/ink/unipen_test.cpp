// Tests of digits/ink/unipen.h: UNIPEN pen files (UCI's layout and the format's variants), read
// into labelled strokes by writer and sample; every problem is one message naming the file and
// line; plain and gzip files, told apart from CSV.
#include "digits/ink/unipen.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "digits/data/training_data.h"  // is_pen_file
#include "pen_digits.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::kTwoDigits;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

TEST(Unipen, ReadsUciStyleDigitsWithWritersSamplesAndStrokes) {
  auto digits = parse_unipen(kTwoDigits, "pen.tra");
  ASSERT_TRUE(digits) << digits.error().message;
  ASSERT_EQ(digits->size(), 2u);
  const PenDigit& one = (*digits)[0];
  EXPECT_EQ(one.label, 1);
  EXPECT_EQ(one.writer, 12);
  EXPECT_EQ(one.sample, 224);
  EXPECT_EQ(one.line, 6);
  ASSERT_EQ(one.strokes.size(), 1u);
  ASSERT_EQ(one.strokes[0].size(), 3u);
  EXPECT_EQ(one.strokes[0][2].x, 250);
  EXPECT_EQ(one.strokes[0][2].y, 100);
  const PenDigit& four = (*digits)[1];
  EXPECT_EQ(four.label, 4);
  EXPECT_EQ(four.writer, 3);
  EXPECT_EQ(four.sample, 7);
  ASSERT_EQ(four.strokes.size(), 2u);
  EXPECT_EQ(four.strokes[1][0].x, 260);
}

TEST(Unipen, ReadsTheVariantsOfTheFormat) {
  // Segments after their strokes, a list of strokes, .WRITER_ID, CRLF, tabs, an unquoted label,
  // extra columns (time), points while the pen is up (dropped) and a word segment (skipped).
  const std::string text =
      ".WRITER_ID 5\r\n"
      ".PEN_DOWN\r\n"
      "10\t20 0\r\n"
      "10 40 1\r\n"
      ".PEN_UP\r\n"
      "12 45\r\n"
      ".PEN_DOWN\r\n"
      "30 20\r\n"
      ".PEN_UP\r\n"
      ".PEN_DOWN\r\n"
      "5 5\r\n"
      ".PEN_UP\r\n"
      ".SEGMENT DIGIT 0,2 OK 7\r\n"
      ".SEGMENT WORD 0-2 ? \"7x\"\r\n"
      ".SEGMENT CHARACTER 1 ? \"x\"\r\n"
      ".WRITER_ID 6\r\n"
      ".SEGMENT DIGIT 1 \"0\"\r\n";
  auto digits = parse_unipen(text, "var.unipen");
  ASSERT_TRUE(digits) << digits.error().message;
  ASSERT_EQ(digits->size(), 2u);
  EXPECT_EQ((*digits)[0].label, 7);
  EXPECT_EQ((*digits)[0].writer, 5);
  EXPECT_EQ((*digits)[0].sample, -1);
  ASSERT_EQ((*digits)[0].strokes.size(), 2u);
  EXPECT_EQ((*digits)[0].strokes[0].size(), 2u);  // the pen-up point is not ink
  EXPECT_EQ((*digits)[0].strokes[1][0].x, 5);
  EXPECT_EQ((*digits)[1].label, 0);
  EXPECT_EQ((*digits)[1].writer, 6);
  EXPECT_EQ((*digits)[1].strokes[0][0].x, 30);
}

struct BadUnipen {
  const char* name;
  std::string text;
  std::string where;  // "file:line: " the message starts with
  std::string needle;
};

std::vector<BadUnipen> bad_unipen() {
  const std::string seg = ".SEGMENT DIGIT 0 ? \"3\"\n";
  const std::string stroke = ".PEN_DOWN\n1 2\n3 4\n.PEN_UP\n";
  return {
      {"PointNotNumbers", seg + ".PEN_DOWN\n1 2\n12 x\n.PEN_UP\n", "bad:4: ", "not two numbers"},
      {"OneNumber", seg + ".PEN_DOWN\n12\n.PEN_UP\n", "bad:3: ", "not two numbers"},
      {"HugePoint", seg + ".PEN_DOWN\n1e300 2\n.PEN_UP\n", "bad:3: ", "beyond +-1e9"},
      {"InfinitePoint", seg + ".PEN_DOWN\ninf 2\n.PEN_UP\n", "bad:3: ", "not two numbers"},
      {"PointBeforePenDown", "1 2\n" + seg + stroke, "bad:1: ", "before any .PEN_DOWN"},
      {"NestedPenDown", seg + ".PEN_DOWN\n1 2\n.PEN_DOWN\n", "bad:4: ", "no .PEN_UP between"},
      {"EmptyStroke", seg + ".PEN_DOWN\n.PEN_UP\n", "bad:3: ", "has no points"},
      {"EndsInsideStroke", seg + ".PEN_DOWN\n1 2\n", "bad:3: ", "ends inside the stroke"},
      {"NoDigit", stroke, "bad: ", "no digit in the file"},
      {"StrokeMissing", ".SEGMENT DIGIT 0-1 ? \"3\"\n" + stroke,
       "bad:1: ", "names stroke 1 but the file has 1 stroke"},
      {"BadDelineation", ".SEGMENT DIGIT 2-1 ? \"3\"\n" + stroke,
       "bad:1: ", "is not a stroke number or a range"},
      {"PointRange", ".SEGMENT DIGIT 0:1-0:2 ? \"3\"\n" + stroke,
       "bad:1: ", "point ranges (stroke:point) are not supported"},
      {"StrokeTakenTwice", seg + stroke + seg, "bad:6: ", "which an earlier digit has already"},
      {"DigitLabelNotADigit", ".SEGMENT DIGIT 0 ? \"33\"\n" + stroke,
       "bad:1: ", "is not one digit 0-9"},
      {"CommentContradicts", seg + ".COMMENT 4 1 1\n" + stroke,
       "bad:2: ", ".COMMENT gives label 4 but the segment at line 1 says 3"},
      {"NoStrokesNamed", ".SEGMENT DIGIT\n" + stroke, "bad:1: ", "needs a level and the strokes"},
      {"OpenQuote", ".SEGMENT DIGIT 0 ? 3\"\n" + stroke, "bad:1: ", "has no opening quote"},
      {"BadWriter", ".WRITER_ID abc\n" + seg + stroke, "bad:1: ", "is not a number"},
  };
}

class UnipenRefuses : public ::testing::TestWithParam<BadUnipen> {};

TEST_P(UnipenRefuses, NamingFileAndLine) {
  std::string text = GetParam().text;
  auto digits = parse_unipen(text, "bad");
  ASSERT_FALSE(digits) << GetParam().name;
  const std::string& m = digits.error().message;
  EXPECT_EQ(m.rfind(GetParam().where, 0), 0u) << m;
  EXPECT_NE(m.find(GetParam().needle), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(Bad, UnipenRefuses, ::testing::ValuesIn(bad_unipen()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Unipen, NulInsideALineIsCaught) {
  // The table's literal ends at the NUL; build that text by hand.
  std::string text = ".SEGMENT DIGIT 0 ? \"3\"\n.PEN_DOWN\n1 2";
  text += '\0';
  text += "\n.PEN_UP\n";
  auto digits = parse_unipen(text, "nul");
  ASSERT_FALSE(digits);
  EXPECT_EQ(digits.error().message.rfind("nul:3: ", 0), 0u) << digits.error().message;
}

TEST(Unipen, LoadsPlainAndGzipFilesAndTellsThemFromCsv) {
  TempDir dir;
  write_file(dir.file("pen.tra"), kTwoDigits);
  testing::write_gz(dir.file("pen.tra.gz"), kTwoDigits);
  for (const char* name : {"pen.tra", "pen.tra.gz"}) {
    auto digits = load_unipen(dir.file(name));
    ASSERT_TRUE(digits) << digits.error().message;
    EXPECT_EQ(digits->size(), 2u);
    EXPECT_TRUE(is_pen_file(dir.file(name)));
  }
  write_file(dir.file("train.csv"), testing::kaggle_header(true) + "\n");
  EXPECT_FALSE(is_pen_file(dir.file("train.csv")));
  EXPECT_TRUE(looks_like_unipen("\n\n  .SEGMENT"));
  EXPECT_FALSE(looks_like_unipen("label,pixel0"));
  EXPECT_FALSE(looks_like_unipen(""));

  auto missing = load_unipen(dir.file("none.tra"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind(dir.file("none.tra") + ": cannot open", 0), 0u);
  const std::string whole = read_file(dir.file("pen.tra.gz"));
  write_file(dir.file("cut.gz"), whole.substr(0, whole.size() - 12));
  auto cut = load_unipen(dir.file("cut.gz"));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
}

}  // namespace
}  // namespace digits
