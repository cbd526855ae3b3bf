// Which rows of a labelled file to score: the validation rows a training run held out (the same
// stratified split the trainer made), read from its checkpoint.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"
#include "digits/data/dataset.h"
#include "digits/data/training_data.h"

namespace digits {

// Which rows of labelled files a training run held out: its data, loaded with `data` (its
// --limit and --pen-brushes), split by split_rows(data, val_fraction, seed).
struct Holdout {
  double val_fraction = 0.1;
  uint64_t seed = 1;
  DataOptions data;

  bool operator==(const Holdout& o) const {
    return val_fraction == o.val_fraction && seed == o.seed && data == o.data;
  }
  bool operator!=(const Holdout& o) const { return !(*this == o); }
};

// The hold-out of the run that wrote `checkpoint` (its stored options, --split-seed included).
// An Error when the options cannot be read or the run held nothing out.
Result<Holdout> holdout_of(const Checkpoint& checkpoint);

// The one hold-out all `members` share (each an ensemble member loaded from paths[i]); an Error
// naming the member that held out other rows (train members with the same --split-seed).
Result<Holdout> common_holdout(const std::vector<Checkpoint>& members,
                               const std::vector<std::string>& paths);

// Whether `data` (loaded with the hold-out's `data` options) is exactly the data `checkpoint` was
// trained on, by row count and digest; otherwise its held-out rows are not defined there.
Status check_training_data(const Checkpoint& checkpoint, const std::string& checkpoint_path,
                           const Dataset& data, const std::string& data_name);

// Indices (int64, ascending) of the held-out rows of labelled `data`.
torch::Tensor holdout_rows(const Dataset& data, const Holdout& holdout);

}  // namespace digits
