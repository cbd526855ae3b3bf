#include "digits/checkpoint.h"

#include <fcntl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>
#include <torch/version.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace digits {

namespace {

constexpr const char* kFormatKey = "digits.format";
constexpr const char* kMetaKey = "digits.meta";
constexpr const char* kTrainPrefix = "train.";

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string meta_text(const Checkpoint& c) {
  std::map<std::string, std::string> m = {
      {"torch_version", TORCH_VERSION},
      {"model.arch", c.model.arch},
      {"model.width", std::to_string(c.model.width)},
      {"model.dropout", format_double(c.model.dropout)},
      {"norm.mean", format_double(c.normalization.mean)},
      {"norm.std", format_double(c.normalization.std)},
      {"epoch", std::to_string(c.epoch)},
      {"batch_in_epoch", std::to_string(c.batch_in_epoch)},
      {"global_step", std::to_string(c.global_step)},
      {"best_val_acc", format_double(c.best_val_acc)},
      {"last_val_acc", format_double(c.last_val_acc)},
      {"epoch_loss_sum", format_double(c.epoch_loss_sum)},
      {"epoch_samples", std::to_string(c.epoch_samples)},
      {"data.rows", std::to_string(c.data_rows)},
      {"data.fingerprint", std::to_string(c.data_fingerprint)},
  };
  for (const auto& [k, v] : c.train_options) m[kTrainPrefix + k] = v;
  std::string text;
  for (const auto& [k, v] : m) text += k + "=" + v + "\n";
  return text;
}

// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
Status write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{path + ": cannot write checkpoint: " + std::strerror(errno)};
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{path + ": cannot write checkpoint: " + std::strerror(err)};
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{path + ": cannot write checkpoint: " + std::strerror(err)};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{path + ": cannot replace checkpoint: " + std::strerror(err)};
  }
  // Make the rename itself durable.
  const auto dir = std::filesystem::path(path).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

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
  int64_t integer(const std::string& key) {
    const std::string s = str(key);
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (!failed() && (s.empty() || *end != '\0')) problem_ = key + "=" + s + " is not an integer";
    return v;
  }
  double real(const std::string& key) {
    const std::string s = str(key);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (!failed() && (s.empty() || *end != '\0')) problem_ = key + "=" + s + " is not a number";
    return v;
  }

 private:
  std::string path_;
  std::map<std::string, std::string> values_;
  std::string problem_;
};

}  // namespace

Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                       const torch::optim::Optimizer* optimizer) {
  if (!checkpoint.net) return Error{path + ": no network to save"};
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    archive.write(kFormatKey, c10::IValue(kCheckpointFormatVersion));
    archive.write(kMetaKey, c10::IValue(meta_text(checkpoint)));
    torch::serialize::OutputArchive model;
    checkpoint.net->save(model);
    archive.write("model", model);
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optim;
      optimizer->save(optim);
      archive.write("optimizer", optim);
    }
    if (checkpoint.rng_state.defined()) archive.write("rng", checkpoint.rng_state);
    archive.save_to(bytes);
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return write_atomically(path, bytes.str());
}

Result<Checkpoint> load_checkpoint(const std::string& path, torch::Device device) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path + ": no such checkpoint file"};
  if (fs::is_directory(status)) return Error{path + ": is a directory, expected a checkpoint file"};
  if (fs::file_size(path, ec) == 0) return Error{path + ": is empty (0 bytes), not a checkpoint"};

  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
  } catch (const std::exception& e) {
    return Error{path + ": not a readable checkpoint (truncated or not a LibTorch archive: " +
                 first_line(e.what()) + ")"};
  }

  Checkpoint c;
  try {
    c10::IValue format, meta;
    if (!archive.try_read(kFormatKey, format) || !format.isInt()) {
      return Error{path + ": a LibTorch archive, but not a digits checkpoint (no " +
                   std::string(kFormatKey) + ")"};
    }
    c.format_version = format.toInt();
    if (c.format_version > kCheckpointFormatVersion || c.format_version < 1) {
      return Error{path + ": checkpoint format " + std::to_string(c.format_version) +
                   " is newer than this build reads (" +
                   std::to_string(kCheckpointFormatVersion) + "); update digits"};
    }
    if (!archive.try_read(kMetaKey, meta) || !meta.isString()) {
      return Error{path + ": checkpoint has no metadata (" + std::string(kMetaKey) + ")"};
    }
    MetaReader r(path, meta.toStringRef());
    c.torch_version = r.str("torch_version");
    c.model.arch = r.str("model.arch");
    c.model.width = r.integer("model.width");
    c.model.dropout = r.real("model.dropout");
    c.normalization.mean = r.real("norm.mean");
    c.normalization.std = r.real("norm.std");
    c.epoch = r.integer("epoch");
    c.batch_in_epoch = r.integer("batch_in_epoch");
    c.global_step = r.integer("global_step");
    c.best_val_acc = r.real("best_val_acc");
    c.last_val_acc = r.real("last_val_acc");
    c.epoch_loss_sum = r.real("epoch_loss_sum");
    c.epoch_samples = r.integer("epoch_samples");
    c.data_rows = r.integer("data.rows");
    c.data_fingerprint = std::strtoull(r.str("data.fingerprint").c_str(), nullptr, 10);
    if (r.failed()) return r.error();
    if (!(c.normalization.std > 0)) return Error{path + ": checkpoint has norm.std <= 0"};
    const std::string prefix = kTrainPrefix;
    for (const auto& [k, v] : r.values()) {
      if (k.compare(0, prefix.size(), prefix) == 0) c.train_options[k.substr(prefix.size())] = v;
    }

    auto net = make_model(c.model);
    if (!net) return Error{path + ": " + net.error().message};
    c.net = *net;
    torch::serialize::InputArchive weights;
    if (!archive.try_read("model", weights)) return Error{path + ": checkpoint has no weights"};
    try {
      c.net->load(weights);
    } catch (const std::exception& e) {
      return Error{path + ": weights do not fit architecture '" + c.model.arch +
                   "' (width " + std::to_string(c.model.width) + "): " + first_line(e.what())};
    }
    c.net->to(device);
    c.net->eval();

    auto optim = std::make_shared<torch::serialize::InputArchive>();
    if (archive.try_read("optimizer", *optim)) c.optimizer_state = optim;
    torch::Tensor rng;
    if (archive.try_read("rng", rng)) c.rng_state = rng.to(torch::kCPU);
  } catch (const std::exception& e) {
    return Error{path + ": damaged checkpoint: " + first_line(e.what())};
  }
  return c;
}

}  // namespace digits
