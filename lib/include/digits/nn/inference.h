// Networks frozen for inference: the form a trained network takes to predict (a Predictor makes
// one per network), and the fast paths that serve it. model.h is the reference they are tested
// against: InferenceNet gives the eval-mode forward's logits up to float rounding.
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "digits/nn/model.h"

namespace digits {

namespace detail {
class OneDnnNet;
}

// A network as inference computes it: convolutions, each followed by ReLU (after a 2x2 max-pool
// where `pool`), then one linear layer on the flattened result. Batch norm is folded into the
// convolution before it and dropout is gone, so it gives the eval-mode logits up to float rounding.
// DigitNetImpl::conv_stack() makes one.
struct ConvStack {
  struct Conv {
    torch::Tensor weight, bias;
    int64_t stride = 1, padding = 0;
    bool pool = false;
  };
  std::vector<Conv> convs;
  torch::Tensor fc_weight, fc_bias;
};

// A network frozen for inference: its ConvStack, and on the CPU the convolution weights
// prepacked for oneDNN, whose tensors then flow through every layer (a single image takes
// oneDNN's kernels, not LibTorch's reference convolution). Where the build found oneDNN's headers,
// a single image skips LibTorch altogether: the layers are oneDNN primitives made once, here. It
// copies the weights when made: later training of the network does not reach it.
class InferenceNet {
 public:
  // `prepack` false keeps the plain path that other devices take (the tests compare the two).
  explicit InferenceNet(const DigitNetImpl& net, bool prepack = true);
  // Logits [B, 10] for normalised images [B, 1, 28, 28] on the network's device.
  torch::Tensor forward(const torch::Tensor& x) const;
  // Logits [10] for one normalised image [28 * 28] on the CPU: the drawing app's hot path.
  void forward_one(const float* image, float* logits) const;

 private:
  ConvStack stack_;
  std::vector<torch::Tensor> packed_;  // oneDNN weights per convolution; empty: the plain path
  std::shared_ptr<const detail::OneDnnNet> primitives_;  // one image; null: forward() does it
};

}  // namespace digits
