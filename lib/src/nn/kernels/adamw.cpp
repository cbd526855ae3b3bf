#include "nn/kernels/adamw.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "nn/kernels/vector_clones.h"

namespace digits::detail {
namespace {

using torch::optim::AdamWOptions;
using torch::optim::AdamWParamState;

// The key of a parameter's state: LibTorch 1.13 spells its TensorImpl's address as a string
// (c10::guts::to_string), later versions keep the address itself.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

template <class Key = StateKey>
Key state_key(const torch::Tensor& p) {
  const void* impl = p.unsafeGetTensorImpl();
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << impl;
    return s.str();
  } else {
    return static_cast<Key>(const_cast<void*>(impl));
  }
}

// Elements per parallel task.
constexpr int64_t kGrain = 16384;

// One parameter tensor's update: its arrays and the step's constants, as float, the type in
// which LibTorch's operators apply them to float tensors.
struct Segment {
  float* param;
  const float* grad;
  float* exp_avg;
  float* exp_avg_sq;
  int64_t begin, size;  // [begin, begin + size) of all the step's elements
  float decay;          // 1 - lr * weight_decay
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float bias_correction2_sqrt, eps, step_size;
};

// AdamW::step's operators on elements [from, to) of one tensor, in their order:
// p *= decay; m = m * beta1 + (1 - beta1) * g; v = v * beta2 + (1 - beta2) * g * g;
// p += -step_size * m / (sqrt(v) / sqrt(bias_correction2) + eps).
DIGITS_VECTOR_CLONES
void update(const Segment& s, int64_t from, int64_t to) {
  float* __restrict p = s.param;
  const float* __restrict g = s.grad;
  float* __restrict m = s.exp_avg;
  float* __restrict v = s.exp_avg_sq;
  for (int64_t i = from; i < to; ++i) {
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * g[i];
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * g[i] * g[i];
    const float denom = std::sqrt(vi) / s.bias_correction2_sqrt + s.eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * s.decay - s.step_size * (mi / denom);
  }
}

// A tensor the loop can walk as a flat array in the same order as its parameter.
bool same_layout(const torch::Tensor& t, const torch::Tensor& param) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat &&
         t.sizes() == param.sizes() && t.strides() == param.strides();
}

}  // namespace

bool FusedAdamW::fused() const {
  for (const auto& group : param_groups()) {
    if (static_cast<const AdamWOptions&>(group.options()).amsgrad()) return false;
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat ||
          !p.is_non_overlapping_and_dense() || p.grad().is_sparse() || !same_layout(p.grad(), p)) {
        return false;
      }
      const auto found = state().find(state_key(p));
      if (found == state().end()) continue;  // made below like p: zeros_like(p)
      const auto& s = static_cast<const AdamWParamState&>(*found->second);
      if (!same_layout(s.exp_avg(), p) || !same_layout(s.exp_avg_sq(), p)) return false;
    }
  }
  return true;
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  if (!fused()) return torch::optim::AdamW::step(closure);
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  std::vector<Segment> segments;
  int64_t total = 0;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const AdamWOptions&>(group.options());
    const auto [beta1, beta2] = options.betas();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto key = state_key(p);
      auto found = state().find(key);
      if (found == state().end()) {
        auto fresh = std::make_unique<AdamWParamState>();
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = state().emplace(key, std::move(fresh)).first;
      }
      auto& s = static_cast<AdamWParamState&>(*found->second);
      s.step(s.step() + 1);
      // The constants as AdamW::step makes them, in double, then as its float operators use them.
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(s.step()));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(s.step()));
      Segment seg{};
      seg.param = p.data_ptr<float>();
      seg.grad = p.grad().data_ptr<float>();
      seg.exp_avg = s.exp_avg().data_ptr<float>();
      seg.exp_avg_sq = s.exp_avg_sq().data_ptr<float>();
      seg.begin = total;
      seg.size = p.numel();
      seg.decay = static_cast<float>(1 - options.lr() * options.weight_decay());
      seg.beta1 = static_cast<float>(beta1);
      seg.one_minus_beta1 = static_cast<float>(1 - beta1);
      seg.beta2 = static_cast<float>(beta2);
      seg.one_minus_beta2 = static_cast<float>(1 - beta2);
      seg.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
      seg.eps = static_cast<float>(options.eps());
      seg.step_size = static_cast<float>(options.lr() / bias_correction1);
      segments.push_back(seg);
      total += seg.size;
    }
  }
  // Each task updates its range of the concatenated elements, tensor by tensor.
  at::parallel_for(0, total, kGrain, [&](int64_t begin, int64_t end) {
    auto s = std::upper_bound(segments.begin(), segments.end(), begin,
                              [](int64_t i, const Segment& seg) { return i < seg.begin; });
    for (--s; s != segments.end() && s->begin < end; ++s) {
      const int64_t from = std::max(begin, s->begin) - s->begin;
      const int64_t to = std::min(end, s->begin + s->size) - s->begin;
      if (from < to) update(*s, from, to);
    }
  });
  return loss;
}

}  // namespace digits::detail
