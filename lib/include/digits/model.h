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
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <string>
#include <vector>

#include "digits/error.h"
#include "digits/image.h"

namespace digits {

struct ConvStack;  // inference.h

inline constexpr const char* kDefaultArch = "bncnn";

// What a checkpoint needs to rebuild a network: its name and hyper-parameters.
struct ModelConfig {
  std::string arch = kDefaultArch;
  int64_t width = 32;    // bncnn, bnpool: channels of the first block (then 2x, 4x)
  double dropout = 0.4;  // bncnn, bnpool: dropout after each block

  bool operator==(const ModelConfig& o) const {
    return arch == o.arch && width == o.width && dropout == o.dropout;
  }
  bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

// Every architecture implements this; `forward` maps normalised images to logits.
class DigitNetImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // The current weights as a ConvStack (inference.h): new tensors, never the parameters
  // themselves.
  virtual ConvStack conv_stack() const = 0;
};
using DigitNet = std::shared_ptr<DigitNetImpl>;

class SeedNetImpl : public DigitNetImpl {
 public:
  SeedNetImpl();
  torch::Tensor forward(torch::Tensor x) override;
  ConvStack conv_stack() const override;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
};

// The batch-normalised networks: every convolution is without bias and followed by batch norm,
// which inference folds into it (see conv_stack).
class BnNetImpl : public DigitNetImpl {
 public:
  ConvStack conv_stack() const override;

 protected:
  // Convolution, batch norm and ReLU; with `pool`, convolution and batch norm only: the forward
  // then applies detail::max_pool2x2_relu (ReLU commutes with max-pooling).
  torch::nn::Sequential conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                                int64_t padding = 0, bool pool = false);
  torch::nn::Linear fc{nullptr};

 private:
  struct ConvBn {
    torch::nn::Conv2d conv;
    torch::nn::BatchNorm2d bn;
    int64_t stride, padding;
    bool pool;
  };
  std::vector<ConvBn> conv_bns_;  // every convolution, in the order forward applies them
};

class BnCnnImpl : public BnNetImpl {
 public:
  BnCnnImpl(int64_t width, double dropout);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  torch::nn::Sequential block(int64_t in, int64_t out, bool downsample);

  torch::nn::Sequential block1{nullptr}, block2{nullptr}, block3{nullptr};
  torch::nn::Dropout drop{nullptr};
};

// 5x5 convolutions and max-pooling where bncnn has 3x3 ones and strided convolutions: another
// view of the same digits, for ensembles. Conv w@5x5 same + BN + ReLU + max-pool 2, conv 2w@5x5
// same + BN + ReLU + max-pool 2, conv 4w@3x3 valid + BN + ReLU, dropout after each, linear.
class BnPoolImpl : public BnNetImpl {
 public:
  BnPoolImpl(int64_t width, double dropout);
  torch::Tensor forward(torch::Tensor x) override;

 private:
  torch::nn::Sequential conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::Dropout drop{nullptr};
};

struct ArchInfo {
  std::string name;
  std::string description;
};

// The registered architectures, in the order `--help` lists them.
const std::vector<ArchInfo>& architectures();

// Builds the named network with fresh weights (seeded by the caller through torch::manual_seed).
Result<DigitNet> make_model(const ModelConfig& config);

int64_t parameter_count(const DigitNetImpl& net);

}  // namespace digits
