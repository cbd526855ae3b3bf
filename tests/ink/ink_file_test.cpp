// Tests of load_ink (digits/ink/ink_file.h), which tells InkML from UNIPEN, and of inkml_text
// (digits/ink/inkml.h), whose documents the InkML reader reads back as they were written.
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
  for (const std::string& bad : {dir.file("x.csv"), dir.file("missing.inkml"), dir.path()}) {
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
    ASSERT_EQ(b.strokes.size(), a.strokes.size());
    for (size_t k = 0; k < a.strokes.size(); ++k) {
      ASSERT_EQ(b.strokes[k].size(), a.strokes[k].size());
      for (size_t p = 0; p < a.strokes[k].size(); ++p) {
        EXPECT_NEAR(b.strokes[k][p].x, a.strokes[k][p].x, 1e-6);
        EXPECT_NEAR(b.strokes[k][p].y, a.strokes[k][p].y, 1e-6);
      }
    }
    ASSERT_EQ(b.parts.size(), a.parts.size());
    for (size_t p = 0; p < a.parts.size(); ++p) {
      EXPECT_EQ(b.parts[p].label, a.parts[p].label);
      EXPECT_EQ(b.parts[p].strokes, a.parts[p].strokes);
    }
  }
}

}  // namespace
}  // namespace digits
