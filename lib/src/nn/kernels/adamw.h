// AdamW in one pass over all parameters (internal).
//
// LibTorch's AdamW::step runs seven tensor operators per parameter tensor, each its own pass
// over memory and its own dispatch; the default model's 23 tensors made 160 small operators a
// step, most below LibTorch's grain for a second thread (1.6-2.0 ms of a ~40 ms step, two
// threads). FusedAdamW computes the same update, element by element in one parallel loop over
// all of them, with the same state (AdamWParamState: step, exp_avg, exp_avg_sq), so its saved
// state is LibTorch's and either loads the other's. Parameters it cannot take (not float, not
// on the CPU, gradients laid out unlike their parameters, amsgrad) make the whole step
// LibTorch's: the reference, which tests/nn/kernels_test.cpp holds it to.
#pragma once

#include <torch/optim/adamw.h>

#include <vector>

namespace digits::detail {

class FusedAdamW : public torch::optim::AdamW {
 public:
  FusedAdamW(std::vector<torch::Tensor> params, torch::optim::AdamWOptions options)
      : torch::optim::AdamW(std::move(params), options) {}

  torch::Tensor step(LossClosure closure = nullptr) override;

  // Whether the next step takes the fused loop (tests).
  bool fused() const;
};

}  // namespace digits::detail
