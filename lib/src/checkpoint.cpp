#include "digits/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/StringUtil.h>
#include <fcntl.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>
#include <torch/version.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "atomic_file.h"

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

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// A zip entry's name, safe to print.
std::string preview_name(std::string s) {
  if (s.size() > 60) s = s.substr(0, 60) + "...";
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s;
}
// Little-endian integers of a zip structure, bounds-checked by the caller.
uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// Inflates a raw deflate stream of `size` bytes that should give `expected` bytes, and computes
// the CRC-32 of what it gives. False when the stream is broken or its length is not `expected`.
bool inflate_crc(const char* in, uint64_t size, uint64_t expected, uLong* sum) {
  if (size > (1u << 30) || expected > (1u << 30)) return false;  // LibTorch deflates only code
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
  z.avail_in = static_cast<uInt>(size);
  std::vector<unsigned char> out(1 << 16);
  uint64_t total = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    const auto got = out.size() - z.avail_out;
    *sum = crc32(*sum, out.data(), static_cast<uInt>(got));
    total += got;
    if (total > expected || (rc == Z_BUF_ERROR && z.avail_in == 0)) break;
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && total == expected;
}

// Checks the zip container of a LibTorch archive before LibTorch parses it: the directory is
// whole and every entry matches its CRC-32. LibTorch skips these checks, and a flipped
// byte in an archive's TorchScript code then crashes its parser. Returns "" or the problem.
std::string verify_zip(const std::string& b) {
  const size_t n = b.size();
  constexpr size_t kEndSize = 22;
  const std::string kNotZip =
      "not a readable checkpoint (truncated, or not a LibTorch archive: no zip directory at its "
      "end)";
  if (n < kEndSize) return kNotZip;
  // The end record, searched backwards past a comment of up to 64 KB.
  size_t end = std::string::npos;
  for (size_t at = n - kEndSize + 1; at-- > 0 && n - at <= kEndSize + 0xFFFF;) {
    if (le(b, at, 4) == 0x06054b50 && at + kEndSize + le(b, at + 20, 2) == n) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) return kNotZip;
  uint64_t entries = le(b, end + 10, 2);
  uint64_t dir_size = le(b, end + 12, 4);
  uint64_t dir_offset = le(b, end + 16, 4);
  // Zip64 (LibTorch writes it always): a locator just before the end record points at the zip64
  // end record, whose values miniz uses; they must agree with the short ones unless saturated.
  if (end >= 20 && le(b, end - 20, 4) == 0x07064b50) {
    const uint64_t at = le(b, end - 20 + 8, 8);
    if (at > n || n - at < 56 || le(b, at, 4) != 0x06064b50) {
      return "damaged checkpoint: its zip64 end record is missing or broken";
    }
    const uint64_t entries64 = le(b, at + 32, 8), size64 = le(b, at + 40, 8);
    const uint64_t offset64 = le(b, at + 48, 8);
    if ((entries != 0xFFFF && entries != entries64) ||
        (dir_size != 0xFFFFFFFF && dir_size != size64) ||
        (dir_offset != 0xFFFFFFFF && dir_offset != offset64) || le(b, at + 24, 8) != entries64) {
      return "damaged checkpoint: its zip end records disagree";
    }
    entries = entries64;
    dir_size = size64;
    dir_offset = offset64;
  } else if (entries == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {
    return kNotZip;
  }
  const std::string kTruncated = "not a readable checkpoint (truncated: ";
  if (dir_offset > n || dir_size > n - dir_offset) {
    return kTruncated + "its zip directory lies past the end of the file)";
  }
  size_t at = dir_offset;
  const size_t dir_end = dir_offset + dir_size;
  for (uint64_t e = 0; e < entries; ++e) {
    if (dir_end - at < 46 || le(b, at, 4) != 0x02014b50) {
      return "damaged checkpoint: its zip directory is broken at entry " + std::to_string(e + 1);
    }
    const uint64_t method = le(b, at + 10, 2);
    const uint64_t crc = le(b, at + 16, 4);
    uint64_t size = le(b, at + 20, 4);
    uint64_t uncompressed = le(b, at + 24, 4);
    const size_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2);
    const size_t comment_len = le(b, at + 32, 2);
    uint64_t local = le(b, at + 42, 4);
    if (dir_end - at - 46 < name_len + extra_len + comment_len) {
      return "damaged checkpoint: its zip directory is broken at entry " + std::to_string(e + 1);
    }
    const std::string name = preview_name(b.substr(at + 46, name_len));
    // Zip64 sizes and offset, in this order, for the fields that are saturated.
    for (size_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
      const uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
      if (x + 4 + len > at + 46 + name_len + extra_len) break;
      if (id == 0x0001) {
        size_t f = x + 4;
        auto next = [&](uint64_t* v) {
          if (f + 8 <= x + 4 + len) {
            *v = le(b, f, 8);
            f += 8;
          }
        };
        if (uncompressed == 0xFFFFFFFF) next(&uncompressed);
        if (size == 0xFFFFFFFF) next(&size);
        if (local == 0xFFFFFFFF) next(&local);
      }
      x += 4 + len;
    }
    if (local > n || n - local < 30 || le(b, local, 4) != 0x04034b50) {
      return kTruncated + "entry '" + name + "' lies past the end of the file)";
    }
    const uint64_t local_name_len = le(b, local + 26, 2);
    const uint64_t data = local + 30 + local_name_len + le(b, local + 28, 2);
    if (data > n || size > n - data) {
      return kTruncated + "entry '" + name + "' lies past the end of the file)";
    }
    // The name is stored twice (the CRC covers neither); LibTorch crashes on a class whose
    // source it cannot find, so a changed name must not get through.
    if (local_name_len != name_len || b.compare(local + 30, name_len, b, at + 46, name_len) != 0 ||
        le(b, local + 8, 2) != method) {
      return "damaged checkpoint: the zip headers of entry '" + name +
             "' disagree (name or compression method)";
    }
    // LibTorch stores tensors and deflates its code and debug records.
    uLong sum = crc32(0L, Z_NULL, 0);
    if (method == 0) {
      for (uint64_t done = 0; done < size;) {
        const auto chunk = static_cast<uInt>(std::min<uint64_t>(size - done, 1u << 30));
        sum = crc32(sum, reinterpret_cast<const Bytef*>(b.data() + data + done), chunk);
        done += chunk;
      }
      if (size != uncompressed) sum = ~crc;  // a stored entry's sizes are equal
    } else if (method == 8) {
      if (!inflate_crc(b.data() + data, size, uncompressed, &sum)) sum = ~crc;
    } else {
      return "damaged checkpoint: entry '" + name + "' uses compression method " +
             std::to_string(method) + ", which LibTorch archives never use";
    }
    if (sum != crc) {
      return "damaged checkpoint: the contents of '" + name +
             "' fail their CRC-32 check (the file was changed or corrupted)";
    }
    at += 46 + name_len + extra_len + comment_len;
  }
  return {};
}

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
  return detail::write_file_atomically(path, bytes.str(), "checkpoint");
}

