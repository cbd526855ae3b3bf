#include "digits/model.h"

#include <torch/nn/functional.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/pooling.h>

namespace digits {

namespace F = torch::nn::functional;

namespace {
// Channels-last (NHWC) batches and weights take oneDNN's fast convolution and the vectorised
// pooling kernels; NCHW took the slower ones (a seed-model step 1.2x, its inference 1.8x faster).
// A one-channel batch is the same bytes in both layouts, so only its strides need to say so:
// contiguous(ChannelsLast) would leave them as they are.
torch::Tensor channels_last(const torch::Tensor& x) {
  if (x.dim() == 4 && x.size(1) == 1 && x.is_contiguous()) {
    return x.as_strided(x.sizes(), {x.size(2) * x.size(3), 1, x.size(3), 1});
  }
  return x.contiguous(torch::MemoryFormat::ChannelsLast);
}

DigitNet with_channels_last_weights(DigitNet net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net->parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
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
  x = channels_last(x);
  // ReLU after max-pooling: the two commute, so the values and gradients are the same as
  // ReLU-then-pool, with a quarter of the ReLU's memory traffic.
  x = torch::relu(F::max_pool2d(conv1(x), F::MaxPool2dFuncOptions(2)));  // 64 x 14 x 14
  x = torch::relu(F::max_pool2d(conv2(x), F::MaxPool2dFuncOptions(2)));  // 32 x 5 x 5
  return fc(x.flatten(1));
}

namespace {
// Convolution without bias (batch norm supplies it), batch norm, ReLU.
torch::nn::Sequential conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                              int64_t padding = 0) {
  return torch::nn::Sequential(
      Conv2d(Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)),
      BatchNorm2d(out), torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
}

// Two 3x3 convolutions, then a strided 5x5 one that halves the size (a learned pooling).
torch::nn::Sequential block(int64_t in, int64_t out, bool downsample) {
  torch::nn::Sequential b;
  b->extend(*conv_bn(in, out, 3));
  b->extend(*conv_bn(out, out, 3));
  if (downsample) b->extend(*conv_bn(out, out, 5, 2, 2));
  return b;
}
}  // namespace

BnCnnImpl::BnCnnImpl(int64_t width, double dropout) {
  block1 = register_module("block1", block(1, width, true));             // 28 -> 24 -> 12
  block2 = register_module("block2", block(width, 2 * width, true));     // 12 -> 8 -> 4
  block3 = register_module("block3", conv_bn(2 * width, 4 * width, 4));  // 4 -> 1
  drop = register_module("drop", torch::nn::Dropout(dropout));
  fc = register_module("fc", torch::nn::Linear(4 * width, kClasses));
}

torch::Tensor BnCnnImpl::forward(torch::Tensor x) {
  // LibTorch 1.13 sends a 3x3 convolution of one small image to its reference path (im2col and
  // the reference BLAS); as a batch of two the image takes oneDNN, 3.3x faster in all.
  if (x.size(0) == 1 && !is_training()) {
    return forward(x.expand({2, -1, -1, -1})).narrow(0, 0, 1);
  }
  x = channels_last(x);
  x = drop(block1->forward(x));
  x = drop(block2->forward(x));
  x = drop(block3->forward(x).flatten(1));
  return fc(x);
}

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> list = {
      {"bncnn",
       "default; 3x3 conv blocks with batch norm, strided 5x5 downsampling, dropout "
       "(--width channels, --dropout)"},
      {"seed", "the original program's network: conv 64@5x5, pool, conv 32@5x5, pool, linear"},
  };
  return list;
}

Result<DigitNet> make_model(const ModelConfig& config) {
  if (config.arch == "seed") return with_channels_last_weights(std::make_shared<SeedNetImpl>());
  if (config.arch == "bncnn") {
    if (config.width < 1 || config.width > 1024) {
      return Error{"model width " + std::to_string(config.width) + " is not in 1..1024"};
    }
    if (!(config.dropout >= 0.0 && config.dropout < 1.0)) {
      return Error{"dropout " + std::to_string(config.dropout) + " is not in [0, 1)"};
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
