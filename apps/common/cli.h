// What every digits program shares on the command line: exit codes, option parsing that exits 2
// on a usage error, Ctrl-C handling, and a progress line with an ETA. Header-only and free of
// LibTorch, so it costs nothing to include.
#pragma once

#include <c10/util/Exception.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "digits/core/error.h"
#include "digits/io/output_file.h"

namespace digits::cli {

// Exit codes shared by all programs (documented in docs/reliability.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // an internal or system error (disk full, ...)
inline constexpr int kExitBadInput = 2;   // bad option, bad file, bad checkpoint
inline constexpr int kExitSigint = 130;   // 128 + SIGINT
inline constexpr int kExitSigterm = 143;  // 128 + SIGTERM
inline constexpr int kExitSighup = 129;   // 128 + SIGHUP

// A write past a file-size limit (ulimit -f, RLIMIT_FSIZE) fails with EFBIG, reported like a full
// disk (one line, exit 1, the atomic writer's temporary removed), instead of SIGXFSZ killing the
// program mid-write and leaving NAME.tmp.PID behind. Ignored dispositions pass to programs a
// program starts (gnuplot), which then see EFBIG too.
inline void ignore_file_size_signal() { std::signal(SIGXFSZ, SIG_IGN); }

// Parses argv. Returns an exit code when the program should stop now: 0 after --help, 2 after a
// usage error (the message and the usage line go to stderr). Every program parses first, so this
// is where each starts ignoring SIGXFSZ (ignore_file_size_signal).
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  ignore_file_size_signal();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\n"
              << "usage: " << app.get_name() << " [OPTIONS]  (see --help)\n";
    return kExitBadInput;
  }
  return std::nullopt;
}

// An option's value given as "" (a script's unset variable) is a mistake, never "not given": a
// usage error naming the option. For every output option, and any text option where "" would
// silently mean the default. (CLI11 puts "--out: " before the message.)
inline const CLI::Validator NonEmpty(
    [](std::string& value) -> std::string {
      return value.empty() ? "is empty; give a value, or leave the option out" : std::string();
    },
    "", "NON-EMPTY");

// A number that is finite: "nan" and "inf" parse as doubles, and a range check lets NaN through
// (every comparison with it is false).
inline const CLI::Validator Finite(
    [](std::string& value) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str())
        return std::string();  // not a number: the option's own check says so
      return std::isfinite(v) ? std::string() : value + " is not a finite number";
    },
    "", "FINITE");

// An output that only a file can take (an image, a model): a name, never "" or standard output
// ("-", /dev/stdout: the bytes would mix with what the program prints), and nothing there that
// is not a regular file. Refused as a usage error naming the option, before any work.
inline const CLI::Validator BinaryFile(
    [](std::string& path) -> std::string {
      if (path.empty()) return "is empty; name a file, or leave the option out";
      const std::string problem = digits::output_problem(path, digits::OutputKind::kBinary);
      return problem.empty() ? std::string() : path + ": " + problem;
    },
    "", "FILE");

// Prints "program: message" to stderr and returns `code`, for `return fail(...)` in main.
inline int fail(const std::string& program, const std::string& message, int code = kExitBadInput) {
  std::cerr << program << ": " << message << "\n";
  return code;
}

// Prints "program: message" and returns the exit code of the Error's kind (digits::exit_code).
inline int fail(const std::string& program, const digits::Error& error) {
  return fail(program, error.message, digits::exit_code(error.kind));
}

// What a long-running program is doing, for the one line an exception ends it with ("out of
// memory while training"), and what the user can do about running out of memory.
struct Doing {
  const char* now = "starting";
  const char* memory_hint = "";  // e.g. " (try a smaller --batch-size or --limit)"
  const char* after = "";        // e.g. "; saved checkpoints are intact"
};

