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

#include "digits/error.h"
#include "digits/model.h"
#include "digits/names.h"

namespace digits {

enum class Optimizer { kSgd, kAdam, kAdamW };
const std::vector<Named<Optimizer>>& names(Optimizer);

enum class Schedule { kOneCycle, kCosine, kConstant };
const std::vector<Named<Schedule>>& names(Schedule);

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

// Where this process sits in a distributed run (distributed.h), as torchrun describes its workers
// (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), and what the local launcher starts.
// Only `world_size` is part of the run's identity; the rest says where this invocation runs.
struct DistributedConfig {
  int64_t world_size = 1;      // processes of the run; 1: today's single-process training
  int64_t rank = 0;            // this process, 0 .. world_size - 1; rank 0 writes the run's files
  int64_t local_rank = 0;      // this process among those on its machine
  int64_t nproc_per_node = 1;  // the launcher: workers to start on this machine
  int64_t nnodes = 1;          // the launcher: machines of the run
  int64_t node_rank = 0;       // the launcher: this machine, 0 .. nnodes - 1
  std::string master_addr = "127.0.0.1";  // where rank 0 (or torchrun's agent) keeps the store
  int64_t master_port = 29500;            // 0 for the launcher: any free port (one machine)
  std::string interface;   // network interface of Gloo's connections; "" only on loopback
  double timeout_s = 300;  // a collective or the start-up waiting longer fails
  bool allow_world_size_change = false;  // resume at another world size (not bit-exact)
};

// The options of a run (defaults here; ranges and help in the table). Everything except
// `checkpoint_dir`, `device`, `tensorboard_dir` and where the process sits in a distributed run
// is part of the run's identity, stored in its checkpoints: resuming with other values is
// refused unless fine-tuning.
struct TrainConfig {
  std::vector<std::string> data_paths;  // Kaggle CSVs and UNIPEN pen files (data.h)
  int64_t limit = -1;                   // use the first N rows of the data; -1 for all
  // Pen digits of UNIPEN files are drawn once per brush, radii relative to the app's default.
  std::vector<double> pen_brushes = {1.0};
  double pen_warp = 0;  // strokes bent before drawing (warp_pen_digit's strength); 0: as written
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

// A recipe: a named set of the table's options, what `--recipe NAME` sets before the options
// the command line names (which override it). The defaults are the most accurate recipe (30
// epochs); these trade accuracy for time, each measured as docs/benchmarks.md gives.
struct Recipe {
  std::string name;
  std::string help;
  std::vector<std::pair<std::string, std::string>> options;  // option (no "--"), value as typed
};
const std::vector<Recipe>& recipes();
// Sets the options of the recipe called `name` in `config`; the Error names the recipes there
// are.
Status apply_recipe(TrainConfig& config, const std::string& name);
// "--width 16 --batch-size 128 ...": a recipe's options as a command line would give them.
std::string describe(const Recipe& recipe);

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
