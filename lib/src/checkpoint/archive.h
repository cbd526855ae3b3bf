// Internal: a digits file as bytes and as a LibTorch archive, the part every network of a file
// has (metadata and weights), shared by checkpoints (checkpoint.cpp) and ensembles (ensemble.cpp).
#pragma once

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/types.h>

#include <string>
#include <utility>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"

namespace digits::detail {

inline constexpr const char* kFormatKey = "digits.format";
inline constexpr const char* kMetaKey = "digits.meta";
inline constexpr const char* kMembersKey = "digits.members";
// The most networks an ensemble file holds, for its writer and its reader alike: a bound no file
// near the 5 MB of a shipped model comes close to; it stops a forged count.
inline constexpr int64_t kMaxEnsembleMembers = 1000;

// The first line of an exception's text (LibTorch appends a backtrace).
std::string first_line(const std::string& s);

// Writes `archive` to `path` atomically.
Status save_archive(const std::string& path, torch::serialize::OutputArchive& archive);

// Writes what every network of a file has: the format, its metadata and weights. Throws
// std::invalid_argument when the metadata cannot be written as it is (metadata_problem).
void write_network(torch::serialize::OutputArchive& archive, const Checkpoint& c, int64_t format);

// A digits file opened: its archive (zip checked first) and format version.
struct OpenedFile {
  torch::serialize::InputArchive archive;
  int64_t format = 0;
};
Result<OpenedFile> open_file(const std::string& path, torch::Device device);

// One network from `archive` (a checkpoint, or an ensemble's member): metadata, checked, and
// weights, checked against the architecture. `where` starts every error.
Result<Checkpoint> read_network(const std::string& where, torch::serialize::InputArchive& archive,
                                torch::Device device);

// A plain checkpoint's network with its training state (optimizer, generator).
Result<Checkpoint> read_checkpoint(const std::string& path, OpenedFile& f, torch::Device device);

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

}  // namespace digits::detail
