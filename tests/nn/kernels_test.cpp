// Tests of the library's training kernels (lib/src/nn/kernels/: batch_norm_relu.h, dropout.h,
// conv2d.h, adamw.h) against LibTorch's own operators, their references.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "nn/kernels/adamw.h"
#include "nn/kernels/batch_norm_relu.h"
#include "nn/kernels/conv2d.h"
#include "nn/kernels/dropout.h"

namespace digits::detail {
namespace {

// Restores LibTorch's thread count when a test changes it.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : before_(at::get_num_threads()) { at::set_num_threads(n); }
  ~ThreadCount() { at::set_num_threads(before_); }

 private:
  int before_;
};

// Two batch norms with the same random affine parameters and running statistics.
std::pair<torch::nn::BatchNorm2d, torch::nn::BatchNorm2d> twin_batch_norms(int64_t c) {
  torch::nn::BatchNorm2d a(c), b(c);
  torch::NoGradGuard no_grad;
  a->weight.copy_(torch::rand({c}) + 0.5);
  a->bias.copy_(torch::randn({c}));
  a->running_mean.copy_(torch::randn({c}));
  a->running_var.copy_(torch::rand({c}) + 0.5);
  b->weight.copy_(a->weight);
  b->bias.copy_(a->bias);
  b->running_mean.copy_(a->running_mean);
  b->running_var.copy_(a->running_var);
  return {a, b};
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, const char* what) {
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-5))
      << what << ": max |difference| " << (got - want).abs().max().item<double>();
}

struct Pass {
  torch::Tensor y, grad_x, grad_weight, grad_bias;
  std::string backward;  // the name of y's gradient function
};

Pass run(torch::nn::BatchNorm2d& bn, const torch::Tensor& x0, const torch::Tensor& g, bool relu,
         bool fused) {
  auto x = x0.clone().requires_grad_(true);
  auto y = fused ? batch_norm_relu(*bn, x, relu) : batch_norm_relu_reference(*bn, x, relu);
  y.backward(g);
  return {y.detach(), x.grad(), bn->weight.grad().clone(), bn->bias.grad().clone(),
          y.grad_fn()->name()};
}

TEST(BatchNormRelu, GivesLibTorchsValuesStatisticsAndGradients) {
  torch::manual_seed(1);
  for (bool relu : {true, false}) {
    auto [fast, reference] = twin_batch_norms(12);
    // 5 x 7 x 9 = 315 rows: not a whole number of the kernel's 64-row blocks.
    const auto x =
        (torch::randn({5, 12, 7, 9}) * 2 + 0.7).contiguous(at::MemoryFormat::ChannelsLast);
    const auto g = torch::randn({5, 12, 7, 9});
    const Pass got = run(fast, x, g, relu, true);
    const Pass want = run(reference, x, g, relu, false);
    SCOPED_TRACE(relu ? "with ReLU" : "without ReLU");
    EXPECT_NE(got.backward.find("BatchNormRelu"), std::string::npos) << got.backward;
    EXPECT_EQ(want.backward.find("BatchNormRelu"), std::string::npos) << want.backward;
    expect_close(got.y, want.y, "output");
    EXPECT_TRUE(got.y.is_contiguous(at::MemoryFormat::ChannelsLast));
    expect_close(fast->running_mean, reference->running_mean, "running mean");
    expect_close(fast->running_var, reference->running_var, "running variance");
    EXPECT_EQ(fast->num_batches_tracked.item<int64_t>(), 1);
    EXPECT_EQ(reference->num_batches_tracked.item<int64_t>(), 1);
    expect_close(got.grad_x, want.grad_x, "input gradient");
    expect_close(got.grad_weight, want.grad_weight, "weight gradient");
    expect_close(got.grad_bias, want.grad_bias, "bias gradient");
  }
}

TEST(BatchNormRelu, OtherInputsAreLibTorchsOwnOperators) {
  torch::manual_seed(2);
  auto [fast, reference] = twin_batch_norms(6);
  const auto nchw = torch::randn({4, 6, 5, 5});  // not channels-last
  const auto g = torch::randn({4, 6, 5, 5});
  EXPECT_TRUE(
      torch::equal(run(fast, nchw, g, true, true).y, run(reference, nchw, g, true, false).y));
  fast->eval();
  reference->eval();
  const auto x = nchw.contiguous(at::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(batch_norm_relu(*fast, x, true),
                           batch_norm_relu_reference(*reference, x, true)));
}

