// Internal: running another program (gnuplot) to completion, its input given and its output
// kept, without a shell.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"

namespace digits::detail {

struct ProgramRun {
  int exit_code = -1;      // -1 when a signal ended it
  int signal = 0;          // that signal, else 0
  bool timed_out = false;  // killed when its time was up
  std::string out, err;
};

// Runs argv[0] (looked up on PATH) in a process group of its own with `input` on its standard
// input, killing the group after `timeout_ms`. Its output is read until it has exited and closed
// its pipes, or a quarter second after it exited: what it left behind still holding them (a
// helper of its own) is killed with its group, never waited for. An Error only when it cannot be
// started: "PROGRAM: not found" when there is no such program on PATH.
Result<ProgramRun> run_program(const std::vector<std::string>& argv, const std::string& input,
                               int timeout_ms);

}  // namespace digits::detail
