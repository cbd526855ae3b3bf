// The lines of a Kaggle CSV file, one at a time: its header and its rows (internal).
//
// Each field is parsed by hand (digits only, range-checked): a problem comes back as text naming
// the column and what was expected, to which dataset.cpp, which reads the files, adds the path and
// line ("data/train.csv:12: column 5: pixel3 is '12a', expected an integer 0..255").
#pragma once

#include <cstdint>
#include <string>

#include "digits/data/dataset.h"

namespace digits::detail {

// What the reader puts where a file has a NUL byte, so that the line is not cut short there (a
// line is a C string): DEL, which no Kaggle CSV holds either.
inline constexpr char kNulStandIn = '\x7f';

// The header of `format`: "label,pixel0,...,pixel783" or "pixel0,...,pixel783".
std::string expected_header(CsvFormat format);

// Tells the format from a header line: sets `labelled` (the train format) and returns "", or
// returns the problem, leaving `labelled` as it was.
std::string parse_header(const char* line, bool* labelled);

// Parses one row of the format (`labelled`: the train format) into `out` (784 pixels) and
// `label`. Returns "" or the problem, starting with the column it is in ("column 5: ..."); a line
// holding NUL (kNulStandIn) or other control bytes is binary data, said so.
std::string parse_row(const char* line, bool labelled, uint8_t* out, int64_t* label);

}  // namespace digits::detail
