// Labelled digits in memory, in the shape of Kaggle's "Digit Recognizer" CSV (kaggle_csv.h reads
// and writes those files): 28x28 uint8 images, labels when known, where each row came from; and
// the train/validation split of them.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/core/image.h"

namespace digits {

enum class CsvFormat { kTrain, kTest };

// The label of a training row that is NOT a digit (a letter, a symbol, two digits drawn as one):
// the network has no class for it and learns to be unsure of it, its ten probabilities alike
// (training_loss, trainer.h). Such rows are only ever trained on, never scored.
inline constexpr int64_t kNotDigit = kClasses;

// Where each row of a dataset joined from several files came from (data.h fills it in; a CSV
// loaded on its own leaves it undefined). All int64 [N], on the CPU.
struct RowOrigin {
  torch::Tensor file;    // the row's file: its index in the list of files loaded
  torch::Tensor writer;  // a pen digit's writer number in its file; -1 for CSV rows
  torch::Tensor sample;  // a pen digit's sample number of that writer; -1 when not known
  torch::Tensor pen;     // the pen digit the row was drawn from, counted over all the files'
                         // pen digits (rows drawn with several brushes share it); -1 for CSV rows
  bool defined() const { return file.defined(); }
};

// Images stay uint8 in memory (42,000 digits = 33 MB); batches are converted to float.
struct Dataset {
  torch::Tensor images;  // uint8 [N, 28, 28]
  torch::Tensor labels;  // int64 [N]; undefined for the test format
  RowOrigin origin;      // undefined for a single CSV

  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  bool has_labels() const { return labels.defined(); }
  CsvFormat format() const { return has_labels() ? CsvFormat::kTrain : CsvFormat::kTest; }
};

// The words of every "this file has no labels" error, after the file's name.
inline constexpr const char* kNeedsLabels =
    "is in Kaggle test format (pixel0,...,pixel783, no labels); this needs train format "
    "(label,pixel0,...,pixel783)";

// Ok when `data` has labels; else the Error "NAME: is in Kaggle test format ...".
inline Status require_labels(const Dataset& data, const std::string& name) {
  if (data.has_labels()) return {};
  return Error{name + ": " + kNeedsLabels};
}

// A 64-bit digest of images and labels: resume uses it to tell the same data from other data.
uint64_t fingerprint(const Dataset& data);

// Row indices of a train/validation split.
struct Split {
  torch::Tensor train;  // int64, ascending
  torch::Tensor val;    // int64, ascending
};

// Seeded and stratified: each class keeps its share in both parts. The same seed gives the
// same split on every machine (own generator, no std:: distributions).
Split stratified_split(const torch::Tensor& labels, double val_fraction, uint64_t seed);

// Rows [index] of a dataset (labels and origins too when present).
Dataset subset(const Dataset& data, const torch::Tensor& index);

}  // namespace digits
