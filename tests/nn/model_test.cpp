// Tests of digits/nn/model.h: every registered architecture builds and maps images to 10 logits.
#include "digits/nn/model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/inference.h"

namespace digits {
namespace {

TEST(Models, EveryArchitectureGivesTenLogitsPerImage) {
  ASSERT_GE(architectures().size(), 2u);
  for (const auto& arch : architectures()) {
    ModelConfig config;
    config.arch = arch.value;
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
  config.arch = Arch::kSeed;
  auto net = make_model(config);
  ASSERT_TRUE(net);
  // Conv 64@5x5 (1->64): 1664, conv 32@5x5 (64->32): 51232, linear 32*5*5 -> 10: 8010.
  EXPECT_EQ(parameter_count(**net), 1664 + 51232 + 8010);
}

TEST(Models, BnPoolIsThreeConvolutionsWithBatchNormAndALinearLayer) {
  ModelConfig config;
  config.arch = Arch::kBnPool;
  auto net = make_model(config);
  ASSERT_TRUE(net);
  // Conv 32@5x5 (1->32): 800, conv 64@5x5 (32->64): 51200, conv 128@3x3 (64->128): 73728, none
  // with a bias; batch norm: 2 x (32 + 64 + 128); linear 128*5*5 -> 10: 32010.
  EXPECT_EQ(parameter_count(**net), 800 + 51200 + 73728 + 2 * (32 + 64 + 128) + 32010);
  const auto stack = (*net)->conv_stack();
  ASSERT_EQ(stack.convs.size(), 3u);
  EXPECT_TRUE(stack.convs[0].pool && stack.convs[1].pool && !stack.convs[2].pool);
}

// What a checkpoint stores of a network, in order: every submodule (Module::save writes each as
// a nested archive, even one without weights, and Module::load reads each back), then every
// parameter (the optimizer's state follows their order) and buffer, with its shape and type.
std::string stored_layout(const DigitNetImpl& net) {
  std::string s = "\n";
  auto add = [&s](const char* kind, const std::string& name, const torch::Tensor& t) {
    s += c10::str(kind, " ", name, " ", t.sizes(), " ", t.scalar_type(), "\n");
  };
  for (const auto& m : net.named_modules("", /*include_self=*/false)) {
    s += "module " + m.key() + "\n";
  }
  for (const auto& p : net.named_parameters()) add("parameter", p.key(), p.value());
  for (const auto& b : net.named_buffers()) add("buffer", b.key(), b.value());
  return s;
}

// The layouts every checkpoint written so far has (default width 32): load_checkpoint refuses a
// file whose names or shapes differ from the architecture's, so a change to any line here makes
// every existing checkpoint, checkpoints/pretrained.pt among them, unreadable.
const std::map<std::string, std::string> kStoredLayouts = {
    {"seed", R"(
module conv1
module conv2
module fc
parameter conv1.weight [64, 1, 5, 5] Float
parameter conv1.bias [64] Float
parameter conv2.weight [32, 64, 5, 5] Float
parameter conv2.bias [32] Float
parameter fc.weight [10, 800] Float
parameter fc.bias [10] Float
)"},
    {"bncnn", R"(
module block1
module block1.0
module block1.1
module block1.2
module block1.3
module block1.4
module block1.5
module block1.6
module block1.7
module block1.8
module block2
module block2.0
module block2.1
module block2.2
module block2.3
module block2.4
module block2.5
module block2.6
module block2.7
module block2.8
module block3
module block3.0
module block3.1
module block3.2
module drop
module fc
parameter block1.0.weight [32, 1, 3, 3] Float
parameter block1.1.weight [32] Float
parameter block1.1.bias [32] Float
parameter block1.3.weight [32, 32, 3, 3] Float
parameter block1.4.weight [32] Float
parameter block1.4.bias [32] Float
parameter block1.6.weight [32, 32, 5, 5] Float
parameter block1.7.weight [32] Float
parameter block1.7.bias [32] Float
parameter block2.0.weight [64, 32, 3, 3] Float
parameter block2.1.weight [64] Float
parameter block2.1.bias [64] Float
parameter block2.3.weight [64, 64, 3, 3] Float
parameter block2.4.weight [64] Float
parameter block2.4.bias [64] Float
parameter block2.6.weight [64, 64, 5, 5] Float
parameter block2.7.weight [64] Float
parameter block2.7.bias [64] Float
parameter block3.0.weight [128, 64, 4, 4] Float
parameter block3.1.weight [128] Float
parameter block3.1.bias [128] Float
parameter fc.weight [10, 128] Float
parameter fc.bias [10] Float
buffer block1.1.running_mean [32] Float
buffer block1.1.running_var [32] Float
buffer block1.1.num_batches_tracked [] Long
buffer block1.4.running_mean [32] Float
buffer block1.4.running_var [32] Float
buffer block1.4.num_batches_tracked [] Long
buffer block1.7.running_mean [32] Float
buffer block1.7.running_var [32] Float
buffer block1.7.num_batches_tracked [] Long
buffer block2.1.running_mean [64] Float
buffer block2.1.running_var [64] Float
buffer block2.1.num_batches_tracked [] Long
buffer block2.4.running_mean [64] Float
buffer block2.4.running_var [64] Float
buffer block2.4.num_batches_tracked [] Long
buffer block2.7.running_mean [64] Float
buffer block2.7.running_var [64] Float
buffer block2.7.num_batches_tracked [] Long
buffer block3.1.running_mean [128] Float
buffer block3.1.running_var [128] Float
buffer block3.1.num_batches_tracked [] Long
)"},
    {"bnpool", R"(
module conv1
module conv1.0
module conv1.1
module conv2
module conv2.0
module conv2.1
module conv3
module conv3.0
module conv3.1
module conv3.2
module drop
module fc
parameter conv1.0.weight [32, 1, 5, 5] Float
parameter conv1.1.weight [32] Float
parameter conv1.1.bias [32] Float
parameter conv2.0.weight [64, 32, 5, 5] Float
parameter conv2.1.weight [64] Float
parameter conv2.1.bias [64] Float
parameter conv3.0.weight [128, 64, 3, 3] Float
parameter conv3.1.weight [128] Float
parameter conv3.1.bias [128] Float
parameter fc.weight [10, 3200] Float
parameter fc.bias [10] Float
buffer conv1.1.running_mean [32] Float
buffer conv1.1.running_var [32] Float
buffer conv1.1.num_batches_tracked [] Long
buffer conv2.1.running_mean [64] Float
buffer conv2.1.running_var [64] Float
buffer conv2.1.num_batches_tracked [] Long
buffer conv3.1.running_mean [128] Float
buffer conv3.1.running_var [128] Float
buffer conv3.1.num_batches_tracked [] Long
)"},
};

TEST(Models, EveryArchitectureStoresTheLayoutOfEarlierCheckpoints) {
  ASSERT_EQ(architectures().size(), kStoredLayouts.size());
  for (const auto& arch : architectures()) {
    ModelConfig config;
    config.arch = arch.value;
    auto net = make_model(config);
    ASSERT_TRUE(net) << arch.name << ": " << net.error().message;
    ASSERT_EQ(kStoredLayouts.count(std::string(arch.name)), 1u) << arch.name;
    EXPECT_EQ(stored_layout(**net), kStoredLayouts.at(std::string(arch.name))) << arch.name;
  }
}

// Files written before the model code last changed: the fuzz corpus's bncnn (width 1), and the
// shipped model's networks where this checkout has it.
TEST(Models, CheckpointsWrittenEarlierStillLoad) {
  const std::filesystem::path root = std::filesystem::path(DIGITS_TEST_DATA_DIR) / ".." / "..";
  const auto corpus = load_checkpoint((root / "fuzz/corpus/checkpoint/bncnn-width1.pt").string());
  ASSERT_TRUE(corpus) << corpus.error().message;
  EXPECT_EQ(corpus->model.arch, Arch::kBnCnn);
  EXPECT_EQ(corpus->model.width, 1);
  const auto pretrained = root / "checkpoints/pretrained.pt";
  if (std::filesystem::exists(pretrained)) {
    auto members = load_members(pretrained.string());  // an ensemble file, or one network
    ASSERT_TRUE(members) << members.error().message;
    for (const auto& c : *members) {
      EXPECT_EQ(stored_layout(*c.net), kStoredLayouts.at(std::string(name_of(c.model.arch))));
    }
  }
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
  // A name is an Arch only through its table (the options table and checkpoints use it).
  EXPECT_FALSE(parse_name<Arch>("resnet9000"));
  EXPECT_EQ(parse_name<Arch>("bnpool"), Arch::kBnPool);
  ModelConfig config;
  config.arch = static_cast<Arch>(99);  // a value outside the enum, as a bad cast would make
  auto net = make_model(config);
  ASSERT_FALSE(net);
  EXPECT_NE(net.error().message.find("bncnn"), std::string::npos);  // lists what exists
  ModelConfig zero;
  zero.width = 0;
  EXPECT_FALSE(make_model(zero));
}

// The seed model pools with its own kernel (one pass for max-pool and ReLU, a backward that
// writes each gradient once): its outputs and gradients must be those of LibTorch's functions,
// ties included (a blank image makes every window of the first map a tie).
TEST(Models, SeedPoolingGivesTheValuesAndGradientsOfMaxPoolThenRelu) {
  torch::manual_seed(14);
  ModelConfig config;
  config.arch = Arch::kSeed;
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
