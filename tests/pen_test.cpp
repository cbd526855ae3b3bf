// Tests of real-handwriting support: UNIPEN reading (unipen.h), pen digits drawn as the app draws
// them (pen.h), pen files as data (data.h), per-writer scoring and the contact sheet of misread
// digits (digit-predict), and a short training run on pen digits.
#include "digits/pen.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "digits/contact_sheet.h"
#include "digits/data.h"
#include "digits/replay.h"
#include "digits/unipen.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::kDraw;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::TempDir;
using testing::write_file;

// A UCI-style file: two digits, the second of two strokes.
const char* kTwoDigits =
    ".INCLUDE        dene.doc\n"
    "\n"
    ".LEXICON \"0\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\"\n"
    ".HIERARCHY      DIGIT\n"
    "\n"
    ".SEGMENT DIGIT    0 ? \"1\"\n"
    ".COMMENT 1 12  224\n"
    ".PEN_DOWN\n"
    " 250  400\n"
    " 250  300\n"
    " 250  100\n"
    ".PEN_UP\n"
    ".DT 100\n"
    "\n"
    ".SEGMENT DIGIT    1-2 ? \"4\"\n"
    ".COMMENT 4 3   7\n"
    ".PEN_DOWN\n"
    " 200  400\n"
    " 150  250\n"
    " 300  250\n"
    ".PEN_UP\n"
    ".PEN_DOWN\n"
    " 260  350\n"
    " 260  100\n"
    ".PEN_UP\n";

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
    EXPECT_TRUE(is_unipen_file(dir.file(name)));
  }
  write_file(dir.file("train.csv"), testing::kaggle_header(true) + "\n");
  EXPECT_FALSE(is_unipen_file(dir.file("train.csv")));
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

// ---- pen digits of ten distinct shapes, for rendering, scoring and training -----------------

// The shapes as polylines in a 100x100 box, y upwards as in UNIPEN; "|" starts a new stroke.
const std::vector<std::vector<std::vector<double>>>& shapes() {
  static const std::vector<std::vector<std::vector<double>>> s = {
      {{50, 100, 15, 80, 10, 50, 15, 20, 50, 0, 85, 20, 90, 50, 85, 80, 50, 100}},
      {{50, 100, 50, 0}},
      {{10, 80, 50, 100, 90, 80, 10, 0, 90, 0}},
      {{10, 100, 90, 100, 40, 55, 90, 30, 50, 0, 10, 10}},
      {{60, 100, 10, 40, 90, 40}, {70, 70, 70, 0}},
      {{90, 100, 20, 100, 15, 55, 80, 50, 85, 10, 10, 0}},
      {{80, 100, 20, 50, 20, 10, 80, 10, 80, 45, 20, 45}},
      {{10, 100, 90, 100, 40, 0}},
      {{50, 50, 15, 80, 50, 100, 85, 80, 50, 50, 15, 20, 50, 0, 85, 20, 50, 50}},
      {{80, 60, 20, 60, 20, 100, 80, 100, 80, 60, 80, 0}},
  };
  return s;
}

// `per_class` jittered copies of each shape by `writers` writers, in UCI's layout (segment,
// comment, strokes), with the points subdivided so that strokes have tablet-like density.
std::string synthetic_unipen(int per_class, int writers, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-5, 5), slant(-0.3, 0.3), size(0.6, 1.4);
  std::string text = ".LEXICON \"0\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\"\n";
  int stroke_number = 0, sample = 0;
  for (int k = 0; k < per_class; ++k) {
    for (int label = 0; label < 10; ++label) {
      const int writer = 1 + (k * 10 + label) % writers;
      const double s = size(rng), sl = slant(rng);
      const auto& strokes = shapes()[label];
      const int first = stroke_number;
      stroke_number += static_cast<int>(strokes.size());
      text += ".SEGMENT DIGIT " + std::to_string(first) +
              (strokes.size() > 1 ? "-" + std::to_string(stroke_number - 1) : "") + " ? \"" +
              std::to_string(label) + "\"\n";
      text += ".COMMENT " + std::to_string(label) + " " + std::to_string(writer) + " " +
              std::to_string(++sample) + "\n";
      for (const auto& poly : strokes) {
        text += ".PEN_DOWN\n";
        for (size_t i = 0; i + 3 < poly.size() + 2; i += 2) {
          const double x0 = poly[i], y0 = poly[i + 1];
          const double x1 = i + 3 < poly.size() ? poly[i + 2] : x0;
          const double y1 = i + 3 < poly.size() ? poly[i + 3] : y0;
          const double dx = jitter(rng), dy = jitter(rng);
          for (int t = 0; t < 4; ++t) {
            const double x = x0 + (x1 - x0) * t / 4 + dx, y = y0 + (y1 - y0) * t / 4 + dy;
            text += " " + std::to_string(std::lround(100 + s * (x + sl * y))) + " " +
                    std::to_string(std::lround(100 + s * y)) + "\n";
            if (i + 3 >= poly.size()) break;
          }
        }
        text += ".PEN_UP\n";
      }
    }
  }
  return text;
}

