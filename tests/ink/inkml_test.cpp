// Tests of digits/ink/inkml.h: W3C InkML documents (channels in any order, the difference
// encodings, groups, views, contexts, prefixes) read into labelled samples of strokes; every
// problem is one message naming the file and line; plain and gzip files, told apart from others.
#include "digits/ink/inkml.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace digits {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

using testing::ink_fixture;

// A document of `body` in the InkML namespace.
std::string ink(const std::string& body) {
  return "<ink xmlns=\"http://www.w3.org/2003/InkML\">\n" + body + "</ink>\n";
}

// The one sample of a document that must parse.
InkSample only_sample(const std::string& text) {
  auto samples = parse_inkml(text, "doc.inkml");
  if (!samples) {
    ADD_FAILURE() << samples.error().message;
    return {};
  }
  if (samples->size() != 1) {
    ADD_FAILURE() << samples->size() << " samples";
    return {};
  }
  return samples->front();
}

void expect_points(const InkStroke& stroke, const std::vector<InkPoint>& expected) {
  ASSERT_EQ(stroke.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_DOUBLE_EQ(stroke[i].x, expected[i].x) << "point " << i;
    EXPECT_DOUBLE_EQ(stroke[i].y, expected[i].y) << "point " << i;
  }
}

TEST(Inkml, ReadsTheNumberFixtureWithItsDigits) {
  const std::string path = ink_fixture("number-2024.inkml");
  auto samples = load_inkml(path);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 1u);
  const InkSample& s = samples->front();
  EXPECT_EQ(s.label, "2024");
  EXPECT_EQ(s.writer, "example-writer-01");
  EXPECT_EQ(s.where, path + ":7");  // the <ink> element
  ASSERT_EQ(s.strokes.size(), 5u);
  ASSERT_EQ(s.strokes[0].size(), 28u);
  EXPECT_EQ(s.strokes[0][0].x, 106);  // X Y T: the time is dropped
  EXPECT_EQ(s.strokes[0][0].y, 129);
  EXPECT_EQ(s.strokes[4].back().x, 491);
  EXPECT_EQ(s.strokes[4].back().y, 234);
  // The "Segmentation" group holds the digit groups: the innermost labelled ones are the parts.
  ASSERT_EQ(s.parts.size(), 4u);
  const std::vector<std::string> labels = {"2", "0", "2", "4"};
  const std::vector<std::vector<size_t>> strokes = {{0}, {1}, {2}, {3, 4}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(s.parts[i].label, labels[i]);
    EXPECT_EQ(s.parts[i].strokes, strokes[i]);
  }
  // y grows downwards: the digits' tops (y about 105) are above their bottoms (about 230).
  for (const InkStroke& stroke : s.strokes) {
    for (const InkPoint& p : stroke) EXPECT_TRUE(p.y > 95 && p.y < 240) << p.y;
  }
}

TEST(Inkml, ReadsTheUnlabelledLetterFixture) {
  auto samples = load_inkml(ink_fixture("letter-a.inkml"));
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 1u);
  const InkSample& a = samples->front();
  EXPECT_EQ(a.label, "");
  EXPECT_EQ(a.writer, "");
  EXPECT_TRUE(a.parts.empty());
  ASSERT_EQ(a.strokes.size(), 2u);
  EXPECT_EQ(a.strokes[0].size(), 18u);
  // The stem: "88 40, '0 '7, 1 5, ...": the first difference holds after its prefix.
  ASSERT_EQ(a.strokes[1].size(), 13u);
  expect_points({a.strokes[1].begin(), a.strokes[1].begin() + 3}, {{88, 40}, {88, 47}, {89, 52}});
  EXPECT_EQ(a.strokes[1].back().x, 101);
  EXPECT_EQ(a.strokes[1].back().y, 106);
}

TEST(Inkml, DecodesTheDifferenceEncodingsWorkedByHand) {
  // Point 1 explicit; point 2 first differences (velocity): 1125+23, 18432+43 = (1148, 18475).
  // Point 3 second differences: velocity (23+7, 43-8) = (30, 35), so (1178, 18510). Point 4 has
  // no prefix, so still second differences: velocity (33, 30), so (1211, 18540). Point 5 goes
  // back to explicit values with a ! for each channel. Values need no space before a prefix or a
  // minus sign.
  const InkSample s =
      only_sample(ink("<trace>1125 18432,'23'43,\"7\"-8,3-5,!1200 !18600</trace>\n"));
  ASSERT_EQ(s.strokes.size(), 1u);
  expect_points(s.strokes[0],
                {{1125, 18432}, {1148, 18475}, {1178, 18510}, {1211, 18540}, {1200, 18600}});
}

