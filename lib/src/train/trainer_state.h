// Internal: a training run's state, shared by its set-up (run_setup.cpp: start, resume) and its
// loop (trainer.cpp).
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/random.h"
#include "digits/data/dataset.h"
#include "digits/train/augment.h"
#include "digits/train/trainer.h"
#include "train/metrics_log.h"
#include "train/parallel/data_parallel.h"
#include "train/run_folder.h"

namespace digits {

// The steps of an epoch of `n` images: full global batches, then what is left over in a smaller
// last one, unless that leaves a rank fewer than two images (batch norm cannot train on one, and
// a rank with none would average a NaN loss in): those join the last full batch instead.
inline int64_t epoch_batches(int64_t n, int64_t global_batch, int64_t ranks) {
  const int64_t full = n / global_batch, left = n % global_batch;
  return full > 0 && left < 2 * ranks ? full : full + (left > 0);
}

struct Trainer::State {
  TrainConfig config;
  torch::Device device{torch::kCPU};
  Dataset train, val;  // on `device`
  Normalization norm;
  DataIdentity data;
  std::string run_id;  // Checkpoint::run_id
  RunProgress progress;
  DigitNet net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::optional<detail::RunLock> lock;
  std::string set_aside;                 // where an earlier run's files went
  std::unique_ptr<detail::Ranks> ranks;  // one process, or this rank of a distributed run

  int64_t rank() const { return ranks->rank(); }
  int64_t world_size() const { return ranks->size(); }
  // Rank 0 writes the run's files; the other ranks only train.
  bool writes_files() const { return rank() == 0; }

  std::string path(const std::string& name) const {
    return (std::filesystem::path(config.checkpoint_dir) / name).string();
  }
  detail::MetricsLog metrics() const { return detail::MetricsLog(path("metrics.csv")); }

  torch::Tensor prepare(const torch::Tensor& images_u8, bool train_mode) const {
    auto x = Normalization::to_unit(images_u8.unsqueeze(1));
    if (train_mode && config.augment.enabled) x = augment(x, config.augment);
    return norm.apply_(x);
  }

  Status save(const char* name) const {
    if (!writes_files()) return {};
    Checkpoint c;
    c.model = config.model;
    c.normalization = norm;
    c.progress = progress;
    c.data = data;
    c.run_id = run_id;
    c.train_options = encode_options(config);
    c.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    c.net = net;
    return save_checkpoint(path(name), c, optimizer.get());
  }

  // Validates options and data, splits, and moves both parts to the device.
  Status init(const TrainConfig& options, const Dataset& d);

  // A new run's folder: empty of other runs' files, or those set aside when asked (kSetAside;
  // any other use refuses them).
  Status claim_folder(FolderUse use);
  // An exact resume in the run's own folder: the folder must hold this run's files (its .run),
  // not another run's that a copied checkpoint would replace and splice into.
  Status check_folder_is_this_runs() const;
  // Writes the folder's .run: from now on it holds this run's files.
  Status mark_folder() const {
    return writes_files() ? detail::mark_folder(config.checkpoint_dir, run_id) : Status{};
  }

  // The best validation accuracy DIR/best.pt records, when it is of this run (its options and
  // data): an exact resume from an older last.pt must not replace it with a worse one.
  double best_on_disk() const;

  // One optimizer step on the global batch `batch` (rows of `train`) at rate `lr`: this rank's
  // share forward and backward, the gradients combined over the ranks, the step. Returns the
  // global batch's loss and whether a rank was asked to `stop`.
  Result<detail::StepTotals> step(const torch::Tensor& batch, double lr, bool stop);

  // Loss and accuracy on the validation rows (nan without any), each rank measuring its share.
  Result<Evaluation> validate(Trainer& trainer);

  // Seed of batch b's augmentation and dropout: rank 0's is the single-process one, and every
  // other rank draws its own numbers for its own images.
  uint64_t batch_seed(int64_t epoch, int64_t b) const {
    const uint64_t seed = mix_seed(config.seed, epoch, b);
    return rank() == 0 ? seed : mix_seed(seed, static_cast<uint64_t>(rank()));
  }
};

}  // namespace digits
