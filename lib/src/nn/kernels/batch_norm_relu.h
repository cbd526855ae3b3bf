// Training-mode batch norm followed by ReLU, in one pass forward and two backward (internal).
//
// LibTorch runs them as separate operators: batch norm's statistics and normalisation, the ReLU,
// then in the backward the ReLU's threshold_backward and batch norm's own two passes, each a
// sweep over the activation in memory; together about a quarter of a default-model training step
// (docs/results/benchmarks-2026.md). Here, for channels-last float batches on the CPU, the
// forward reads x twice (statistics; normalise + ReLU + write) and the backward recomputes the
// ReLU's mask from x instead of keeping the output, so it saves only what batch norm alone saves.
// The reference is LibTorch's own composition, batch_norm then relu; tests/nn/model_test.cpp holds
// this path to it (outputs, running statistics, all three gradients). Statistics are summed in
// fixed blocks of rows, then the blocks in order, so results do not depend on the thread count.
#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

namespace digits::detail {

// `bn` applied to `x` (with its running statistics updated as BatchNorm2d does), then ReLU when
// `relu`. Training mode on a fitting input takes the fused path; anything else (eval mode, NCHW,
// other devices or types, no affine parameters) is LibTorch's bn->forward and relu.
torch::Tensor batch_norm_relu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, bool relu);

// The reference: exactly LibTorch's bn->forward(x) and, when `relu`, torch::relu.
torch::Tensor batch_norm_relu_reference(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                        bool relu);

}  // namespace digits::detail
