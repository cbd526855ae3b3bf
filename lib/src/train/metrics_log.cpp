#include "train/metrics_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "io/atomic_file.h"

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
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path_, ec) || std::filesystem::file_size(path_, ec) == 0;
  std::string row = fresh ? "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds\n" : "";
  row += std::to_string(r.epoch) + ',' + fmt(r.train_loss) + ',' + fmt(r.val_loss) + ',' +
         fmt(r.val_acc) + ',' + fmt(r.lr) + ',' + fmt(r.images_per_s) + ',' + fmt(r.seconds) + '\n';
  return append_whole(path_, row);  // whole rows only: a full disk leaves the log readable
}

void MetricsLog::remove() const {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace digits::detail

namespace digits {

Result<std::vector<EpochReport>> read_metrics_log(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot read the metrics"};
  static const std::vector<std::string> wanted = {"epoch", "train_loss",   "val_loss", "val_acc",
                                                  "lr",    "images_per_s", "seconds"};
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::istringstream names(line);
  for (std::string name; std::getline(names, name, ',');) header.push_back(name);
  std::vector<size_t> column;
  for (const auto& name : wanted) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return Error{path + ":1: no column '" + name + "' (not a metrics.csv)"};
    column.push_back(static_cast<size_t>(it - header.begin()));
  }
  std::vector<EpochReport> rows;
  double best = std::nan("");
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    std::vector<double> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) {
      char* end = nullptr;
      cells.push_back(std::strtod(cell.c_str(), &end));
      if (end == cell.c_str() || *end != '\0')
        return Error{where + "'" + cell + "' is not a number"};
    }
    if (cells.size() != header.size()) {
      return Error{where + std::to_string(cells.size()) + " fields, the header has " +
                   std::to_string(header.size())};
    }
    EpochReport r{static_cast<int64_t>(cells[column[0]]),
                  cells[column[1]],
                  cells[column[2]],
                  cells[column[3]],
                  cells[column[4]],
                  cells[column[5]],
                  cells[column[6]],
                  false};
    r.best = !std::isnan(r.val_acc) && (std::isnan(best) || r.val_acc > best);
    if (r.best) best = r.val_acc;
    rows.push_back(r);
  }
  return rows;
}

}  // namespace digits
