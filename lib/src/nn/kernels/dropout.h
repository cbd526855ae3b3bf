// Dropout with a counter-based random stream (internal).
//
// LibTorch 1.13's CPU dropout draws its mask with bernoulli_, one call of the generator per
// element: 7-8% of a default-model training step for 0.37 M elements a batch
// (docs/results/benchmarks-2026.md). Here a 64-bit seed is drawn from LibTorch's default
// generator (so torch::manual_seed decides the masks, as the trainer's per-batch seeds require)
// and each element's keep-or-drop is a hash of that seed and the element's index: the same mask
// whatever the thread count, and a byte per element kept for the backward instead of a float.
// Float tensors on the CPU take it; anything else goes to torch::dropout, the reference.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace digits::detail {

// x with each element zeroed with probability p and the others scaled by 1 / (1 - p), when
// `training`; x itself otherwise.
torch::Tensor dropout(const torch::Tensor& x, double p, bool training);

// The keep mask (1: kept) that dropout() draws for `n` elements from `seed` with probability p.
std::vector<uint8_t> dropout_mask(uint64_t seed, int64_t n, double p);

}  // namespace digits::detail
