// Tests of digits/ink/canvas.h: a round anti-aliased brush, strokes without gaps however fast the
// pointer moves, erasing, undo of strokes and clears, brush sizes, the change counter,
// re-rendering at another resolution, and wide canvases (positions in canvas heights).
#include "digits/ink/canvas.h"

#include <gtest/gtest.h>

#include <cmath>

namespace digits {
namespace {

int64_t ink_pixels(const Canvas& c) {
  return std::count_if(c.pixels().begin(), c.pixels().end(), [](uint8_t v) { return v != 0; });
}

uint8_t at(const Canvas& c, int64_t y, int64_t x) { return c.pixels()[y * c.width() + x]; }

TEST(Canvas, StartsEmpty) {
  Canvas c(100);
  EXPECT_EQ(c.width(), 100);
  EXPECT_EQ(c.height(), 100);
  EXPECT_EQ(c.pixels().size(), 100u * 100u);
  EXPECT_FALSE(c.has_ink());
  EXPECT_FALSE(c.undo());
}

TEST(Canvas, DotIsRoundAndAntiAliased) {
  Canvas c(400);
  c.set_brush_radius(0.05f);  // 20 px
  c.begin_stroke({0.5f, 0.5f});
  c.end_stroke();
  EXPECT_EQ(at(c, 200, 200), 255);
  EXPECT_EQ(at(c, 200, 200 + 25), 0);
  EXPECT_EQ(at(c, 200 + 18, 200 + 18), 0);  // outside the circle, inside its square
  int64_t partial = 0;
  double ink = 0;
  for (uint8_t v : c.pixels()) {
    partial += v > 0 && v < 255;
    ink += v / 255.0;
  }
  EXPECT_GT(partial, 40);                                   // a soft edge all round
  EXPECT_NEAR(ink, M_PI * 20 * 20, 0.03 * M_PI * 20 * 20);  // the area of the disc
}

TEST(Canvas, FastStrokeLeavesNoGaps) {
  Canvas c(448);
  c.set_brush_radius(0.01f);
  c.begin_stroke({0.05f, 0.2f});
  c.extend_stroke({0.95f, 0.8f});  // one motion event across the canvas
  c.end_stroke();
  for (int64_t x = 30; x < 420; ++x) {
    const double y = 0.2 * 448 + (x + 0.5 - 0.05 * 448) * (0.6 / 0.9);
    EXPECT_GT(at(c, static_cast<int64_t>(y), x), 0) << "gap at x=" << x;
  }
}

TEST(Canvas, OverlappingSegmentsDoNotDarkenEachOther) {
  Canvas once(200), twice(200);
  once.begin_stroke({0.2f, 0.5f});
  once.extend_stroke({0.8f, 0.5f});
  twice.begin_stroke({0.2f, 0.5f});
  twice.extend_stroke({0.8f, 0.5f});
  twice.extend_stroke({0.2f, 0.5f});
  EXPECT_EQ(once.pixels(), twice.pixels());
}

TEST(Canvas, RightButtonErases) {
  Canvas c(200);
  c.begin_stroke({0.1f, 0.5f});
  c.extend_stroke({0.9f, 0.5f});
  c.end_stroke();
  const int64_t before = ink_pixels(c);
  c.begin_stroke({0.5f, 0.3f}, /*erase=*/true);
  c.extend_stroke({0.5f, 0.7f});
  c.end_stroke();
  EXPECT_EQ(at(c, 100, 100), 0);
  EXPECT_GT(at(c, 100, 30), 0);
  EXPECT_LT(ink_pixels(c), before);
  EXPECT_EQ(c.history().back().kind, Stroke::Kind::kErase);
  EXPECT_FLOAT_EQ(c.history().back().radius, c.brush_radius() * Canvas::kEraseFactor);
}

TEST(Canvas, UndoTakesBackStrokesAndClears) {
  Canvas c(200);
  c.begin_stroke({0.2f, 0.2f});
  c.extend_stroke({0.8f, 0.3f});
  c.end_stroke();
  const auto one_stroke = c.pixels();
  c.begin_stroke({0.5f, 0.1f});
  c.extend_stroke({0.5f, 0.9f});
  c.end_stroke();
  EXPECT_NE(c.pixels(), one_stroke);
  EXPECT_TRUE(c.undo());
  EXPECT_EQ(c.pixels(), one_stroke);

  c.clear();
  EXPECT_FALSE(c.has_ink());
  EXPECT_TRUE(c.undo());  // the clear
  EXPECT_EQ(c.pixels(), one_stroke);
  EXPECT_TRUE(c.undo());
  EXPECT_FALSE(c.has_ink());
  EXPECT_FALSE(c.undo());
}

TEST(Canvas, UndoRestoresErasedInk) {
  Canvas c(200);
  c.begin_stroke({0.1f, 0.5f});
  c.extend_stroke({0.9f, 0.5f});
  const auto drawn = c.pixels();
  c.begin_stroke({0.5f, 0.5f}, true);
  EXPECT_NE(c.pixels(), drawn);
  c.undo();
  EXPECT_EQ(c.pixels(), drawn);
}

TEST(Canvas, BrushSizeStepsAndStaysInRange) {
  Canvas c(448);
  EXPECT_FLOAT_EQ(c.brush_radius(), Canvas::kDefaultRadius);
  c.grow_brush();
  EXPECT_FLOAT_EQ(c.brush_radius(), Canvas::kDefaultRadius * Canvas::kRadiusStep);
  c.shrink_brush();
  EXPECT_FLOAT_EQ(c.brush_radius(), Canvas::kDefaultRadius);
  for (int i = 0; i < 50; ++i) c.grow_brush();
  EXPECT_FLOAT_EQ(c.brush_radius(), Canvas::kMaxRadius);
  for (int i = 0; i < 50; ++i) c.shrink_brush();
  EXPECT_FLOAT_EQ(c.brush_radius(), Canvas::kMinRadius);
  EXPECT_FLOAT_EQ(c.brush_pixels(), Canvas::kMinRadius * 448);
  // Thicker brush, more ink.
  Canvas thin(200), thick(200);
  thick.grow_brush();
  thin.begin_stroke({0.5f, 0.5f});
  thick.begin_stroke({0.5f, 0.5f});
  EXPECT_GT(ink_pixels(thick), ink_pixels(thin));
}

TEST(Canvas, VersionCountsChangesOnly) {
  Canvas c(100);
  uint64_t v = c.version();
  c.clear();  // nothing to clear
  EXPECT_EQ(c.version(), v);
  c.extend_stroke({0.5f, 0.5f});  // no stroke under way
  EXPECT_EQ(c.version(), v);
  c.begin_stroke({0.2f, 0.2f});
  EXPECT_GT(c.version(), v);
  v = c.version();
  c.extend_stroke({0.2f, 0.2f});  // the same point again
  EXPECT_EQ(c.version(), v);
  c.extend_stroke({0.4f, 0.2f});
  EXPECT_GT(c.version(), v);
  v = c.version();
  c.end_stroke();
  c.set_brush_radius(0.05f);
  EXPECT_EQ(c.version(), v);
  c.undo();
  EXPECT_GT(c.version(), v);
}

TEST(Canvas, ResizeRendersTheSameStrokesAtTheNewResolution) {
  Canvas c(200);
  c.begin_stroke({0.3f, 0.2f});
  c.extend_stroke({0.3f, 0.8f});
  c.end_stroke();
  const auto original = c.pixels();
  c.resize(400, 400);
  EXPECT_EQ(c.width(), 400);
  EXPECT_EQ(at(c, 200, 120), 255);  // x = 0.3 * 400
  EXPECT_EQ(at(c, 200, 300), 0);
  c.resize(200, 200);
  EXPECT_EQ(c.pixels(), original);  // drawn incrementally or re-rendered: the same pixels
}

// Positions and the brush are in canvas heights, so a digit drawn on a wide canvas is the digit
// drawn on a square one of its height, wherever it lies across the width.
TEST(Canvas, AWideCanvasDrawsInCanvasHeightsAndStrokesReadBackInPixels) {
  Canvas square(200), wide(600, 200);
  for (Canvas* c : {&square, &wide}) {
    c->begin_stroke({0.3f, 0.2f});
    c->extend_stroke({0.3f, 0.8f});
    c->end_stroke();
  }
  EXPECT_EQ(wide.pixels().size(), 600u * 200u);
  EXPECT_EQ(wide.brush_pixels(), square.brush_pixels());
  for (int64_t y = 0; y < 200; ++y) {
    for (int64_t x = 0; x < 200; ++x) ASSERT_EQ(at(wide, y, x), at(square, y, x)) << y << " " << x;
  }
  wide.begin_stroke({2.5f, 0.5f});  // beyond the square: 500 px from the left edge
  wide.end_stroke();
  EXPECT_EQ(at(wide, 100, 500), 255);
  const auto strokes = ink_strokes(wide);
  ASSERT_EQ(strokes.size(), 2u);
  EXPECT_NEAR(strokes[0][1].x, 60, 1e-4);  // 0.3 heights of 200 px
  EXPECT_NEAR(strokes[0][1].y, 160, 1e-4);
  EXPECT_NEAR(strokes[1][0].x, 500, 1e-4);
  // A narrower canvas cuts off what lies beyond its edge; the history keeps it.
  wide.resize(300, 200);
  EXPECT_EQ(at(wide, 40, 60), at(square, 40, 60));
  wide.resize(600, 200);
  EXPECT_EQ(at(wide, 100, 500), 255);
}

}  // namespace
}  // namespace digits
