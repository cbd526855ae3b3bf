// Tests of digits/nn/inference.h: a frozen network gives the logits of model.h's eval forward, its
// reference, on every path (oneDNN primitives for one image, prepacked weights, the plain path).
// The tests keep the Models suite name they had in model_test.cpp (docs/benchmarks.md cites them).
#include "digits/nn/inference.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <string>

#include "digits/nn/model.h"

namespace digits {
namespace {

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

// A network of `arch` with weights from `seed` and batch norm far from its initial state
// (randomize_batch_norm), in eval mode: what the frozen network is compared against.
Result<DigitNet> reference_net(Arch arch, uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig config;
  config.arch = arch;
  auto net = make_model(config);
  if (net) {
    randomize_batch_norm(**net);
    (*net)->eval();
  }
  return net;
}

TEST(InferenceNet, GivesTheEvalForwardsProbabilities) {
  for (const auto& arch : architectures()) {
    auto net = reference_net(arch.value, 11);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
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

// bnpool max-pools after batch norm. With a negative gamma, pooling the convolution first and
// scaling after would pick the smallest value, not the largest: folding must keep the order.
TEST(InferenceNet, BnPoolFoldsNegativeBatchNormScalesBeforePooling) {
  torch::manual_seed(15);
  ModelConfig config;
  config.arch = Arch::kBnPool;
  auto net = make_model(config);
  ASSERT_TRUE(net);
  randomize_batch_norm(**net);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : (*net)->named_parameters()) {
      if (p.key().find("weight") != std::string::npos && p.value().dim() == 1) {
        p.value().uniform_(-1.5, -0.5);  // batch norm's gamma
      }
    }
  }
  (*net)->eval();
  const auto x = torch::randn({4, 1, 28, 28});
  const auto expected = (*net)->forward(x);
  EXPECT_TRUE(torch::allclose(InferenceNet(**net).forward(x), expected, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(InferenceNet(**net, false).forward(x), expected, 1e-4, 1e-4));
}

// forward_one is oneDNN's primitives where the build has its headers, forward() elsewhere (and
// without prepacking, as on other devices).
TEST(InferenceNet, OneImageGivesTheEvalForwardsLogits) {
  for (const auto& arch : architectures()) {
    auto net = reference_net(arch.value, 13);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
    const InferenceNet frozen(**net), plain(**net, /*prepack=*/false);
    for (int i = 0; i < 3; ++i) {
      const auto x = torch::randn({1, 1, 28, 28});
      const auto expected = (*net)->forward(x).reshape({kClasses});
      for (const InferenceNet* n : {&frozen, &plain}) {
        std::array<float, kClasses> logits{};
        n->forward_one(x.data_ptr<float>(), logits.data());
        EXPECT_TRUE(
            torch::allclose(torch::from_blob(logits.data(), {kClasses}), expected, 1e-4, 1e-4))
            << arch.name << " image " << i << (n == &plain ? " (plain path)" : "") << ": "
            << expected;
      }
    }
  }
}

TEST(InferenceNet, KeepsTheWeightsItWasMadeWith) {
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

}  // namespace
}  // namespace digits
