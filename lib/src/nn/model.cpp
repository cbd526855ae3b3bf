#include "digits/nn/model.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <initializer_list>
#include <vector>

#include "digits/nn/inference.h"
#include "nn/kernels/batch_norm_relu.h"
#include "nn/kernels/channels_last.h"
#include "nn/kernels/conv2d.h"
#include "nn/kernels/dropout.h"
#include "nn/kernels/max_pool.h"

namespace digits {

namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

// The layer names below are what checkpoints store (tests/nn/model_test.cpp lists them all):
// renaming a module, or nesting one more deeply, makes every saved file unreadable.

// The original program's network: conv 64@5x5 same + ReLU + max-pool 2, conv 32@5x5 valid +
// ReLU + max-pool 2, linear 10.
class SeedNetImpl : public DigitNetImpl {
 public:
  SeedNetImpl() {
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(1, 64, 5).padding(2)));
    conv2 = register_module("conv2", Conv2d(Conv2dOptions(64, 32, 5)));
    fc = register_module("fc", torch::nn::Linear(32 * 5 * 5, kClasses));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = detail::channels_last(x);
    // ReLU after max-pooling: the two commute, so the values and gradients are the same as
    // ReLU-then-pool. Both in one pass, with a backward that writes each gradient once.
    x = detail::max_pool2x2_relu(conv1(x));  // 64 x 14 x 14
    x = detail::max_pool2x2_relu(conv2(x));  // 32 x 5 x 5
    return fc(x.flatten(1));
  }

  ConvStack conv_stack() const override {
    torch::NoGradGuard no_grad;
    ConvStack s;
    s.convs.push_back({conv1->weight.clone(), conv1->bias.clone(), 1, 2, true});
    s.convs.push_back({conv2->weight.clone(), conv2->bias.clone(), 1, 0, true});
    s.fc_weight = fc->weight.clone();
    s.fc_bias = fc->bias.clone();
    return s;
  }

 private:
  Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
};

// Convolution without bias (batch norm supplies it), batch norm, and ReLU unless `pool`: then
// the network's forward applies detail::max_pool2x2_relu after it (ReLU commutes with
// max-pooling). A Sequential, because that is how the first checkpoints named these layers:
// "0" the convolution, "1" the batch norm, "2" the ReLU.
class ConvBnImpl : public torch::nn::SequentialImpl {
 public:
  ConvBnImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
             bool pool = false)
      : conv_(Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)),
        bn_(out),
        stride_(stride),
        padding_(padding),
        pool_(pool) {
    push_back(conv_);
    push_back(bn_);
    if (!pool) push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
  }

  // What the Sequential's forward computes, the convolution on oneDNN's primitives (conv2d.h)
  // and batch norm and ReLU in one fused operator while training (batch_norm_relu.h); the
  // networks call this rather than the Sequential's forward.
  torch::Tensor forward_fused(const torch::Tensor& x) {
    return detail::batch_norm_relu(*bn_, detail::conv2d(x, conv_->weight, stride_, padding_),
                                   !pool_);
  }

  // The convolution with the batch norm folded in, as inference computes it. Batch norm in eval
  // mode is y = (x - mean) / sqrt(var + eps) * gamma + beta per channel: a scale of the
  // convolution's weights and a bias. Folded in double, then stored as float. The pooling comes
  // after the folded batch norm, as in the forward, so a negative gamma needs no care.
  ConvStack::Conv folded() const {
    torch::NoGradGuard no_grad;
    const auto& bn = *bn_;
    const auto scale = bn.weight.to(torch::kDouble) /
                       (bn.running_var.to(torch::kDouble) + bn.options.eps()).sqrt();
    const auto weight = conv_->weight.to(torch::kDouble) * scale.view({-1, 1, 1, 1});
    const auto bias = bn.bias.to(torch::kDouble) - bn.running_mean.to(torch::kDouble) * scale;
    return {weight.to(torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast),
            bias.to(torch::kFloat), stride_, padding_, pool_};
  }

 private:
  Conv2d conv_;
  BatchNorm2d bn_;
  int64_t stride_, padding_;
  bool pool_;
};
TORCH_MODULE(ConvBn);

// The batch-normalised networks: every convolution is a ConvBn, which inference folds.
class BnNetImpl : public DigitNetImpl {
 public:
  ConvStack conv_stack() const override {
    torch::NoGradGuard no_grad;
    ConvStack s;
    for (const auto& c : conv_bns_) s.convs.push_back(c->folded());
    s.fc_weight = fc->weight.clone();
    s.fc_bias = fc->bias.clone();
    return s;
  }

 protected:
  // conv_bns_[begin, end) applied in turn, each fused (ConvBn::forward_fused).
  torch::Tensor layers(size_t begin, size_t end, torch::Tensor x) {
    for (size_t i = begin; i < end; ++i) x = conv_bns_[i]->forward_fused(x);
    return x;
  }
  torch::Tensor drop_out(const torch::Tensor& x) {
    return detail::dropout(x, drop->options.p(), is_training());
  }

  // Every ConvBn is made here, in the order forward applies them (the order of conv_stack).
  ConvBn conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                 bool pool = false) {
    return conv_bns_.emplace_back(in, out, kernel, stride, padding, pool);
  }
  // Several ConvBn as one Sequential of their layers (block1.0 ... block1.8), not of the ConvBn
  // themselves, which would add a level to every name.
  static torch::nn::Sequential stage(std::initializer_list<ConvBn> layers) {
    torch::nn::Sequential s;
    for (const auto& l : layers) s->extend(*l);
    return s;
  }

  torch::nn::Linear fc{nullptr};
  torch::nn::Dropout drop{nullptr};  // its probability; drop_out() applies it

 private:
  std::vector<ConvBn> conv_bns_;
};

