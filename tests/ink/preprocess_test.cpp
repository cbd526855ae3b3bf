// Tests of digits/ink/preprocess.h: the MNIST preparation fits the ink's longer side to 20 pixels
// keeping the aspect ratio, averages grey levels over area, centres the mass at (14, 14), gives
// back a real MNIST digit drawn big anywhere on a canvas, and makes the same digit drawn small,
// large or off-centre into nearly the same input with the same prediction.
#include "digits/ink/preprocess.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "digits/evaluate/predictor.h"
#include "digits/ink/canvas.h"
#include "test_util.h"

namespace digits {
namespace {

struct Raster {
  int64_t width, height;
  std::vector<uint8_t> pixels;
  Raster(int64_t w, int64_t h) : width(w), height(h), pixels(w * h, 0) {}
  uint8_t& at(int64_t y, int64_t x) { return pixels[y * width + x]; }
  GreyView view() const { return {pixels.data(), width, height}; }
};

// The bounding box of the ink in a prepared digit: {top, left, height, width}.
std::array<int64_t, 4> ink_box(const DigitPixels& d) {
  int64_t top = 28, left = 28, bottom = -1, right = -1;
  for (int64_t y = 0; y < 28; ++y) {
    for (int64_t x = 0; x < 28; ++x) {
      if (d[y * 28 + x] == 0) continue;
      top = std::min(top, y), bottom = std::max(bottom, y);
      left = std::min(left, x), right = std::max(right, x);
    }
  }
  return {top, left, bottom - top + 1, right - left + 1};
}

double mean_abs_diff(const DigitPixels& a, const DigitPixels& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::abs(int(a[i]) - int(b[i]));
  return s / static_cast<double>(a.size());
}

// A 28x28 image drawn `factor` times larger (bilinear) at (top, left) of a side x side canvas.
Raster enlarge(const uint8_t* img, int64_t factor, int64_t top, int64_t left, int64_t side) {
  Raster r(side, side);
  for (int64_t y = 0; y < 28 * factor; ++y) {
    for (int64_t x = 0; x < 28 * factor; ++x) {
      const double sy = (y + 0.5) / factor - 0.5, sx = (x + 0.5) / factor - 0.5;
      const int64_t y0 = static_cast<int64_t>(std::floor(sy)),
                    x0 = static_cast<int64_t>(std::floor(sx));
      const double fy = sy - y0, fx = sx - x0;
      auto at = [&](int64_t yy, int64_t xx) -> double {
        return yy < 0 || xx < 0 || yy >= 28 || xx >= 28 ? 0.0 : img[yy * 28 + xx];
      };
      const double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                       fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      r.at(top + y, left + x) = static_cast<uint8_t>(std::lround(v));
    }
  }
  return r;
}

TEST(Preprocess, EmptyDrawingGivesZeros) {
  Raster r(100, 80);
  const DigitPixels d = prepare_digit(r.view());
  EXPECT_TRUE(std::all_of(d.begin(), d.end(), [](uint8_t v) { return v == 0; }));
  const DigitPixels blank = prepare_digit({});
  EXPECT_TRUE(std::all_of(blank.begin(), blank.end(), [](uint8_t v) { return v == 0; }));
}

TEST(Preprocess, LongerSideFitsTwentyPixelsKeepingAspectRatio) {
  Raster wide(448, 448);
  for (int64_t y = 300; y < 400; ++y)
    for (int64_t x = 30; x < 230; ++x) wide.at(y, x) = 255;  // 200 x 100
  const DigitPixels d = prepare_digit(wide.view());
  const auto box = ink_box(d);
  EXPECT_EQ(box[2], 10);
  EXPECT_EQ(box[3], 20);
  for (int64_t y = box[0]; y < box[0] + box[2]; ++y)
    for (int64_t x = box[1]; x < box[1] + box[3]; ++x) EXPECT_EQ(d[y * 28 + x], 255);

  Raster tall(300, 500);
  for (int64_t y = 10; y < 410; ++y)
    for (int64_t x = 250; x < 290; ++x) tall.at(y, x) = 255;  // 40 x 400: a "1"
  const auto tall_box = ink_box(prepare_digit(tall.view()));
  EXPECT_EQ(tall_box[2], 20);
  EXPECT_EQ(tall_box[3], 2);
}

TEST(Preprocess, AveragesGreyLevelsOverArea) {
  Raster r(200, 200);
  for (int64_t y = 50; y < 90; ++y)
    for (int64_t x = 60; x < 100; ++x) r.at(y, x) = (x + y) % 2 ? 255 : 0;  // 40x40 checkerboard
  const DigitPixels d = prepare_digit(r.view());
  const auto box = ink_box(d);
  ASSERT_EQ(box[2], 20);
  ASSERT_EQ(box[3], 20);
  // Each output pixel covers 2x2 source pixels, two of them inked.
  for (int64_t y = box[0]; y < box[0] + 20; ++y)
    for (int64_t x = box[1]; x < box[1] + 20; ++x) EXPECT_NEAR(d[y * 28 + x], 127.5, 0.6);
}

TEST(Preprocess, CentresTheMassAtTheCentre) {
  Raster r(448, 448);
  // An "L": its mass is far from its box's centre.
  for (int64_t y = 20; y < 200; ++y)
    for (int64_t x = 300; x < 330; ++x) r.at(y, x) = 255;
  for (int64_t y = 170; y < 200; ++y)
    for (int64_t x = 300; x < 420; ++x) r.at(y, x) = 255;
  const DigitPixels d = prepare_digit(r.view());
  const auto com = centre_of_mass(d);
  EXPECT_NEAR(com[0], 14.0, 0.5);
  EXPECT_NEAR(com[1], 14.0, 0.5);
  const auto box = ink_box(d);
  EXPECT_NE(box[0] + box[2] / 2.0, 14.0);  // centred by mass, not by box
}

// The digit moved by (dy, dx) pixels, zeros filling in.
DigitPixels shifted(const DigitPixels& d, int dy, int dx) {
  DigitPixels out{};
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      if (y - dy >= 0 && y - dy < 28 && x - dx >= 0 && x - dx < 28)
        out[y * 28 + x] = d[(y - dy) * 28 + x - dx];
  return out;
}

TEST(Preprocess, GivesBackRealDigitsDrawnLargeAnywhere) {
  const Dataset data = testing::mnist_sample(50);
  const auto images = data.images.contiguous();
  double prepared_diff = 0, shift_diff = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    const uint8_t* img = images.data_ptr<uint8_t>() + i * kPixels;
    DigitPixels original;
    std::copy(img, img + kPixels, original.begin());
    const Raster big = enlarge(img, 12, 7 * (i % 5), 11 * (i % 7), 448);
    const DigitPixels prepared = prepare_digit(big.view());
    prepared_diff += mean_abs_diff(prepared, original);
    shift_diff += mean_abs_diff(shifted(original, 0, 1), original);
    const auto com = centre_of_mass(prepared);
    EXPECT_NEAR(com[0], 14.0, 0.5);
    EXPECT_NEAR(com[1], 14.0, 0.5);
  }
  // MNIST digits are already fitted and centred: the preparation of one drawn 12 times larger
  // anywhere on the canvas is closer to the original than the original moved by one pixel.
  EXPECT_LT(prepared_diff, 0.7 * shift_diff)
      << "mean absolute difference " << prepared_diff / data.size() << " per pixel, one-pixel "
      << "shift " << shift_diff / data.size();
}

// A digit "4" drawn with the app's brush at a given place and size (fractions of the canvas).
Canvas draw_four(float left, float top, float size, float radius = Canvas::kDefaultRadius) {
  Canvas c(448);
  c.set_brush_radius(radius);
  auto at = [&](float x, float y) { return CanvasPoint{left + x * size, top + y * size}; };
  c.begin_stroke(at(0.45f, 0.f));
  c.extend_stroke(at(0.05f, 0.62f));
  c.extend_stroke(at(0.75f, 0.62f));
  c.end_stroke();
  c.begin_stroke(at(0.6f, 0.25f));
  c.extend_stroke(at(0.6f, 1.f));
  c.end_stroke();
  return c;
}

TEST(Preprocess, SameDigitSmallLargeOrOffCentreGivesNearlyTheSameInput) {
  const Canvas reference = draw_four(0.25f, 0.2f, 0.6f);
  const DigitPixels ref = prepare_digit(reference.view());
  for (const auto& [left, top, size] :
       {std::array<float, 3>{0.02f, 0.03f, 0.3f}, std::array<float, 3>{0.6f, 0.62f, 0.35f},
        std::array<float, 3>{0.05f, 0.05f, 0.9f}}) {
    // The brush scaled with the drawing: the same digit, only smaller or larger.
    const Canvas c = draw_four(left, top, size, Canvas::kDefaultRadius * size / 0.6f);
    const DigitPixels d = prepare_digit(c.view());
    EXPECT_LT(mean_abs_diff(d, ref), 20.0) << "at " << left << "," << top << " size " << size;
    const auto com = centre_of_mass(d);
    EXPECT_NEAR(com[0], 14.0, 0.5);
    EXPECT_NEAR(com[1], 14.0, 0.5);
  }
}

TEST(Preprocess, SameDigitSmallLargeOrOffCentreGetsTheSamePrediction) {
  const std::string path = std::string(DIGITS_TEST_DATA_DIR) + "/../../checkpoints/pretrained.pt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not there";
  auto predictor = Predictor::load({path});
  ASSERT_TRUE(predictor) << predictor.error().message;
  // One brush for all sizes, as a person draws.
  for (const auto& [left, top, size] :
       {std::array<float, 3>{0.25f, 0.2f, 0.6f}, std::array<float, 3>{0.02f, 0.03f, 0.3f},
        std::array<float, 3>{0.6f, 0.62f, 0.35f}, std::array<float, 3>{0.05f, 0.05f, 0.9f}}) {
    const Canvas c = draw_four(left, top, size);
    const Prediction p = predictor->predict(prepare_drawing(c.view()));
    EXPECT_EQ(p.digit, 4) << "at " << left << "," << top << " size " << size;
  }
}

TEST(Preprocess, TensorMatchesPixels) {
  const Canvas c = draw_four(0.2f, 0.2f, 0.5f);
  const DigitPixels d = prepare_digit(c.view());
  const torch::Tensor t = prepare_drawing(c.view());
  ASSERT_EQ(t.scalar_type(), torch::kUInt8);
  ASSERT_EQ(t.sizes(), (torch::IntArrayRef{28, 28}));
  EXPECT_TRUE(std::equal(d.begin(), d.end(), t.data_ptr<uint8_t>()));
}

}  // namespace
}  // namespace digits
