// Training-time distortion of a batch: the affine and elastic augmentation of each image, and
// mixup (a batch blended with a shuffled copy of itself). Each draws from torch's default
// generator, which the trainer seeds per batch, so a resumed run redraws the same distortions.
#pragma once

#include <torch/types.h>

#include "digits/train/augment_config.h"

namespace digits {

// `a`'s distortion of a float batch [B, 1, 28, 28] in 0..1, drawn from torch's default
// generator (the affine parameters first; the elastic field only when it is on, so runs
// without it draw exactly what they drew before it existed).
torch::Tensor augment(const torch::Tensor& images, const AugmentConfig& a);

// A training batch blended with a shuffled copy of itself (mixup, Zhang et al. 2018): the
// network sees `weight` * image i + (1 - weight) * image partner[i] and is trained towards both
// labels in the same proportion (`mixed_training_loss`, trainer.h).
struct MixedBatch {
  torch::Tensor images;   // like the input
  torch::Tensor partner;  // [B] int64, on the images' device: a permutation of 0..B-1
  double weight = 1.0;    // drawn from Beta(alpha, alpha)
};

// Draws the weight (two Gamma(alpha) numbers, on the CPU) and then the permutation (a CPU
// randperm) from torch's default generator, so a run is the same on every device. `alpha` > 0.
MixedBatch mixup(const torch::Tensor& images, double alpha);

}  // namespace digits
