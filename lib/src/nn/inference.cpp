#include "digits/nn/inference.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <algorithm>

#include "nn/kernels/channels_last.h"
#include "nn/kernels/onednn_net.h"

namespace digits {

InferenceNet::InferenceNet(const DigitNetImpl& net, bool prepack) : stack_(net.conv_stack()) {
  if (!prepack || !stack_.fc_weight.device().is_cpu()) return;
  primitives_ = detail::OneDnnNet::make(stack_);
  if (!at::hasMKLDNN()) return;
  torch::NoGradGuard no_grad;
  for (const auto& c : stack_.convs) {
    packed_.push_back(at::mkldnn_reorder_conv2d_weight(c.weight.contiguous().to_mkldnn(),
                                                       {c.padding, c.padding}, {c.stride, c.stride},
                                                       {1, 1}, 1));
  }
}

torch::Tensor InferenceNet::forward(const torch::Tensor& input) const {
  const bool onednn = !packed_.empty() && input.device().is_cpu();
  // LibTorch 1.13 sends a 3x3 convolution of one small image to its reference path (im2col and
  // the reference BLAS); as a batch of two the image takes oneDNN, several times faster.
  // Prepacked weights take oneDNN for any batch.
  if (!onednn && at::hasMKLDNN() && input.size(0) == 1 && input.device().is_cpu()) {
    return forward(input.expand({2, -1, -1, -1})).narrow(0, 0, 1);
  }
  torch::Tensor x = onednn ? input.contiguous().to_mkldnn() : detail::channels_last(input);
  for (size_t i = 0; i < stack_.convs.size(); ++i) {
    const auto& c = stack_.convs[i];
    x = onednn ? at::mkldnn_convolution(x, packed_[i], c.bias, {c.padding, c.padding},
                                        {c.stride, c.stride}, {1, 1}, 1)
               : torch::conv2d(x, c.weight, c.bias, c.stride, c.padding);
    if (c.pool) x = torch::max_pool2d(x, 2);
    x = torch::relu_(x);
  }
  if (onednn) x = x.to_dense();
  return torch::linear(x.flatten(1), stack_.fc_weight, stack_.fc_bias);
}

void InferenceNet::forward_one(const float* image, float* logits) const {
  if (primitives_) return primitives_->forward(image, logits);
  c10::InferenceMode guard;
  const auto x = torch::from_blob(const_cast<float*>(image), {1, 1, kImageSide, kImageSide});
  const auto y = forward(x).contiguous();
  std::copy_n(y.data_ptr<float>(), kClasses, logits);
}

}  // namespace digits