TEST(PenDigit, FitsTheCanvasAsADrawingWouldBeAndTurnsYDownwards) {
  auto digits = parse_unipen(kTwoDigits, "pen");
  ASSERT_TRUE(digits);
  const PenStyle style;
  const auto strokes = pen_strokes((*digits)[0], style);  // the 1: x 250, y 400..100
  ASSERT_EQ(strokes.size(), 1u);
  ASSERT_EQ(strokes[0].size(), 3u);
  const float side = static_cast<float>(style.canvas_side);
  // Its height is `fill` of the canvas, centred; the top of the 1 (y 400) comes first, on top.
  EXPECT_NEAR((strokes[0][2].y - strokes[0][0].y) * side, style.fill * side, 1.0);
  EXPECT_LT(strokes[0][0].y, strokes[0][2].y);
  EXPECT_NEAR(strokes[0][0].x, 0.5, 1.0 / side);
  // Every point is a whole pointer pixel.
  for (const auto& p : strokes[0]) {
    EXPECT_FLOAT_EQ(p.x * side, std::round(p.x * side));
    EXPECT_FLOAT_EQ(p.y * side, std::round(p.y * side));
  }
  // A wider brush draws more ink; the preparation centres the result.
  PenStyle thick = style;
  thick.brush_radius *= 2;
  const auto thin_px = render_pen_digit((*digits)[1], style);
  const auto thick_px = render_pen_digit((*digits)[1], thick);
  auto ink = [](const DigitPixels& d) {
    int64_t s = 0;
    for (auto v : d) s += v;
    return s;
  };
  EXPECT_GT(ink(thick_px), ink(thin_px) * 5 / 4);
  const auto com = centre_of_mass(thin_px);
  EXPECT_NEAR(com[0], 14, 1.0);
  EXPECT_NEAR(com[1], 14, 1.0);
}

TEST(PenDigit, TheReplayScriptDrawsTheSameCanvasPoints) {
  auto digits = parse_unipen(kTwoDigits, "pen");
  ASSERT_TRUE(digits);
  const PenStyle style;
  auto events = parse_replay(pen_replay((*digits)[1], style), "four.replay");
  ASSERT_TRUE(events) << events.error().message;
  const auto strokes = pen_strokes((*digits)[1], style);
  std::vector<std::vector<CanvasPoint>> replayed;
  for (const auto& e : *events) {
    if (e.kind == ReplayEvent::Kind::kDown) replayed.emplace_back();
    if (e.kind == ReplayEvent::Kind::kDown || e.kind == ReplayEvent::Kind::kMove) {
      replayed.back().push_back({e.x, e.y});
    }
  }
  ASSERT_EQ(replayed.size(), strokes.size());
  for (size_t s = 0; s < strokes.size(); ++s) {
    ASSERT_EQ(replayed[s].size(), strokes[s].size());
    for (size_t k = 0; k < strokes[s].size(); ++k) {
      EXPECT_EQ(replayed[s][k].x, strokes[s][k].x);
      EXPECT_EQ(replayed[s][k].y, strokes[s][k].y);
    }
  }
}

// The one rendering path: digit-draw, replaying a pen digit's strokes with its default brush and
// window, saves (Ctrl+digit) exactly the 28x28 input that render_pen_digit makes.
TEST(PenDigit, ReplayedIntoDigitDrawItGivesTheLibrarysInput) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)";
  TempDir dir;
  const std::string pen = synthetic_unipen(1, 3, 7);
  auto digits = parse_unipen(pen, "synthetic");
  ASSERT_TRUE(digits) << digits.error().message;
  std::string script;
  for (const PenDigit& d : *digits) {
    script += pen_replay(d) + "key ctrl+" + std::to_string(d.label) + "\nkey c\n";
  }
  write_file(dir.file("pen.replay"), script);
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
  const Outcome o = run(command(kDraw, "--exit-after-replay --threads 1",
                                {"--checkpoint", dir.file("none.pt"), "--replay",
                                 dir.file("pen.replay"), "--teach-file", dir.file("teach.csv")}),
                        dir.file("draw"));
  ASSERT_TRUE(o.exited && o.code == 0) << o.describe();
  auto saved = load_kaggle_csv(dir.file("teach.csv"));
  ASSERT_TRUE(saved) << saved.error().message << o.describe();
  ASSERT_EQ(saved->size(), static_cast<int64_t>(digits->size()));
  for (size_t i = 0; i < digits->size(); ++i) {
    const DigitPixels mine = render_pen_digit((*digits)[i]);
    const auto app = saved->images[static_cast<int64_t>(i)].contiguous();
    EXPECT_EQ(saved->labels[static_cast<int64_t>(i)].item<int64_t>(), (*digits)[i].label);
    EXPECT_EQ(std::memcmp(mine.data(), app.data_ptr<uint8_t>(), kPixels), 0)
        << "digit " << i << " (label " << (*digits)[i].label << ") differs from the app's";
  }
}

