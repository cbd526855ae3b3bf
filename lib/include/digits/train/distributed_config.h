// Where a process sits in a distributed run (distributed.h joins it; the options table sets it).
#pragma once

#include <cstdint>
#include <string>

namespace digits {

// Where this process sits in a distributed run (distributed.h), as torchrun describes its workers
// (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), and what the local launcher starts.
// Only `world_size` is part of the run's identity; the rest says where this invocation runs.
struct DistributedConfig {
  int64_t world_size = 1;      // processes of the run; 1: today's single-process training
  int64_t rank = 0;            // this process, 0 .. world_size - 1; rank 0 writes the run's files
  int64_t local_rank = 0;      // this process among those on its machine
  int64_t nproc_per_node = 1;  // the launcher: workers to start on this machine
  int64_t nnodes = 1;          // the launcher: machines of the run
  int64_t node_rank = 0;       // the launcher: this machine, 0 .. nnodes - 1
  std::string master_addr = "127.0.0.1";  // where rank 0 (or torchrun's agent) keeps the store
  int64_t master_port = 29500;            // 0 for the launcher: any free port (one machine)
  std::string interface;   // network interface of Gloo's connections; "" only on loopback
  double timeout_s = 300;  // a collective or the start-up waiting longer fails
  bool allow_world_size_change = false;  // resume at another world size (not bit-exact)
};

}  // namespace digits