TEST(BatchNormRelu, SameResultWhateverTheThreadCount) {
  torch::manual_seed(3);
  const auto x = torch::randn({16, 32, 12, 12}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto g = torch::randn({16, 32, 12, 12});
  std::vector<Pass> passes;
  for (int threads : {1, 2}) {
    ThreadCount count(threads);
    torch::manual_seed(4);
    auto [bn, unused] = twin_batch_norms(32);
    passes.push_back(run(bn, x, g, true, true));
  }
  EXPECT_TRUE(torch::equal(passes[0].y, passes[1].y));
  EXPECT_TRUE(torch::equal(passes[0].grad_x, passes[1].grad_x));
  EXPECT_TRUE(torch::equal(passes[0].grad_weight, passes[1].grad_weight));
}

TEST(Dropout, DropsASharePAndScalesTheRest) {
  torch::manual_seed(5);
  const int64_t n = 1000000;
  const auto y = detail::dropout(torch::ones({n}), 0.4, true);
  const double dropped = (y == 0).sum().item<double>() / n;
  EXPECT_NEAR(dropped, 0.4, 0.003);  // 6 standard errors of a fair mask
  const auto kept = y.masked_select(y != 0);
  EXPECT_TRUE(torch::all(kept == static_cast<float>(1.0 / 0.6)).item<bool>());
}

TEST(Dropout, MaskIsTheSeededStreamWhateverTheThreadCount) {
  const int64_t n = 100003;  // odd, and several parallel tasks
  torch::manual_seed(6);
  const auto seed = static_cast<uint64_t>(
      torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::kInt64).item<int64_t>());
  const auto expected = dropout_mask(seed, n, 0.25);
  for (int threads : {1, 2}) {
    ThreadCount count(threads);
    torch::manual_seed(6);
    const auto kept = (detail::dropout(torch::ones({n}), 0.25, true) != 0).to(torch::kUInt8);
    EXPECT_TRUE(torch::equal(
        kept, torch::from_blob(const_cast<uint8_t*>(expected.data()), {n}, torch::kUInt8)))
        << threads << " threads";
  }
}

TEST(Dropout, GradientPassesWhereKeptInAnyLayout) {
  torch::manual_seed(7);
  // A channels-last input and a gradient in NCHW order: the mask must follow each element.
  auto x =
      torch::randn({3, 8, 5, 5}).contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
  const auto y = detail::dropout(x, 0.5, true);
  const auto g = torch::randn({3, 8, 5, 5});
  y.backward(g);
  const auto kept = (y != 0).to(torch::kFloat);
  EXPECT_TRUE(torch::allclose(x.grad(), g * kept * 2.0));
  EXPECT_TRUE(torch::allclose(y, x.detach() * kept * 2.0));
}

TEST(Dropout, OffInEvalModeAndAtZero) {
  const auto x = torch::randn({4, 4});
  EXPECT_TRUE(detail::dropout(x, 0.4, false).is_same(x));
  EXPECT_TRUE(detail::dropout(x, 0.0, true).is_same(x));
}

struct ConvCase {
  std::vector<int64_t> x, w;
  int64_t stride, padding;
  bool input_grad;
  at::MemoryFormat x_format, w_format;
};

struct ConvPass {
  torch::Tensor y, grad_x, grad_w;
  std::string backward;
};

ConvPass run_conv(const ConvCase& c, const torch::Tensor& x0, const torch::Tensor& w0,
                  const torch::Tensor& g, bool fast) {
  auto x = x0.contiguous(c.x_format).requires_grad_(c.input_grad);
  auto w = w0.contiguous(c.w_format).requires_grad_(true);
  auto y = fast ? conv2d(x, w, c.stride, c.padding) : conv2d_reference(x, w, c.stride, c.padding);
  y.backward(g);
  return {y.detach(), c.input_grad ? x.grad() : torch::Tensor(), w.grad(), y.grad_fn()->name()};
}

