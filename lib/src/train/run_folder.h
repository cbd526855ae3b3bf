// A training run's checkpoint folder, owned by one run at a time: a lock while it runs, and
// the files of an earlier run set aside, never overwritten, when a new run starts there.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"

namespace digits::detail {

// The files a run writes in its folder.
inline const std::vector<std::string>& run_files() {
  static const std::vector<std::string> files = {"last.pt", "best.pt", "metrics.csv",
                                                 "metrics.png"};
  return files;
}

// Holds DIR/.lock (an flock, released by the kernel when the process ends, so the lock of a run
// that died is free at once) for as long as it lives; the file says who holds it.
class RunLock {
 public:
  // Takes the folder's lock, or an Error naming the process that holds it.
  static Result<RunLock> take(const std::string& dir);
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock& operator=(RunLock&& o) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Which of run_files() are in `dir`.
std::vector<std::string> run_files_in(const std::string& dir);

// Moves run_files() of `dir`, and its .run, into a new `dir`/previous-YYYYmmdd-HHMMSS/ and
// returns its path.
Result<std::string> set_aside(const std::string& dir);

// DIR/.run names the run whose files the folder holds (Checkpoint::run_id), so that a checkpoint
// of another run copied there is not resumed into them. "" when the folder has none (a new folder,
// or one of a version before run identities).
std::string folder_run(const std::string& dir);
// Writes DIR/.run, atomically.
Status mark_folder(const std::string& dir, const std::string& run_id);

}  // namespace digits::detail
