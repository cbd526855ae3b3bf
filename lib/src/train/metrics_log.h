// DIR/metrics.csv: one row per finished epoch of a run, kept consistent with its checkpoints.
#pragma once

#include <cstdint>
#include <string>

#include "digits/core/error.h"
#include "digits/train/trainer.h"

namespace digits::detail {

class MetricsLog {
 public:
  explicit MetricsLog(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  // Keeps the header and the rows of epochs up to `epoch`: a run killed after logging an epoch
  // but before saving it redoes that epoch on resume, and must not log it twice.
  Status trim_after(int64_t epoch) const;
  // Appends one row (and the header to a new file), whole or not at all.
  Status append(const EpochReport& report) const;
  // A new run starts a new log.
  void remove() const;

 private:
  std::string path_;
};

}  // namespace digits::detail