TEST(Inkml, DifferencesHoldPerChannel) {
  // X turns to first differences at point 2, Y stays explicit until point 3; a first
  // difference after second ones takes the last point as its base.
  const InkSample s = only_sample(ink("<trace>10 20, '1 21, 1 '2, \"1 \"1, '0 '0</trace>\n"));
  expect_points(s.strokes[0], {{10, 20}, {11, 21}, {12, 23}, {14, 26}, {14, 26}});
}

TEST(Inkml, ReadsNumbersInEveryForm) {
  // Decimals, exponents, a leading point, signs with a space after them, #hex, commas with
  // white space and line breaks around them, CDATA and an entity.
  const InkSample s = only_sample(ink(
      "<trace>\n  1.5 -2.25 ,\n .5 1e2,- 3 2.5E-1,#1F #a ,<![CDATA[7 8]]>,&#57; 10\n</trace>\n"));
  expect_points(s.strokes[0], {{1.5, -2.25}, {0.5, 100}, {-3, 0.25}, {31, 10}, {7, 8}, {9, 10}});
}

TEST(Inkml, FindsXAndYAmongChannelsInAnyOrder) {
  // Y before X; extra channels before, between and after; T and F dropped.
  const InkSample yx =
      only_sample(ink("<traceFormat><channel name=\"Y\"/><channel name=\"X\"/></traceFormat>\n"
                      "<trace>20 10, 40 30</trace>\n"));
  expect_points(yx.strokes[0], {{10, 20}, {30, 40}});
  const InkSample xyt =
      only_sample(ink("<traceFormat><channel name=\"X\"/><channel name=\"Y\"/>"
                      "<channel name=\"T\" type=\"integer\"/></traceFormat>\n"
                      "<trace>1 2 0, 3 4 10</trace>\n"));
  expect_points(xyt.strokes[0], {{1, 2}, {3, 4}});
  const InkSample mixed = only_sample(
      ink("<traceFormat><regularChannels><channel name=\"F\"/><channel name=\"Y\"/>"
          "<channel name=\"OA\"/><channel name=\"X\"/><channel name=\"T\"/></regularChannels>"
          "</traceFormat>\n"
          "<trace>0.5 7 90 6 0, 0.6 '1 '0 '2 '10</trace>\n"));
  expect_points(mixed.strokes[0], {{6, 7}, {8, 8}});
}

TEST(Inkml, IntermittentChannelsMayBeLeftOut) {
  const InkSample s = only_sample(
      ink("<traceFormat><channel name=\"X\"/><channel name=\"Y\"/>"
          "<intermittentChannels><channel name=\"B1\" type=\"boolean\"/>"
          "<channel name=\"B2\" type=\"boolean\"/></intermittentChannels></traceFormat>\n"
          "<trace>1 2 T F, 3 4, 5 6 F, 7 8 * ?</trace>\n"));
  expect_points(s.strokes[0], {{1, 2}, {3, 4}, {5, 6}, {7, 8}});
}

