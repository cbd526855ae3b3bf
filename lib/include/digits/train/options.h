// The options of a training run, declared once.
//
// `train_options()` is the one table: each option's name (`--name` on the command line,
// `train.name` in a checkpoint), help, type, range, default and the field of TrainConfig it sets.
// Everything else is derived from it: the command line (apps/common/options_cli.h), validation
// (`check_options`, also applied to values read from checkpoints), the checkpoint's key=value
// storage (`encode_options`, `decode_options`: one codec, exact for integers and doubles) and the
// message naming the options in which a resumed run differs from its checkpoint. A new option
// is a field here and one entry in the table (options.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "digits/core/error.h"
#include "digits/core/named_enum.h"
#include "digits/nn/model.h"
#include "digits/train/augment_config.h"
#include "digits/train/distributed_config.h"
#include "digits/train/optimizer.h"
#include "digits/train/schedule.h"

namespace digits {

// The options of a run (defaults here; ranges and help in the table). Everything except
// `checkpoint_dir`, `device`, `tensorboard_dir` and where the process sits in a distributed run
// is part of the run's identity, stored in its checkpoints: resuming with other values is
// refused unless fine-tuning.
struct TrainConfig {
  std::vector<std::string> data_paths;  // Kaggle CSVs and UNIPEN pen files (data.h)
  int64_t limit = -1;                   // use the first N rows of the data; -1 for all
  // Pen digits of UNIPEN files are drawn once per brush, radii relative to the app's default.
  std::vector<double> pen_brushes = {1.0};
  double pen_warp = 0;   // strokes bent before drawing (warp_pen_digit's strength); 0: as written
  double pen_slant = 0;  // strokes slanted before drawing by up to this many degrees; 0: as written
  // Ink that is not a digit, trained towards equal probabilities (training_data.h, trainer.h):
  // every sample of these ink files, and pairs of neighbouring pen digits composed as numbers
  // are; `not_digit_weight` weighs their loss against the digits'.
  std::vector<std::string> not_digit_paths;
  int64_t not_digit_pairs = 0;
  double not_digit_weight = 0.5;
  double val_fraction = 0.1;  // stratified hold-out for validation
  uint64_t seed = 1;
  // Seed of the validation split; -1 uses `seed`. Runs that differ only in `seed` but share
  // this hold out the same rows (ensemble members evaluated on one split).
  int64_t validation_seed = -1;
  uint64_t split_seed() const {
    return validation_seed >= 0 ? static_cast<uint64_t>(validation_seed) : seed;
  }

  ModelConfig model;
  Optimizer optimizer = Optimizer::kAdamW;
  double lr = 3e-3;       // peak learning rate
  double momentum = 0.9;  // sgd only
  double weight_decay = 1e-4;
  // Targets of the training loss: 1 - e on the label and e / 10 on every class (Szegedy et al.
  // 2016); 0: plain cross-entropy. Validation loss is always plain cross-entropy.
  double label_smoothing = 0.0;
  // Mixup (Zhang et al. 2018): the alpha of the Beta(alpha, alpha) weight with which each
  // training batch is blended with a shuffled copy of itself (see `mixup`); 0: off.
  double mixup = 0.0;
  Schedule schedule = Schedule::kOneCycle;
  int64_t epochs = 30;  // the run's total; the schedule is built on it
  int64_t batch_size = 64;
  AugmentConfig augment;

  std::string checkpoint_dir = "checkpoints";
  std::string device = "cpu";
  // TensorBoard's log folder: the run's scalars go to a folder in it named after
  // checkpoint_dir (tensorboard.h); "" for none.
  std::string tensorboard_dir;
  DistributedConfig distributed;
  // Where `data_paths` came from when this command line did not name them, for messages: "the
  // --data of the checkpoint's run, ck/last.pt" (read_resumption). Not an option; the data
  // option clears it.
  std::string data_source;

  // encode_options / decode_options, as members for callers that hold a config.
  std::map<std::string, std::string> to_options() const;
  static Result<TrainConfig> from_options(const std::map<std::string, std::string>& options);
};

enum class OptionRole {
  kIdentity,  // stored in checkpoints; an exact resume must not change it
  kData,      // stored, never compared: files may move, the data's fingerprint decides
  kSession,   // where and how this invocation runs; not stored
};

// One option of the table. `set` parses text (the command line's and the checkpoint's alike)
// and checks the range; its Error names the option ("--lr ..."). `get` writes the value back
// as text that `set` reads to the same value.
struct OptionSpec {
  enum class Kind { kValue, kFlag, kList };
  std::string name;  // without the leading "--"
  std::string help;
  std::string type;     // for --help: INT, UINT, FLOAT, TEXT
  std::string allowed;  // for --help: "POSITIVE", "FLOAT in [0 - 0.5]", "{sgd,adam,adamw}", ""
  Kind kind = Kind::kValue;
  OptionRole role = OptionRole::kIdentity;
  bool show_default = true;
  std::function<std::vector<std::string>(const TrainConfig&)> get;  // one item unless kList
  std::function<Status(TrainConfig&, const std::vector<std::string>&)> set;
};

// Every option, in the order --help lists them.
const std::vector<OptionSpec>& train_options();
// The option called `name` (no "--"), or null.
const OptionSpec* find_train_option(const std::string& name);

// Every value of `config` within its option's range, data given; the Error names the option.
Status check_options(const TrainConfig& config);

// The identity and data options as a checkpoint stores them (without the "train." prefix):
// "lr" -> "0.003", data paths as "data.0", "data.1", ...
std::map<std::string, std::string> encode_options(const TrainConfig& config);
// The inverse; each value is checked like a command-line value. A key the table lacks is an
// Error; an absent key takes its default (checkpoints written before the option existed).
Result<TrainConfig> decode_options(const std::map<std::string, std::string>& stored);

// "--lr 0.003 there, 0.01 here, ..." over the identity options in which `here` differs from
// `there`; "" when none does.
std::string option_differences(const TrainConfig& there, const TrainConfig& here);

}  // namespace digits
