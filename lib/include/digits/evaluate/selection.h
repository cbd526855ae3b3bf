// Which rows of loaded data a scoring run predicts: all of them, or the rows a training run held
// out, less pen digits left out by writer and sample (a corpus's documented broken samples).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/data/dataset.h"
#include "digits/evaluate/holdout.h"

namespace digits {

// Pen digit W:S: writer W's sample S.
struct SampleKey {
  int64_t writer = 0;
  int64_t sample = 0;
};

// "10:157" as {10, 157}; nullopt when it is not two non-negative integers around a colon.
std::optional<SampleKey> parse_sample_key(const std::string& text);

struct SelectedRows {
  Dataset data;             // the rows, with their labels and origins
  torch::Tensor image_ids;  // each row's place in the files, from 1 like ImageId; undefined: all
  std::vector<std::string> notes;  // what was selected, one line each, for the user
};

// The rows of `data` (named `data_name` in messages) in `split` (all when nullopt), less the pen
// digits `excluded`. An Error when `split` needs labels that `data` lacks, or `excluded` names
// pen digits where there are none; a key that matches no digit is only a note.
Result<SelectedRows> select_rows(const Dataset& data, const std::string& data_name,
                                 const std::optional<Holdout>& split,
                                 const std::vector<SampleKey>& excluded);

}  // namespace digits
