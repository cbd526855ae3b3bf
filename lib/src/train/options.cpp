#include "digits/train/options.h"

#include <string>
#include <vector>

#include "train/option_kinds.h"

namespace digits {

namespace {

using namespace option_kinds;  // with detail::format_real and parse_number

std::string arch_help() {
  std::string s = "Architecture:";
  for (const auto& a : names(Arch{})) {
    s += "\n    " + std::string(a.name) + ": " + std::string(a.description);
  }
  return s;
}

std::vector<OptionSpec> make_table() {
  using R = TrainConfig&;
  std::vector<OptionSpec> t;
  {
    OptionSpec data = paths(
        "data",
        "Training data: Kaggle CSVs, UNIPEN pen-digit files and InkML files (their ink labelled "
        "with one digit, or segmented into digits) (plain or .gz; pen strokes are drawn as "
        "digit-draw draws them); repeat to join several files. Default: the first of "
        "data/train.csv, data/train.csv.gz, data/mnist-default.csv (or the checkpoint's, with "
        "--resume)",
        &TrainConfig::data_paths);
    data.set = [set = data.set](TrainConfig& c, const std::vector<std::string>& values) {
      auto st = set(c, values);
      if (st) c.data_source.clear();  // named here, wherever they came from before
      return st;
    };
    t.push_back(std::move(data));
  }
  {
    // Beyond these the strokes are hairlines or blobs after the MNIST preparation.
    const Range range = between(0.25, 4);
    OptionSpec pen;
    pen.name = "pen-brushes";
    pen.help =
        "UNIPEN data: draw each pen digit once per brush radius, relative to digit-draw's "
        "default brush (1), e.g. 0.75 1 1.33";
    pen.type = "FLOAT";
    pen.allowed = "FLOAT in [0.25 - 4]";
    pen.kind = OptionSpec::Kind::kList;
    pen.role = OptionRole::kData;
    pen.get = [](const TrainConfig& c) {
      std::vector<std::string> v;
      for (const double b : c.pen_brushes) v.push_back(format_real(b));
      return v;
    };
    pen.set = [range](TrainConfig& c, const std::vector<std::string>& values) -> Status {
      if (values.empty()) return Error{"--pen-brushes needs at least one radius"};
      std::vector<double> brushes;
      for (const auto& text : values) {
        const auto v = parse_number<double>(text);
        if (!v) return bad_value("pen-brushes", text, "not a finite number");
        if (!range.contains(*v)) {
          return bad_value("pen-brushes", text, "must be " + range.sentence(false));
        }
        brushes.push_back(*v);
      }
      c.pen_brushes = std::move(brushes);
      return {};
    };
    t.push_back(std::move(pen));
  }
  t.push_back(data_role(number(
      "pen-warp",
      "UNIPEN data: bend each pen digit's strokes before drawing them, by a smooth random "
      "displacement of this root-mean-square, a fraction of the digit's size (0: as written)",
      [](R c) -> double& { return c.pen_warp; }, between(0, 0.25))));
  t.push_back(data_role(number(
      "pen-slant",
      "UNIPEN data: slant each drawing of a pen digit (and of --not-digits ink) by a random "
      "angle up to this many degrees either way, its top moved sideways (0: as written)",
      [](R c) -> double& { return c.pen_slant; }, between(0, 45))));
  {
    t.push_back(
        paths("not-digits",
              "Ink files (InkML, UNIPEN) whose every sample is NOT a digit (letters, symbols: e.g. "
              "tools/hershey-letters.py's), drawn as pen digits are and trained towards equal "
              "probabilities, so that the number reader says \"no number\" to such ink",
              &TrainConfig::not_digit_paths));
    t.push_back(data_role(number(
        "not-digit-pairs",
        "Also train this many pairs of neighbouring digits of one writer, composed from the pen "
        "digits of --data as numbers are (seeded by --seed), as ink that is not one digit",
        [](R c) -> int64_t& { return c.not_digit_pairs; }, between(0, 1e7))));
    t.push_back(number(
        "not-digit-weight",
        "Weight of the not-digit ink's loss (cross-entropy against equal probabilities) beside "
        "the digits' cross-entropy",
        [](R c) -> double& { return c.not_digit_weight; }, between(0, 10)));
  }
  t.push_back(number(
      "epochs", "Total epochs of the run; the LR schedule is built on it",
      [](R c) -> int64_t& { return c.epochs; }, positive()));
  t.push_back(text(
      "checkpoint-dir",
      "Where checkpoints and metrics.csv go (with --resume: the checkpoint's folder)",
      [](R c) -> std::string& { return c.checkpoint_dir; }, OptionRole::kSession));
  t.push_back(choice("model", arch_help(), [](R c) -> Arch& { return c.model.arch; }));
  t.push_back(number(
      "width", "bncnn, bnpool: channels of the first block (then 2x and 4x)",
      [](R c) -> int64_t& { return c.model.width; }, between(1, 1024)));
  t.push_back(number(
      "dropout", "bncnn, bnpool: dropout probability",
      [](R c) -> double& { return c.model.dropout; }, between(0, 0.95)));
  t.push_back(number(
      "batch-size", "Images per training step", [](R c) -> int64_t& { return c.batch_size; },
      between(2, 1 << 20)));
  // Above 10 every optimizer here diverges at once; 1e300 overflowed float and aborted.
  Range lr = positive();
  lr.hi = 10;
  t.push_back(number(
      "lr", "Peak learning rate", [](R c) -> double& { return c.lr; }, lr));
  t.push_back(choice("optimizer", "sgd (momentum, Nesterov), adam or adamw",
                     [](R c) -> Optimizer& { return c.optimizer; }));
  t.push_back(number(
      "momentum", "sgd: momentum", [](R c) -> double& { return c.momentum; }, between(0, 0.999)));
  t.push_back(choice("schedule",
                     "LR schedule: onecycle (warm-up then cosine down), cosine, or constant",
                     [](R c) -> Schedule& { return c.schedule; }));
  t.push_back(number(
      "weight-decay", "Weight decay", [](R c) -> double& { return c.weight_decay; },
      between(0, 1)));
  t.push_back(number(
      "label-smoothing",
      "Training targets: 1 - e on the label, e / 10 on every class (0: plain "
      "cross-entropy)",
      [](R c) -> double& { return c.label_smoothing; }, between(0, 0.5)));
  // Beyond 10 Beta(alpha, alpha) is a spike at 0.5: every image half another, none of mixup's
  // usual mostly-one-image blends.
  t.push_back(number(
      "mixup",
      "Mixup: blend each training batch with a shuffled copy of itself, weights "
      "drawn from Beta(a, a), and train towards both labels alike (0: off; 0.2 is "
      "usual)",
      [](R c) -> double& { return c.mixup; }, between(0, 10)));
  t.push_back(number(
      "val-fraction", "Share of rows held out (stratified, seeded) for validation",
      [](R c) -> double& { return c.val_fraction; }, between(0, 0.9)));
  t.push_back(number(
      "seed", "Seed of the split, initial weights, batch order and augmentation",
      [](R c) -> uint64_t& { return c.seed; }, any()));
  Range split = at_least(0);
  split.unset = -1;
  t.push_back(number(
      "split-seed",
      "Seed of the validation split only (default: --seed); give ensemble "
      "members different --seed and the same --split-seed",
      [](R c) -> int64_t& { return c.validation_seed; }, split, false));
  Range limit = positive();
  limit.unset = -1;
  t.push_back(number(
      "limit", "Use only the first N rows of the data", [](R c) -> int64_t& { return c.limit; },
      limit, false));
  t.push_back(flag("augment",
                   "Random rotation, scale and shift (and --elastic) of each training image "
                   "(default: on)",
                   [](R c) -> bool& { return c.augment.enabled; }));
  t.push_back(number(
      "rotation", "Augmentation: largest rotation, degrees",
      [](R c) -> double& { return c.augment.rotation_deg; }, between(0, 90)));
  t.push_back(number(
      "scale", "Augmentation: largest relative change of size",
      [](R c) -> double& { return c.augment.scale; }, between(0, 0.5)));
  t.push_back(number(
      "shift", "Augmentation: largest shift, pixels",
      [](R c) -> double& { return c.augment.shift_px; }, between(0, 8)));
  t.push_back(number(
      "elastic",
      "Augmentation: elastic distortion, the root-mean-square displacement of a "
      "pixel in pixels (0: off)",
      [](R c) -> double& { return c.augment.elastic_px; }, between(0, 8)));
  t.push_back(number(
      "elastic-sigma", "Augmentation: smoothness of the elastic distortion, pixels",
      [](R c) -> double& { return c.augment.elastic_sigma; }, between(0.5, 10)));
  t.push_back(text(
      "device", "cpu, cuda or cuda:N", [](R c) -> std::string& { return c.device; },
      OptionRole::kSession));
  t.push_back(text(
      "tensorboard",
      "Also write TensorBoard event files to DIR/RUN/ (RUN: the --checkpoint-dir's name); view "
      "them with tensorboard --logdir DIR",
      [](R c) -> std::string& { return c.tensorboard_dir; }, OptionRole::kSession));
  // Distributed training (distributed.h, docs/distributed.md): torchrun's variables, the same
  // as options; the launcher's; and the run's world size, which a checkpoint keeps.
  t.push_back(number(
      "world-size",
      "Distributed: processes of the run (WORLD_SIZE); --batch-size is per process, the "
      "global batch N times it",
      [](R c) -> int64_t& { return c.distributed.world_size; }, between(1, 1 << 16)));
  auto session = [](OptionSpec o) {
    o.role = OptionRole::kSession;
    return o;
  };
  t.push_back(session(number(
      "rank", "Distributed: this process's rank (RANK); rank 0 writes checkpoints and metrics",
      [](R c) -> int64_t& { return c.distributed.rank; }, between(0, 1 << 16))));
  t.push_back(session(number(
      "local-rank", "Distributed: this process's rank on its machine (LOCAL_RANK)",
      [](R c) -> int64_t& { return c.distributed.local_rank; }, between(0, 1 << 16))));
  t.push_back(session(number(
      "nproc-per-node",
      "Start N worker processes on this machine and supervise them (one fails or is "
      "interrupted: all stop)",
      [](R c) -> int64_t& { return c.distributed.nproc_per_node; }, between(1, 1024))));
  t.push_back(session(number(
      "nnodes", "With --nproc-per-node: machines of the run (the same command on each)",
      [](R c) -> int64_t& { return c.distributed.nnodes; }, between(1, 1 << 16))));
  t.push_back(session(number(
      "node-rank", "With --nnodes: this machine, 0 to N-1 (machine 0 hosts rank 0)",
      [](R c) -> int64_t& { return c.distributed.node_rank; }, between(0, 1 << 16))));
  t.push_back(text(
      "master-addr", "Distributed: address of rank 0's machine (MASTER_ADDR)",
      [](R c) -> std::string& { return c.distributed.master_addr; }, OptionRole::kSession));
  t.push_back(session(number(
      "master-port",
      "Distributed: TCP port of the rendezvous store (MASTER_PORT); 0 with --nproc-per-node "
      "on one machine: a free one",
      [](R c) -> int64_t& { return c.distributed.master_port; }, between(0, 65535))));
  t.push_back(text(
      "dist-ifname",
      "Distributed: the network interface of the ranks' connections (GLOO_SOCKET_IFNAME), "
      "e.g. eth0; needed unless --master-addr is a loopback address",
      [](R c) -> std::string& { return c.distributed.interface; }, OptionRole::kSession));
  t.push_back(session(number(
      "dist-timeout",
      "Distributed: seconds a rank waits for the others (start-up, each collective) before "
      "the run fails",
      [](R c) -> double& { return c.distributed.timeout_s; }, between(1, 86400))));
  t.push_back(session(flag("allow-world-size-change",
                           "With --resume: continue a run saved at another --world-size (the "
                           "global batch and schedule change: not bit-exact)",
                           [](R c) -> bool& { return c.distributed.allow_world_size_change; })));
  return t;
}

}  // namespace

const std::vector<OptionSpec>& train_options() {
  static const std::vector<OptionSpec> table = make_table();
  return table;
}

const OptionSpec* find_train_option(const std::string& name) {
  for (const auto& o : train_options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace digits
