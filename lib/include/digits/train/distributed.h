// Training on several processes and machines with PyTorch's own engine: c10d's TCPStore for the
// rendezvous and its Gloo process group for the collectives (docs/distributed.md).
//
// The processes of a run are its ranks, configured as torchrun configures workers (options.h
// DistributedConfig). The trainer uses a WorkerGroup for data parallelism: rank 0's initial
// weights to all, one flattened allreduce of the gradients per step, and a check at each epoch's
// end that every rank still holds rank 0's weights. A rank that exits, crashes or does not answer
// within the timeout makes the others' next collective fail with an Error naming them.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "digits/core/error.h"
#include "digits/train/distributed_config.h"

namespace digits {

struct TrainConfig;

// The CPU threads of this process: `threads` when given (> 0); for a worker of a distributed run
// (LOCAL_WORLD_SIZE set) the machine's cores shared among its workers; else 0 (one per core).
int worker_threads(int threads);

// Whether this build has c10d's Gloo backend (LibTorch with c10d, and libgloo-dev's headers).
bool distributed_compiled_in();

// Sets `config.distributed` from torchrun's environment: MASTER_ADDR, MASTER_PORT, WORLD_SIZE,
// RANK, LOCAL_RANK and GLOO_SOCKET_IFNAME, each where set. A bad value is an Error naming the
// variable.
Status read_worker_environment(TrainConfig& config);

// Ok when rank 0's store can listen on `port` of this machine; else an Error "--master-port N:
// port N is in use on this machine ...", said once, before a rank waits --dist-timeout for a
// store that cannot start. Ok too when the check itself cannot be made.
Status check_store_port(int64_t port);

// The ranks of one run, connected. Every collective is entered by all ranks in the same order.
class WorkerGroup {
 public:
  // Connects this rank to the others through the store at master_addr:master_port (rank 0
  // hosts it, unless torchrun's agent does: TORCHELASTIC_USE_AGENT_STORE). Fails when the
  // build has no distributed training, when the options do not fit together, or when a rank
  // has not arrived within the timeout.
  static Result<std::unique_ptr<WorkerGroup>> join(const DistributedConfig& config);
  ~WorkerGroup();

  int64_t rank() const;
  int64_t size() const;

  // Sums `flat` (one contiguous tensor) over all ranks, in place. `what` names the collective in
  // the Error ("the gradient allreduce of step 12").
  Status sum(torch::Tensor& flat, const std::string& what);
  // Overwrites `flat` with rank 0's.
  Status broadcast(torch::Tensor& flat, const std::string& what);

 private:
  struct Impl;
  explicit WorkerGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace digits
