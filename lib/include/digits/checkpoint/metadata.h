// The keys of a checkpoint's `digits.meta`, declared once: the writer, the reader, the range
// checks and the table of docs/checkpoint-format.md all come from metadata_keys().
#pragma once

#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"

namespace digits {

struct MetadataKey {
  const char* name;     // "epoch"
  const char* meaning;  // one line for the format's documentation
  // The value's text in a file.
  std::string (*write)(const Checkpoint& c);
  // Sets the value from its text; "" when it reads, else what is wrong ("is not an integer").
  std::string (*read)(Checkpoint& c, const std::string& text);
  // Whether a read value is one a run can write; null when any value that reads is.
  bool (*in_range)(const Checkpoint& c);
  // Whether a file may lack the key (one that files written before it existed lack): the field
  // then keeps its default, and an empty value is not written.
  bool optional = false;
};

// Every key of digits.meta but the run's options, which follow as `train.NAME` (options.h).
const std::vector<MetadataKey>& metadata_keys();

// Where the run's options are stored: "train." + the option's name.
inline constexpr const char* kTrainOptionPrefix = "train.";

// digits.meta of `c`: "key=value" lines, sorted by key, the run's options included. Values never
// hold a line break (the option codec refuses control characters in stored text, and writers
// check metadata_problem first), so a line can never be read as another key.
std::string encode_metadata(const Checkpoint& c);

// Why `c`'s metadata cannot be written so that it reads back as it is: a run option whose key is
// empty or holds '=' or a control character, or whose value holds a control character (a line
// break would start another key). "" when it can; save_checkpoint and save_ensemble refuse it.
std::string metadata_problem(const Checkpoint& c);

// Reads digits.meta into `c` (model, normalisation, progress, data identity, train_options):
// the first missing, unreadable or out-of-range value is an Error "WHERE: checkpoint metadata:
// ...". The options are checked as the command line's are (decode_options).
Status decode_metadata(const std::string& where, const std::string& text, Checkpoint& c);

// The Markdown table of the keys (`| key | meaning |`), as docs/checkpoint-format.md shows it.
std::string metadata_table();

}  // namespace digits
