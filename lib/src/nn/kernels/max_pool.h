// relu(max_pool2d(x, 2)) in one pass, for channels-last float batches on the CPU (internal).
//
// LibTorch 1.13's max_pool2d backward fills the whole input gradient with zeros and then
// scatters into it through 64-bit indices: for the seed model's first pooling, a third of a
// training step (docs/results/code-notes.md). The windows of a 2x2
// stride-2 pooling of an even-sized map tile it exactly, so here the backward writes every
// input-gradient value once, from a one-byte position per output saved by the forward; the ReLU
// after the pooling (and its backward, another pass over the output) comes along for free.
// Same values and same gradients as relu(max_pool2d(x, 2)) (the first maximum in row-major order
// wins, a NaN wins over numbers); any other input (NCHW, odd sizes, other devices or types) goes
// to those two functions themselves.
#pragma once

#include <torch/types.h>

namespace digits::detail {

torch::Tensor max_pool2x2_relu(const torch::Tensor& x);

}  // namespace digits::detail