TEST(PenDigit, WarpBendsTheStrokesBySeedAndStrength) {
  auto digits = parse_unipen(synthetic_unipen(1, 1, 5), "pen");
  ASSERT_TRUE(digits) << digits.error().message;
  const PenDigit& zero = (*digits)[0];  // one stroke
  const PenDigit& four = (*digits)[4];  // two strokes
  ASSERT_EQ(zero.strokes.size(), 1u);
  ASSERT_EQ(four.strokes.size(), 2u);
  auto same = [](const PenDigit& a, const PenDigit& b) {
    if (a.strokes.size() != b.strokes.size()) return false;
    for (size_t s = 0; s < a.strokes.size(); ++s) {
      if (a.strokes[s].size() != b.strokes[s].size()) return false;
      for (size_t k = 0; k < a.strokes[s].size(); ++k) {
        if (a.strokes[s][k].x != b.strokes[s][k].x || a.strokes[s][k].y != b.strokes[s][k].y) {
          return false;
        }
      }
    }
    return true;
  };
  EXPECT_TRUE(same(warp_pen_digit(zero, 0, 3), zero));
  EXPECT_TRUE(same(warp_pen_digit(zero, 0.04, 3), warp_pen_digit(zero, 0.04, 3)));
  EXPECT_FALSE(same(warp_pen_digit(zero, 0.04, 3), warp_pen_digit(zero, 0.04, 4)));
  EXPECT_FALSE(same(warp_pen_digit(zero, 0.04, 3), zero));

  // Every point moves, by `strength` of the digit's longer side in root-mean-square over seeds
  // (a third more for a digit of several strokes, each of which also moves as a whole); labels,
  // strokes and points stay.
  auto rms = [](const PenDigit& d, double strength) {
    double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
    for (const auto& st : d.strokes) {
      for (const auto& p : st) {
        x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y),
        y1 = std::max(y1, p.y);
      }
    }
    const double extent = std::max(x1 - x0, y1 - y0);
    double sum = 0;
    int64_t n = 0;
    for (uint64_t seed = 0; seed < 400; ++seed) {
      const PenDigit w = warp_pen_digit(d, strength, seed);
      EXPECT_EQ(w.label, d.label);
      EXPECT_EQ(w.writer, d.writer);
      for (size_t s = 0; s < d.strokes.size(); ++s) {
        for (size_t k = 0; k < d.strokes[s].size(); ++k) {
          const double dx = (w.strokes[s][k].x - d.strokes[s][k].x) / extent;
          const double dy = (w.strokes[s][k].y - d.strokes[s][k].y) / extent;
          sum += (dx * dx + dy * dy) / 2, ++n;
        }
      }
    }
    return std::sqrt(sum / static_cast<double>(n));
  };
  EXPECT_NEAR(rms(zero, 0.04), 0.04, 0.006);
  EXPECT_NEAR(rms(zero, 0.1), 0.1, 0.015);
  EXPECT_NEAR(rms(four, 0.04), 0.04 * std::sqrt(1.25), 0.008);

  // Smooth: a stroke stays a stroke. Neighbouring points of a circle drawn with 400 move almost
  // alike (a displacement of each point alone would make the steps as large as the moves).
  PenDigit circle;
  circle.strokes.emplace_back();
  for (int k = 0; k < 400; ++k) {
    const double a = 2 * 3.14159265358979 * k / 400;
    circle.strokes[0].push_back({100 * std::cos(a), 100 * std::sin(a)});
  }
  double step = 0, moved = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const PenDigit w = warp_pen_digit(circle, 0.04, seed);
    for (size_t k = 1; k < circle.strokes[0].size(); ++k) {
      const auto& a = circle.strokes[0][k - 1];
      const auto& b = circle.strokes[0][k];
      const auto& wa = w.strokes[0][k - 1];
      const auto& wb = w.strokes[0][k];
      step += std::hypot((wb.x - b.x) - (wa.x - a.x), (wb.y - b.y) - (wa.y - a.y));
      moved += std::hypot(wb.x - b.x, wb.y - b.y);
    }
  }
  EXPECT_LT(step, moved / 10);
}

