#include "metrics_log.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "atomic_file.h"

namespace digits::detail {

namespace {
std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
}  // namespace

Status MetricsLog::trim_after(int64_t epoch) const {
  std::ifstream in(path_);
  if (!in) return {};  // nothing logged yet
  std::string kept, line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (!header && std::strtoll(line.c_str(), nullptr, 10) > epoch) continue;
    kept += line + '\n';
    header = false;
  }
  return write_file_atomically(path_, kept, "metrics");
}

Status MetricsLog::append(const EpochReport& r) const {
  const bool fresh = !std::filesystem::exists(path_) || std::filesystem::file_size(path_) == 0;
  std::ofstream out(path_, std::ios::app);
  if (fresh) out << "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds\n";
  out << r.epoch << ',' << fmt(r.train_loss) << ',' << fmt(r.val_loss) << ',' << fmt(r.val_acc)
      << ',' << fmt(r.lr) << ',' << fmt(r.images_per_s) << ',' << fmt(r.seconds) << '\n';
  out.flush();
  if (!out) return Error{path_ + ": cannot append metrics"};
  return {};
}

void MetricsLog::remove() const {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace digits::detail
