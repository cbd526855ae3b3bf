// A digits file read as bytes once, its zip checked, then parsed as a LibTorch archive; and the
// one network every file holds (checkpoint) or several (ensemble).
#include "checkpoint/archive.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/StringUtil.h>
#include <fcntl.h>
#include <torch/nn/module.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "checkpoint/zip_check.h"
#include "digits/checkpoint/metadata.h"
#include "io/atomic_file.h"

namespace digits::detail {

namespace {

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

}  // namespace

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

void write_network(torch::serialize::OutputArchive& archive, const Checkpoint& c, int64_t format) {
  // Never metadata that reads back as something else (its callers catch this).
  if (const std::string problem = metadata_problem(c); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  archive.write(kFormatKey, c10::IValue(format));
  archive.write(kMetaKey, c10::IValue(encode_metadata(c)));
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

Result<Checkpoint> read_network(const std::string& where, torch::serialize::InputArchive& archive,
                                torch::Device device) {
  Checkpoint c;
  c10::IValue meta;
  if (!archive.try_read(kMetaKey, meta) || !meta.isString()) {
    return Error{where + ": checkpoint has no metadata (" + std::string(kMetaKey) + ")"};
  }
  DIGITS_RETURN_IF_ERROR(decode_metadata(where, meta.toStringRef(), c));

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

}  // namespace digits::detail