Result<Checkpoint> load_checkpoint(const std::string& path, torch::Device device) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path + ": no such checkpoint file"};
  if (fs::is_directory(status)) return Error{path + ": is a directory, expected a checkpoint file"};
  if (!fs::is_regular_file(status)) return Error{path + ": is not a regular file"};
  if (fs::file_size(path, ec) == 0) return Error{path + ": is empty (0 bytes), not a checkpoint"};
  // Read once, checked, then parsed from memory: the file cannot change in between.
  std::string bytes;
  {
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
  }
  if (const std::string problem = verify_zip(bytes); !problem.empty()) {
    return Error{path + ": " + problem};
  }

  torch::serialize::InputArchive archive;
  try {
    std::istringstream stream(std::move(bytes));
    archive.load_from(stream, device);
  } catch (const std::exception& e) {
    return Error{path + ": not a readable checkpoint (truncated or not a LibTorch archive: " +
                 first_line(e.what()) + ")"};
  } catch (...) {
    return Error{path + ": not a readable checkpoint (truncated or not a LibTorch archive)"};
  }

  Checkpoint c;
  try {
    c10::IValue format, meta;
    if (!archive.try_read(kFormatKey, format) || !format.isInt()) {
      return Error{path + ": a LibTorch archive, but not a digits checkpoint (no " +
                   std::string(kFormatKey) + ")"};
    }
    c.format_version = format.toInt();
    if (c.format_version > kCheckpointFormatVersion) {
      return Error{path + ": checkpoint format " + std::to_string(c.format_version) +
                   " is newer than this build reads (" + std::to_string(kCheckpointFormatVersion) +
                   "); update digits"};
    }
    if (c.format_version < 1) {
      return Error{path + ": checkpoint format " + std::to_string(c.format_version) +
                   " is not a valid version (1.." + std::to_string(kCheckpointFormatVersion) + ")"};
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
    const std::string arch_text =
        "architecture '" + c.model.arch + "' (width " + std::to_string(c.model.width) + ")";
    const auto expected = layout(*c.net);
    try {
      c.net->load(weights);
    } catch (const std::exception& e) {
      return Error{path + ": weights do not fit " + arch_text + ": " + first_line(e.what())};
    }
    const std::string difference = layout_difference(expected, layout(*c.net));
    if (!difference.empty()) {
      return Error{path + ": weights do not fit " + arch_text + ": " + difference};
    }
    c.net->to(device);
    c.net->eval();

    auto optim = std::make_shared<torch::serialize::InputArchive>();
    if (archive.try_read("optimizer", *optim)) c.optimizer_state = optim;
    torch::Tensor rng;
    // Kept only when this LibTorch's generator can take it (set_state throws on anything else);
    // a model without it still predicts, and resume then says it cannot be exact.
    const auto reference = at::detail::getDefaultCPUGenerator().get_state();
    if (archive.try_read("rng", rng) && rng.scalar_type() == torch::kUInt8 &&
        rng.sizes().equals(reference.sizes())) {
      c.rng_state = rng.to(torch::kCPU);
    }
  } catch (const std::exception& e) {
    return Error{path + ": damaged checkpoint: " + first_line(e.what())};
  } catch (...) {
    return Error{path + ": damaged checkpoint"};
  }
  return c;
}

}  // namespace digits
