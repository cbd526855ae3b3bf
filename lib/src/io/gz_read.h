// Internal: one gzread() with zlib's problems as text, for every reader of plain or gzip files
// (the CSV loader, the UNIPEN reader).
#pragma once

#include <zlib.h>

#include <string>

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

}  // namespace digits::detail
