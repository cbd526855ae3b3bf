// Scoring predictions against labels: the confusion matrix, accuracy, per-class precision and
// recall, and the tables digit-predict prints. Which rows to score: holdout.h.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "digits/core/image.h"
#include "digits/data/dataset.h"

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

// One matrix per value of `groups` (int64 [N], e.g. each row's writer), in ascending order of
// the values: how the score spreads over writers or files.
std::vector<std::pair<int64_t, ConfusionMatrix>> confusion_by(const torch::Tensor& groups,
                                                              const torch::Tensor& labels,
                                                              const torch::Tensor& predicted);

// "accuracy=0.996190 correct=4184 total=4200": one line, for people and scripts.
std::string format_accuracy_line(const ConfusionMatrix& m);

// One aligned row per digit: precision, recall and support ("-" where undefined).
std::string format_class_table(const ConfusionMatrix& m);

// The 10x10 matrix as an aligned table: one row per true label, one column per prediction,
// each count right-aligned to the widest one.
std::string format_confusion_matrix(const ConfusionMatrix& m);

// Each file's accuracy line when there are several ("file=PATH accuracy=..."), and for a file of
// pen digits each writer's ("writer=W accuracy=...") and the worst writer's: real handwriting is
// judged writer by writer. `files` names the files `origin.file` counts; "" when there is nothing
// to add (one file of scans).
std::string format_by_file_and_writer(const std::vector<std::string>& files,
                                      const RowOrigin& origin, const torch::Tensor& labels,
                                      const torch::Tensor& predicted);

// The misread rows (labels != predicted), ordered by true label, then by what was read:
// confusions of one kind side by side, as a contact sheet shows them.
torch::Tensor misread_order(const torch::Tensor& labels, const torch::Tensor& predicted);

}  // namespace digits
