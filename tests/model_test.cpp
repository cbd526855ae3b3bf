// Tests of digits/model.h: every registered architecture builds and maps images to 10 logits.
#include "digits/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace digits {
namespace {

TEST(Models, EveryArchitectureGivesTenLogitsPerImage) {
  ASSERT_GE(architectures().size(), 2u);
  for (const auto& arch : architectures()) {
    ModelConfig config;
    config.arch = arch.name;
    auto net = make_model(config);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
    for (int64_t batch : {1, 5}) {
      (*net)->train(batch > 1);  // batch norm needs more than one image in training mode
      const auto logits = (*net)->forward(torch::randn({batch, 1, 28, 28}));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{batch, 10})) << arch.name;
      EXPECT_TRUE(torch::isfinite(logits).all().item<bool>()) << arch.name;
    }
    EXPECT_GT(parameter_count(**net), 1000) << arch.name;
  }
}

TEST(Models, SeedIsTheOriginalNetworkLayerForLayer) {
  ModelConfig config;
  config.arch = "seed";
  auto net = make_model(config);
  ASSERT_TRUE(net);
  // Conv 64@5x5 (1->64): 1664, conv 32@5x5 (64->32): 51232, linear 32*5*5 -> 10: 8010.
  EXPECT_EQ(parameter_count(**net), 1664 + 51232 + 8010);
}

TEST(Models, WidthScalesTheDefaultNetwork) {
  ModelConfig narrow, wide;
  narrow.width = 16;
  wide.width = 32;
  auto a = make_model(narrow);
  auto b = make_model(wide);
  ASSERT_TRUE(a && b);
  EXPECT_LT(parameter_count(**a) * 3, parameter_count(**b));
}

TEST(Models, UnknownNamesAndBadHyperParametersAreErrors) {
  ModelConfig config;
  config.arch = "resnet9000";
  auto net = make_model(config);
  ASSERT_FALSE(net);
  EXPECT_NE(net.error().message.find("resnet9000"), std::string::npos);
  EXPECT_NE(net.error().message.find("bncnn"), std::string::npos);  // lists what exists
  ModelConfig zero;
  zero.width = 0;
  EXPECT_FALSE(make_model(zero));
}

TEST(Models, SameSeedSameInitialWeights) {
  torch::manual_seed(5);
  auto a = make_model({});
  torch::manual_seed(5);
  auto b = make_model({});
  ASSERT_TRUE(a && b);
  const auto pa = (*a)->parameters();
  const auto pb = (*b)->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

}  // namespace
}  // namespace digits
