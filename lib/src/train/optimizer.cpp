#include "digits/train/optimizer.h"

#include <torch/torch.h>

#include <memory>

#include "digits/train/options.h"
#include "nn/kernels/adamw.h"

namespace digits {

const std::vector<Named<Optimizer>>& names(Optimizer) {
  static const std::vector<Named<Optimizer>> n = {
      {Optimizer::kSgd, "sgd", "SGD with Nesterov momentum"},
      {Optimizer::kAdam, "adam", "Adam"},
      {Optimizer::kAdamW, "adamw", "AdamW (decoupled weight decay)"},
  };
  return n;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, DigitNetImpl& net) {
  switch (c.optimizer) {
    case Optimizer::kSgd:
      return std::make_unique<torch::optim::SGD>(net.parameters(),
                                                 torch::optim::SGDOptions(c.lr)
                                                     .momentum(c.momentum)
                                                     .nesterov(c.momentum > 0)
                                                     .weight_decay(c.weight_decay));
    case Optimizer::kAdam:
      return std::make_unique<torch::optim::Adam>(
          net.parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
    case Optimizer::kAdamW:
      break;
  }
  return std::make_unique<detail::FusedAdamW>(
      net.parameters(), torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
}

}  // namespace digits
