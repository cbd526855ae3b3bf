#include "digits/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/StringUtil.h>
#include <fcntl.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "atomic_file.h"
#include "codec.h"
#include "digits/options.h"
#include "zip_check.h"

namespace digits {

namespace {

constexpr const char* kFormatKey = "digits.format";
constexpr const char* kMetaKey = "digits.meta";
constexpr const char* kTrainPrefix = "train.";

using detail::format_real;

std::string meta_text(const Checkpoint& c) {
  std::map<std::string, std::string> m = {
      {"torch_version", TORCH_VERSION},
      {"model.arch", std::string(name_of(c.model.arch))},
      {"model.width", std::to_string(c.model.width)},
      {"model.dropout", format_real(c.model.dropout)},
      {"norm.mean", format_real(c.normalization.mean)},
      {"norm.std", format_real(c.normalization.std)},
      {"epoch", std::to_string(c.progress.epoch)},
      {"batch_in_epoch", std::to_string(c.progress.batch_in_epoch)},
      {"global_step", std::to_string(c.progress.global_step)},
      {"best_val_acc", format_real(c.progress.best_val_acc)},
      {"last_val_acc", format_real(c.progress.last_val_acc)},
      {"epoch_loss_sum", format_real(c.progress.epoch_loss_sum)},
      {"epoch_samples", std::to_string(c.progress.epoch_samples)},
      {"data.rows", std::to_string(c.data.rows)},
      {"data.fingerprint", std::to_string(c.data.fingerprint)},
  };
  for (const auto& [k, v] : c.train_options) m[kTrainPrefix + k] = v;
  std::string text;
  for (const auto& [k, v] : m) text += k + "=" + v + "\n";
  return text;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The shape and type of every parameter and buffer, by name, to tell whether stored weights
// fit the architecture the metadata names (Module::load adopts whatever shapes the file has).
std::map<std::string, std::string> layout(const torch::nn::Module& net) {
  std::map<std::string, std::string> out;
  for (const auto& p : net.named_parameters()) {
    out["parameter " + p.key()] = c10::str(p.value().sizes(), " ", p.value().scalar_type());
  }
  for (const auto& b : net.named_buffers()) {
    out["buffer " + b.key()] = c10::str(b.value().sizes(), " ", b.value().scalar_type());
  }
  return out;
}

// The first difference between two layouts, e.g. "parameter fc.weight is [10, 64] Float in the
// file, [10, 128] Float for the architecture".
std::string layout_difference(const std::map<std::string, std::string>& expected,
                              const std::map<std::string, std::string>& found) {
  for (const auto& [name, want] : expected) {
    auto it = found.find(name);
    if (it == found.end()) return name + " is missing";
    if (it->second != want) {
      return name + " is " + it->second + " in the file, " + want + " for the architecture";
    }
  }
  for (const auto& [name, have] : found) {
    if (expected.count(name) == 0) return name + " is not part of the architecture";
  }
  return {};
}

class MetaReader {
 public:
  MetaReader(const std::string& path, const std::string& text) : path_(path) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  const std::map<std::string, std::string>& values() const { return values_; }
  bool failed() const { return !problem_.empty(); }
  Error error() const { return Error{path_ + ": checkpoint metadata: " + problem_}; }

  std::string str(const std::string& key) {
    auto it = values_.find(key);
    if (it == values_.end()) {
      if (problem_.empty()) problem_ = "'" + key + "' is missing";
      return {};
    }
    return it->second;
  }
  template <class T>
  T integer(const std::string& key) {
    const std::string s = str(key);
    const auto v = detail::parse_number<T>(s);
    if (!failed() && !v) problem_ = key + "=" + s + " is not an integer";
    return v.value_or(0);
  }
  // A finite number, or nan where `nan_ok` (an accuracy not measured yet).
  double real(const std::string& key, bool nan_ok = false) {
    const std::string s = str(key);
    if (nan_ok && s == "nan") return std::numeric_limits<double>::quiet_NaN();
    const auto v = detail::parse_number<double>(s);
    if (!failed() && !v) problem_ = key + "=" + s + " is not a finite number";
    return v.value_or(0.0);
  }

 private:
  std::string path_;
  std::map<std::string, std::string> values_;
  std::string problem_;
};

constexpr const char* kMembersKey = "digits.members";

std::string member_key(size_t i) { return "member." + std::to_string(i + 1); }

// The part of a file every network has: its metadata and weights.
void write_network(torch::serialize::OutputArchive& archive, const Checkpoint& c, int64_t format) {
  archive.write(kFormatKey, c10::IValue(format));
  archive.write(kMetaKey, c10::IValue(meta_text(c)));
  torch::serialize::OutputArchive model;
  c.net->save(model);
  archive.write("model", model);
}

Status save_archive(const std::string& path, torch::serialize::OutputArchive& archive) {
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return detail::write_file_atomically(path, bytes.str(), "checkpoint");
}

// The file's bytes, read once: the checks and the parse see the same bytes even if the file
// changes in between.
Result<std::string> read_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path + ": no such checkpoint file"};
  if (fs::is_directory(status)) return Error{path + ": is a directory, expected a checkpoint file"};
  if (!fs::is_regular_file(status)) return Error{path + ": is not a regular file"};
  if (fs::file_size(path, ec) == 0) return Error{path + ": is empty (0 bytes), not a checkpoint"};
  std::string bytes;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{path + ": cannot open: " + std::strerror(errno)};
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      ::close(fd);
      return Error{path + ": cannot read: " + std::strerror(err)};
    }
    if (got == 0) break;
    bytes.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return bytes;
}

