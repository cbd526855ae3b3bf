// Running the real programs from a test: their paths, a child process with its output in files,
// and how it ended; the one quick training run the program tests share (TinyRun), what every
// error exit must look like, and the inputs several of them start from.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/model.h"
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
  std::string working_dir = "";             // where it runs; "" for the test's own
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
      if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) ::_exit(126);
      if (options.max_file_bytes != RLIM_INFINITY) {
        // SIGXFSZ as a shell leaves it (its default kills): each program must ignore it itself,
        // so that a write past the limit fails with EFBIG, as a full disk gives ENOSPC.
        ::signal(SIGXFSZ, SIG_DFL);
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

// The quick digit-train run the program tests share, a second or two: the smallest network
// (width 4) on one thread, seeded, quiet, one epoch of the bundled sample's first 200 rows in
// batches of 16, into `checkpoint_dir`. A test sets the fields it needs otherwise.
struct TinyRun {
  explicit TinyRun(std::string dir) : checkpoint_dir(std::move(dir)) {}

  std::string checkpoint_dir;
  std::string data = mnist_sample_path();
  int64_t limit = 200;  // rows read; -1 reads every row of `data`
  int64_t epochs = 1;
  int64_t batch_size = 16;
  int64_t seed = 2;
  bool quiet = true;  // false: the progress lines on stderr, for a test that waits for them
  std::string more;   // further options, space-separated

  std::vector<std::string> argv() const {
    std::string options = "--epochs " + std::to_string(epochs) + " --width 4 --batch-size " +
                          std::to_string(batch_size) + " --threads 1 --seed " +
                          std::to_string(seed);
    if (limit >= 0) options += " --limit " + std::to_string(limit);
    if (quiet) options += " --quiet";
    return command(kTrain, options + " " + more,
                   {"--data", data, "--checkpoint-dir", checkpoint_dir});
  }
};

// The tiny run into `checkpoint_dir`, with `more` options.
inline std::vector<std::string> tiny_run(const std::string& checkpoint_dir,
                                         const std::string& more = "") {
  TinyRun r{checkpoint_dir};
  r.more = more;
  return r.argv();
}

// The tiny run on all of `data` (a small or broken file a test wrote) in batches of 4, seed 3.
inline std::vector<std::string> tiny_run_on(const std::string& data,
                                            const std::string& checkpoint_dir) {
  TinyRun r{checkpoint_dir};
  r.data = data;
  r.limit = -1;
  r.batch_size = 4;
  r.seed = 3;
  return r.argv();
}

// The program ended with exit `code`, no signal and no uncaught exception, and its stderr holds
// each of `needles`.
inline void expect_exit(const Outcome& o, int code, const std::vector<std::string>& needles) {
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, code) << o.describe();
  EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o.describe();
  for (const auto& n : needles) EXPECT_NE(o.err.find(n), std::string::npos) << n << o.describe();
}

// The promise every error keeps: exit code 2, no signal, and the error as the last line of stderr,
// one line starting with the program's name and containing each of `needles`. (Status lines such
// as "loaded 42000 rows" may come before it; no other line is an error.)
inline void expect_clean_error(const Outcome& o, const std::vector<std::string>& needles,
                               const std::string& program = "digit-train") {
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, 2) << o.describe();
  ASSERT_FALSE(o.err.empty()) << o.describe();
  ASSERT_EQ(o.err.back(), '\n') << o.describe();
  const size_t start = o.err.rfind('\n', o.err.size() - 2) + 1;  // 0 when there is one line
  const std::string last = o.err.substr(start);
  EXPECT_EQ(last.rfind(program + ": ", 0), 0u) << o.describe();
  EXPECT_EQ(o.err.find(program + ": "), start) << "more than one error line:\n" << o.describe();
  EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o.describe();
  for (const auto& n : needles) {
    EXPECT_NE(last.find(n), std::string::npos) << n << "\n" << o.describe();
  }
}

// A real checkpoint of a small network, as bytes.
inline std::string good_checkpoint_bytes(const std::string& dir,
                                         const ModelConfig& model = {Arch::kBnCnn, 4, 0.1}) {
  Checkpoint c;
  c.model = model;
  torch::manual_seed(1);
  c.net = make_model(c.model).value();
  c.train_options = {{"lr", "0.003"}};
  const std::string path = dir + "/made.pt";
  EXPECT_TRUE(save_checkpoint(path, c));
  std::string bytes = read_file(path);
  std::filesystem::remove(path);
  return bytes;
}

// One checkpoint trained by the tiny run and a small test-format CSV, made once per test process
// for the tests that only read them.
struct ProgramInputs {
  TempDir dir;
  std::string checkpoint, csv;
  ProgramInputs() {
    const Outcome o = run(tiny_run(dir.file("run")), dir.file("train"));
    EXPECT_TRUE(o.exited && o.code == 0) << o.describe();
    checkpoint = dir.file("run/last.pt");
    csv = dir.file("test.csv");
    std::string text = kaggle_header(false) + "\n";
    for (int r = 0; r < 5; ++r) text += kaggle_row(-1, 40 * r) + "\n";
    write_file(csv, text);
  }
};

inline ProgramInputs& program_inputs() {
  // Shared by the process's tests and removed when it exits (the tests' forked children leave
  // with _exit, so never one of them), not left in the temporary folder.
  static ProgramInputs i;
  return i;
}

}  // namespace digits::testing