// The default: three blocks of 3x3 convolutions with batch norm, a strided 5x5 convolution in
// place of pooling, dropout after each block, linear.
class BnCnnImpl : public BnNetImpl {
 public:
  BnCnnImpl(int64_t width, double dropout) {
    block1 = register_module("block1", block(1, width));                   // 28 -> 24 -> 12
    block2 = register_module("block2", block(width, 2 * width));           // 12 -> 8 -> 4
    block3 = register_module("block3", conv_bn(2 * width, 4 * width, 4));  // 4 -> 1
    drop = register_module("drop", torch::nn::Dropout(dropout));
    fc = register_module("fc", torch::nn::Linear(4 * width, kClasses));
  }

  // block1 and block2 hold the ConvBn layers under their checkpoint names; the forward applies
  // the ConvBn themselves (conv_bns_ 0-2, 3-5, then block3), which fuse batch norm and ReLU.
  torch::Tensor forward(torch::Tensor x) override {
    x = detail::channels_last(x);
    x = drop_out(layers(0, 3, x));
    x = drop_out(layers(3, 6, x));
    x = drop_out(layers(6, 7, x).flatten(1));
    return fc(x);
  }

 private:
  // Two 3x3 convolutions, then a strided 5x5 one that halves the size (a learned pooling).
  torch::nn::Sequential block(int64_t in, int64_t out) {
    return stage({conv_bn(in, out, 3), conv_bn(out, out, 3), conv_bn(out, out, 5, 2, 2)});
  }

  torch::nn::Sequential block1{nullptr}, block2{nullptr};
  ConvBn block3{nullptr};
};

// 5x5 convolutions and max-pooling where bncnn has 3x3 ones and strided convolutions: another
// view of the same digits, for ensembles. Conv w@5x5 same + BN + ReLU + max-pool 2, conv 2w@5x5
// same + BN + ReLU + max-pool 2, conv 4w@3x3 valid + BN + ReLU, dropout after each, linear.
class BnPoolImpl : public BnNetImpl {
 public:
  BnPoolImpl(int64_t width, double dropout) {
    conv1 = register_module("conv1", conv_bn(1, width, 5, 1, 2, true));          // 28, pool 14
    conv2 = register_module("conv2", conv_bn(width, 2 * width, 5, 1, 2, true));  // 14, pool 7
    conv3 = register_module("conv3", conv_bn(2 * width, 4 * width, 3));          // 7 -> 5
    drop = register_module("drop", torch::nn::Dropout(dropout));
    fc = register_module("fc", torch::nn::Linear(4 * width * 5 * 5, kClasses));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = detail::channels_last(x);
    x = drop_out(detail::max_pool2x2_relu(conv1->forward_fused(x)));
    x = drop_out(detail::max_pool2x2_relu(conv2->forward_fused(x)));
    x = drop_out(conv3->forward_fused(x).flatten(1));
    return fc(x);
  }

 private:
  ConvBn conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
};

template <class Net, class... Args>
DigitNet make(Args... args) {
  auto net = std::make_shared<Net>(args...);
  detail::store_channels_last(*net);
  return net;
}

}  // namespace

const std::vector<Named<Arch>>& names(Arch) {
  static const std::vector<Named<Arch>> list = {
      {Arch::kBnCnn, "bncnn",
       "default; 3x3 conv blocks with batch norm, strided 5x5 downsampling, dropout "
       "(--width channels, --dropout)"},
      {Arch::kBnPool, "bnpool",
       "5x5 conv layers with batch norm and max-pooling, dropout: a second design for "
       "ensembles (--width channels, --dropout)"},
      {Arch::kSeed, "seed",
       "the original program's network: conv 64@5x5, pool, conv 32@5x5, pool, linear"},
  };
  return list;
}

const std::vector<Named<Arch>>& architectures() { return names(Arch{}); }

Result<DigitNet> make_model(const ModelConfig& config) {
  if (config.arch == Arch::kSeed) return make<SeedNetImpl>();
  if (config.arch == Arch::kBnCnn || config.arch == Arch::kBnPool) {
    if (config.width < 1 || config.width > 1024) {
      return Error{"model width " + std::to_string(config.width) + " is not in 1..1024"};
    }
    if (!(config.dropout >= 0.0 && config.dropout < 1.0)) {
      return Error{"dropout " + std::to_string(config.dropout) + " is not in [0, 1)"};
    }
    if (config.arch == Arch::kBnPool) return make<BnPoolImpl>(config.width, config.dropout);
    return make<BnCnnImpl>(config.width, config.dropout);
  }
  return Error{"unknown model (" + std::to_string(static_cast<int>(config.arch)) +
               "); known models: " + name_list<Arch>(", ")};
}

std::string first_non_finite(const DigitNetImpl& net) {
  for (const auto& p : net.named_parameters()) {
    if (!torch::isfinite(p.value()).all().item<bool>()) return "parameter " + p.key();
  }
  for (const auto& b : net.named_buffers()) {
    if (b.value().is_floating_point() && !torch::isfinite(b.value()).all().item<bool>()) {
      return "buffer " + b.key();
    }
  }
  return {};
}

int64_t parameter_count(const DigitNetImpl& net) {
  int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return n;
}

}  // namespace digits
