#include "nn/kernels/dropout.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "nn/kernels/vector_clones.h"

namespace digits::detail {
namespace {

// Elements per parallel task.
constexpr int64_t kElementsPerTask = 16384;

// Draw j of the stream `seed`: SplitMix64's j-th output (the seeding generator of xoshiro),
// computed directly from j, so any element's draw needs no other's.
inline uint64_t draw(uint64_t seed, uint64_t j) {
  uint64_t z = seed + (j + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Keep element i when the 32-bit draw is at or above `threshold` = p * 2^32; two draws per hash.
void fill_mask(uint64_t seed, int64_t begin, int64_t end, uint32_t threshold, uint8_t* keep) {
  int64_t i = begin;
  if (i % 2 == 1) {
    keep[i] = static_cast<uint32_t>(draw(seed, static_cast<uint64_t>(i / 2)) >> 32) >= threshold;
    ++i;
  }
  for (; i + 1 < end; i += 2) {
    const uint64_t h = draw(seed, static_cast<uint64_t>(i / 2));
    keep[i] = static_cast<uint32_t>(h) >= threshold;
    keep[i + 1] = static_cast<uint32_t>(h >> 32) >= threshold;
  }
  if (i < end)
    keep[i] = static_cast<uint32_t>(draw(seed, static_cast<uint64_t>(i / 2))) >= threshold;
}

uint32_t threshold_of(double p) {
  return static_cast<uint32_t>(std::min(4294967295.0, std::floor(p * 4294967296.0)));
}

// src * scale where kept, else zero. A product, not a branch: the mask is random, so a branch
// on it was mispredicted half the time and kept the loop scalar (5% of a training step).
DIGITS_VECTOR_CLONES
void scale_kept(const float* __restrict src, const uint8_t* __restrict keep, float* __restrict dst,
                int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i] * (static_cast<float>(keep[i]) * scale);
}

class Dropout : public torch::autograd::Function<Dropout> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               double p) {
    const auto in = x.contiguous(x.suggest_memory_format());
    // The seed from LibTorch's generator, so torch::manual_seed decides the mask.
    const auto seed = static_cast<uint64_t>(
        torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::kInt64).item<int64_t>());
    const int64_t n = in.numel();
    auto keep = torch::empty({n}, in.options().dtype(torch::kUInt8));
    auto out = torch::empty_like(in);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    const uint32_t threshold = threshold_of(p);
    const float* src = in.data_ptr<float>();
    uint8_t* k = keep.data_ptr<uint8_t>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, n, kElementsPerTask, [&](int64_t begin, int64_t end) {
      fill_mask(seed, begin, end, threshold, k);
      scale_kept(src + begin, k + begin, dst + begin, end - begin, scale);
    });
    ctx->save_for_backward({keep});
    ctx->saved_data["scale"] = static_cast<double>(scale);
    // The mask follows x's memory order; the gradient is read in the same one.
    ctx->saved_data["channels_last"] =
        in.dim() == 4 && in.is_contiguous(torch::MemoryFormat::ChannelsLast) && !in.is_contiguous();
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto keep = ctx->get_saved_variables()[0];
    const float scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const auto g = grads[0].contiguous(ctx->saved_data["channels_last"].toBool()
                                           ? torch::MemoryFormat::ChannelsLast
                                           : torch::MemoryFormat::Contiguous);
    auto out = torch::empty_like(g);
    const float* src = g.data_ptr<float>();
    const uint8_t* k = keep.data_ptr<uint8_t>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, g.numel(), kElementsPerTask, [&](int64_t begin, int64_t end) {
      scale_kept(src + begin, k + begin, dst + begin, end - begin, scale);
    });
    return {out, {}};
  }
};

}  // namespace

std::vector<uint8_t> dropout_mask(uint64_t seed, int64_t n, double p) {
  std::vector<uint8_t> keep(static_cast<size_t>(n));
  fill_mask(seed, 0, n, threshold_of(p), keep.data());
  return keep;
}

torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat || p >= 1.0) {
    return torch::dropout(x, p, training);
  }
  return Dropout::apply(x, p);
}

}  // namespace digits::detail