// The default model's layers (a first layer of one channel without an input gradient, 3x3 and
// strided 5x5 ones), odd sizes, non-square inputs, and both layouts of input and weights.
const std::vector<ConvCase>& conv_cases() {
  constexpr auto kLast = at::MemoryFormat::ChannelsLast;
  constexpr auto kNchw = at::MemoryFormat::Contiguous;
  static const std::vector<ConvCase> cases = {
      {{5, 1, 28, 28}, {32, 1, 3, 3}, 1, 0, false, kLast, kLast},
      {{3, 32, 12, 12}, {32, 32, 5, 5}, 2, 2, true, kLast, kLast},
      {{4, 12, 9, 7}, {20, 12, 3, 3}, 1, 1, true, kNchw, kNchw},
      {{2, 16, 4, 4}, {24, 16, 4, 4}, 1, 0, true, kLast, kNchw},
  };
  return cases;
}

TEST(Conv2d, GivesLibTorchsValuesAndGradients) {
  torch::manual_seed(8);
  for (const auto& c : conv_cases()) {
    const auto x = torch::randn(c.x), w = torch::randn(c.w) * 0.2;
    const auto y_shape = conv2d_reference(x, w, c.stride, c.padding).sizes().vec();
    const auto g = torch::randn(y_shape);
    SCOPED_TRACE(::testing::Message() << "x " << x.sizes() << " w " << w.sizes() << " stride "
                                      << c.stride << " padding " << c.padding);
#ifdef DIGITS_EXPECT_ONEDNN
    EXPECT_TRUE(conv2d_is_fast(x, w, c.stride, c.padding));
#else
    EXPECT_FALSE(conv2d_is_fast(x, w, c.stride, c.padding));
#endif
    const ConvPass got = run_conv(c, x, w, g, true);
    const ConvPass want = run_conv(c, x, w, g, false);
    if (conv2d_is_fast(x, w, c.stride, c.padding)) {
      EXPECT_NE(got.backward.find("OneDnnConv"), std::string::npos) << got.backward;
      EXPECT_TRUE(got.y.is_contiguous(at::MemoryFormat::ChannelsLast));
    }
    ASSERT_EQ(got.y.sizes(), want.y.sizes());
    expect_close(got.y, want.y, "output");
    if (c.input_grad) expect_close(got.grad_x, want.grad_x, "input gradient");
    EXPECT_EQ(got.grad_w.strides(), w.contiguous(c.w_format).strides());
    expect_close(got.grad_w, want.grad_w, "weight gradient");
  }
}

TEST(Conv2d, RepeatsBitForBit) {
  // Resume is exact only if the same step gives the same numbers again.
  torch::manual_seed(9);
  const auto& c = conv_cases()[1];
  const auto x = torch::randn(c.x), w = torch::randn(c.w) * 0.2;
  const auto g = torch::randn(conv2d_reference(x, w, c.stride, c.padding).sizes());
  const ConvPass a = run_conv(c, x, w, g, true);
  const ConvPass b = run_conv(c, x, w, g, true);
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_TRUE(torch::equal(a.grad_x, b.grad_x));
  EXPECT_TRUE(torch::equal(a.grad_w, b.grad_w));
}

TEST(Conv2d, OtherTypesAreLibTorchsConvolution) {
  torch::manual_seed(10);
  const auto x = torch::randn({2, 3, 6, 6}, torch::kDouble);
  const auto w = torch::randn({4, 3, 3, 3}, torch::kDouble);
  EXPECT_FALSE(conv2d_is_fast(x, w, 1, 1));
  EXPECT_TRUE(torch::equal(conv2d(x, w, 1, 1), torch::conv2d(x, w, {}, 1, 1)));
}

// Parameters shaped like a network's (a channels-last convolution, a matrix, a vector, one that
// gets no gradient) with their gradients for `steps` steps.
struct Params {
  std::vector<torch::Tensor> tensors;
  std::vector<std::vector<torch::Tensor>> grads;
};

Params make_params(int steps, torch::Dtype type = torch::kFloat) {
  torch::manual_seed(11);
  Params p;
  p.tensors = {torch::randn({16, 8, 3, 3}, type).contiguous(at::MemoryFormat::ChannelsLast),
               torch::randn({10, 70000}, type), torch::randn({33}, type), torch::randn({5}, type)};
  for (int s = 0; s < steps; ++s) {
    std::vector<torch::Tensor> g;
    for (size_t i = 0; i + 1 < p.tensors.size(); ++i) {
      g.push_back(torch::randn_like(p.tensors[i]) * (s + 1));
    }
    p.grads.push_back(g);
  }
  return p;
}

std::vector<torch::Tensor> copies(const Params& p) {
  std::vector<torch::Tensor> out;
  for (const auto& t : p.tensors) out.push_back(t.clone().requires_grad_(true));
  return out;
}

