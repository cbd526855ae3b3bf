// Tests of digits/model.h: every registered architecture builds and maps images to 10 logits.
#include "digits/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

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

TEST(Models, BnPoolIsThreeConvolutionsWithBatchNormAndALinearLayer) {
  ModelConfig config;
  config.arch = "bnpool";
  auto net = make_model(config);
  ASSERT_TRUE(net);
  // Conv 32@5x5 (1->32): 800, conv 64@5x5 (32->64): 51200, conv 128@3x3 (64->128): 73728, none
  // with a bias; batch norm: 2 x (32 + 64 + 128); linear 128*5*5 -> 10: 32010.
  EXPECT_EQ(parameter_count(**net), 800 + 51200 + 73728 + 2 * (32 + 64 + 128) + 32010);
  const auto stack = (*net)->conv_stack();
  ASSERT_EQ(stack.convs.size(), 3u);
  EXPECT_TRUE(stack.convs[0].pool && stack.convs[1].pool && !stack.convs[2].pool);
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

// bnpool max-pools after batch norm. With a negative gamma, pooling the convolution first and
// scaling after would pick the smallest value, not the largest: folding must keep the order.
TEST(Models, BnPoolFoldsNegativeBatchNormScalesBeforePooling) {
  torch::manual_seed(15);
  ModelConfig config;
  config.arch = "bnpool";
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

// The seed model pools with its own kernel (one pass for max-pool and ReLU, a backward that
// writes each gradient once): its outputs and gradients must be those of LibTorch's functions,
// ties included (a blank image makes every window of the first map a tie).
TEST(Models, SeedPoolingGivesTheValuesAndGradientsOfMaxPoolThenRelu) {
  torch::manual_seed(14);
  ModelConfig config;
  config.arch = "seed";
  auto made = make_model(config);
  ASSERT_TRUE(made);
  auto& net = **made;
  net.train();
  auto x = torch::randn({6, 1, 28, 28});
  x[1].zero_();
  x[4].zero_();
  x.requires_grad_(true);  // the input's gradient shows which input of a tie got it
  const auto params = net.named_parameters();
  const auto& w1 = params["conv1.weight"];
  const auto& b1 = params["conv1.bias"];
  const auto& w2 = params["conv2.weight"];
  const auto& b2 = params["conv2.bias"];
  const auto& wf = params["fc.weight"];
  const auto& bf = params["fc.bias"];
  const auto target = torch::randint(0, kClasses, {6}, torch::kInt64);

  std::vector<torch::Tensor> expected_grads, grads;
  torch::Tensor expected, logits;
  for (bool own : {false, true}) {
    net.zero_grad();
    x.mutable_grad() = torch::Tensor();
    torch::Tensor y;
    if (own) {
      y = net.forward(x);
    } else {
      auto h = torch::relu(torch::max_pool2d(torch::conv2d(x, w1, b1, 1, 2), 2));
      h = torch::relu(torch::max_pool2d(torch::conv2d(h, w2, b2), 2));
      y = torch::linear(h.flatten(1), wf, bf);
    }
    torch::nn::functional::cross_entropy(y, target).backward();
    (own ? logits : expected) = y.detach();
    auto& g = own ? grads : expected_grads;
    for (const auto& p : net.parameters()) g.push_back(p.grad().clone());
    g.push_back(x.grad().clone());
  }
  EXPECT_TRUE(torch::allclose(logits, expected, 1e-5, 1e-6));
  ASSERT_EQ(grads.size(), expected_grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], expected_grads[i], 1e-4, 1e-6))
        << (i + 1 == grads.size() ? "input" : "parameter " + std::to_string(i))
        << ": largest difference " << (grads[i] - expected_grads[i]).abs().max().item<float>();
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
        EXPECT_TRUE(
            torch::allclose(torch::from_blob(logits.data(), {kClasses}), expected, 1e-4, 1e-4))
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
