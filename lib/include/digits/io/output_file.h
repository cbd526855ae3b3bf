// Where a program writes, checked before it writes: never over a file it reads (the same file
// also through symbolic and hard links) and never over something that is not a regular file (a
// device, a FIFO, a folder). "-" and /dev/stdout mean standard output for text (a submission, a
// CSV), never for a binary file (an image, a model); /dev/null discards.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "digits/core/error.h"

namespace digits {

// A file's identity: the same for every name it has.
struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId& o) const { return device == o.device && inode == o.inode; }
};

// The identity of what `path` names (through symbolic links); nullopt when nothing is there.
std::optional<FileId> file_id(const std::string& path);

// "-" or /dev/stdout: written to standard output, as a user would expect.
bool is_stdout(const std::string& path);
// /dev/null: written to nowhere (never replaced by a file).
bool is_discard(const std::string& path);

// What an output holds: text may go to standard output ("-"); a binary file (a PNG, a model)
// only to a file, never mixed into what a program prints.
enum class OutputKind { kText, kBinary };

// Why `output` cannot be written whatever the command reads, e.g. "is a FIFO, not a file this
// program may replace; name a regular file"; "" when it can (nothing there yet, a regular file,
// /dev/null, and standard output for text). Suggests "-" only where standard output is allowed.
std::string output_problem(const std::string& output, OutputKind kind = OutputKind::kText);

// Ok when writing `output` (given as `option`, e.g. "--out") destroys nothing a user has: it is
// standard output (text only), or nothing is there yet, or a regular file that is none of
// `inputs`. The Error names the option, the path and what it is.
Status check_output(const std::string& output, const std::string& option,
                    const std::vector<std::string>& inputs, OutputKind kind = OutputKind::kText);

// One output of a command: the option that names it, its path ("" when not given) and kind.
struct NamedOutput {
  std::string option;
  std::string path;
  OutputKind kind = OutputKind::kText;
};

// check_output for every output given, and no two of them the same file: named alike, spelt
// otherwise (./a.csv and a.csv) or reached through a link. Standard output and /dev/null may be
// named by several. The Error names the later output and the earlier one it would overwrite.
Status check_outputs(const std::vector<NamedOutput>& outputs,
                     const std::vector<std::string>& inputs);

}  // namespace digits