TEST(Inkml, TracesTakeTheFormatOfTheirContext) {
  // Formats by reference: a context in <definitions> holding an inkSource's traceFormat (as
  // pen software writes them), a context naming a traceFormat, and one naming a context. A
  // <traceFormat> directly in <ink> applies to the traces after it.
  const std::string text = ink(
      "<definitions>\n"
      "  <context xml:id=\"pen\"><inkSource xml:id=\"src\"><traceFormat>"
      "<channel name=\"X\"/><channel name=\"Y\"/><channel name=\"F\"/></traceFormat>"
      "</inkSource></context>\n"
      "  <traceFormat xml:id=\"yx\"><channel name=\"Y\"/><channel name=\"X\"/></traceFormat>\n"
      "  <context xml:id=\"flipped\" traceFormatRef=\"#yx\"/>\n"
      "  <context xml:id=\"again\" contextRef=\"#pen\"/>\n"
      "</definitions>\n"
      "<trace contextRef=\"#pen\">1 2 100, 3 4 90</trace>\n"
      "<trace contextRef=\"flipped\">2 1</trace>\n"
      "<trace contextRef=\"#again\">5 6 80</trace>\n"
      "<trace>7 8</trace>\n"
      "<traceFormat><channel name=\"T\"/><channel name=\"X\"/><channel name=\"Y\"/></traceFormat>\n"
      "<trace>0 9 10</trace>\n"
      "<traceGroup contextRef=\"#pen\"><trace>11 12 1</trace></traceGroup>\n");
  const InkSample s = only_sample(text);
  ASSERT_EQ(s.strokes.size(), 6u);
  expect_points(s.strokes[0], {{1, 2}, {3, 4}});
  expect_points(s.strokes[1], {{1, 2}});
  expect_points(s.strokes[2], {{5, 6}});
  expect_points(s.strokes[3], {{7, 8}});
  expect_points(s.strokes[4], {{9, 10}});
  expect_points(s.strokes[5], {{11, 12}});
}

// A number "12" and a digit "7" as two labelled groups, with the writer's digit groups nested
// in the number's, one through a traceView of traces defined before; unlabelled groups around.
const char* const kTwoGroups =
    "<annotation type=\"writer\">w-9</annotation>\n"
    "<trace xml:id=\"a\">0 0, 1 1</trace>\n"
    "<trace xml:id=\"b\">2 2</trace>\n"
    "<traceGroup>\n"
    "  <traceGroup xml:id=\"n\">\n"
    "    <annotation type=\"truth\">12</annotation>\n"
    "    <traceGroup><annotation type=\"truth\">1</annotation>\n"
    "      <traceView traceDataRef=\"#b\"/></traceGroup>\n"
    "    <traceGroup><annotation type=\"truth\">2</annotation>\n"
    "      <trace xml:id=\"c\">3 3</trace><trace>4 4</trace></traceGroup>\n"
    "    <annotationXML><math><mn>12</mn></math></annotationXML>\n"
    "  </traceGroup>\n"
    "</traceGroup>\n"
    "<traceGroup xml:id=\"s\">\n"
    "  <annotation type=\"truth\"> 7 </annotation>\n"
    "  <annotation type=\"writer\">w-10</annotation>\n"
    "  <traceView traceDataRef=\"a\" from=\"1\" to=\"2\"/>\n"
    "</traceGroup>\n";

TEST(Inkml, OutermostLabelledGroupsAreSamplesAndInnermostTheirParts) {
  auto samples = parse_inkml(ink(kTwoGroups), "g.inkml");
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 2u);
  const InkSample& twelve = (*samples)[0];
  EXPECT_EQ(twelve.label, "12");
  EXPECT_EQ(twelve.writer, "w-9");  // the document's
  EXPECT_EQ(twelve.where, "g.inkml:6");
  // Its strokes in document order: b (viewed), c, the unnamed one.
  ASSERT_EQ(twelve.strokes.size(), 3u);
  expect_points(twelve.strokes[0], {{2, 2}});
  expect_points(twelve.strokes[1], {{3, 3}});
  expect_points(twelve.strokes[2], {{4, 4}});
  ASSERT_EQ(twelve.parts.size(), 2u);
  EXPECT_EQ(twelve.parts[0].label, "1");
  EXPECT_EQ(twelve.parts[0].strokes, std::vector<size_t>{0});
  EXPECT_EQ(twelve.parts[1].label, "2");
  EXPECT_EQ(twelve.parts[1].strokes, (std::vector<size_t>{1, 2}));
  const InkSample& seven = (*samples)[1];
  EXPECT_EQ(seven.label, "7");  // trimmed
  EXPECT_EQ(seven.writer, "w-10");
  EXPECT_TRUE(seven.parts.empty());
  ASSERT_EQ(seven.strokes.size(), 1u);  // from/to are ignored: the whole trace
  expect_points(seven.strokes[0], {{0, 0}, {1, 1}});
}

