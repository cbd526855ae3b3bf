// Scoring predictions against labels: the confusion matrix, accuracy, per-class precision and
// recall, the tables digit-predict prints, and which rows to score: the validation rows a
// training run held out (the same stratified split the trainer made, see trainer.h).
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "digits/checkpoint.h"
#include "digits/dataset.h"
#include "digits/error.h"
#include "digits/image.h"

namespace digits {

// counts[true label][predicted digit] over the ten digits.
class ConfusionMatrix {
 public:
  // From true labels and predicted digits: int64 (or any integer type) [N] each, values 0..9.
  static ConfusionMatrix of(const torch::Tensor& labels, const torch::Tensor& predicted);

  void add(int64_t truth, int64_t predicted) { ++counts_[truth][predicted]; }
  int64_t count(int64_t truth, int64_t predicted) const { return counts_[truth][predicted]; }

  int64_t total() const;
  int64_t correct() const;  // the diagonal
  double accuracy() const;  // correct / total; nan when empty
  // Of the images predicted as `digit`, the share that are; nan when it was never predicted.
  double precision(int64_t digit) const;
  // Of the images labelled `digit`, the share predicted as such; nan when there are none.
  double recall(int64_t digit) const;
  int64_t support(int64_t digit) const;    // images labelled `digit`
  int64_t predicted(int64_t digit) const;  // images predicted as `digit`

 private:
  std::array<std::array<int64_t, kClasses>, kClasses> counts_{};
};

// "accuracy=0.996190 correct=4184 total=4200": one line, for people and scripts.
std::string format_accuracy_line(const ConfusionMatrix& m);

// One aligned row per digit: precision, recall and support ("-" where undefined).
std::string format_class_table(const ConfusionMatrix& m);

// The 10x10 matrix as an aligned table: one row per true label, one column per prediction,
// each count right-aligned to the widest one.
std::string format_confusion_matrix(const ConfusionMatrix& m);

// Which rows of a labelled file a training run held out: its data was the first `limit` rows
// (all when -1), split by stratified_split(labels, val_fraction, seed).
struct Holdout {
  double val_fraction = 0.1;
  uint64_t seed = 1;
  int64_t limit = -1;

  bool operator==(const Holdout& o) const {
    return val_fraction == o.val_fraction && seed == o.seed && limit == o.limit;
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

// Whether `data` (loaded with the hold-out's limit) is exactly the data `checkpoint` was
// trained on, by row count and digest; otherwise its held-out rows are not defined there.
Status check_training_data(const Checkpoint& checkpoint, const std::string& checkpoint_path,
                           const Dataset& data, const std::string& data_name);

// Indices (int64, ascending) of the held-out rows of labelled `data`.
torch::Tensor holdout_rows(const Dataset& data, const Holdout& holdout);

}  // namespace digits
