#include "digits/model.h"

#include <torch/nn/functional.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>
#include <torch/torch.h>

#include "channels_last.h"
#include "digits/inference.h"
#include "max_pool.h"

namespace digits {

namespace F = torch::nn::functional;

namespace {
DigitNet with_channels_last_weights(DigitNet net) {
  detail::store_channels_last(*net);
  return net;
}
}  // namespace
using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

SeedNetImpl::SeedNetImpl() {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(1, 64, 5).padding(2)));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(64, 32, 5)));
  fc = register_module("fc", torch::nn::Linear(32 * 5 * 5, kClasses));
}

torch::Tensor SeedNetImpl::forward(torch::Tensor x) {
  x = detail::channels_last(x);
  // ReLU after max-pooling: the two commute, so the values and gradients are the same as
  // ReLU-then-pool. Both in one pass, with a backward that writes each gradient once.
  x = detail::max_pool2x2_relu(conv1(x));  // 64 x 14 x 14
  x = detail::max_pool2x2_relu(conv2(x));  // 32 x 5 x 5
  return fc(x.flatten(1));
}

ConvStack SeedNetImpl::conv_stack() const {
  torch::NoGradGuard no_grad;
  ConvStack s;
  s.convs.push_back({conv1->weight.clone(), conv1->bias.clone(), 1, 2, true});
  s.convs.push_back({conv2->weight.clone(), conv2->bias.clone(), 1, 0, true});
  s.fc_weight = fc->weight.clone();
  s.fc_bias = fc->bias.clone();
  return s;
}

// Convolution without bias (batch norm supplies it), batch norm, and ReLU unless pooling follows.
torch::nn::Sequential BnNetImpl::conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                         int64_t padding, bool pool) {
  Conv2d conv(Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
  BatchNorm2d bn(out);
  conv_bns_.push_back({conv, bn, stride, padding, pool});
  if (pool) return torch::nn::Sequential(conv, bn);
  return torch::nn::Sequential(conv, bn, torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
}

// Batch norm in eval mode is y = (x - mean) / sqrt(var + eps) * gamma + beta per channel: a
// scale of the convolution's weights and a bias. Folded in double, then stored as float. The
// pooling comes after the folded batch norm, as in the forward, so a negative gamma needs no care.
ConvStack BnNetImpl::conv_stack() const {
  torch::NoGradGuard no_grad;
  ConvStack s;
  for (const auto& c : conv_bns_) {
    const auto& bn = *c.bn;
    const auto scale = bn.weight.to(torch::kDouble) /
                       (bn.running_var.to(torch::kDouble) + bn.options.eps()).sqrt();
    const auto weight = c.conv->weight.to(torch::kDouble) * scale.view({-1, 1, 1, 1});
    const auto bias = bn.bias.to(torch::kDouble) - bn.running_mean.to(torch::kDouble) * scale;
    s.convs.push_back({weight.to(torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast),
                       bias.to(torch::kFloat), c.stride, c.padding, c.pool});
  }
  s.fc_weight = fc->weight.clone();
  s.fc_bias = fc->bias.clone();
  return s;
}

// Two 3x3 convolutions, then a strided 5x5 one that halves the size (a learned pooling).
torch::nn::Sequential BnCnnImpl::block(int64_t in, int64_t out, bool downsample) {
  torch::nn::Sequential b;
  b->extend(*conv_bn(in, out, 3));
  b->extend(*conv_bn(out, out, 3));
  if (downsample) b->extend(*conv_bn(out, out, 5, 2, 2));
  return b;
}

BnCnnImpl::BnCnnImpl(int64_t width, double dropout) {
  block1 = register_module("block1", block(1, width, true));             // 28 -> 24 -> 12
  block2 = register_module("block2", block(width, 2 * width, true));     // 12 -> 8 -> 4
  block3 = register_module("block3", conv_bn(2 * width, 4 * width, 4));  // 4 -> 1
  drop = register_module("drop", torch::nn::Dropout(dropout));
  fc = register_module("fc", torch::nn::Linear(4 * width, kClasses));
}

torch::Tensor BnCnnImpl::forward(torch::Tensor x) {
  x = detail::channels_last(x);
  x = drop(block1->forward(x));
  x = drop(block2->forward(x));
  x = drop(block3->forward(x).flatten(1));
  return fc(x);
}

BnPoolImpl::BnPoolImpl(int64_t width, double dropout) {
  conv1 = register_module("conv1", conv_bn(1, width, 5, 1, 2, true));          // 28, pool 14
  conv2 = register_module("conv2", conv_bn(width, 2 * width, 5, 1, 2, true));  // 14, pool 7
  conv3 = register_module("conv3", conv_bn(2 * width, 4 * width, 3));          // 7 -> 5
  drop = register_module("drop", torch::nn::Dropout(dropout));
  fc = register_module("fc", torch::nn::Linear(4 * width * 5 * 5, kClasses));
}

torch::Tensor BnPoolImpl::forward(torch::Tensor x) {
  x = detail::channels_last(x);
  x = drop(detail::max_pool2x2_relu(conv1->forward(x)));
  x = drop(detail::max_pool2x2_relu(conv2->forward(x)));
  x = drop(conv3->forward(x).flatten(1));
  return fc(x);
}

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> list = {
      {"bncnn",
       "default; 3x3 conv blocks with batch norm, strided 5x5 downsampling, dropout "
       "(--width channels, --dropout)"},
      {"bnpool",
       "5x5 conv layers with batch norm and max-pooling, dropout: a second design for "
       "ensembles (--width channels, --dropout)"},
      {"seed", "the original program's network: conv 64@5x5, pool, conv 32@5x5, pool, linear"},
  };
  return list;
}

Result<DigitNet> make_model(const ModelConfig& config) {
  if (config.arch == "seed") return with_channels_last_weights(std::make_shared<SeedNetImpl>());
  if (config.arch == "bncnn" || config.arch == "bnpool") {
    if (config.width < 1 || config.width > 1024) {
      return Error{"model width " + std::to_string(config.width) + " is not in 1..1024"};
    }
    if (!(config.dropout >= 0.0 && config.dropout < 1.0)) {
      return Error{"dropout " + std::to_string(config.dropout) + " is not in [0, 1)"};
    }
    if (config.arch == "bnpool") {
      return with_channels_last_weights(std::make_shared<BnPoolImpl>(config.width, config.dropout));
    }
    return with_channels_last_weights(std::make_shared<BnCnnImpl>(config.width, config.dropout));
  }
  std::string names;
  for (const auto& a : architectures()) names += (names.empty() ? "" : ", ") + a.name;
  return Error{"unknown model '" + config.arch + "'; known models: " + names};
}

int64_t parameter_count(const DigitNetImpl& net) {
  int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return n;
}

}  // namespace digits