// A digits file opened: its archive (zip checked first) and format version.
struct OpenedFile {
  torch::serialize::InputArchive archive;
  int64_t format = 0;
};

Result<OpenedFile> open_file(const std::string& path, torch::Device device) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  if (const std::string problem = detail::verify_zip(*bytes); !problem.empty()) {
    return Error{path + ": " + problem};
  }
  OpenedFile f;
  try {
    std::istringstream stream(*bytes);
    f.archive.load_from(stream, device);
  } catch (const std::exception& e) {
    return Error{path + ": not a readable checkpoint (truncated or not a LibTorch archive: " +
                 first_line(e.what()) + ")"};
  } catch (...) {
    return Error{path + ": not a readable checkpoint (truncated or not a LibTorch archive)"};
  }
  try {
    c10::IValue format;
    if (!f.archive.try_read(kFormatKey, format) || !format.isInt()) {
      return Error{path + ": a LibTorch archive, but not a digits checkpoint (no " +
                   std::string(kFormatKey) + ")"};
    }
    f.format = format.toInt();
  } catch (const std::exception& e) {
    return Error{path + ": damaged checkpoint: " + first_line(e.what())};
  }
  if (f.format > kEnsembleFormatVersion) {
    return Error{path + ": checkpoint format " + std::to_string(f.format) +
                 " is newer than this build reads (" + std::to_string(kEnsembleFormatVersion) +
                 "); update digits"};
  }
  if (f.format < 1) {
    return Error{path + ": checkpoint format " + std::to_string(f.format) +
                 " is not a valid version (1.." + std::to_string(kEnsembleFormatVersion) + ")"};
  }
  return f;
}

