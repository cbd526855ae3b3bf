#include "nn/kernels/max_pool.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional/pooling.h>

#include <cstdint>

#include "nn/kernels/vector_clones.h"

namespace digits::detail {
namespace {

// Rows of output (batch x output height) per parallel task: at least ~64 KB of input each.
constexpr int64_t kRowsPerTask = 4;

// Larger inputs go to LibTorch's functions: above glibc's mmap threshold (set by
// configure_runtime) every buffer is fresh pages, where this path measured slower
// (docs/results/code-notes.md).
constexpr size_t kLargest = size_t{32} << 20;

// One output position: the ReLU of the maximum of p0..p3 per channel and which of them it was
// (4: none, the ReLU gave zero). As LibTorch's kernel, a later value wins when greater, or when
// it is NaN.
DIGITS_VECTOR_CLONES
void pool_channels(const float* __restrict p0, const float* __restrict p1,
                   const float* __restrict p2, const float* __restrict p3, float* __restrict dst,
                   uint8_t* __restrict pos, int64_t c) {
  for (int64_t k = 0; k < c; ++k) {
    float best = p0[k];
    int32_t i = 0;
    const float v1 = p1[k], v2 = p2[k], v3 = p3[k];
    const bool t1 = v1 > best || v1 != v1;
    best = t1 ? v1 : best;
    i = t1 ? 1 : i;
    const bool t2 = v2 > best || v2 != v2;
    best = t2 ? v2 : best;
    i = t2 ? 2 : i;
    const bool t3 = v3 > best || v3 != v3;
    best = t3 ? v3 : best;
    i = t3 ? 3 : i;
    // The ReLU after it, and its gradient: none where the result is not above zero (as
    // LibTorch's threshold_backward, a NaN passes).
    const bool zero = best <= 0.f;
    dst[k] = zero ? 0.f : best;
    pos[k] = static_cast<uint8_t>(zero ? 4 : i);
  }
}

// Its gradient: each output's gradient to the input that was the maximum, zero to the others.
DIGITS_VECTOR_CLONES
void unpool_channels(const float* __restrict src, const uint8_t* __restrict pos,
                     float* __restrict p0, float* __restrict p1, float* __restrict p2,
                     float* __restrict p3, int64_t c) {
  for (int64_t k = 0; k < c; ++k) {
    const float v = src[k];
    const int32_t i = pos[k];
    p0[k] = i == 0 ? v : 0.f;
    p1[k] = i == 1 ? v : 0.f;
    p2[k] = i == 2 ? v : 0.f;
    p3[k] = i == 3 ? v : 0.f;
  }
}

class MaxPool2x2 : public torch::autograd::Function<MaxPool2x2> {
 public:
  // x: [N, C, H, W] float, channels-last, H and W even. Saves, per output value, which of its
  // window's four inputs (0..3, row-major) passes the gradient (4: none).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const int64_t oh = h / 2, ow = w / 2;
    auto out =
        torch::empty({n, c, oh, ow}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
    auto where = torch::empty({n, oh, ow, c}, x.options().dtype(torch::kUInt8));
    const float* in = x.data_ptr<float>();
    float* o = out.data_ptr<float>();
    uint8_t* positions = where.data_ptr<uint8_t>();
    at::parallel_for(0, n * oh, kRowsPerTask, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / oh, y = r % oh;
        const float* top = in + ((b * h + 2 * y) * w) * c;
        const float* bottom = top + w * c;
        for (int64_t x0 = 0; x0 < ow; ++x0) {
          const float* p0 = top + 2 * x0 * c;
          const float* p1 = p0 + c;
          const float* p2 = bottom + 2 * x0 * c;
          const float* p3 = p2 + c;
          pool_channels(p0, p1, p2, p3, o + (r * ow + x0) * c, positions + (r * ow + x0) * c, c);
        }
      }
    });
    ctx->save_for_backward({where});
    ctx->saved_data["h"] = h;
    ctx->saved_data["w"] = w;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto where = ctx->get_saved_variables()[0];
    const int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt();
    const auto g = grads[0].contiguous(torch::MemoryFormat::ChannelsLast);
    const int64_t n = g.size(0), c = g.size(1), oh = g.size(2), ow = g.size(3);
    auto grad_in =
        torch::empty({n, c, h, w}, g.options().memory_format(torch::MemoryFormat::ChannelsLast));
    const float* go = g.data_ptr<float>();
    const uint8_t* positions = where.data_ptr<uint8_t>();
    float* gi = grad_in.data_ptr<float>();
    at::parallel_for(0, n * oh, kRowsPerTask, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t b = r / oh, y = r % oh;
        float* top = gi + ((b * h + 2 * y) * w) * c;
        float* bottom = top + w * c;
        for (int64_t x0 = 0; x0 < ow; ++x0) {
          float* p0 = top + 2 * x0 * c;
          float* p1 = p0 + c;
          float* p2 = bottom + 2 * x0 * c;
          float* p3 = p2 + c;
          unpool_channels(go + (r * ow + x0) * c, positions + (r * ow + x0) * c, p0, p1, p2, p3, c);
        }
      }
    });
    return {grad_in};
  }
};

}  // namespace

torch::Tensor max_pool2x2_relu(const torch::Tensor& x) {
  const bool fits = x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
                    x.size(2) % 2 == 0 && x.size(3) % 2 == 0 &&
                    x.is_contiguous(torch::MemoryFormat::ChannelsLast) && x.nbytes() <= kLargest;
  if (!fits) {
    return torch::relu(
        torch::nn::functional::max_pool2d(x, torch::nn::functional::MaxPool2dFuncOptions(2)));
  }
  return MaxPool2x2::apply(x);
}

}  // namespace digits::detail
