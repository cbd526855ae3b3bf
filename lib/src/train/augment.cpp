#include "digits/train/augment.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/vision.h>

#include <algorithm>
#include <cmath>

#include "digits/core/image.h"

namespace digits {

namespace {

namespace F = torch::nn::functional;

constexpr double kPi = 3.14159265358979323846;

// A smooth random displacement field [B, 2, 28, 28] in pixels: uniform noise blurred by a
// Gaussian of `sigma` pixels (separably), scaled so that each image's displacement vectors
// have root-mean-square length `rms_px`.
torch::Tensor elastic_field(int64_t b, double rms_px, double sigma, const torch::TensorOptions& o) {
  const int64_t radius = std::max<int64_t>(1, std::llround(3 * sigma));
  const auto t = torch::arange(-radius, radius + 1, o);
  auto kernel = torch::exp(-t.pow(2) / (2 * sigma * sigma));
  kernel = kernel / kernel.sum();
  auto field = torch::rand({b, 2, kImageSide, kImageSide}, o) * 2 - 1;
  const auto along_x = kernel.view({1, 1, 1, -1}).repeat({2, 1, 1, 1});
  const auto along_y = kernel.view({1, 1, -1, 1}).repeat({2, 1, 1, 1});
  field = F::conv2d(field, along_x, F::Conv2dFuncOptions().padding({0, radius}).groups(2));
  field = F::conv2d(field, along_y, F::Conv2dFuncOptions().padding({radius, 0}).groups(2));
  const auto rms = field.pow(2).sum(1, true).mean({2, 3}, true).sqrt().clamp_min(1e-12);
  return field * (rms_px / rms);
}

}  // namespace

torch::Tensor augment(const torch::Tensor& x, const AugmentConfig& a) {
  const int64_t b = x.size(0);
  auto uniform = [&](double half_width) {
    return (torch::rand({b}, x.options()) * 2 - 1) * half_width;
  };
  const auto angle = uniform(a.rotation_deg * kPi / 180.0);
  const auto inv_scale = 1.0 / (1.0 + uniform(a.scale));
  const auto tx = uniform(a.shift_px * 2.0 / kImageSide);  // grid coordinates span 2 units
  const auto ty = uniform(a.shift_px * 2.0 / kImageSide);
  const auto c = torch::cos(angle) * inv_scale, s = torch::sin(angle) * inv_scale;
  const auto theta = torch::stack({c, -s, tx, s, c, ty}, 1).view({b, 2, 3});
  auto grid = F::affine_grid(theta, {b, 1, kImageSide, kImageSide}, false);
  if (a.elastic_px > 0) {
    // grid is [B, 28, 28, (x, y)] in grid units; the field is [B, (x, y), 28, 28] in pixels.
    const auto field = elastic_field(b, a.elastic_px, a.elastic_sigma, x.options());
    grid = grid + field.permute({0, 2, 3, 1}) * (2.0 / kImageSide);
  }
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kZeros)
                            .align_corners(false));
}

MixedBatch mixup(const torch::Tensor& images, double alpha) {
  const auto gammas = torch::_standard_gamma(torch::full({2}, alpha, torch::kDouble));
  const double a = gammas[0].item<double>(), b = gammas[1].item<double>();
  MixedBatch m;
  // Both draws can underflow to 0 for a tiny alpha: the batch is then left as it is.
  m.weight = a + b > 0 ? a / (a + b) : 1.0;
  m.partner = torch::randperm(images.size(0), torch::kInt64).to(images.device());
  m.images = images * m.weight + images.index_select(0, m.partner) * (1 - m.weight);
  return m;
}

}  // namespace digits
