// Which model a program uses when it is not told (checkpoint.h default_checkpoint).
#include <filesystem>
#include <string>

#include "digits/checkpoint/checkpoint.h"

namespace digits {

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
