// Internal: one gzread() with zlib's problems as text, for every reader of plain or gzip files
// (the CSV loader, the UNIPEN and InkML readers), and a whole text file read with it.
#pragma once

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "digits/core/error.h"

namespace digits::detail {

struct GzRead {
  int bytes = 0;        // read into the buffer; 0 at the end of the file
  std::string problem;  // empty: fine; else what went wrong, without the file's name
};

// Reads up to `size` bytes of `file`. A gzip stream cut short is a problem, not an end: zlib
// reports it only as Z_BUF_ERROR on a short last read.
inline GzRead gz_read(gzFile file, char* buffer, unsigned size) {
  const int n = gzread(file, buffer, size);
  int code = 0;
  const char* what = gzerror(file, &code);
  if (n < 0) return {0, std::string("read failed: ") + what};
  if (n == 0 && !gzeof(file)) return {0, "read failed"};
  if (code != Z_OK && code != Z_STREAM_END && code != Z_BUF_ERROR) {
    return {0, std::string("corrupt compressed data: ") + what};
  }
  if (n < static_cast<int>(size) && code == Z_BUF_ERROR) {
    return {0, "compressed file is truncated (unexpected end of gzip stream)"};
  }
  return {n, {}};
}

// The whole file at `path`, decompressed when it is gzip (zlib reads plain files too). A file of
// more than `max_bytes` is an Error "PATH: `too_big`".
inline Result<std::string> read_text_file(const std::string& path, size_t max_bytes,
                                          const std::string& too_big) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return Error{path + ": cannot open: " + std::strerror(errno)};
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const auto r = gz_read(gz, buffer, sizeof buffer);
    if (!r.problem.empty()) {
      gzclose(gz);
      return Error{path + ": " + r.problem};
    }
    if (r.bytes == 0) break;
    text.append(buffer, static_cast<size_t>(r.bytes));
    if (text.size() > max_bytes) {
      gzclose(gz);
      return Error{path + ": " + too_big};
    }
  }
  gzclose(gz);
  return text;
}

}  // namespace digits::detail
