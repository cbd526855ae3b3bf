// Training: shuffled mini-batches, augmentation, LR schedule, evaluation and checkpoints.
//
// Every random choice is derived from (seed, epoch, batch): the batch order from (seed, epoch),
// augmentation and dropout from (seed, epoch, batch). A run resumed from any checkpoint, even one
// taken mid-epoch, therefore continues exactly as the uninterrupted run would have.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "digits/checkpoint.h"
#include "digits/dataset.h"
#include "digits/error.h"
#include "digits/model.h"

namespace digits {

// Random distortion applied to each training image, per batch: an affine one and, when
// `elastic_px` > 0, an elastic one (Simard et al. 2003): every pixel moved by a smooth random
// field, which bends strokes the way a shaky hand does.
struct AugmentConfig {
  bool enabled = true;
  double rotation_deg = 10.0;  // uniform in [-r, r]
  double scale = 0.10;         // uniform in [1 - s, 1 + s]
  double shift_px = 2.0;       // uniform in [-t, t] along each axis
  double elastic_px = 0.0;     // root-mean-square length of each image's displacements; 0: off
  double elastic_sigma = 4.0;  // smoothness of the field: its Gaussian blur, in pixels
};

// `a`'s distortion of a float batch [B, 1, 28, 28] in 0..1, drawn from torch's default
// generator (the affine parameters first; the elastic field only when it is on, so runs
// without it draw exactly what they drew before it existed).
torch::Tensor augment(const torch::Tensor& images, const AugmentConfig& a);

// The options of a run. Everything here except `checkpoint_dir`, `device` and `threads` is part
// of the run's identity: resuming with other values is refused unless fine-tuning.
struct TrainConfig {
  std::vector<std::string> data_paths;
  int64_t limit = -1;         // use the first N rows of the data; -1 for all
  double val_fraction = 0.1;  // stratified hold-out for validation
  uint64_t seed = 1;
  // Seed of the validation split; -1 uses `seed`. Runs that differ only in `seed` but share
  // this hold out the same rows (ensemble members evaluated on one split).
  int64_t validation_seed = -1;
  uint64_t split_seed() const {
    return validation_seed >= 0 ? static_cast<uint64_t>(validation_seed) : seed;
  }

  ModelConfig model;
  std::string optimizer = "adamw";  // sgd (momentum, Nesterov) | adam | adamw
  double lr = 3e-3;                 // peak learning rate
  double momentum = 0.9;            // sgd only
  double weight_decay = 1e-4;
  // Targets of the training loss: 1 - e on the label and e / 10 on every class (Szegedy et al.
  // 2016); 0: plain cross-entropy. Validation loss is always plain cross-entropy.
  double label_smoothing = 0.0;
  // Mixup (Zhang et al. 2018): the alpha of the Beta(alpha, alpha) weight with which each
  // training batch is blended with a shuffled copy of itself (see `mixup`); 0: off.
  double mixup = 0.0;
  std::string schedule = "onecycle";  // onecycle | cosine | constant
  int64_t epochs = 30;                // the run's total; the schedule is built on it
  int64_t batch_size = 64;
  AugmentConfig augment;

  std::string checkpoint_dir = "checkpoints";
  std::string device = "cpu";

  // As stored in a checkpoint under "train." (identity options only).
  std::map<std::string, std::string> to_options() const;
  // Reads the options a checkpoint stored; unknown keys are an Error.
  static Result<TrainConfig> from_options(const std::map<std::string, std::string>& options);
};

// Mean training loss of a batch: cross-entropy of `logits` [B, 10] against `labels` [B],
// with `label_smoothing` (see TrainConfig).
torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            double label_smoothing);

// A training batch blended with a shuffled copy of itself (mixup, Zhang et al. 2018): the
// network sees `weight` * image i + (1 - weight) * image partner[i] and is trained towards both
// labels in the same proportion (`mixed_training_loss`).
struct MixedBatch {
  torch::Tensor images;   // like the input
  torch::Tensor partner;  // [B] int64, on the images' device: a permutation of 0..B-1
  double weight = 1.0;    // drawn from Beta(alpha, alpha)
};

// Draws the weight (two Gamma(alpha) numbers, on the CPU) and then the permutation (a CPU
// randperm) from torch's default generator, so a run is the same on every device. `alpha` > 0.
MixedBatch mixup(const torch::Tensor& images, double alpha);

// `batch.weight` * training_loss(labels) + (1 - weight) * training_loss(labels[partner]).
torch::Tensor mixed_training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const MixedBatch& batch, double label_smoothing);

// Learning rate at `step` of `total_steps` for a schedule peaking at `peak`.
double scheduled_lr(const std::string& schedule, double peak, int64_t step, int64_t total_steps);

struct BatchProgress {
  int64_t epoch;  // 1-based, of `epochs`
  int64_t epochs;
  int64_t batch;  // 1-based, of `batches`
  int64_t batches;
  double loss;          // running mean over this epoch
  double images_per_s;  // this epoch so far
  double eta_seconds;   // to the end of the run
};

struct EpochReport {
  int64_t epoch;
  double train_loss;
  double val_loss;  // nan without a validation split
  double val_acc;   // nan without a validation split
  double lr;        // at the epoch's last step
  double images_per_s;
  double seconds;
  bool best;  // val_acc is the best so far; best.pt was written
};

// Reported to the caller; the library itself prints nothing.
struct TrainHooks {
  std::function<void(const BatchProgress&)> on_batch;  // about every 1% of an epoch
  std::function<void(const EpochReport&)> on_epoch;
  const std::atomic<bool>* stop = nullptr;  // checked after every batch (e.g. set by SIGINT)
  int64_t stop_after_epochs = -1;           // end this invocation after N epochs; -1: run all
};

enum class StopReason { kFinished, kStopAfter, kInterrupted };

struct TrainResult {
  StopReason reason;
  int64_t epochs_done;  // of the whole run
  double best_val_acc;
  std::string last_checkpoint;  // DIR/last.pt
};

enum class ResumeMode {
  kExact,     // continue the same run: options and data must match the checkpoint
  kFineTune,  // start a new run (epoch 0, fresh optimizer) from the checkpoint's weights
};

class Trainer {
 public:
  // A new run on `data` (train format).
  static Result<std::unique_ptr<Trainer>> start(const TrainConfig& config, Dataset data);
  // Continues (or fine-tunes from) a checkpoint. kExact refuses other options or other data,
  // with a message naming each difference.
  static Result<std::unique_ptr<Trainer>> resume(Checkpoint checkpoint, const TrainConfig& config,
                                                 Dataset data, ResumeMode mode);
  ~Trainer();

  // Trains until the run's total epochs, `stop_after_epochs`, or `stop`. Writes DIR/last.pt
  // (every epoch and when stopped), DIR/best.pt (when val_acc improves) and DIR/metrics.csv.
  Result<TrainResult> run(const TrainHooks& hooks);

  const TrainConfig& config() const;
  int64_t epochs_done() const;
  int64_t train_size() const;
  int64_t val_size() const;
  DigitNet net() const;

  // Loss and accuracy of the current network on labelled data.
  struct Evaluation {
    double loss;
    double accuracy;
  };
  Evaluation evaluate(const Dataset& data);

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// One epoch's row in DIR/metrics.csv and the trainer's summary line: "key=value ..." tokens.
std::string format_epoch_report(const EpochReport& report);

}  // namespace digits
