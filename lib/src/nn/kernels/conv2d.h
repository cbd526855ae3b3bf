// Training convolutions on oneDNN primitives made once per shape (internal).
//
// LibTorch 1.13 runs a CPU convolution through ideep, which on every call looks up or builds a
// primitive, reorders the weights into oneDNN's blocked layout (forward and again backward) and
// allocates its scratch space; its first layer (one input channel) takes a slower path still.
// Measured on the default model's seven convolutions at batch 64, two threads: 34 ms a step
// inside LibTorch against 23-27 ms for the same oneDNN primitives called directly
// (docs/results/benchmarks-2026.md). Here each shape's forward, backward-data and
// backward-weights primitives are made once and kept; a call wraps the tensors' own memory,
// reorders only the weights (and the weight gradient back), and runs. Activations stay
// channels-last (oneDNN's nhwc), the layout batch_norm_relu.h works in.
//
// The reference is torch::conv2d; tests/nn/kernels_test.cpp holds this path to it (values and both
// gradients). Builds without oneDNN beside their LibTorch (DIGITS_HAVE_ONEDNN unset), other
// devices and types take the reference.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace digits::detail {

// A convolution of x [N, C, H, W] with weight [O, C, K, K], no bias, square stride and padding;
// differentiable in both. Float CPU tensors take oneDNN's primitives when the build has them;
// the result is channels-last.
torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                     int64_t padding);

// The reference: torch::conv2d(x, weight, {}, stride, padding).
torch::Tensor conv2d_reference(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                               int64_t padding);

// Whether conv2d() runs x and weight through oneDNN's primitives (tests).
bool conv2d_is_fast(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                    int64_t padding);

}  // namespace digits::detail
