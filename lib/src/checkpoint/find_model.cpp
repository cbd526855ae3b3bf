// Which model a program uses when it is not told, and the models a user can switch between.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/text.h"
#include "digits/train/options.h"

namespace digits {

namespace {

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::string accuracy_text(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", a);
  return std::isnan(a) ? "none" : buf;
}

// What a run trained on, as its options name it: "data/train.csv + 1 more".
std::string data_of(const Checkpoint& c) {
  auto options = decode_options(c.train_options);
  if (!options || options->data_paths.empty()) return "unknown data";
  const auto& paths = options->data_paths;
  return paths[0] + (paths.size() > 1 ? " + " + std::to_string(paths.size() - 1) + " more" : "");
}

}  // namespace

std::string model_summary(const std::vector<Checkpoint>& members) {
  if (members.empty()) return "no network";
  const Checkpoint& c = members[0];
  std::string s = members.size() > 1 ? std::to_string(members.size()) + " x " : "";
  s += describe(c.model) + ", " + std::to_string(c.progress.epoch) + " epochs, val_acc " +
       accuracy_text(c.progress.best_val_acc) + ", trained on " + data_of(c);
  return s;
}

ModelChoice choose_model(const std::string& dir) {
  const std::string best = dir + "/best.pt";
  std::string shipped = dir + "/pretrained.pt";
  if (!is_file(shipped)) shipped = installed_model();
  const bool have_best = is_file(best);
  if (shipped.empty()) {
    return have_best ? ModelChoice{best, "using " + best + ", the model trained here"}
                     : ModelChoice{"", ""};
  }
  if (!have_best) return {shipped, "using the shipped model " + shipped};
  const std::string keep = "using the shipped model " + shipped + "; " + best;
  const std::string how = " (pass --checkpoint " + best + ", or press N in digit-draw)";
  auto mine = load_members(best);
  if (!mine) return {shipped, keep + " cannot be read: " + mine.error().message};
  auto theirs = load_members(shipped);
  if (!theirs)
    return {best,
            "using " + best + "; the shipped model cannot be read: " + theirs.error().message};
  const Checkpoint& m = mine->front();
  for (const Checkpoint& s : *theirs) {
    if (s.data != m.data) continue;
    const double a = m.progress.best_val_acc, b = s.progress.best_val_acc;
    if (!std::isnan(a) && !std::isnan(b) && a >= b) {
      return {best, "using " + best + ": val_acc " + accuracy_text(a) +
                        " on the shipped model's data, " + "at least its " + accuracy_text(b)};
    }
    return {shipped, keep + " reads the shipped model's data less well (val_acc " + accuracy_text(a) +
                         ", the shipped model " + accuracy_text(b) + ")" + how};
  }
  return {shipped, keep + " was trained on other data (" + data_of(m) +
                       "), so nothing shows it reads as well; it is not the default" + how};
}

std::string default_checkpoint(const std::string& dir) { return choose_model(dir).path; }

std::vector<std::string> models_in(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".pt") found.push_back(e.path().string());
  }
  for (const auto& e : fs::directory_iterator(dir + "/runs", ec)) {
    const std::string run_best = (e.path() / "best.pt").string();
    if (is_file(run_best)) found.push_back(run_best);
  }
  const std::string shipped = dir + "/pretrained.pt";
  std::sort(found.begin(), found.end(), [&](const std::string& a, const std::string& b) {
    return (a == shipped) != (b == shipped) ? a == shipped : a < b;
  });
  return found;
}

std::string installed_model() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const auto model = exe.parent_path().parent_path() / "share" / "digits" / "pretrained.pt";
  return std::filesystem::is_regular_file(model, ec) ? model.string() : "";
}

}  // namespace digits
