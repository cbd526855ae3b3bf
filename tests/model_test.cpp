// Tests of digits/model.h: every registered architecture builds and maps images to 10 logits.
#include "digits/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>

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

// Gives batch norm statistics and affine weights far from their initial 0/1 (as training does),
// so that folding them into the convolutions is really exercised.
void randomize_batch_norm(DigitNetImpl& net) {
  torch::NoGradGuard no_grad;
  for (auto& b : net.named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0.0, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.3, 3.0);
  }
  for (auto& p : net.named_parameters()) {
    if (p.value().dim() == 1 && p.key().find("fc") == std::string::npos) {
      p.value().uniform_(0.5, 1.5);
    }
  }
}

TEST(Models, InferenceNetGivesTheEvalForwardsProbabilities) {
  for (const auto& arch : architectures()) {
    torch::manual_seed(11);
    ModelConfig config;
    config.arch = arch.name;
    auto net = make_model(config);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
    randomize_batch_norm(**net);
    (*net)->eval();
    const InferenceNet onednn(**net), plain(**net, /*prepack=*/false);
    for (int64_t batch : {1, 2, 7}) {
      const auto x = torch::randn({batch, 1, 28, 28});
      const auto expected = torch::softmax((*net)->forward(x), 1);
      EXPECT_TRUE(torch::allclose(torch::softmax(onednn.forward(x), 1), expected, 0, 1e-5))
          << arch.name << " batch " << batch;
      EXPECT_TRUE(torch::allclose(torch::softmax(plain.forward(x), 1), expected, 0, 1e-5))
          << arch.name << " batch " << batch << " (plain path)";
      c10::InferenceMode guard;  // as the predictor runs it
      EXPECT_TRUE(torch::allclose(torch::softmax(onednn.forward(x), 1), expected, 0, 1e-5))
          << arch.name << " batch " << batch << " (inference mode)";
    }
  }
}

// forward_one is oneDNN's primitives where the build has its headers, forward() elsewhere (and
// without prepacking, as on other devices).
TEST(Models, InferenceNetOneImageGivesTheEvalForwardsLogits) {
  for (const auto& arch : architectures()) {
    torch::manual_seed(13);
    ModelConfig config;
    config.arch = arch.name;
    auto net = make_model(config);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
    randomize_batch_norm(**net);
    (*net)->eval();
    const InferenceNet frozen(**net), plain(**net, /*prepack=*/false);
    for (int i = 0; i < 3; ++i) {
      const auto x = torch::randn({1, 1, 28, 28});
      const auto expected = (*net)->forward(x).reshape({kClasses});
      for (const InferenceNet* n : {&frozen, &plain}) {
        std::array<float, kClasses> logits{};
        n->forward_one(x.data_ptr<float>(), logits.data());
        EXPECT_TRUE(torch::allclose(torch::from_blob(logits.data(), {kClasses}), expected, 1e-4,
                                    1e-4))
            << arch.name << " image " << i << (n == &plain ? " (plain path)" : "") << ": "
            << expected;
      }
    }
  }
}

TEST(Models, InferenceNetKeepsTheWeightsItWasMadeWith) {
  torch::manual_seed(12);
  auto net = make_model({});
  ASSERT_TRUE(net);
  (*net)->eval();
  const auto x = torch::randn({3, 1, 28, 28});
  const InferenceNet frozen(**net);
  const auto before = frozen.forward(x);
  randomize_batch_norm(**net);
  EXPECT_TRUE(torch::equal(frozen.forward(x), before));
  EXPECT_FALSE(torch::allclose(InferenceNet(**net).forward(x), before, 1e-3, 1e-3));
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
