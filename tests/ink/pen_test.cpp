// Tests of digits/ink/pen.h: pen digits drawn as the app draws them (fitted to the canvas, y turned
// downwards, whole pointer pixels), as replay scripts that digit-draw turns into exactly the
// library's input, bent by seed and strength (--pen-warp) and slanted (--pen-slant).
#include "digits/ink/pen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "digits/data/kaggle_csv.h"
#include "digits/draw/replay.h"
#include "digits/ink/unipen.h"
#include "pen_digits.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::kDraw;
using testing::kTwoDigits;
using testing::Outcome;
using testing::run;
using testing::synthetic_unipen;
using testing::TempDir;
using testing::write_file;

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

TEST(PenDigit, SlantMovesEachPointSidewaysByItsHeight) {
  PenDigit one;  // an upright stroke from (0, 0) up to (0, 100), y up
  one.label = 1, one.writer = 4;
  one.strokes.push_back({{0, 0}, {0, 50}, {0, 100}});
  const PenDigit right = slant_pen_digit(one, 45);
  ASSERT_EQ(right.strokes.size(), 1u);
  ASSERT_EQ(right.strokes[0].size(), 3u);
  EXPECT_EQ(right.label, 1);
  EXPECT_EQ(right.writer, 4);
  // About the middle height: the top moves right, the bottom left, the middle stays.
  EXPECT_NEAR(right.strokes[0][2].x, 50, 1e-9);
  EXPECT_NEAR(right.strokes[0][1].x, 0, 1e-9);
  EXPECT_NEAR(right.strokes[0][0].x, -50, 1e-9);
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ(right.strokes[0][k].y, one.strokes[0][k].y);
  EXPECT_NEAR(slant_pen_digit(one, -20).strokes[0][2].x,
              -50 * std::tan(20 * 3.14159265358979 / 180), 1e-9);
  EXPECT_EQ(slant_pen_digit(one, 0).strokes[0][2].x, 0);
  EXPECT_TRUE(slant_pen_digit(PenDigit{}, 30).strokes.empty());
}

}  // namespace
}  // namespace digits
