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

}  // namespace digits::detail