TEST(Inkml, ADocumentTruthMakesOneSampleOfEveryTrace) {
  const InkSample s =
      only_sample(ink("<annotation type=\"truth\">127</annotation>\n" + std::string(kTwoGroups)));
  EXPECT_EQ(s.label, "127");
  EXPECT_EQ(s.where, "doc.inkml:1");
  ASSERT_EQ(s.strokes.size(), 4u);  // a, b, c, the unnamed one, in document order
  expect_points(s.strokes[0], {{0, 0}, {1, 1}});
  ASSERT_EQ(s.parts.size(), 3u);  // "1", "2" and "7": the innermost labelled groups
  EXPECT_EQ(s.parts[0].label, "1");
  EXPECT_EQ(s.parts[0].strokes, std::vector<size_t>{1});
  EXPECT_EQ(s.parts[1].label, "2");
  EXPECT_EQ(s.parts[1].strokes, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(s.parts[2].label, "7");
  EXPECT_EQ(s.parts[2].strokes, std::vector<size_t>{0});
}

TEST(Inkml, WithoutAnyLabelTheDocumentIsOneUnlabelledSample) {
  const InkSample s =
      only_sample(ink("<traceGroup><annotation type=\"comment\">scribble</annotation>"
                      "<trace>1 1</trace></traceGroup>\n<trace>2 2</trace>\n"
                      "<trace type=\"penUp\">5 5</trace>\n"));
  EXPECT_EQ(s.label, "");
  ASSERT_EQ(s.strokes.size(), 2u);  // the pen-up trace is not ink
  expect_points(s.strokes[1], {{2, 2}});
}

TEST(Inkml, MatchesElementsOnTheirLocalName) {
  // A prefixed namespace, as some writers do, and no namespace at all.
  const std::string prefixed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<inkml:ink xmlns:inkml=\"http://www.w3.org/2003/InkML\">\n"
      "  <inkml:annotation type=\"truth\">5</inkml:annotation>\n"
      "  <inkml:traceFormat><inkml:channel name=\"X\"/><inkml:channel name=\"Y\"/>"
      "</inkml:traceFormat>\n"
      "  <inkml:trace xml:id=\"t\">1 2, 3 4</inkml:trace>\n"
      "  <inkml:traceGroup><inkml:annotation type=\"truth\">5</inkml:annotation>"
      "<inkml:traceView traceDataRef=\"#t\"/></inkml:traceGroup>\n"
      "</inkml:ink>\n";
  const InkSample s = only_sample(prefixed);
  EXPECT_EQ(s.label, "5");
  ASSERT_EQ(s.parts.size(), 1u);
  EXPECT_EQ(s.parts[0].strokes, std::vector<size_t>{0});
  const InkSample bare = only_sample("<ink><trace>1 2</trace></ink>");
  expect_points(bare.strokes[0], {{1, 2}});
  const InkSample bom = only_sample("\xEF\xBB\xBF<ink>\n<trace>1 2</trace></ink>");
  expect_points(bom.strokes[0], {{1, 2}});
}

struct BadInkml {
  const char* name;
  std::string text;
  std::string where;  // "file:line: " the message starts with
  std::string needle;
};

std::vector<BadInkml> bad_inkml() {
  const std::string head = "<ink xmlns=\"http://www.w3.org/2003/InkML\">\n";  // line 1
  auto doc = [&](const std::string& body) { return head + body + "</ink>\n"; };
  std::string nested;
  for (int i = 0; i < 300; ++i) nested = "<traceGroup>" + nested + "</traceGroup>";
  return {
      {"MalformedXml", doc("<trace>1 2</trace>\n<traceGroup>\n<trace>3 4</trace>\n</trace>\n"),
       "bad:5: ", "not well-formed XML"},
      {"UnclosedRoot", head + "<trace>1 2</trace>\n", "bad:", "not well-formed XML"},
      {"NotXmlAtAll", "label,pixel0\n1,0\n", "bad:1: ", "holds no XML element"},
      {"Empty", "", "bad:1: ", "holds no XML element"},
      {"NotInkml", "<?xml version=\"1.0\"?>\n<svg><path d=\"M0 0\"/></svg>\n",
       "bad:2: ", "the root element is <svg> where InkML has <ink>"},
      {"NoTrace", doc("<annotation type=\"truth\">1</annotation>\n"), "bad:1: ", "has no <trace>"},
      {"UnknownContext", doc("<trace>1 2</trace>\n<trace contextRef=\"#pen\">1 2</trace>\n"),
       "bad:3: ", "contextRef '#pen' names no <context> of this document"},
      {"UnknownTraceFormat",
       doc("<definitions>\n<context xml:id=\"c\" traceFormatRef=\"#f\"/>\n</definitions>\n"
           "<trace>1 2</trace>\n"),
       "bad:3: ", "traceFormatRef '#f' names no <traceFormat> of this document defined before"},
      {"FormatWithoutXY",
       doc("<traceFormat>\n<channel name=\"X\"/><channel name=\"T\"/></traceFormat>\n"
           "<trace>1 2</trace>\n"),
       "bad:2: ", "traceFormat has no X and Y channels (it has: X T)"},
      {"ChannelWithoutName", doc("<traceFormat>\n<channel type=\"decimal\"/></traceFormat>\n"),
       "bad:3: ", "<channel> has no name"},
      {"BadValue", doc("<trace xml:id=\"t1\">\n1 2,\n3 4,\n5 x6\n</trace>\n"),
       "bad:5: ", "trace 't1' point 3: 'x6' is not a number"},
      {"ValueNotFinite", doc("<trace>1 2, 1e999 2</trace>\n"),
       "bad:2: ", "point 2: '1e999' is not a number"},
      {"ValueTooLarge", doc("<trace>1 2, 1e300 2</trace>\n"),
       "bad:2: ", "point 2: X is beyond +-1e9"},
      {"DifferencesTooLarge", doc("<trace>0 0, '1e8 0, \"4e8 0, 4e8 0</trace>\n"),
       "bad:2: ", "point 4: X is beyond +-1e9"},
      {"TooFewValues", doc("<trace id=\"t\">1 2, 3</trace>\n"),
       "bad:2: ", "trace 't' point 2 has 1 value, but its format has 2 channels (X Y)"},
      {"TooManyValues",
       doc("<traceFormat><channel name=\"X\"/><channel name=\"Y\"/><intermittentChannels>"
           "<channel name=\"S\"/></intermittentChannels></traceFormat>\n"
           "<trace>1 2 T,\n3 4 F 5</trace>\n"),
       "bad:4: ",
       "point 2 has over 3 values, but its format has 2 channels (X Y) and 1 intermittent (S)"},
      {"EmptyTrace", doc("<trace xml:id=\"e\">  \n </trace>\n"),
       "bad:2: ", "trace 'e' has no points"},
      {"SelfClosedTrace", doc("<trace/>\n"), "bad:2: ", "trace has no points"},
      {"EmptyPoint", doc("<trace>1 2,, 3 4</trace>\n"), "bad:2: ", "point 2 is empty"},
      {"TrailingComma", doc("<trace>1 2, 3 4,</trace>\n"), "bad:2: ", "point 3 is empty"},
      {"DifferenceFirst", doc("<trace>'1 '2</trace>\n"),
       "bad:2: ", "point 1: X is a first difference (') but no point comes before it"},
      {"SecondDifferenceTooSoon", doc("<trace>1 2, \"1 \"2</trace>\n"), "bad:2: ",
       "point 2: X is a second difference (\") but fewer than two points come before it"},
      {"PrefixWithoutNumber", doc("<trace>1 2, 3 '</trace>\n"),
       "bad:2: ", "point 2: the prefix ' is followed by nothing, not a number"},
      {"UnknownX", doc("<trace>1 2, ? 3</trace>\n"), "bad:2: ", "point 2: X is '?', not a number"},
      {"DanglingView",
       doc("<traceGroup>\n<annotation type=\"truth\">1</annotation>\n"
           "<traceView traceDataRef=\"#t9\"/>\n</traceGroup>\n<trace>1 2</trace>\n"),
       "bad:4: ", "traceView refers to '#t9', which no trace, traceGroup or traceView"},
      {"ViewOfItself", doc("<trace>1 2</trace>\n<traceView xml:id=\"v\" traceDataRef=\"#v\"/>\n"),
       "bad:3: ", "traceView refers to '#v', which leads back to the traceView itself"},
      {"ViewOfItsGroup",
       doc("<traceGroup xml:id=\"g\">\n<trace>1 2</trace>\n<traceGroup>\n"
           "<traceView traceDataRef=\"g\"/>\n</traceGroup>\n</traceGroup>\n"),
       "bad:5: ", "leads back to the traceView itself"},
      {"DuplicateId", doc("<trace xml:id=\"t\">1 2</trace>\n<trace xml:id=\"t\">3 4</trace>\n"),
       "bad:3: ", "id 't' is given twice: also to trace 't' at line 2"},
      {"LabelledGroupWithoutInk",
       doc("<trace>1 2</trace>\n<traceGroup xml:id=\"g\">\n"
           "<annotation type=\"truth\">4</annotation>\n</traceGroup>\n"),
       "bad:3: ", "traceGroup 'g' labelled '4' has no ink"},
      {"OnlyPenUp", doc("<trace type=\"penUp\">1 2</trace>\n"),
       "bad:1: ", "the document has no pen-down trace"},
      {"NestedTooDeep", doc(nested + "\n"), "bad:2: ", "elements nested over 256 deep"},
  };
}

class InkmlRefuses : public ::testing::TestWithParam<BadInkml> {};

TEST_P(InkmlRefuses, NamingFileAndLine) {
  auto samples = parse_inkml(GetParam().text, "bad");
  ASSERT_FALSE(samples) << GetParam().name;
  const std::string& m = samples.error().message;
  EXPECT_EQ(m.rfind(GetParam().where, 0), 0u) << m;
  EXPECT_NE(m.find(GetParam().needle), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(Bad, InkmlRefuses, ::testing::ValuesIn(bad_inkml()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Inkml, NulBytesAndHugeFilesAreRefused) {
  std::string text = "<ink>\n<trace>1 2";
  text += '\0';
  text += "</trace></ink>";
  auto nul = parse_inkml(text, "nul");
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().message.rfind("nul:2: holds a NUL byte", 0), 0u) << nul.error().message;

  // Over a million points in a thousand traces: refused before they fill memory.
  std::string trace = "<trace>";
  for (int i = 0; i < 1000; ++i) trace += "1 2,";
  trace += "1 2</trace>\n";
  std::string many = "<ink>\n";
  for (int i = 0; i < 1000; ++i) many += trace;
  many += "</ink>\n";
  auto big = parse_inkml(many, "big");
  ASSERT_FALSE(big);
  EXPECT_EQ(
      big.error().message.rfind("big:1001: trace point 2: over 1000000 points in one file", 0), 0u)
      << big.error().message;
}

TEST(Inkml, LoadsPlainAndGzipFilesAndTellsThemFromOthers) {
  TempDir dir;
  const std::string text = read_file(ink_fixture("number-2024.inkml"));
  write_file(dir.file("n.inkml"), text);
  testing::write_gz(dir.file("n.inkml.gz"), text);
  for (const char* name : {"n.inkml", "n.inkml.gz"}) {
    auto samples = load_inkml(dir.file(name));
    ASSERT_TRUE(samples) << samples.error().message;
    ASSERT_EQ(samples->size(), 1u);
    EXPECT_EQ(samples->front().label, "2024");
    EXPECT_EQ(samples->front().where, dir.file(name) + ":7");
  }
  auto missing = load_inkml(dir.file("none.inkml"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind(dir.file("none.inkml") + ": cannot open", 0), 0u);
  const std::string whole = read_file(dir.file("n.inkml.gz"));
  write_file(dir.file("cut.gz"), whole.substr(0, whole.size() - 12));
  auto cut = load_inkml(dir.file("cut.gz"));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;

  EXPECT_TRUE(looks_like_inkml(text));
  EXPECT_TRUE(looks_like_inkml("\xEF\xBB\xBF\n  <ink xmlns=\"http://www.w3.org/2003/InkML\">"));
  EXPECT_TRUE(looks_like_inkml("<inkml:ink xmlns:inkml=\"http://www.w3.org/2003/InkML\">"));
  EXPECT_TRUE(looks_like_inkml("<ink>"));
  EXPECT_FALSE(looks_like_inkml("<inkling>"));
  EXPECT_FALSE(looks_like_inkml(".SEGMENT DIGIT 0 ? \"3\""));
  EXPECT_FALSE(looks_like_inkml("label,pixel0"));
  EXPECT_FALSE(looks_like_inkml(""));
}

}  // namespace
}  // namespace digits