// A program's main: `run(argc, argv)`, with what LibTorch may still throw (out of memory, a
// device failure) ending the program with one line and kExitFailure instead of an abort. The
// library itself reports bad input as values. With `doing`, the line says what was being done.
template <class Run>
int run_main(const char* program, Run run, int argc, char** argv, const Doing* doing = nullptr) {
  auto failed = [&](bool memory, const std::string& what) {
    if (doing == nullptr) return fail(program, what, kExitFailure);
    const std::string how = memory ? "out of memory while " : "failed while ";
    return fail(program,
                how + doing->now + (what.empty() ? doing->memory_hint : ": " + what) + doing->after,
                kExitFailure);
  };
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc& e) {
    return doing ? failed(true, "") : fail(program, e.what(), kExitFailure);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    // LibTorch's CPU allocator throws a plain c10::Error; its text is the only sign.
    const bool memory =
        what.find("alloc") != std::string::npos || what.find("out of memory") != std::string::npos;
    return failed(memory, what.substr(0, what.find('\n')));
  } catch (const std::exception& e) {
    return failed(false, e.what());
  }
}

// Output to a closed pipe (`digit-predict ... | head -1`) fails quietly instead of killing the
// program before it has written its files.
inline void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

// SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session) ask the program to stop
// at the next safe point (a batch boundary). A second signal exits at once; whatever was saved
// before stays intact (saves are atomic). SIGPIPE is ignored: output to a closed pipe
// (`digit-train | head -1`) fails quietly instead of killing the run.
class StopSignal {
 public:
  static void install() {
    struct sigaction sa {};
    sa.sa_handler = &StopSignal::handle;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    ignore_sigpipe();
  }
  static const std::atomic<bool>* flag() { return &requested(); }
  static bool stop_requested() { return requested().load(); }
  // The exit code for the signal received: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, 0
  // for none.
  static int exit_code() {
    const int s = signal_number().load();
    return s == 0 ? 0 : 128 + s;
  }

 private:
  static std::atomic<bool>& requested() {
    static std::atomic<bool> r{false};
    return r;
  }
  static std::atomic<int>& signal_number() {
    static std::atomic<int> s{0};
    return s;
  }
  static void handle(int sig) {
    if (requested().exchange(true)) {
      static const char msg[] = "\nsecond signal: exiting now\n";
      [[maybe_unused]] auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
      _exit(128 + sig);
    }
    signal_number().store(sig);
  }
};

inline bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

// "1h02m", "3m07s", "12s".
inline std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lds", s);
  }
  return buf;
}

// A progress line on stderr: redrawn in place on a terminal (at most 10 times a second), one
// plain line per `plain_every` fraction of the work otherwise (logs stay readable).
class Progress {
 public:
  explicit Progress(bool terminal = stderr_is_terminal(), double plain_every = 0.25)
      : terminal_(terminal), plain_every_(plain_every) {}

  // `fraction` of the current unit of work (0..1) done; `text` describes it.
  void update(double fraction, const std::string& text) {
    const auto now = std::chrono::steady_clock::now();
    if (terminal_) {
      if (now - last_draw_ < std::chrono::milliseconds(100) && fraction < 1.0) return;
      last_draw_ = now;
      const int width = 24;
      const int filled = static_cast<int>(std::lround(fraction * width));
      std::string bar(filled, '#');
      bar.resize(width, '.');
      std::fprintf(stderr, "\r\033[K[%s] %s", bar.c_str(), text.c_str());
      std::fflush(stderr);
      drawn_ = true;
    } else if (fraction >= next_plain_) {
      std::fprintf(stderr, "%s\n", text.c_str());
      while (next_plain_ <= fraction) next_plain_ += plain_every_;
    }
  }
  // Ends the current line (before printing anything else) and starts a new unit of work.
  void finish() {
    if (terminal_ && drawn_) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
    next_plain_ = plain_every_;
  }

 private:
  bool terminal_;
  double plain_every_;
  double next_plain_ = plain_every_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace digits::cli
