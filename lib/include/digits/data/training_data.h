// Labelled digits from any of the project's data files, and the train/validation split of them:
// what digit-train trains on and digit-predict scores. Kaggle CSVs (dataset.h) give their rows;
// UNIPEN files of pen strokes (unipen.h) and InkML files (inkml.h; their ink labelled with one
// digit, or segmented into digits: labelled_digits in ink_file.h) give each digit drawn as the
// drawing app draws a user's strokes (pen.h), once per brush. A file's kind is told by its
// content, not its name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "digits/ink/pen.h"
#include "digits/train/options.h"

namespace digits {

struct DataOptions {
  DataOptions() = default;
  explicit DataOptions(int64_t first) : limit(first) {}

  int64_t limit = -1;  // the first N digits of the files in order (CSV rows and pen digits); -1 all
  // Each pen digit is drawn once per brush: radii relative to the app's default brush (1).
  std::vector<double> pen_brushes = {1.0};
  PenStyle pen;  // the canvas and fill of the drawing
  // Every drawing of a pen digit is made from strokes bent by warp_pen_digit at this strength
  // (0: as written), seeded by `pen_warp_seed`, the digit's place and the brush.
  double pen_warp = 0;
  uint64_t pen_warp_seed = 0;
  // ... and then slanted (slant_pen_digit) by an angle drawn evenly from -pen_slant to pen_slant
  // degrees, seeded as the bend is (0: as written). Writers slant their digits differently.
  double pen_slant = 0;
  // Ink that is not a digit, drawn as pen digits are (brushes, warp) and labelled kNotDigit:
  // every sample of these ink files (InkML, UNIPEN: letters, symbols), and `not_digit_pairs`
  // pairs of neighbouring digits of one writer, composed (compose.h, seeded by
  // `not_digit_seed`) from the pen digits of the data files: what a digit in a written number
  // must not be read as. Their rows follow all the data files' rows; --limit does not count them.
  std::vector<std::string> not_digit_paths;
  int64_t not_digit_pairs = 0;
  uint64_t not_digit_seed = 0;
  // Where the paths came from when not from the command line ("the --data of the checkpoint's
  // run, FILE"): a missing file's message says so. Not part of what is loaded (not compared).
  std::string source;

  bool operator==(const DataOptions& o) const {
    return limit == o.limit && pen_brushes == o.pen_brushes && pen == o.pen &&
           pen_warp == o.pen_warp && pen_warp_seed == o.pen_warp_seed && pen_slant == o.pen_slant &&
           not_digit_paths == o.not_digit_paths && not_digit_pairs == o.not_digit_pairs &&
           not_digit_seed == o.not_digit_seed;
  }
};

// The data options of a training run: its --limit, --pen-brushes, --pen-warp, --pen-slant and
// --not-digit-pairs (seeded by --seed), its --not-digits, and where its data paths came from.
DataOptions data_options(const TrainConfig& config);

// Ok when every path names a regular file (plain or gzip): data is read more than once (its kind
// told by its first bytes, then read whole), so standard input ("-"), a pipe, a FIFO or a device
// is refused, clearly, before a byte is read. A missing file is "PATH: no such file", with
// `source` in brackets after the path when given; a folder is left to the readers to name.
Status check_data_files(const std::vector<std::string>& paths, const std::string& source = "");

// The files in order, joined: CSV rows as they are, then pen digits' drawings in file order
// (each digit once per brush, the brushes in the order given), then the not-digit rows (the
// options' files', then the pairs). With more than one file or any pen file (UNIPEN, InkML),
// `origin` says where each row came from (a not-digit row: file past the data files, pen -1). All
// files must be labelled, or all be test-format CSVs; each is checked first (check_data_files).
// Errors name the file (and line).
Result<Dataset> load_data(const std::vector<std::string>& paths, const DataOptions& options = {});

// Whether `path` holds pen strokes, UNIPEN or InkML (looks_like_unipen or looks_like_inkml on its
// first bytes), rather than a Kaggle CSV.
bool is_pen_file(const std::string& path);

// The train/validation split of `data`, seeded and stratified by class: CSV rows exactly as
// stratified_split splits them alone (adding pen files to a run leaves its CSV hold-out as it
// was), and pen digits split as whole digits, so that no digit drawn with one brush is trained
// on while its other drawings are held out. Rows labelled kNotDigit are all trained on; the
// others split as they would without them.
Split split_rows(const Dataset& data, double val_fraction, uint64_t seed);

}  // namespace digits
