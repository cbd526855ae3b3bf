#include "nn/kernels/channels_last.h"

#include <torch/torch.h>

namespace digits::detail {

torch::Tensor channels_last(const torch::Tensor& x) {
  if (x.dim() == 4 && x.size(1) == 1 && x.is_contiguous()) {
    return x.as_strided(x.sizes(), {x.size(2) * x.size(3), 1, x.size(3), 1});
  }
  return x.contiguous(torch::MemoryFormat::ChannelsLast);
}

void store_channels_last(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace digits::detail
