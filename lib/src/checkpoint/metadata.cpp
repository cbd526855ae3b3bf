#include "digits/checkpoint/metadata.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/text_codec.h"
#include "digits/train/options.h"

namespace digits {

namespace {

using detail::format_real;

template <class T>
std::string read_integer(T& field, const std::string& text) {
  const auto v = detail::parse_number<T>(text);
  if (!v) {
    // Digits the field cannot hold (a 20-digit epoch) are out of range; the rest not a number.
    const size_t first = !text.empty() && text[0] == '-' ? 1 : 0;
    const bool digits =
        text.size() > first && text.find_first_not_of("0123456789", first) == std::string::npos;
    return digits ? "is out of range (no run writes it)" : "is not an integer";
  }
  field = *v;
  return {};
}

// A finite number, or nan where `nan_ok` (an accuracy not measured yet).
std::string read_real(double& field, const std::string& text, bool nan_ok = false) {
  if (nan_ok && text == "nan") {
    field = std::nan("");
    return {};
  }
  const auto v = detail::parse_number<double>(text);
  if (!v) return "is not a finite number";
  field = *v;
  return {};
}

bool is_accuracy(double a) { return std::isnan(a) || (a >= 0 && a <= 1); }

// One row of the table for each field of a Checkpoint: its key, meaning, text and range.
#define DIGITS_INTEGER_KEY(key, meaning, field, range)                                \
  MetadataKey {                                                                       \
    key, meaning, [](const Checkpoint& c) { return std::to_string(c.field); },        \
        [](Checkpoint& c, const std::string& t) { return read_integer(c.field, t); }, \
        []([[maybe_unused]] const Checkpoint& c) { return range; }                    \
  }
#define DIGITS_REAL_KEY(key, meaning, field, nan_ok, range)                                \
  MetadataKey {                                                                            \
    key, meaning, [](const Checkpoint& c) { return format_real(c.field); },                \
        [](Checkpoint& c, const std::string& t) { return read_real(c.field, t, nan_ok); }, \
        []([[maybe_unused]] const Checkpoint& c) { return range; }                         \
  }

std::vector<MetadataKey> make_keys() {
  return {
      {"torch_version", "the LibTorch that wrote the file, e.g. `1.13.1`",
       [](const Checkpoint&) { return std::string(TORCH_VERSION); },
       [](Checkpoint& c, const std::string& t) {
         c.torch_version = t;
         return std::string();
       },
       nullptr},
      {"model.arch",
       "the architecture's name (model.h); loading rebuilds the network from the "
       "three `model.*` keys alone",
       [](const Checkpoint& c) { return std::string(name_of(c.model.arch)); },
       [](Checkpoint& c, const std::string& t) {
         const auto parsed = parse_name<Arch>(t);
         if (!parsed) return "unknown model '" + t + "'; known models: " + name_list<Arch>(", ");
         c.model.arch = *parsed;
         return std::string();
       },
       nullptr},
      DIGITS_INTEGER_KEY("model.width", "the architecture's width (model.h)", model.width, true),
      DIGITS_REAL_KEY("model.dropout", "the architecture's dropout (model.h)", model.dropout, false,
                      true),
      DIGITS_REAL_KEY("norm.mean",
                      "input normalisation: `x = (pixel / 255 - mean) / std`, "
                      "measured on the run's training split",
                      normalization.mean, false, true),
      DIGITS_REAL_KEY("norm.std", "the normalisation's `std` (above 0)", normalization.std, false,
                      c.normalization.std > 0),
      DIGITS_INTEGER_KEY("epoch", "completed epochs", progress.epoch, c.progress.epoch >= 0),
      DIGITS_INTEGER_KEY("batch_in_epoch",
                         "batches done in the epoch under way (0 at an epoch's end; > 0 after "
                         "Ctrl-C mid-epoch)",
                         progress.batch_in_epoch, c.progress.batch_in_epoch >= 0),
      DIGITS_INTEGER_KEY("global_step",
                         "optimizer steps since the run began (the LR schedule's position)",
                         progress.global_step, c.progress.global_step >= 0),
      DIGITS_REAL_KEY("best_val_acc", "validation accuracy, best so far (`nan` without validation)",
                      progress.best_val_acc, true, is_accuracy(c.progress.best_val_acc)),
      DIGITS_REAL_KEY("last_val_acc", "validation accuracy, latest (`nan` without validation)",
                      progress.last_val_acc, true, is_accuracy(c.progress.last_val_acc)),
      DIGITS_REAL_KEY("epoch_loss_sum",
                      "the training loss of the epoch under way, summed, so a mid-epoch resume "
                      "reports the same epoch loss",
                      progress.epoch_loss_sum, false, c.progress.epoch_loss_sum >= 0),
      DIGITS_INTEGER_KEY("epoch_samples", "the images of the epoch under way",
                         progress.epoch_samples, c.progress.epoch_samples >= 0),
      DIGITS_INTEGER_KEY("data.rows", "the training data's row count", data.rows, c.data.rows >= 0),
      DIGITS_INTEGER_KEY("data.fingerprint",
                         "a 64-bit digest of the training data's pixels and labels; `--resume` "
                         "refuses other data",
                         data.fingerprint, true),
      {"run",
       "the run that wrote the file: 16 hex digits drawn when it began, kept by `--resume`; a "
       "run folder's `.run` names its run, and another run's checkpoint is not resumed there "
       "(files from before runs had one lack the key)",
       [](const Checkpoint& c) { return c.run_id; },
       [](Checkpoint& c, const std::string& t) {
         if (!is_run_id(t)) return std::string("is not a run's identity (16 hex digits)");
         c.run_id = t;
         return std::string();
       },
       nullptr, true},
  };
}

#undef DIGITS_INTEGER_KEY
#undef DIGITS_REAL_KEY

}  // namespace

const std::vector<MetadataKey>& metadata_keys() {
  static const std::vector<MetadataKey> keys = make_keys();
  return keys;
}

std::string encode_metadata(const Checkpoint& c) {
  std::map<std::string, std::string> m;
  for (const auto& key : metadata_keys()) {
    std::string value = key.write(c);
    if (!(key.optional && value.empty())) m[key.name] = std::move(value);
  }
  for (const auto& [k, v] : c.train_options) m[kTrainOptionPrefix + k] = v;
  std::string text;
  for (const auto& [k, v] : m) text += k + "=" + v + "\n";
  return text;
}

namespace {

bool has_control_character(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

// Progress that no run of the stored options writes, as far as the metadata tells (the trainer
// checks an epoch's exact batches on resuming): past the run's last epoch; batches or images of an
// epoch beyond what data.rows allows; images without batches, or batches without images. "" or
// the key and what is wrong. The run's options bound only where the file stores them.
std::string progress_problem(const Checkpoint& c, const TrainConfig& run) {
  const RunProgress& p = c.progress;
  const auto key = [](const char* name, int64_t v) {
    return std::string(name) + "=" + std::to_string(v);
  };
  const bool has_epochs = c.train_options.count("epochs") > 0;
  if (has_epochs && p.epoch > run.epochs) {
    return key("epoch", p.epoch) + " is past the run's train.epochs=" + std::to_string(run.epochs);
  }
  if (has_epochs && p.epoch == run.epochs && p.batch_in_epoch > 0) {
    return key("batch_in_epoch", p.batch_in_epoch) + " is after the run's last epoch";
  }
  if (c.train_options.count("batch-size") > 0 && c.data.rows > 0) {
    const int64_t global_batch = run.batch_size * run.distributed.world_size;
    const int64_t most = (c.data.rows + global_batch - 1) / global_batch;  // all rows trained
    if (p.batch_in_epoch > most) {
      return key("batch_in_epoch", p.batch_in_epoch) + " is more than the " + std::to_string(most) +
             " batches of " + std::to_string(global_batch) + " that " +
             key("data.rows", c.data.rows) + " make";
    }
    if (p.epoch_samples > c.data.rows + global_batch) {
      return key("epoch_samples", p.epoch_samples) + " is more images than " +
             key("data.rows", c.data.rows) + " hold";
    }
  }
  if ((p.batch_in_epoch == 0) != (p.epoch_samples == 0)) {
    return key("epoch_samples", p.epoch_samples) + " does not go with " +
           key("batch_in_epoch", p.batch_in_epoch);
  }
  return {};
}

}  // namespace

std::string metadata_problem(const Checkpoint& c) {
  for (const auto& [key, value] : c.train_options) {
    if (key.empty() || key.find('=') != std::string::npos || has_control_character(key)) {
      return "checkpoint metadata: a run option's name is empty or holds '=' or a control "
             "character";
    }
    if (has_control_character(value)) {
      return "checkpoint metadata: " + std::string(kTrainOptionPrefix) + key +
             " holds a control character (a line break would be read back as another key)";
    }
  }
  return {};
}

Status decode_metadata(const std::string& where, const std::string& text, Checkpoint& c) {
  const std::string prefix = where + ": checkpoint metadata: ";
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  for (const auto& key : metadata_keys()) {
    const auto it = values.find(key.name);
    if (it == values.end() && key.optional) continue;
    if (it == values.end()) return Error{prefix + "'" + key.name + "' is missing"};
    const std::string problem = key.read(c, it->second);
    if (problem.empty()) continue;
    // A named value's problem says it all; a number's names the key and its text.
    const bool whole = problem.rfind("unknown", 0) == 0;
    return Error{prefix +
                 (whole ? problem : key.name + std::string("=") + it->second + " " + problem)};
  }
  // What no run writes: counts below 0, accuracies outside [0, 1], a std of 0.
  for (const auto& key : metadata_keys()) {
    if (key.in_range == nullptr || key.in_range(c)) continue;
    return Error{prefix + key.name + "=" + values[key.name] +
                 " is out of range (no run writes it)"};
  }
  const std::string train = kTrainOptionPrefix;
  c.train_options.clear();
  for (const auto& [k, v] : values) {
    if (k.compare(0, train.size(), train) == 0) c.train_options[k.substr(train.size())] = v;
  }
  // The same checks as the command line's, so an edited file cannot carry what no run could.
  auto options = decode_options(c.train_options);
  if (!options) return Error{prefix + options.error().message};
  if (const std::string problem = progress_problem(c, *options); !problem.empty()) {
    return Error{prefix + problem + " (no run writes it)"};
  }
  return {};
}

std::string metadata_table() {
  std::string table = "| key | meaning |\n|---|---|\n";
  for (const auto& key : metadata_keys()) {
    table += "| `" + std::string(key.name) + "` | " + key.meaning + " |\n";
  }
  table +=
      "| `train.*` | the options of the run, keyed by `digit-train`'s flag names (`train.lr`, "
      "`train.epochs`, `train.data.0`, ...); `--resume` takes them as defaults and refuses "
      "different ones unless `--fine-tune` |\n";
  return table;
}

}  // namespace digits
