#include "nn/kernels/onednn_net.h"

#include <torch/types.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#ifdef DIGITS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace digits::detail {

#ifdef DIGITS_HAVE_ONEDNN

namespace {
using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

// A float tensor's values copied into a new oneDNN memory of layout `to` (weights, bias).
memory copy_into(const torch::Tensor& t, const Dims& dims, Tag plain, const memory::desc& to,
                 const dnnl::engine& engine, dnnl::stream& stream) {
  auto values = t.detach().to(torch::kFloat).contiguous();
  memory from({dims, kF32, plain}, engine, values.data_ptr<float>());
  memory out(to, engine);
  dnnl::reorder(from, out).execute(stream, from, out);
  stream.wait();
  return out;
}
}  // namespace

struct OneDnnNet::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  mutable dnnl::stream stream{engine};
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> args;
  };
  std::vector<Step> steps;
  memory input;       // [1, 1, 28, 28] nchw: a plain float array
  memory activation;  // the last convolution's output, [C, H, W] in a plain (unblocked) layout
  memory fc_weights;  // [10, C, H, W] laid out as `activation`
  memory fc_bias;     // [10]
  int64_t features = 0;
  mutable std::mutex mutex;

  // `src` in the layout a primitive wants: itself, or a reorder step into a new memory.
  memory as(const memory& src, const memory::desc& wanted) {
    if (src.get_desc() == wanted) return src;
    memory out(wanted, engine);
    steps.push_back({dnnl::reorder(src, out), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, out}}});
    return out;
  }
};

std::unique_ptr<OneDnnNet> OneDnnNet::make(const ConvStack& stack) {
  if (!stack.fc_weight.defined() || !stack.fc_weight.device().is_cpu() ||
      stack.fc_weight.scalar_type() != torch::kFloat) {
    return nullptr;
  }
  try {
    auto impl = build(stack);
    return impl ? std::unique_ptr<OneDnnNet>(new OneDnnNet(std::move(impl))) : nullptr;
  } catch (const dnnl::error&) {
    return nullptr;  // a layer oneDNN cannot run here: LibTorch's path serves
  }
}

std::unique_ptr<OneDnnNet::Impl> OneDnnNet::build(const ConvStack& stack) {
  auto impl = std::make_unique<Impl>();
  auto& engine = impl->engine;
  auto& stream = impl->stream;
  Dims shape = {1, 1, kImageSide, kImageSide};
  impl->input = memory({shape, kF32, Tag::nchw}, engine);
  memory x = impl->input;

  // ReLU commutes with max-pooling, so every convolution ends in a fused ReLU and the pool, where
  // there is one, follows it: the values of pool-then-ReLU.
  dnnl::post_ops relu;
  relu.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  dnnl::primitive_attr with_relu;
  with_relu.set_post_ops(relu);

  for (const auto& c : stack.convs) {
    const int64_t out = c.weight.size(0), in = c.weight.size(1), k = c.weight.size(2);
    const int64_t side = (shape[2] + 2 * c.padding - k) / c.stride + 1;
    const Dims weights = {out, in, k, k}, dst = {1, out, side, side};
    const Dims stride = {c.stride, c.stride}, pad = {c.padding, c.padding};
    dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
            memory::desc(shape, kF32, Tag::any), memory::desc(weights, kF32, Tag::any),
            memory::desc({out}, kF32, Tag::x), memory::desc(dst, kF32, Tag::any), stride, pad, pad),
        with_relu, engine);
    const memory src = impl->as(x, pd.src_desc());
    const memory w = copy_into(c.weight, weights, Tag::oihw, pd.weights_desc(), engine, stream);
    const memory b = copy_into(c.bias, {out}, Tag::x, pd.bias_desc(), engine, stream);
    x = memory(pd.dst_desc(), engine);
    impl->steps.push_back(
        {dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, x}}});
    shape = dst;
    if (c.pool) {
      shape = {1, out, side / 2, side / 2};
      dnnl::pooling_forward::primitive_desc pool(
          dnnl::pooling_forward::desc(
              dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, x.get_desc(),
              memory::desc(shape, kF32, Tag::any), {2, 2}, {2, 2}, {0, 0}, {0, 0}),
          engine);
      const memory src_pool = x;
      x = memory(pool.dst_desc(), engine);
      impl->steps.push_back(
          {dnnl::pooling_forward(pool), {{DNNL_ARG_SRC, src_pool}, {DNNL_ARG_DST, x}}});
    }
  }

  // The linear layer, as a loop of our own: oneDNN's inner product of one image costs more in
  // threading and GEMM set-up than its 8,000 multiply-adds. Its weights [10, C, H, W], in
  // LibTorch's flattening order, are laid out in memory as the activation is, so each logit is a
  // dot product of two arrays as they lie. A blocked activation layout is first reordered to a
  // plain one.
  const int64_t classes = stack.fc_weight.size(0), features = shape[1] * shape[2] * shape[3];
  if (classes != kClasses || stack.fc_weight.size(1) != features) return nullptr;
  const memory::desc last = x.get_desc();
  if (last.data.format_kind != dnnl_blocked || last.data.format_desc.blocking.inner_nblks != 0) {
    x = impl->as(x, memory::desc(shape, kF32, Tag::nchw));
  }
  const memory::desc plain = x.get_desc();
  const auto* strides = plain.data.format_desc.blocking.strides;
  impl->activation = x;
  impl->fc_weights = copy_into(stack.fc_weight, {classes, shape[1], shape[2], shape[3]}, Tag::oihw,
                               memory::desc({classes, shape[1], shape[2], shape[3]}, kF32,
                                            Dims{features, strides[1], strides[2], strides[3]}),
                               engine, stream);
  impl->fc_bias = copy_into(stack.fc_bias, {classes}, Tag::x, memory::desc({classes}, kF32, Tag::x),
                            engine, stream);
  impl->features = features;
  return impl;
}

void OneDnnNet::forward(const float* image, float* logits) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::memcpy(impl_->input.get_data_handle(), image, sizeof(float) * kPixels);
  for (const auto& step : impl_->steps) step.primitive.execute(impl_->stream, step.args);
  impl_->stream.wait();
  const auto* x = static_cast<const float*>(impl_->activation.get_data_handle());
  const auto* w = static_cast<const float*>(impl_->fc_weights.get_data_handle());
  const auto* b = static_cast<const float*>(impl_->fc_bias.get_data_handle());
  const int64_t n = impl_->features;
  for (int64_t c = 0; c < kClasses; ++c, w += n) {
    // Sixteen running sums, one per vector lane: a single sum is a chain of dependent adds.
    float lanes[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      for (int k = 0; k < 16; ++k) lanes[k] += x[i + k] * w[i + k];
    }
    float sum = b[c];
    for (; i < n; ++i) sum += x[i] * w[i];
    for (float v : lanes) sum += v;
    logits[c] = sum;
  }
}

#else  // no oneDNN in this build: InferenceNet keeps LibTorch's path

struct OneDnnNet::Impl {};

std::unique_ptr<OneDnnNet> OneDnnNet::make(const ConvStack&) { return nullptr; }

void OneDnnNet::forward(const float*, float*) const {}

#endif

OneDnnNet::OneDnnNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OneDnnNet::~OneDnnNet() = default;

}  // namespace digits::detail
