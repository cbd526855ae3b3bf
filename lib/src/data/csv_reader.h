// Internal: the Kaggle CSV reader behind load_kaggle_csv (digits/data/kaggle_csv.h).
#pragma once

#include <cstdint>
#include <string>

#include "digits/data/dataset.h"

namespace digits::detail {

// Reads the whole file (or its first `limit` rows; -1: all), its format told by its header.
// Errors name the file, line and column.
Result<Dataset> read_kaggle_csv(const std::string& path, int64_t limit);

}  // namespace digits::detail
