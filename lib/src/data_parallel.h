// The collectives of the trainer's data-parallel path (trainer.cpp, docs/distributed.md), over a
// WorkerGroup. None of it runs in a single-process run.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "digits/distributed.h"
#include "digits/error.h"
#include "digits/options.h"
#include "digits/run_state.h"

namespace digits::detail {

// Rank `rank`'s part of a global batch's rows: consecutive, disjoint, nearly equal slices.
torch::Tensor shard(const torch::Tensor& rows, int64_t rank, int64_t world);

struct StepTotals {
  double loss;  // the global batch's mean loss
  bool stop;    // some rank was asked to stop
};

// One flattened allreduce (SUM) of every gradient of `net` times this rank's `share` of the
// global batch (its rows / the batch's rows), so that the sum is the gradient of the global
// batch's mean loss for any split; the batch's loss and the ranks' stop requests travel in the
// same buffer. The gradients are replaced by the sums. `step` (0-based) names the step in an
// Error.
Result<StepTotals> reduce_gradients(WorkerGroup& group, torch::nn::Module& net, double local_loss,
                                    double share, bool stop, int64_t step);

// Rank 0's weights and buffers to every rank: `adopt` takes all of them (a new run's start);
// otherwise each rank checks that its weights are rank 0's and takes rank 0's floating-point
// buffers (batch norm's running statistics, as PyTorch's DDP broadcasts them). Returns whether
// any rank asked to `stop`; an Error says how many ranks' weights differ `when`.
Result<bool> sync_with_rank0(WorkerGroup& group, torch::nn::Module& net, bool adopt, bool stop,
                             const std::string& when);

// Whether every rank has rank 0's data (rows and fingerprint) and identity options: each machine
// reads its own copy of the data and its own command line. An Error says which differs here.
Status same_run_as_rank0(WorkerGroup& group, const TrainConfig& config, const DataIdentity& data);

}  // namespace digits::detail
