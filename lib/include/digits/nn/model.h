// The networks, by name. Each takes a normalised batch [B, 1, 28, 28] and returns logits [B, 10].
//
//   seed   the original program's network, layer for layer: Conv 64@5x5 same + ReLU + max-pool 2,
//          Conv 32@5x5 valid + ReLU + max-pool 2, Linear 10.
//   bncnn  the default: three blocks of 3x3 convolutions with batch normalisation, a strided
//          5x5 convolution in place of pooling, and dropout (the design of the strongest
//          single models on Kaggle's Digit Recognizer). `width` is its first block's channels.
//   bnpool 5x5 convolutions with batch norm and max-pooling: a second design, to mix into
//          ensembles. `width` is its first layer's channels.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/core/image.h"
#include "digits/core/named_enum.h"

namespace digits {

struct ConvStack;  // inference.h

// The architectures. Their names (command line, checkpoints) and descriptions: names(Arch).
enum class Arch { kSeed, kBnCnn, kBnPool };
const std::vector<Named<Arch>>& names(Arch);

// What a checkpoint needs to rebuild a network: its name and hyper-parameters.
struct ModelConfig {
  Arch arch = Arch::kBnCnn;
  int64_t width = 32;    // bncnn, bnpool: channels of the first block (then 2x, 4x)
  double dropout = 0.4;  // bncnn, bnpool: dropout after each block

  bool operator==(const ModelConfig& o) const {
    return arch == o.arch && width == o.width && dropout == o.dropout;
  }
  bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

// "bncnn width 32", "seed": how every program names a model to its user.
inline std::string describe(const ModelConfig& m) {
  const std::string name(name_of(m.arch));
  return m.arch == Arch::kSeed ? name : name + " width " + std::to_string(m.width);
}

// Every architecture implements this; `forward` maps normalised images to logits. The
// implementations are private to model.cpp: make_model builds them by name.
class DigitNetImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // The current weights as a ConvStack (inference.h): new tensors, never the parameters
  // themselves.
  virtual ConvStack conv_stack() const = 0;
};
using DigitNet = std::shared_ptr<DigitNetImpl>;

const std::vector<Named<Arch>>& architectures();

// Builds the named network with fresh weights (seeded by the caller through torch::manual_seed).
Result<DigitNet> make_model(const ModelConfig& config);

int64_t parameter_count(const DigitNetImpl& net);

// "parameter fc.weight" or "buffer block1.1.running_var": the first floating-point tensor of
// `net` holding a nan or inf (the weights of a run that diverged); "" when every one is finite.
std::string first_non_finite(const DigitNetImpl& net);

}  // namespace digits
