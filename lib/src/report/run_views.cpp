#include "digits/report/run_views.h"

#include <ctime>
#include <filesystem>
#include <utility>

#include "digits/report/plot.h"
#include "digits/report/tensorboard.h"
#include "train/run_folder.h"

namespace digits {

namespace {

// "20261201-153000": the local time, as the names of set-aside folders have it.
std::string local_time_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &local);
  return buf;
}

}  // namespace

RunViews::RunViews(std::string checkpoint_dir, const std::string& tensorboard_dir,
                   std::function<void(const std::string&)> warn)
    : dir_(std::move(checkpoint_dir)), warn_(std::move(warn)) {
  const auto folder = std::filesystem::absolute(dir_).lexically_normal();
  name_ = folder.filename().string();
  if (name_.empty()) name_ = folder.parent_path().filename().string();
  if (!tensorboard_dir.empty()) run_dir_ = tensorboard_dir + "/" + name_;
}

RunViews::~RunViews() = default;

Status RunViews::check(const std::vector<std::string>& inputs) const {
  namespace fs = std::filesystem;
  if (run_dir_.empty()) return {};
  std::error_code ec;
  const fs::path events = fs::weakly_canonical(fs::absolute(run_dir_), ec);
  if (ec) return Error{run_dir_ + ": " + ec.message()};
  std::vector<std::pair<std::string, std::string>> taken;  // path, what it is
  for (const auto& name : detail::run_files()) taken.push_back({dir_ + "/" + name, "the run's"});
  for (const auto& input : inputs) taken.push_back({input, "the data file"});
  for (const auto& [path, what] : taken) {
    const fs::path file = fs::weakly_canonical(fs::absolute(path), ec);
    if (ec) continue;
    const fs::path inside = events.lexically_relative(file);
    if (!inside.empty() && *inside.begin() != "..") {
      return Error{run_dir_ + ", where the events would go, " +
                   (inside == "." ? "is " : "lies inside ") + what + " " + path +
                   "; give --tensorboard a folder of its own"};
    }
  }
  for (fs::path p = events; p.has_relative_path(); p = p.parent_path()) {
    if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
      return Error{run_dir_ + ", where the events would go: " + p.string() +
                   " is a file, not a folder; give --tensorboard a folder"};
    }
  }
  return {};
}

Status RunViews::open(bool resumed, std::string aside) {
  const auto rows = read_metrics_log(dir_ + "/metrics.csv");
  if (run_dir_.empty()) {
    if (resumed && rows && !rows->empty()) draw();
    return {};
  }
  if (!resumed) {
    if (aside.empty()) aside = "previous-" + local_time_stamp();
    DIGITS_RETURN_IF_ERROR(set_aside_events(aside));
  }
  auto w = EventWriter::open(run_dir_);
  if (!w) return w.error();
  events_ = std::move(w.value());
  if (resumed && rows) {
    for (const auto& r : rows.value()) write(r);
    if (!rows->empty()) draw();
  }
  return {};
}

void RunViews::epoch(const EpochReport& r) {
  write(r);
  draw();
}

void RunViews::draw() {
  if (chart_failed_) return;
  const std::string title = "digit-train: " + dir_ + "/metrics.csv";
  if (auto st = plot_metrics(dir_ + "/metrics.csv", dir_ + "/metrics.png", title); !st) {
    warn_(st.error().message + "; training goes on without the chart");
    chart_failed_ = true;
  }
}

void RunViews::write(const EpochReport& r) {
  if (!events_ || events_failed_) return;
  auto st = events_->add_scalars(r.epoch, {{"loss/train", r.train_loss},
                                           {"loss/validation", r.val_loss},
                                           {"accuracy/validation", r.val_acc},
                                           {"learning_rate", r.lr},
                                           {"images_per_second", r.images_per_s}});
  if (!st) {
    warn_(st.error().message + "; training goes on without TensorBoard");
    events_failed_ = true;
  }
}

Status RunViews::set_aside_events(const std::string& aside) {
  std::error_code ec;
  if (!std::filesystem::is_directory(run_dir_, ec)) return {};
  const std::string to = run_dir_ + "/" + aside;
  for (const auto& e : std::filesystem::directory_iterator(run_dir_, ec)) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) != 0) continue;
    std::filesystem::create_directories(to, ec);
    std::filesystem::rename(e.path(), to + "/" + e.path().filename().string(), ec);
    if (ec) return Error{e.path().string() + ": cannot move it to " + to + ": " + ec.message()};
  }
  return {};
}

}  // namespace digits