TEST(PenData, WarpedDrawingsAreTheSameForTheSameSeed) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(3, 2, 6));
  DataOptions options;
  options.pen_brushes = {0.75, 1.33};
  auto plain = load_data({dir.file("pen.tra")}, options);
  options.pen_warp = 0.04;
  options.pen_warp_seed = 7;
  auto warped = load_data({dir.file("pen.tra")}, options);
  auto again = load_data({dir.file("pen.tra")}, options);
  options.pen_warp_seed = 8;
  auto other = load_data({dir.file("pen.tra")}, options);
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

// digit-train learns from pen digits alone, and digit-predict scores them writer by writer and
// draws what it misread.
TEST(PenPrograms, TrainOnPenDigitsThenScoreEachWriterAndDrawTheMisreads) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(40, 4, 3));
  write_file(dir.file("pen.tes"), synthetic_unipen(10, 3, 4));
  const Outcome trained =
      run(command(kTrain, "--epochs 4 --width 8 --batch-size 32 --threads 1 --quiet --seed 3",
                  {"--data", dir.file("pen.tra"), "--pen-brushes", "0.8", "1.25", "--pen-warp",
                   "0.04", "--checkpoint-dir", dir.file("run")}),
          dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  EXPECT_NE(trained.err.find("720 training and 80 validation images"), std::string::npos)
      << trained.describe();

  const Outcome scored =
      run(command(kPredict, "--threads 1 --quiet",
                  {"--checkpoint", dir.file("run/last.pt"), "--data", dir.file("pen.tes"),
                   "--misread-png", dir.file("misread.png"), "--exclude", "2:5"}),
          dir.file("predict"));
  ASSERT_TRUE(scored.exited && scored.code == 0) << scored.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(scored.out, m,
                                std::regex("^accuracy=([0-9.]+) correct=\\d+ "
                                           "total=99\\n")))
      << scored.describe();
  // Ten shapes, learnt in four short epochs: far above chance (10%).
  EXPECT_GT(std::stod(m[1]), 0.6) << scored.describe();
  for (const char* w : {"writer=1 ", "writer=2 ", "writer=3 "}) {
    EXPECT_NE(scored.out.find(std::string("\n") + w + "accuracy="), std::string::npos)
        << w << scored.describe();
  }
  EXPECT_NE(scored.out.find("writers=3 worst_writer_accuracy="), std::string::npos);
  EXPECT_NE(scored.err.find("left out 1 rows (--exclude)"), std::string::npos) << scored.describe();
  const std::string png = read_file(dir.file("misread.png"));
  ASSERT_GT(png.size(), 100u) << scored.describe();
  EXPECT_EQ(png.substr(1, 3), "PNG");

  // The run's hold-out: its pen rows, drawn with its brushes and bent by its warp, are found
  // again from the checkpoint (a drawing that differs fails the data's fingerprint).
  const Outcome held =
      run(command(kPredict, "--threads 1 --quiet --holdout",
                  {"--checkpoint", dir.file("run/last.pt"), "--data", dir.file("pen.tra")}),
          dir.file("holdout"));
  ASSERT_TRUE(held.exited && held.code == 0) << held.describe();
  EXPECT_NE(held.out.find(" total=80\n"), std::string::npos) << held.describe();

  // A run of another --seed bent its strokes, held-out digits too, its own way: an ensemble of
  // the two has no one hold-out, and says why.
  const Outcome other =
      run(command(kTrain, "--epochs 1 --width 8 --batch-size 32 --threads 1 --quiet --seed 4",
                  {"--data", dir.file("pen.tra"), "--pen-brushes", "0.8", "1.25", "--pen-warp",
                   "0.04", "--split-seed", "3", "--checkpoint-dir", dir.file("other")}),
          dir.file("train-other"));
  ASSERT_TRUE(other.exited && other.code == 0) << other.describe();
  const Outcome both = run(command(kPredict, "--threads 1 --quiet --holdout",
                                   {"--checkpoint", dir.file("run/last.pt"), "--checkpoint",
                                    dir.file("other/last.pt"), "--data", dir.file("pen.tra")}),
                           dir.file("holdout-both"));
  EXPECT_TRUE(both.exited && both.code == 2) << both.describe();
  EXPECT_NE(both.err.find("bent by their own --seed"), std::string::npos) << both.describe();
}

}  // namespace
}  // namespace digits
