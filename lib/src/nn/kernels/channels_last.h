// Channels-last (NHWC) tensors for the CPU's fast kernels (internal).
//
// Channels-last batches and weights take oneDNN's fast convolution and the vectorised pooling
// kernels; NCHW took the slower ones (a seed-model training step 1.2x, its inference 1.8x
// faster). The networks of model.cpp and the plain path of InferenceNet both use them.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

namespace digits::detail {

// `x` with channels-last strides. A one-channel batch is the same bytes in both layouts, so only
// its strides need to say so: contiguous(ChannelsLast) would leave them as they are.
torch::Tensor channels_last(const torch::Tensor& x);

// Stores every 4-d parameter of `net` (the convolution weights) channels-last, in place.
void store_channels_last(torch::nn::Module& net);

}  // namespace digits::detail
