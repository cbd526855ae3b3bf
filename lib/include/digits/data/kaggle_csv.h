// The Kaggle "Digit Recognizer" CSV format, read into a Dataset and appended to.
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

#include "digits/core/error.h"
#include "digits/data/dataset.h"

namespace digits {

struct CsvOptions {
  int64_t limit = -1;  // read at most this many rows; -1 reads them all
};

// Reads a Kaggle CSV (format told by its header). Errors name the file, line and column.
Result<Dataset> load_kaggle_csv(const std::string& path, const CsvOptions& options = {});

// Appends one labelled 28x28 image as a train-format row, writing the header if the file is new.
Status append_kaggle_row(const std::string& path, const torch::Tensor& image_u8, int64_t label);

}  // namespace digits
