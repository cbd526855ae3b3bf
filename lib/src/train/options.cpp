#include "digits/train/options.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <type_traits>

#include "core/text_codec.h"

namespace digits {

namespace {

using detail::format_real;
using detail::parse_number;

constexpr double kInf = std::numeric_limits<double>::infinity();

// As CLI11 prints a number in --help (an ostream's defaults).
template <class T>
std::string display(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A closed or half-open interval of allowed values, plus one "unset" value outside it.
struct Range {
  double lo = -kInf, hi = kInf;
  bool lo_open = false;
  std::optional<double> unset;  // e.g. -1 for "all rows"

  bool contains(double v) const {
    if (unset && v == *unset) return true;
    return (lo_open ? v > lo : v >= lo) && v <= hi;
  }
  // CLI11's wording, so that --help reads as it always has.
  std::string help(const std::string& type) const {
    if (hi == kInf && lo == 0) return lo_open ? "POSITIVE" : "NONNEGATIVE";
    if (hi == kInf && lo == -kInf) return "";
    if (type == "FLOAT") {
      return type + (lo_open ? " in (" : " in [") + display(lo) + " - " + display(hi) + "]";
    }
    return type + " in [" + display(static_cast<int64_t>(lo)) + " - " +
           display(static_cast<int64_t>(hi)) + "]";
  }
  std::string sentence(bool integer) const {
    auto num = [&](double v) {
      return integer ? std::to_string(static_cast<int64_t>(v)) : format_real(v);
    };
    std::string s;
    if (hi == kInf) {
      s = lo_open ? (lo == 0 ? "positive" : "> " + num(lo)) : ">= " + num(lo);
    } else {
      s = "in " + std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + "]";
    }
    if (unset) s += " (or " + num(*unset) + ")";
    return s;
  }
};

Range positive() { return {0, kInf, true, {}}; }
Range at_least(double lo) { return {lo, kInf, false, {}}; }
Range between(double lo, double hi) { return {lo, hi, false, {}}; }
Range any() { return {}; }

// `text` on one line: control bytes as C escapes ("d\nx" shows as d\nx), so that a message never
// breaks in two.
std::string printable(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else {
      const char* hex = "0123456789abcdef";
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    }
  }
  return out;
}

Error bad_value(const std::string& name, const std::string& text, const std::string& why) {
  return Error{"--" + name + " " + printable(text) + ": " + why};
}

// Text a checkpoint stores (--data, any stored text option) holds no control character: its
// metadata is one key=value per line, and a line break in a file's name would be read back as
// another key. "" when `text` is fine.
std::string control_character_problem(const std::string& text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return "holds a control character (" + printable(std::string(1, ch)) +
             "), which a checkpoint cannot store (one option per line); rename it";
    }
  }
  return {};
}

// Why an integer field cannot take `text`: an integer beyond the field's type (a 20-digit
// --epochs) is out of range, anything else is not an integer.
template <class T>
std::string integer_problem(const std::string& text, const Range& range) {
  const bool negative = !text.empty() && text[0] == '-';
  const size_t first = negative ? 1 : 0;
  if (text.size() == first || text.find_first_not_of("0123456789", first) != std::string::npos) {
    return "not an integer";
  }
  if (negative ? range.lo > -kInf : range.hi < kInf) {
    return "out of range: must be " + range.sentence(true);
  }
  return "out of range: the " + std::string(negative ? "smallest" : "largest") + " is " +
         std::to_string(negative ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max());
}

Status one_value(const std::string& name, const std::vector<std::string>& values) {
  if (values.size() != 1) return Error{"--" + name + " takes one value"};
  return {};
}

