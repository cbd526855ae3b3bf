// The optimizers a run can train with (--optimizer), made for a network.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "digits/core/named_enum.h"
#include "digits/nn/model.h"

namespace digits {

struct TrainConfig;

enum class Optimizer { kSgd, kAdam, kAdamW };
const std::vector<Named<Optimizer>>& names(Optimizer);

// The optimizer `c.optimizer` over `net`'s parameters with `c`'s rate, momentum and weight decay
// (AdamW: the library's fused one, nn/kernels/adamw.h).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, DigitNetImpl& net);

}  // namespace digits
