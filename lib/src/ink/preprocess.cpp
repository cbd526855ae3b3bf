#include "digits/ink/preprocess.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace digits {

namespace {

// Output pixel `j` of a 1-D area resampling covers source pixels [first, first + weights.size())
// with these overlaps (in source pixels, scaled so that a fully inked output pixel is 1).
struct AreaWeights {
  int64_t first = 0;
  std::vector<float> weights;
};

// Shrinking or growing `n` source pixels by `scale` output pixels per source pixel into `out`
// pixels; each output pixel averages the source interval [j / scale, (j + 1) / scale).
std::vector<AreaWeights> area_weights(int64_t n, double scale, int64_t out) {
  std::vector<AreaWeights> result(out);
  const double span = 1.0 / scale;
  for (int64_t j = 0; j < out; ++j) {
    const double a = j * span, b = std::min((j + 1) * span, static_cast<double>(n));
    auto& w = result[j];
    w.first = static_cast<int64_t>(std::floor(a));
    const auto last = std::min(n, static_cast<int64_t>(std::ceil(b)));
    for (int64_t x = w.first; x < last; ++x) {
      const double overlap = std::min(b, x + 1.0) - std::max(a, static_cast<double>(x));
      w.weights.push_back(static_cast<float>(std::max(0.0, overlap) * scale));
    }
  }
  return result;
}

}  // namespace

DigitPixels prepare_digit(const GreyView& drawing) {
  DigitPixels digit{};
  const int64_t width = drawing.width, height = drawing.height;
  const uint8_t* px = drawing.pixels;
  if (px == nullptr || width <= 0 || height <= 0) return digit;

  // The ink's bounding box.
  int64_t top = height, bottom = -1, left = width, right = -1;
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = px + y * width;
    int64_t x0 = 0;
    while (x0 < width && row[x0] == 0) ++x0;
    if (x0 == width) continue;
    int64_t x1 = width - 1;
    while (row[x1] == 0) --x1;
    top = std::min(top, y);
    bottom = y;
    left = std::min(left, x0);
    right = std::max(right, x1);
  }
  if (bottom < 0) return digit;
  const int64_t w = right - left + 1, h = bottom - top + 1;

  // Scale the longer side to 20 pixels; both axes by the same factor.
  const double scale = static_cast<double>(kDigitBox) / static_cast<double>(std::max(w, h));
  const auto out_w =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(w * scale - 1e-6)), 1, kDigitBox);
  const auto out_h =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(h * scale - 1e-6)), 1, kDigitBox);
  const auto cols = area_weights(w, scale, out_w);
  const auto rows = area_weights(h, scale, out_h);

  // Horizontal pass over the box's rows, then vertical pass: separable area averaging.
  std::vector<float> wide(static_cast<size_t>(h * out_w));
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* row = px + (top + y) * width + left;
    float* dst = wide.data() + y * out_w;
    for (int64_t j = 0; j < out_w; ++j) {
      float sum = 0.f;
      const auto& c = cols[j];
      for (size_t k = 0; k < c.weights.size(); ++k) sum += c.weights[k] * row[c.first + k];
      dst[j] = sum;
    }
  }
  std::vector<float> box(static_cast<size_t>(out_h * out_w), 0.f);
  for (int64_t i = 0; i < out_h; ++i) {
    const auto& r = rows[i];
    float* dst = box.data() + i * out_w;
    for (size_t k = 0; k < r.weights.size(); ++k) {
      const float wk = r.weights[k];
      const float* src = wide.data() + (r.first + static_cast<int64_t>(k)) * out_w;
      for (int64_t j = 0; j < out_w; ++j) dst[j] += wk * src[j];
    }
  }

  // Centre of mass of the scaled box (pixel indices, as MNIST counted them), then a whole-pixel
  // shift that puts it at row 14, column 14.
  double mass = 0, my = 0, mx = 0;
  for (int64_t i = 0; i < out_h; ++i) {
    for (int64_t j = 0; j < out_w; ++j) {
      const double v = box[i * out_w + j];
      mass += v;
      my += v * i;
      mx += v * j;
    }
  }
  const double centre = kImageSide / 2.0;
  const double cy = mass > 0 ? my / mass : (out_h - 1) / 2.0;
  const double cx = mass > 0 ? mx / mass : (out_w - 1) / 2.0;
  const auto oy = std::clamp<int64_t>(std::llround(centre - cy), 0, kImageSide - out_h);
  const auto ox = std::clamp<int64_t>(std::llround(centre - cx), 0, kImageSide - out_w);
  for (int64_t i = 0; i < out_h; ++i) {
    for (int64_t j = 0; j < out_w; ++j) {
      const float v = std::clamp(box[i * out_w + j], 0.f, 255.f);
      digit[(oy + i) * kImageSide + ox + j] = static_cast<uint8_t>(std::lround(v));
    }
  }
  return digit;
}

torch::Tensor to_tensor(const DigitPixels& digit) {
  auto t = torch::empty({kImageSide, kImageSide}, torch::kUInt8);
  std::copy(digit.begin(), digit.end(), t.data_ptr<uint8_t>());
  return t;
}

torch::Tensor prepare_drawing(const GreyView& drawing) { return to_tensor(prepare_digit(drawing)); }

std::array<double, 2> centre_of_mass(const DigitPixels& digit) {
  double mass = 0, my = 0, mx = 0;
  for (int64_t y = 0; y < kImageSide; ++y) {
    for (int64_t x = 0; x < kImageSide; ++x) {
      const double v = digit[y * kImageSide + x];
      mass += v;
      my += v * y;
      mx += v * x;
    }
  }
  if (mass == 0) return {kImageSide / 2.0, kImageSide / 2.0};
  return {my / mass, mx / mass};
}

}  // namespace digits
