// The Kaggle "Digit Recognizer" CSV format, in memory.
//
// Train format: header `label,pixel0,...,pixel783`, then one digit per line.
// Test format:  header `pixel0,...,pixel783`.
// Pixel `pixelX` is row X / 28, column X % 28, 0..255, higher is more ink.
// Plain `.csv` and gzip-compressed `.csv.gz` are read; CRLF line endings, a UTF-8 BOM,
// a missing final newline and trailing empty lines are accepted.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "digits/error.h"
#include "digits/image.h"

namespace digits {

enum class CsvFormat { kTrain, kTest };

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

struct CsvOptions {
  int64_t limit = -1;  // read at most this many rows; -1 reads them all
};

// Reads a Kaggle CSV (format told by its header). Errors name the file, line and column.
Result<Dataset> load_kaggle_csv(const std::string& path, const CsvOptions& options = {});

// Appends one labelled 28x28 image as a train-format row, writing the header if the file is new.
Status append_kaggle_row(const std::string& path, const torch::Tensor& image_u8, int64_t label);

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
