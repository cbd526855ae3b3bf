// Running the real programs from a test: their paths, a child process with its output in files,
// and how it ended.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace digits::testing {

inline const std::string kTrain = std::string(DIGITS_BINARY_DIR) + "/apps/train/digit-train";
inline const std::string kPredict = std::string(DIGITS_BINARY_DIR) + "/apps/predict/digit-predict";
inline const std::string kDraw = std::string(DIGITS_BINARY_DIR) + "/apps/draw/digit-draw";
inline const std::string kExport = std::string(DIGITS_BINARY_DIR) + "/apps/export/digit-export";

// How a child process ended, and what it printed.
struct Outcome {
  bool exited = false;  // false: killed by a signal (a crash, or one we sent)
  int code = -1;        // exit status, or the signal's number when !exited
  std::string out, err;

  std::string describe() const {
    return (exited ? "exit " + std::to_string(code) : "killed by signal " + std::to_string(code)) +
           "\n--- stderr:\n" + err + "--- stdout:\n" + out;
  }
};

// Options of a child process started by `Child`.
struct ChildOptions {
  rlim_t max_file_bytes = RLIM_INFINITY;    // RLIMIT_FSIZE: writes past it fail with EFBIG
  rlim_t max_memory_bytes = RLIM_INFINITY;  // RLIMIT_AS: allocations past it fail
};

// A program running in the background with stdout and stderr going to files.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_prefix,
        ChildOptions options = {})
      : out_path_(log_prefix + ".out"), err_path_(log_prefix + ".err") {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      if (options.max_file_bytes != RLIM_INFINITY) {
        // Ignored, SIGXFSZ turns a write past the limit into EFBIG, as a full disk gives ENOSPC.
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{options.max_file_bytes, options.max_file_bytes};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      if (options.max_memory_bytes != RLIM_INFINITY) {
        const rlimit limit{options.max_memory_bytes, options.max_memory_bytes};
        ::setrlimit(RLIMIT_AS, &limit);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }

  // Waits up to `timeout` for `pattern` to appear in stderr; false if the child ended first.
  bool wait_for_stderr(const std::regex& pattern,
                       std::chrono::seconds timeout = std::chrono::seconds(300)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::regex_search(read_file(err_path_), pattern)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        status_ = status;
        return std::regex_search(read_file(err_path_), pattern);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  Outcome wait() {
    if (!reaped_) {
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
    }
    Outcome o;
    o.exited = WIFEXITED(status_);
    o.code = o.exited ? WEXITSTATUS(status_) : WTERMSIG(status_);
    o.out = read_file(out_path_);
    o.err = read_file(err_path_);
    return o;
  }

 private:
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

inline Outcome run(const std::vector<std::string>& argv, const std::string& log_prefix,
                   ChildOptions options = {}) {
  Child child(argv, log_prefix, options);
  return child.wait();
}

// argv from a program, then space-separated options, then single arguments (paths).
inline std::vector<std::string> command(const std::string& program, const std::string& options,
                                        std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {program};
  std::istringstream words(options);
  for (std::string w; words >> w;) argv.push_back(w);
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

}  // namespace digits::testing
