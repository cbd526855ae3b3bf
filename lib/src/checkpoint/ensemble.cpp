// Ensemble files: several networks in one file, for prediction (format 2).
#include <torch/serialize/output-archive.h>

#include <string>
#include <vector>

#include "checkpoint/archive.h"
#include "digits/checkpoint/checkpoint.h"

namespace digits {

using detail::first_line;
using detail::kFormatKey;
using detail::kMembersKey;
using detail::OpenedFile;

namespace {

std::string member_key(size_t i) { return "member." + std::to_string(i + 1); }

// An ensemble file's members, in order.
Result<std::vector<Checkpoint>> read_ensemble(const std::string& path, OpenedFile& f,
                                              torch::Device device) {
  c10::IValue count;
  if (!f.archive.try_read(kMembersKey, count) || !count.isInt()) {
    return Error{path + ": an ensemble file (format 2) without " + std::string(kMembersKey)};
  }
  const int64_t n = count.toInt();
  if (n < 2 || n > detail::kMaxEnsembleMembers) {
    return Error{path + ": " + kMembersKey + "=" + std::to_string(n) + " is not a number of " +
                 "ensemble members (2.." + std::to_string(detail::kMaxEnsembleMembers) + ")"};
  }
  std::vector<Checkpoint> members;
  for (int64_t i = 0; i < n; ++i) {
    const std::string where =
        path + ": member " + std::to_string(i + 1) + " of " + std::to_string(n);
    torch::serialize::InputArchive archive;
    if (!f.archive.try_read(member_key(static_cast<size_t>(i)), archive)) {
      return Error{where + " is missing"};
    }
    auto c = detail::read_network(where, archive, device);
    if (!c) return c.error();
    c->format_version = f.format;
    members.push_back(std::move(*c));
  }
  return members;
}

}  // namespace

Status save_ensemble(const std::string& path, const std::vector<Checkpoint>& members) {
  if (members.empty()) return Error{path + ": no network to save"};
  // Never a file that every program would refuse to read.
  if (static_cast<int64_t>(members.size()) > detail::kMaxEnsembleMembers) {
    return Error{path + ": " + std::to_string(members.size()) +
                 " networks are more than an ensemble file holds (at most " +
                 std::to_string(detail::kMaxEnsembleMembers) + "); nothing was written"};
  }
  for (size_t i = 0; i < members.size(); ++i) {
    if (!members[i].net)
      return Error{path + ": member " + std::to_string(i + 1) + " has no network"};
  }
  torch::serialize::OutputArchive archive;
  try {
    if (members.size() == 1) {
      detail::write_network(archive, members[0], kCheckpointFormatVersion);
    } else {
      archive.write(kFormatKey, c10::IValue(kEnsembleFormatVersion));
      archive.write(kMembersKey, c10::IValue(static_cast<int64_t>(members.size())));
      for (size_t i = 0; i < members.size(); ++i) {
        torch::serialize::OutputArchive member;
        detail::write_network(member, members[i], kEnsembleFormatVersion);
        archive.write(member_key(i), member);
      }
    }
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return detail::save_archive(path, archive);
}

Result<std::vector<Checkpoint>> load_members(const std::string& path, torch::Device device) {
  return detail::read_opened(path, device, [&](OpenedFile& f) -> Result<std::vector<Checkpoint>> {
    if (f.format == kEnsembleFormatVersion) return read_ensemble(path, f, device);
    auto c = detail::read_checkpoint(path, f, device);
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

}  // namespace digits
