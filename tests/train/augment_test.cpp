// Tests of digits/train/augment.h: the affine and elastic augmentation moves pixels as
// configured and draws what runs before it drew; mixup blends each image with its partner by a
// Beta(alpha, alpha) weight.
#include "digits/train/augment.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "digits/train/augment_config.h"

namespace digits {
namespace {

TEST(Mixup, BlendsEachImageWithItsPartnerByTheDrawnWeight) {
  torch::manual_seed(2);
  const auto images = torch::rand({8, 1, kImageSide, kImageSide});
  torch::manual_seed(3);
  const MixedBatch m = mixup(images, 0.4);
  EXPECT_TRUE(torch::equal(std::get<0>(m.partner.sort()), torch::arange(8, torch::kInt64)));
  EXPECT_GT(m.weight, 0.0);
  EXPECT_LT(m.weight, 1.0);
  const auto expected = images * m.weight + images.index_select(0, m.partner) * (1 - m.weight);
  EXPECT_TRUE(torch::allclose(m.images, expected, 0, 1e-6));
  torch::manual_seed(3);
  const MixedBatch again = mixup(images, 0.4);  // seeded by torch's default generator
  EXPECT_EQ(again.weight, m.weight);
  EXPECT_TRUE(torch::equal(again.partner, m.partner));
}

TEST(Mixup, WeightsFollowBetaOfAlpha) {
  // Beta(a, a) has mean 1/2 and variance 1 / (4 (2a + 1)): 0.179 at a = 0.2 (mostly near 0 or
  // 1: one image with a trace of another), 0.05 at a = 2 (mostly half and half).
  const auto one = torch::zeros({2, 1, 1, 1});
  for (double alpha : {0.2, 2.0}) {
    torch::manual_seed(9);
    std::vector<double> w;
    for (int i = 0; i < 4000; ++i) w.push_back(mixup(one, alpha).weight);
    const auto t = torch::tensor(w, torch::kDouble);
    EXPECT_NEAR(t.mean().item<double>(), 0.5, 0.03) << alpha;
    const double variance = 1.0 / (4 * (2 * alpha + 1));
    EXPECT_NEAR(t.var().item<double>(), variance, 0.1 * variance) << alpha;
    EXPECT_GE(t.min().item<double>(), 0.0);
    EXPECT_LE(t.max().item<double>(), 1.0);
  }
}

AugmentConfig no_affine(double elastic_px) {
  AugmentConfig a;
  a.rotation_deg = a.scale = a.shift_px = 0;
  a.elastic_px = elastic_px;
  return a;
}

// [B, 1, 28, 28] images whose pixels hold their own column (or row) index / 27.
torch::Tensor ramps(int64_t b, bool along_x) {
  auto ramp = torch::arange(kImageSide, torch::kFloat).div(kImageSide - 1);
  ramp = along_x ? ramp.view({1, -1}) : ramp.view({-1, 1});
  return ramp.expand({kImageSide, kImageSide}).expand({b, 1, kImageSide, kImageSide}).clone();
}

TEST(Augment, WithNothingToDoReturnsTheImages) {
  torch::manual_seed(1);
  const auto images = torch::rand({4, 1, kImageSide, kImageSide});
  EXPECT_TRUE(torch::allclose(augment(images, no_affine(0)), images, 0, 1e-5));
}

TEST(Augment, WithoutElasticDrawsOnlyTheAffineParameters) {
  // Runs made before --elastic existed must draw the same random numbers now.
  const int64_t b = 5;
  const auto images = torch::zeros({b, 1, kImageSide, kImageSide});
  torch::manual_seed(7);
  augment(images, AugmentConfig{});
  const auto after_augment = torch::rand({3});
  torch::manual_seed(7);
  for (int i = 0; i < 4; ++i) torch::rand({b});  // angle, scale, shift x, shift y
  EXPECT_TRUE(torch::equal(after_augment, torch::rand({3})));
}

TEST(Augment, ElasticMovesPixelsBySmoothDisplacementsOfTheGivenSize) {
  // On a ramp image, bilinear sampling turns a displacement into a change of value: away from
  // the border, (out - in) * 27 is the displacement along the ramp, pixel by pixel.
  const int64_t b = 32;
  torch::manual_seed(5);
  const auto dx = (augment(ramps(b, true), no_affine(1.5)) - ramps(b, true)) * (kImageSide - 1);
  torch::manual_seed(5);  // the same fields, read along the other axis
  const auto dy = (augment(ramps(b, false), no_affine(1.5)) - ramps(b, false)) * (kImageSide - 1);
  const auto inner = [](const torch::Tensor& t) { return t.slice(2, 8, 20).slice(3, 8, 20); };
  const double rms = (inner(dx).pow(2) + inner(dy).pow(2)).mean().sqrt().item<double>();
  EXPECT_GT(rms, 1.2);
  EXPECT_LT(rms, 2.0);
  // Smooth: a pixel moves almost as its right-hand neighbour does...
  const auto left = inner(dx).slice(3, 0, 11).flatten(),
             right = inner(dx).slice(3, 1, 12).flatten();
  const auto l = left - left.mean(), r = right - right.mean();
  const double correlation = ((l * r).sum() / (l.norm() * r.norm())).item<double>();
  EXPECT_GT(correlation, 0.9);
  // ...and each image gets its own field.
  EXPECT_GT((inner(dx)[0] - inner(dx)[1]).abs().mean().item<double>(), 0.1);
}

}  // namespace
}  // namespace digits
