// Internal: whole-file writes that never leave a half-written file behind.
#pragma once

#include <string>

#include "digits/core/error.h"

namespace digits::detail {

// Writes `bytes` to PATH.tmp.PID beside `path`, syncs it, renames it over `path` and syncs the
// folder, so a crash or a full disk leaves either the old file or the new one, never a mix.
// Temporaries of processes that no longer run are removed afterwards. Errors read
// "PATH: cannot write <what>: <strerror>" (or "cannot replace").
Status write_file_atomically(const std::string& path, const std::string& bytes,
                             const std::string& what);

// Appends `bytes` to `path` (made when missing) whole or not at all: a write cut short (a full
// disk, a file-size limit) is taken back, so a log or a CSV never ends in half a row. Errors read
// "PATH: write failed, nothing was added: <strerror>".
Status append_whole(const std::string& path, const std::string& bytes);

}  // namespace digits::detail