// A number field: Ref maps a TrainConfig& to the field (int64_t, uint64_t or double).
template <class Ref>
OptionSpec number(std::string name, std::string help, Ref ref, Range range,
                  bool show_default = true) {
  using T = std::remove_reference_t<decltype(ref(std::declval<TrainConfig&>()))>;
  constexpr bool kInteger = std::is_integral_v<T>;
  OptionSpec o;
  o.type = std::is_floating_point_v<T> ? "FLOAT" : std::is_signed_v<T> ? "INT" : "UINT";
  o.allowed = range.help(o.type);
  o.name = std::move(name);
  o.help = std::move(help);
  o.show_default = show_default;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    const T v = ref(const_cast<TrainConfig&>(c));
    if constexpr (kInteger)
      return {std::to_string(v)};
    else
      return {format_real(v)};
  };
  o.set = [ref, range, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    const auto v = parse_number<T>(values[0]);
    if (!v) {
      if constexpr (kInteger) {
        return Status(bad_value(n, values[0], integer_problem<T>(values[0], range)));
      }
      return Status(bad_value(n, values[0], "not a finite number"));
    }
    if (!range.contains(static_cast<double>(*v))) {
      return Status(bad_value(n, values[0], "must be " + range.sentence(kInteger)));
    }
    ref(c) = *v;
    return Status();
  };
  return o;
}

// An enum field with a names() table.
template <class Ref>
OptionSpec choice(std::string name, std::string help, Ref ref) {
  using E = std::remove_reference_t<decltype(ref(std::declval<TrainConfig&>()))>;
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.type = "TEXT";
  o.allowed = "{";
  for (const auto& n : names(E{}))
    o.allowed += (o.allowed.size() > 1 ? "," : "") + std::string(n.name);
  o.allowed += "}";
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {std::string(name_of(ref(const_cast<TrainConfig&>(c))))};
  };
  o.set = [ref, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    const auto v = parse_name<E>(values[0]);
    if (!v) return Status(bad_value(n, values[0], "unknown " + n + "; use " + name_list<E>()));
    ref(c) = *v;
    return Status();
  };
  return o;
}

// A text field, checked where it is used (a folder, a device).
template <class Ref>
OptionSpec text(std::string name, std::string help, Ref ref, OptionRole role) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.type = "TEXT";
  o.role = role;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {ref(const_cast<TrainConfig&>(c))};
  };
  o.set = [ref, n = o.name, stored = role != OptionRole::kSession](
              TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    if (auto problem = control_character_problem(values[0]); stored && !problem.empty()) {
      return Status(bad_value(n, values[0], problem));
    }
    ref(c) = values[0];
    return Status();
  };
  return o;
}

template <class Ref>
OptionSpec flag(std::string name, std::string help, Ref ref) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.kind = OptionSpec::Kind::kFlag;
  o.show_default = false;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {ref(const_cast<TrainConfig&>(c)) ? "1" : "0"};
  };
  o.set = [ref, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    if (values[0] != "0" && values[0] != "1") return Status(bad_value(n, values[0], "not 0 or 1"));
    ref(c) = values[0] == "1";
    return Status();
  };
  return o;
}

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
    OptionSpec data;
    data.name = "data";
    data.help =
        "Training data: Kaggle CSVs, UNIPEN pen-digit files and InkML files (their ink labelled "
        "with one digit, or segmented into digits) (plain or .gz; pen strokes are drawn as "
        "digit-draw draws them); repeat to join several files. Default: the first of "
        "data/train.csv, data/train.csv.gz, data/mnist-default.csv (or the checkpoint's, with "
        "--resume)";
    data.type = "TEXT";
    data.kind = OptionSpec::Kind::kList;
    data.role = OptionRole::kData;
    data.show_default = false;
    data.get = [](const TrainConfig& c) { return c.data_paths; };
    data.set = [](TrainConfig& c, const std::vector<std::string>& values) -> Status {
      for (const auto& path : values) {
        if (auto problem = control_character_problem(path); !problem.empty()) {
          return bad_value("data", path, problem);
        }
      }
      c.data_paths = values;
      c.data_source.clear();  // named here, wherever they came from before
      return {};
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
  {
    OptionSpec warp = number(
        "pen-warp",
        "UNIPEN data: bend each pen digit's strokes before drawing them, by a smooth random "
        "displacement of this root-mean-square, a fraction of the digit's size (0: as written)",
        [](R c) -> double& { return c.pen_warp; }, between(0, 0.25));
    warp.role = OptionRole::kData;
    t.push_back(std::move(warp));
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
