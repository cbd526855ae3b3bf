// digit-train --nproc-per-node N: the local launcher of a distributed run. It starts N workers
// (this program again, configured through torchrun's environment variables) and supervises them:
// a signal is passed on to every worker, and when one fails the others are stopped.
#pragma once

#include "digits/train/options.h"

// The name in every message of digit-train.
inline constexpr const char* kProgram = "digit-train";

// Set in each worker's environment: the launcher's command, for the "resume with" line.
inline constexpr const char* kLaunchCommandVariable = "DIGITS_LAUNCH_COMMAND";

// What can be checked once, before any worker starts, rather than by every worker after all have
// started: the number of workers for this machine, options that contradict the launcher, the
// checkpoint to resume and the data files, the port of rank 0's store. The command line is read
// again as digit-train reads it (the table's options, --resume, --fine-tune).
digits::Status check_before_launching(const digits::DistributedConfig& d, int argc, char** argv);

// Starts the workers of machine `config.node_rank` with argv less the launcher's own options,
// waits for all of them, and returns the exit code: 0 when all finished, else the first failed
// worker's (128 + signal for one that was killed).
int launch_workers(const digits::DistributedConfig& config, int argc, char** argv);
