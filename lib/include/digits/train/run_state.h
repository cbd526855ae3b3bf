// A training run's state as plain values, held alike by the Trainer while it runs and by each
// Checkpoint it writes: how far it got (RunProgress), what it trained on (DataIdentity) and how
// it normalises its inputs (Normalization). Saving and resuming copy these whole.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <limits>

namespace digits {

struct RunProgress {
  int64_t epoch = 0;           // completed epochs
  int64_t batch_in_epoch = 0;  // batches done in the epoch under way (0 at an epoch's end)
  int64_t global_step = 0;     // optimizer steps since the run began
  double best_val_acc = std::numeric_limits<double>::quiet_NaN();  // nan until validated
  double last_val_acc = std::numeric_limits<double>::quiet_NaN();
  double epoch_loss_sum = 0.0;  // training loss of the epoch under way, summed over its images
  int64_t epoch_samples = 0;    // images of the epoch under way
};

// The training data, by size and digest (dataset.h `fingerprint`): the same file under another
// name resumes; other contents do not.
struct DataIdentity {
  int64_t rows = 0;
  uint64_t fingerprint = 0;

  bool operator==(const DataIdentity& o) const {
    return rows == o.rows && fingerprint == o.fingerprint;
  }
  bool operator!=(const DataIdentity& o) const { return !(*this == o); }
};

// The network's input: (pixel / 255 - mean) / std, mean and std measured on the training rows.
struct Normalization {
  double mean = 0.0;
  double std = 1.0;

  // uint8 pixels 0..255 as floats 0..1 (what augmentation works on).
  static torch::Tensor to_unit(const torch::Tensor& pixels);
  // Floats 0..1 to the network's input: in place, or as a new tensor.
  torch::Tensor& apply_(torch::Tensor& unit) const;
  torch::Tensor apply(const torch::Tensor& unit) const;
  // The same arithmetic in float for one value: a float 0..1, or a pixel 0..255.
  float of_unit(float unit) const {
    return (unit - static_cast<float>(mean)) / static_cast<float>(std);
  }
  float of_pixel(uint8_t pixel) const { return of_unit(pixel * kUnitPerLevel); }

 private:
  static constexpr float kUnitPerLevel = static_cast<float>(1.0 / 255.0);
};

}  // namespace digits