// One network from `archive` (a checkpoint, or an ensemble's member): metadata, checked, and
// weights, checked against the architecture. `where` starts every error.
Result<Checkpoint> read_network(const std::string& where, torch::serialize::InputArchive& archive,
                                torch::Device device) {
  Checkpoint c;
  c10::IValue meta;
  if (!archive.try_read(kMetaKey, meta) || !meta.isString()) {
    return Error{where + ": checkpoint has no metadata (" + std::string(kMetaKey) + ")"};
  }
  MetaReader r(where, meta.toStringRef());
  c.torch_version = r.str("torch_version");
  const std::string arch = r.str("model.arch");
  if (const auto parsed = parse_name<Arch>(arch)) {
    c.model.arch = *parsed;
  } else if (!r.failed()) {
    return Error{where + ": checkpoint metadata: unknown model '" + arch +
                 "'; known models: " + name_list<Arch>(", ")};
  }
  c.model.width = r.integer<int64_t>("model.width");
  c.model.dropout = r.real("model.dropout");
  c.normalization.mean = r.real("norm.mean");
  c.normalization.std = r.real("norm.std");
  RunProgress& p = c.progress;
  p.epoch = r.integer<int64_t>("epoch");
  p.batch_in_epoch = r.integer<int64_t>("batch_in_epoch");
  p.global_step = r.integer<int64_t>("global_step");
  p.best_val_acc = r.real("best_val_acc", true);
  p.last_val_acc = r.real("last_val_acc", true);
  p.epoch_loss_sum = r.real("epoch_loss_sum");
  p.epoch_samples = r.integer<int64_t>("epoch_samples");
  c.data.rows = r.integer<int64_t>("data.rows");
  c.data.fingerprint = r.integer<uint64_t>("data.fingerprint");
  if (r.failed()) return r.error();
  if (!(c.normalization.std > 0)) return Error{where + ": checkpoint has norm.std <= 0"};
  // What no run writes: counts below 0, accuracies outside [0, 1].
  const std::pair<const char*, bool> sane[] = {
      {"epoch", p.epoch >= 0},
      {"batch_in_epoch", p.batch_in_epoch >= 0},
      {"global_step", p.global_step >= 0},
      {"epoch_samples", p.epoch_samples >= 0},
      {"epoch_loss_sum", p.epoch_loss_sum >= 0},
      {"data.rows", c.data.rows >= 0},
      {"best_val_acc", std::isnan(p.best_val_acc) || (p.best_val_acc >= 0 && p.best_val_acc <= 1)},
      {"last_val_acc", std::isnan(p.last_val_acc) || (p.last_val_acc >= 0 && p.last_val_acc <= 1)},
  };
  for (const auto& [key, ok] : sane) {
    if (!ok) {
      return Error{where + ": checkpoint metadata: " + key + "=" + r.str(key) +
                   " is out of range (no run writes it)"};
    }
  }
  const std::string prefix = kTrainPrefix;
  for (const auto& [k, v] : r.values()) {
    if (k.compare(0, prefix.size(), prefix) == 0) c.train_options[k.substr(prefix.size())] = v;
  }
  // The same checks as the command line's, so an edited file cannot carry what no run could.
  if (auto options = decode_options(c.train_options); !options) {
    return Error{where + ": checkpoint metadata: " + options.error().message};
  }

  auto net = make_model(c.model);
  if (!net) return Error{where + ": " + net.error().message};
  c.net = *net;
  torch::serialize::InputArchive weights;
  if (!archive.try_read("model", weights)) return Error{where + ": checkpoint has no weights"};
  const std::string arch_text = "architecture '" + std::string(name_of(c.model.arch)) +
                                "' (width " + std::to_string(c.model.width) + ")";
  const auto expected = layout(*c.net);
  try {
    c.net->load(weights);
  } catch (const std::exception& e) {
    return Error{where + ": weights do not fit " + arch_text + ": " + first_line(e.what())};
  }
  const std::string difference = layout_difference(expected, layout(*c.net));
  if (!difference.empty()) {
    return Error{where + ": weights do not fit " + arch_text + ": " + difference};
  }
  if (const std::string bad = first_non_finite(*c.net); !bad.empty()) {
    return Error{where + ": " + bad +
                 " is not finite (nan or inf: the model of a run that diverged); it cannot "
                 "predict or be trained on"};
  }
  c.net->to(device);
  c.net->eval();
  return c;
}

// A plain checkpoint's network with its training state (optimizer, generator).
Result<Checkpoint> read_checkpoint(const std::string& path, OpenedFile& f, torch::Device device) {
  auto c = read_network(path, f.archive, device);
  if (!c) return c;
  c->format_version = f.format;
  auto optim = std::make_shared<torch::serialize::InputArchive>();
  if (f.archive.try_read("optimizer", *optim)) c->optimizer_state = optim;
  torch::Tensor rng;
  // Kept only when this LibTorch's generator can take it (set_state throws on anything else);
  // a model without it still predicts, and resume then says it cannot be exact.
  const auto reference = at::detail::getDefaultCPUGenerator().get_state();
  if (f.archive.try_read("rng", rng) && rng.scalar_type() == torch::kUInt8 &&
      rng.sizes().equals(reference.sizes())) {
    c->rng_state = rng.to(torch::kCPU);
  }
  return c;
}

// An ensemble file's members, in order.
Result<std::vector<Checkpoint>> read_ensemble(const std::string& path, OpenedFile& f,
                                              torch::Device device) {
  c10::IValue count;
  if (!f.archive.try_read(kMembersKey, count) || !count.isInt()) {
    return Error{path + ": an ensemble file (format 2) without " + std::string(kMembersKey)};
  }
  const int64_t n = count.toInt();
  // A bound no file near the 5 MB of a shipped model comes close to; it stops a forged count.
  constexpr int64_t kMaxMembers = 1000;
  if (n < 2 || n > kMaxMembers) {
    return Error{path + ": " + kMembersKey + "=" + std::to_string(n) + " is not a number of " +
                 "ensemble members (2.." + std::to_string(kMaxMembers) + ")"};
  }
  std::vector<Checkpoint> members;
  for (int64_t i = 0; i < n; ++i) {
    const std::string where =
        path + ": member " + std::to_string(i + 1) + " of " + std::to_string(n);
    torch::serialize::InputArchive archive;
    if (!f.archive.try_read(member_key(static_cast<size_t>(i)), archive)) {
      return Error{where + " is missing"};
    }
    auto c = read_network(where, archive, device);
    if (!c) return c.error();
    c->format_version = f.format;
    members.push_back(std::move(*c));
  }
  return members;
}

