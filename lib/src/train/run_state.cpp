#include "digits/train/run_state.h"

#include <ATen/ATen.h>

namespace digits {

torch::Tensor Normalization::to_unit(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat).mul_(kUnitPerLevel);
}

torch::Tensor& Normalization::apply_(torch::Tensor& unit) const {
  return unit.sub_(mean).div_(std);
}

torch::Tensor Normalization::apply(const torch::Tensor& unit) const {
  auto x = unit.sub(mean);
  return x.div_(std);
}

}  // namespace digits
