// Training: shuffled mini-batches, augmentation, LR schedule, evaluation and checkpoints.
//
// Every random choice is derived from (seed, epoch, batch): the batch order from (seed, epoch),
// augmentation and dropout from (seed, epoch, batch). A run resumed from any checkpoint, even one
// taken mid-epoch, therefore continues exactly as the uninterrupted run would have.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"
#include "digits/data/dataset.h"
#include "digits/nn/model.h"
#include "digits/train/augment.h"
#include "digits/train/optimizer.h"
#include "digits/train/options.h"
#include "digits/train/run_state.h"
#include "digits/train/schedule.h"

namespace digits {

// Mean training loss of a batch: cross-entropy of `logits` [B, 10] against `labels` [B],
// with `label_smoothing` (see TrainConfig). A row labelled kNotDigit (dataset.h) contributes
// `not_digit_weight` times the cross-entropy against equal probabilities for all ten classes
// (outlier exposure, Hendrycks et al. 2019): a network trained so is unsure of what is not a
// digit, and the number reader's confidence bar turns that into "no number". A batch without
// such rows is the plain cross-entropy, computed as it always was.
torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            double label_smoothing, double not_digit_weight = 0.5);

// `batch.weight` * training_loss(labels) + (1 - weight) * training_loss(labels[partner]).
torch::Tensor mixed_training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const MixedBatch& batch, double label_smoothing,
                                  double not_digit_weight = 0.5);

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

// How a run takes its checkpoint folder. Whatever the choice, the folder is locked while the run
// lives (a second run there is refused, naming the holder), and no run's files are overwritten
// by another run's.
enum class FolderUse {
  kNewRun,    // a new run: a folder that holds another run's files is refused
  kSetAside,  // a new run: another run's files there move to DIR/previous-<time>/ (--force)
  kContinue,  // an exact resume in the run's own folder (kNewRun for a fine-tune)
};

class Trainer {
 public:
  // A new run on `data` (train format).
  static Result<std::unique_ptr<Trainer>> start(const TrainConfig& config, Dataset data,
                                                FolderUse folder = FolderUse::kNewRun);
  // Continues (or fine-tunes from) a checkpoint. kExact refuses other options or other data,
  // with a message naming each difference. In the run's own folder, DIR/best.pt of the same run
  // sets the bar for "best" (an older last.pt never replaces a better best.pt).
  static Result<std::unique_ptr<Trainer>> resume(Checkpoint checkpoint, const TrainConfig& config,
                                                 Dataset data, ResumeMode mode,
                                                 FolderUse folder = FolderUse::kContinue);
  ~Trainer();

  // Trains until the run's total epochs, `stop_after_epochs`, or `stop`. Writes DIR/last.pt
  // (every epoch and when stopped), DIR/best.pt (when val_acc improves) and DIR/metrics.csv.
  // A loss or weights that are no longer finite end the run with an Error before anything of
  // them is saved: the checkpoints keep the last good state.
  Result<TrainResult> run(const TrainHooks& hooks);

  const TrainConfig& config() const;
  int64_t epochs_done() const;
  int64_t train_size() const;
  int64_t val_size() const;
  DigitNet net() const;
  // Where kSetAside moved an earlier run's files; "" when nothing was moved.
  const std::string& set_aside_folder() const;

  // Loss and accuracy of the current network on labelled data.
  struct Evaluation {
    double loss;
    double accuracy;
  };
  Evaluation evaluate(const Dataset& data);

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> state);
  Result<TrainResult> run_epochs(const TrainHooks& hooks);
  std::unique_ptr<State> s_;
};

// One epoch's row in DIR/metrics.csv and the trainer's summary line: "key=value ..." tokens.
std::string format_epoch_report(const EpochReport& report);

// The rows of a run's DIR/metrics.csv, in order; `best` is set on each row whose validation
// accuracy beat every earlier one, as when it was trained. Columns are found by their names in
// the header. An Error names the file and line: not a metrics.csv, a field that is no number.
Result<std::vector<EpochReport>> read_metrics_log(const std::string& path);

}  // namespace digits
