// How the processes of a run train together (trainer.cpp, docs/distributed.md). One process is
// the reference, where every step of Ranks is the identity; data parallelism over a WorkerGroup
// is the path beside it, built from the collectives below. None of those runs in one process.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "digits/core/error.h"
#include "digits/data/dataset.h"
#include "digits/train/distributed.h"
#include "digits/train/options.h"
#include "digits/train/run_state.h"

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

// The trainer's view of the run's processes. The defaults are one process's: the whole batch
// is this rank's, the loss is the batch's, nothing is exchanged.
class Ranks {
 public:
  virtual ~Ranks() = default;
  virtual int64_t rank() const { return 0; }
  virtual int64_t size() const { return 1; }
  // This rank's rows of a global batch.
  virtual torch::Tensor shard(const torch::Tensor& rows) const { return rows; }
  // After backward: the global batch's gradients and mean loss, and whether a rank was asked to
  // stop. `share` is this rank's part of the batch; `step` names the step in an Error.
  virtual Result<StepTotals> combine_gradients(torch::nn::Module& /*net*/, double loss,
                                               double /*share*/, bool stop, int64_t /*step*/) {
    return StepTotals{loss, stop};
  }
  // Rank 0's weights and buffers everywhere (sync_with_rank0); whether a rank asked to stop.
  virtual Result<bool> sync_weights(torch::nn::Module& /*net*/, bool /*adopt*/, bool stop,
                                    const std::string& /*when*/) {
    return stop;
  }
  virtual Status check_same_run(const TrainConfig& /*config*/, const DataIdentity& /*data*/) {
    return {};
  }
  // Validation loss and accuracy of `val`: `evaluate` of all of it, or of each rank's share,
  // summed over the ranks.
  struct Evaluation {
    double loss, accuracy;
  };
  virtual Result<Evaluation> validate(const std::function<Evaluation(const Dataset&)>& evaluate,
                                      const Dataset& val) {
    return evaluate(val);
  }
};

// The ranks of `config`: one process when its world size is 1, else this rank joined to the
// others (WorkerGroup::join).
Result<std::unique_ptr<Ranks>> join_ranks(const DistributedConfig& config);

}  // namespace digits::detail
