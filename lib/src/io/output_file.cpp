#include "digits/io/output_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

namespace digits {

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::optional<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

bool is_stdout(const std::string& path) { return path == "-" || path == "/dev/stdout"; }

bool is_discard(const std::string& path) { return path == "/dev/null"; }

std::string output_problem(const std::string& output, OutputKind kind) {
  if (is_stdout(output)) {
    return kind == OutputKind::kText ? std::string()
                                     : "is standard output, where a binary file (an image, a "
                                       "model) would mix with what the program prints; name a "
                                       "file";
  }
  if (is_discard(output)) return {};
  struct stat st {};
  if (::stat(output.c_str(), &st) != 0) return {};  // nothing there yet (or a dangling link)
  if (!S_ISREG(st.st_mode)) {
    return "is " + kind_of(st.st_mode) + ", not a file this program may replace; name a " +
           (kind == OutputKind::kText ? "regular file (or - for standard output)" : "regular file");
  }
  return {};
}

Status check_output(const std::string& output, const std::string& option,
                    const std::vector<std::string>& inputs, OutputKind kind) {
  if (const std::string problem = output_problem(output, kind); !problem.empty()) {
    return Error{option + " " + output + ": " + problem};
  }
  if (is_stdout(output) || is_discard(output)) return {};
  struct stat st {};
  if (::stat(output.c_str(), &st) != 0) return {};  // nothing there yet (or a dangling link)
  const FileId out{st.st_dev, st.st_ino};
  for (const auto& input : inputs) {
    if (file_id(input) == out) {
      return Error{option + " " + output + ": is " +
                   (input == output ? std::string("an input of this command")
                                    : "the same file as the input " + input) +
                   "; writing it would destroy what is being read, so choose another name"};
    }
  }
  return {};
}

namespace {

// Whether two outputs would write one file: the same path once made absolute and normal, or
// the same file already there.
// Where writing to `path` lands: its links followed, also to a file that does not exist yet
// (weakly_canonical alone stops at a link whose target is missing), as far as 40 links go.
std::filesystem::path landing(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return fs::weakly_canonical(p, ec);
}

bool same_output(const std::string& a, const std::string& b) {
  const auto na = landing(a), nb = landing(b);
  if (a == b || na == nb) return true;
  const auto ia = file_id(a), ib = file_id(b);
  return ia && ib && *ia == *ib;
}

}  // namespace

Status check_outputs(const std::vector<NamedOutput>& outputs,
                     const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path, kind] = outputs[i];
    if (path.empty()) continue;
    DIGITS_RETURN_IF_ERROR(check_output(path, option, inputs, kind));
    if (is_stdout(path) || is_discard(path)) continue;
    for (size_t j = 0; j < i; ++j) {
      const auto& earlier = outputs[j];
      if (earlier.path.empty() || is_stdout(earlier.path) || is_discard(earlier.path)) continue;
      if (same_output(path, earlier.path)) {
        return Error{option + " " + path + ": is also " + earlier.option};
      }
    }
  }
  return {};
}

}  // namespace digits
