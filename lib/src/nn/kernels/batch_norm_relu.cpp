#include "nn/kernels/batch_norm_relu.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "nn/kernels/vector_clones.h"

namespace digits::detail {
namespace {

// Rows (pixels of the batch) per block of the statistics: float sums within a block, double
// across blocks, added in block order whatever the threads.
constexpr int64_t kBlockRows = 64;

// Sums and sums of squares per channel of rows [begin, end) of x [rows, c].
DIGITS_VECTOR_CLONES
void block_moments(const float* __restrict x, int64_t begin, int64_t end, int64_t c,
                   float* __restrict sum, float* __restrict sum_sq) {
  for (int64_t k = 0; k < c; ++k) sum[k] = sum_sq[k] = 0.f;
  for (int64_t r = begin; r < end; ++r) {
    const float* row = x + r * c;
    for (int64_t k = 0; k < c; ++k) {
      sum[k] += row[k];
      sum_sq[k] += row[k] * row[k];
    }
  }
}

// y = x * a + b per channel, and its ReLU when `relu`.
DIGITS_VECTOR_CLONES
void normalise_rows(const float* __restrict x, float* __restrict y, int64_t begin, int64_t end,
                    int64_t c, const float* __restrict a, const float* __restrict b, bool relu) {
  for (int64_t r = begin; r < end; ++r) {
    const float* in = x + r * c;
    float* out = y + r * c;
    if (relu) {
      for (int64_t k = 0; k < c; ++k) {
        const float v = in[k] * a[k] + b[k];
        out[k] = v > 0.f ? v : 0.f;
      }
    } else {
      for (int64_t k = 0; k < c; ++k) out[k] = in[k] * a[k] + b[k];
    }
  }
}

// Per channel over rows [begin, end): the sum of dz and of dz * (x - mean), where dz is the
// output gradient g behind the ReLU's mask (recomputed from x: x * a + b > 0).
DIGITS_VECTOR_CLONES
void block_grad_sums(const float* __restrict x, const float* __restrict g, int64_t begin,
                     int64_t end, int64_t c, const float* __restrict a, const float* __restrict b,
                     const float* __restrict mean, bool relu, float* __restrict sum_dz,
                     float* __restrict sum_dz_xc) {
  for (int64_t k = 0; k < c; ++k) sum_dz[k] = sum_dz_xc[k] = 0.f;
  for (int64_t r = begin; r < end; ++r) {
    const float* in = x + r * c;
    const float* gr = g + r * c;
    for (int64_t k = 0; k < c; ++k) {
      const float dz = (!relu || in[k] * a[k] + b[k] > 0.f) ? gr[k] : 0.f;
      sum_dz[k] += dz;
      sum_dz_xc[k] += dz * (in[k] - mean[k]);
    }
  }
}

// dx = p * dz - q * x + s per channel (batch norm's input gradient, with its per-channel terms
// folded into p, q and s).
DIGITS_VECTOR_CLONES
void input_grad_rows(const float* __restrict x, const float* __restrict g, float* __restrict dx,
                     int64_t begin, int64_t end, int64_t c, const float* __restrict a,
                     const float* __restrict b, bool relu, const float* __restrict p,
                     const float* __restrict q, const float* __restrict s) {
  for (int64_t r = begin; r < end; ++r) {
    const float* in = x + r * c;
    const float* gr = g + r * c;
    float* out = dx + r * c;
    for (int64_t k = 0; k < c; ++k) {
      const float dz = (!relu || in[k] * a[k] + b[k] > 0.f) ? gr[k] : 0.f;
      out[k] = p[k] * dz - q[k] * in[k] + s[k];
    }
  }
}

// Per-channel totals of two per-block quantities over all rows of x [rows, c], in double.
template <class BlockFn>
void channel_totals(int64_t rows, int64_t c, std::vector<double>& first,
                    std::vector<double>& second, const BlockFn& block) {
  const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<float> partial(static_cast<size_t>(blocks * 2 * c));
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* p = partial.data() + i * 2 * c;
      block(i * kBlockRows, std::min(rows, (i + 1) * kBlockRows), p, p + c);
    }
  });
  first.assign(static_cast<size_t>(c), 0.0);
  second.assign(static_cast<size_t>(c), 0.0);
  for (int64_t i = 0; i < blocks; ++i) {
    const float* p = partial.data() + i * 2 * c;
    for (int64_t k = 0; k < c; ++k) {
      first[k] += p[k];
      second[k] += p[c + k];
    }
  }
}

// Rows of x per parallel task of the elementwise passes: ~64 KB of a 32-channel map.
int64_t grain(int64_t c) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(c, 1)); }