// `read(file)` on the opened file at `path`; what LibTorch throws while reading is an error naming
// the path, as is a file that cannot be opened.
template <class Read>
auto read_opened(const std::string& path, torch::Device device, Read read)
    -> decltype(read(std::declval<OpenedFile&>())) {
  auto f = open_file(path, device);
  if (!f) return f.error();
  try {
    return read(*f);
  } catch (const std::exception& e) {
    return Error{path + ": damaged checkpoint: " + first_line(e.what())};
  } catch (...) {
    return Error{path + ": damaged checkpoint"};
  }
}

}  // namespace

Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                       const torch::optim::Optimizer* optimizer) {
  if (!checkpoint.net) return Error{path + ": no network to save"};
  torch::serialize::OutputArchive archive;
  try {
    write_network(archive, checkpoint, kCheckpointFormatVersion);
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optim;
      optimizer->save(optim);
      archive.write("optimizer", optim);
    }
    if (checkpoint.rng_state.defined()) archive.write("rng", checkpoint.rng_state);
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return save_archive(path, archive);
}

Status save_ensemble(const std::string& path, const std::vector<Checkpoint>& members) {
  if (members.empty()) return Error{path + ": no network to save"};
  for (size_t i = 0; i < members.size(); ++i) {
    if (!members[i].net)
      return Error{path + ": member " + std::to_string(i + 1) + " has no network"};
  }
  torch::serialize::OutputArchive archive;
  try {
    if (members.size() == 1) {
      write_network(archive, members[0], kCheckpointFormatVersion);
    } else {
      archive.write(kFormatKey, c10::IValue(kEnsembleFormatVersion));
      archive.write(kMembersKey, c10::IValue(static_cast<int64_t>(members.size())));
      for (size_t i = 0; i < members.size(); ++i) {
        torch::serialize::OutputArchive member;
        write_network(member, members[i], kEnsembleFormatVersion);
        archive.write(member_key(i), member);
      }
    }
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return save_archive(path, archive);
}

Result<Checkpoint> load_checkpoint(const std::string& path, torch::Device device) {
  return read_opened(path, device, [&](OpenedFile& f) -> Result<Checkpoint> {
    if (f.format == kEnsembleFormatVersion) {
      c10::IValue count;
      const std::string n = f.archive.try_read(kMembersKey, count) && count.isInt()
                                ? std::to_string(count.toInt()) + " networks"
                                : "networks";
      return Error{path + ": an ensemble file (" + n +
                   "): it predicts (digit-predict, digit-draw, digit-export --onnx) but has no "
                   "single network to resume or fine-tune; pass one of its members' checkpoints"};
    }
    return read_checkpoint(path, f, device);
  });
}

Result<std::vector<Checkpoint>> load_members(const std::string& path, torch::Device device) {
  return read_opened(path, device, [&](OpenedFile& f) -> Result<std::vector<Checkpoint>> {
    if (f.format == kEnsembleFormatVersion) return read_ensemble(path, f, device);
    auto c = read_checkpoint(path, f, device);
    if (!c) return c.error();
    std::vector<Checkpoint> one;
    one.push_back(std::move(*c));
    return one;
  });
}

std::string member_path(const std::string& path, size_t index) {
  return path + "#" + std::to_string(index + 1);
}

Result<NamedMembers> load_member_files(const std::vector<std::string>& paths,
                                       torch::Device device) {
  if (paths.empty()) return Error{"no checkpoint given"};
  NamedMembers out;
  for (const auto& path : paths) {
    auto file = load_members(path, device);
    if (!file) return file.error();
    for (size_t i = 0; i < file->size(); ++i) {
      out.members.push_back(std::move((*file)[i]));
      out.names.push_back(file->size() == 1 ? path : member_path(path, i));
    }
  }
  return out;
}

std::string default_checkpoint(const std::string& dir) {
  std::string best;
  std::filesystem::file_time_type newest{};
  for (const char* name : {"best.pt", "pretrained.pt"}) {
    const std::string path = dir + "/" + name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    const auto t = std::filesystem::last_write_time(path, ec);
    if (ec) continue;
    if (best.empty() || t > newest) {
      best = path;
      newest = t;
    }
  }
  return best.empty() ? installed_model() : best;
}

std::string installed_model() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const auto model = exe.parent_path().parent_path() / "share" / "digits" / "pretrained.pt";
  return std::filesystem::is_regular_file(model, ec) ? model.string() : "";
}

}  // namespace digits
