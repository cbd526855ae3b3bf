// Using trained networks: one checkpoint or an ensemble, optionally with test-time shifts.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"
#include "digits/core/image.h"
#include "digits/nn/inference.h"
#include "digits/nn/model.h"

namespace digits {

struct Prediction {
  std::array<float, kClasses> probabilities{};
  int digit = 0;           // the most likely digit
  float confidence = 0.f;  // its probability
};

// Freezes each network for inference when made (InferenceNet): training a member's network
// afterwards does not change what the predictor computes.
class Predictor {
 public:
  // Loads one checkpoint, or several as an ensemble whose probabilities are averaged; an
  // ensemble file (checkpoint.h save_ensemble) adds each of its members.
  static Result<Predictor> load(const std::vector<std::string>& checkpoint_paths,
                                torch::Device device = torch::Device(torch::kCPU));
  // Wraps networks already in memory (e.g. just trained); each with its own normalisation.
  static Predictor from_checkpoints(std::vector<Checkpoint> members,
                                    torch::Device device = torch::Device(torch::kCPU));

  // Class probabilities [N, 10] (float, CPU) for images [N, 28, 28]: uint8 0..255, or float
  // 0..1. With `tta`, each image is also shifted one pixel in each of four directions and the
  // five results averaged.
  torch::Tensor probabilities(const torch::Tensor& images, bool tta = false,
                              int64_t batch_size = 1000) const;
  // The same, calling `on_batch(images_done, images_total)` after each batch (progress lines).
  torch::Tensor probabilities(const torch::Tensor& images, bool tta, int64_t batch_size,
                              const std::function<void(int64_t, int64_t)>& on_batch) const;

  // Each member's probabilities on its own, as probabilities() computes them for a predictor of
  // that member alone; their mean is the ensemble's. `on_batch(member, images_done,
  // images_total)` after each batch.
  std::vector<torch::Tensor> member_probabilities(
      const torch::Tensor& images, bool tta, int64_t batch_size,
      const std::function<void(size_t, int64_t, int64_t)>& on_batch) const;
  // One image [28, 28] (uint8 or float 0..1), in inference mode: what the drawing app calls.
  Prediction predict(const torch::Tensor& image) const;

  const std::vector<Checkpoint>& members() const { return members_; }
  // Where each member came from: its file, or member_path(file, i) for an ensemble file's.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<Checkpoint> members_;
  std::vector<InferenceNet> nets_;  // members_[i].net, frozen
  std::vector<std::string> paths_;
  torch::Device device_{torch::kCPU};
};

// Images shifted by (dy, dx) pixels with zeros filling in: [N, 28, 28] in, same shape out.
torch::Tensor shift_images(const torch::Tensor& images, int64_t dy, int64_t dx);

}  // namespace digits