class BatchNormRelu : public torch::autograd::Function<BatchNormRelu> {
 public:
  // x [N, C, H, W] channels-last float; weight, bias [C]. `running_mean` and `running_var` are
  // updated in place with `momentum`, as BatchNorm2d does.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::Tensor running_mean, torch::Tensor running_var,
                               double momentum, double eps, bool relu) {
    const int64_t c = x.size(1), rows = x.numel() / c;
    const float* in = x.data_ptr<float>();
    std::vector<double> sum, sum_sq;
    channel_totals(rows, c, sum, sum_sq, [&](int64_t begin, int64_t end, float* s, float* q) {
      block_moments(in, begin, end, c, s, q);
    });
    auto mean = torch::empty({c}, x.options());
    auto invstd = torch::empty({c}, x.options());
    auto a = torch::empty({c}, x.options());
    auto b = torch::empty({c}, x.options());
    auto batch_var = torch::empty({c}, x.options().dtype(torch::kDouble));
    {
      const auto w = weight.contiguous(), bi = bias.contiguous();
      const float* gamma = w.data_ptr<float>();
      const float* beta = bi.data_ptr<float>();
      for (int64_t k = 0; k < c; ++k) {
        const double m = sum[k] / static_cast<double>(rows);
        const double var = std::max(0.0, sum_sq[k] / static_cast<double>(rows) - m * m);
        const double is = 1.0 / std::sqrt(var + eps);
        mean.data_ptr<float>()[k] = static_cast<float>(m);
        invstd.data_ptr<float>()[k] = static_cast<float>(is);
        a.data_ptr<float>()[k] = static_cast<float>(gamma[k] * is);
        b.data_ptr<float>()[k] = static_cast<float>(beta[k] - m * gamma[k] * is);
        batch_var.data_ptr<double>()[k] = var;
      }
    }
    {
      torch::NoGradGuard no_grad;
      const double unbiased = rows > 1 ? static_cast<double>(rows) / (rows - 1) : 1.0;
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum)
          .add_((batch_var * unbiased).to(running_var.scalar_type()), momentum);
    }
    auto y = torch::empty_like(x, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
    float* out = y.data_ptr<float>();
    const float* pa = a.data_ptr<float>();
    const float* pb = b.data_ptr<float>();
    at::parallel_for(0, rows, grain(c), [&](int64_t begin, int64_t end) {
      normalise_rows(in, out, begin, end, c, pa, pb, relu);
    });
    ctx->save_for_backward({x, weight, mean, invstd, a, b});
    ctx->saved_data["relu"] = relu;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto weight = saved[1].contiguous();
    const auto &mean = saved[2], &invstd = saved[3], &a = saved[4], &b = saved[5];
    const bool relu = ctx->saved_data["relu"].toBool();
    const auto g = grads[0].contiguous(torch::MemoryFormat::ChannelsLast);
    const int64_t c = x.size(1), rows = x.numel() / c;
    const float* in = x.data_ptr<float>();
    const float* go = g.data_ptr<float>();
    const float *pa = a.data_ptr<float>(), *pb = b.data_ptr<float>();
    const float* pm = mean.data_ptr<float>();
    std::vector<double> sum_dz, sum_dz_xc;
    channel_totals(rows, c, sum_dz, sum_dz_xc, [&](int64_t begin, int64_t end, float* s, float* t) {
      block_grad_sums(in, go, begin, end, c, pa, pb, pm, relu, s, t);
    });
    auto grad_weight = torch::empty({c}, weight.options());
    auto grad_bias = torch::empty({c}, weight.options());
    std::vector<float> p(static_cast<size_t>(c)), q(p.size()), s(p.size());
    const float* gamma = weight.data_ptr<float>();
    for (int64_t k = 0; k < c; ++k) {
      const double is = invstd.data_ptr<float>()[k], n = static_cast<double>(rows);
      grad_weight.data_ptr<float>()[k] = static_cast<float>(sum_dz_xc[k] * is);
      grad_bias.data_ptr<float>()[k] = static_cast<float>(sum_dz[k]);
      // dx = gamma * is * (dz - mean(dz) - xhat * mean(dz * xhat)), xhat = (x - mean) * is.
      const double pk = gamma[k] * is;
      const double qk = pk * is * is * sum_dz_xc[k] / n;
      p[k] = static_cast<float>(pk);
      q[k] = static_cast<float>(qk);
      s[k] = static_cast<float>(qk * pm[k] - pk * sum_dz[k] / n);
    }
    auto grad_in =
        torch::empty_like(x, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
    float* gi = grad_in.data_ptr<float>();
    at::parallel_for(0, rows, grain(c), [&](int64_t begin, int64_t end) {
      input_grad_rows(in, go, gi, begin, end, c, pa, pb, relu, p.data(), q.data(), s.data());
    });
    return {grad_in, grad_weight, grad_bias, {}, {}, {}, {}, {}};
  }
};

}  // namespace

torch::Tensor batch_norm_relu_reference(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                        bool relu) {
  auto y = bn.forward(x);
  return relu ? torch::relu(y) : y;
}

torch::Tensor batch_norm_relu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, bool relu) {
  const auto& o = bn.options;
  const bool fits = bn.is_training() && o.affine() && o.track_running_stats() &&
                    o.momentum().has_value() && x.dim() == 4 && x.device().is_cpu() &&
                    x.scalar_type() == torch::kFloat && bn.weight.scalar_type() == torch::kFloat &&
                    x.is_contiguous(torch::MemoryFormat::ChannelsLast) && x.numel() > x.size(1);
  if (!fits) return batch_norm_relu_reference(bn, x, relu);
  {
    torch::NoGradGuard no_grad;
    bn.num_batches_tracked += 1;  // as BatchNorm2d's forward counts them
  }
  return BatchNormRelu::apply(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, *o.momentum(),
                              o.eps(), relu);
}

}  // namespace digits::detail
