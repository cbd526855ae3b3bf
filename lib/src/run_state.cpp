#include "digits/run_state.h"

#include <ATen/ATen.h>

namespace digits {

torch::Tensor Normalization::to_unit(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat).mul_(1.0 / 255.0);
}

torch::Tensor& Normalization::apply_(torch::Tensor& unit) const {
  return unit.sub_(mean).div_(std);
}

}  // namespace digits