// Step `opt` over `params` with the gradients of steps [from, to), the learning rate changing
// each step as a schedule changes it.
void take_steps(torch::optim::Optimizer& opt, std::vector<torch::Tensor>& params, const Params& p,
                int from, int to) {
  for (int s = from; s < to; ++s) {
    for (size_t i = 0; i < p.grads[s].size(); ++i) params[i].mutable_grad() = p.grads[s][i].clone();
    opt.param_groups()[0].options().set_lr(1e-3 * (s + 1));
    opt.step();
  }
}

const auto kAdamW = torch::optim::AdamWOptions(1e-3).weight_decay(0.01);

void expect_same_params(const std::vector<torch::Tensor>& got,
                        const std::vector<torch::Tensor>& want) {
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "parameter " << i);
    EXPECT_EQ(got[i].strides(), want[i].strides());
    EXPECT_TRUE(torch::allclose(got[i], want[i], 1e-5, 1e-6))
        << "max |difference| " << (got[i] - want[i]).abs().max().item<double>();
  }
}

// All of p's steps taken by FusedAdamW and by LibTorch's AdamW, each on its own copy.
struct BothSteps {
  std::vector<torch::Tensor> fused, reference;
  bool took_fused_loop;  // FusedAdamW::fused() before the first step
};

BothSteps step_both(const Params& p) {
  BothSteps out{copies(p), copies(p), false};
  FusedAdamW fused(out.fused, kAdamW);
  torch::optim::AdamW reference(out.reference, kAdamW);
  for (size_t i = 0; i < p.grads[0].size(); ++i) out.fused[i].mutable_grad() = p.grads[0][i];
  out.took_fused_loop = fused.fused();
  const int steps = static_cast<int>(p.grads.size());
  take_steps(fused, out.fused, p, 0, steps);
  take_steps(reference, out.reference, p, 0, steps);
  return out;
}

TEST(FusedAdamW, GivesLibTorchsUpdate) {
  const Params p = make_params(6);
  const BothSteps both = step_both(p);
  EXPECT_TRUE(both.took_fused_loop);
  expect_same_params(both.fused, both.reference);
  EXPECT_TRUE(torch::equal(both.fused.back(), p.tensors.back()));  // no gradient: untouched
}

TEST(FusedAdamW, StateIsLibTorchsBothWays) {
  const Params p = make_params(6);
  auto want = copies(p);
  torch::optim::AdamW straight(want, kAdamW);
  take_steps(straight, want, p, 0, 6);
  for (bool fused_first : {true, false}) {
    SCOPED_TRACE(fused_first ? "fused, then LibTorch's" : "LibTorch's, then fused");
    auto params = copies(p);
    std::unique_ptr<torch::optim::Optimizer> first, second;
    if (fused_first) {
      first = std::make_unique<FusedAdamW>(params, kAdamW);
      second = std::make_unique<torch::optim::AdamW>(params, kAdamW);
    } else {
      first = std::make_unique<torch::optim::AdamW>(params, kAdamW);
      second = std::make_unique<FusedAdamW>(params, kAdamW);
    }
    take_steps(*first, params, p, 0, 3);
    torch::serialize::OutputArchive out;
    first->save(out);
    std::stringstream bytes;
    out.save_to(bytes);
    torch::serialize::InputArchive in;
    in.load_from(bytes);
    second->load(in);
    take_steps(*second, params, p, 3, 6);
    expect_same_params(params, want);
  }
}

TEST(FusedAdamW, SameResultWhateverTheThreadCount) {
  const Params p = make_params(3);
  std::vector<std::vector<torch::Tensor>> results;
  for (int threads : {1, 2}) {
    ThreadCount count(threads);
    auto params = copies(p);
    FusedAdamW opt(params, kAdamW);
    take_steps(opt, params, p, 0, 3);
    results.push_back(params);
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    EXPECT_TRUE(torch::equal(results[0][i], results[1][i])) << "parameter " << i;
  }
}

TEST(FusedAdamW, OtherTypesTakeLibTorchsStep) {
  const BothSteps both = step_both(make_params(2, torch::kDouble));
  EXPECT_FALSE(both.took_fused_loop);
  for (size_t i = 0; i < both.fused.size(); ++i) {
    EXPECT_TRUE(torch::equal(both.fused[i], both.reference[i])) << i;
  }
}

}  // namespace
}  // namespace digits::detail
