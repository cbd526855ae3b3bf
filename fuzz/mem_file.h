// A file in memory with a path that every reader accepts (/proc/self/fd/N of a memfd): the
// fuzz targets hand their input to the same path-taking loaders users call, without disk I/O.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace digits::fuzz {

class MemFile {
 public:
  MemFile() : fd_(::memfd_create("digits-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  // Replaces the contents with `bytes`.
  void assign(const void* bytes, size_t size) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    const char* p = static_cast<const char*>(bytes);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, p + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  void assign(const std::string& s) { assign(s.data(), s.size()); }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// Aborts (a crash libFuzzer records) when an error message breaks the promise every message
// keeps: one line that starts with the file's path.
inline void check_message(const std::string& path, const std::string& message) {
  if (message.compare(0, path.size(), path) != 0 || message.find('\n') != std::string::npos ||
      message.size() <= path.size() + 2) {
    std::fprintf(stderr, "bad error message (must be one line starting with '%s: '):\n%s\n",
                 path.c_str(), message.c_str());
    std::abort();
  }
}

}  // namespace digits::fuzz
