#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "digits/io/output_file.h"

namespace digits::detail {
namespace {

// Removes NAME.tmp.PID files beside `path` left by processes that no longer run (a save cut
// short by SIGKILL or a power cut), so repeated crashes do not fill the folder. Only PIDs the
// kernel says are gone: never another live process's temporary.
void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

// What `path` finally names once every symbolic link on the way is followed: the file a write
// must replace, so that the link itself stays (a dangling link names where its file will be).
std::string follow_links(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p.string();
}

// Writes all of `bytes` to `fd`: 0, or the error number of the write that failed.
int write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

Status write_file_atomically(const std::string& path_given, const std::string& bytes,
                             const std::string& what) {
  const std::string noun = what.empty() ? "" : " " + what;
  if (is_discard(path_given)) return {};
  if (is_stdout(path_given)) {
    if (const int err = write_all(STDOUT_FILENO, bytes); err != 0) {
      return io_error(path_given + ": cannot write" + noun + ": " + std::strerror(err));
    }
    return {};
  }
  const std::string path = follow_links(path_given);
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    return io_error(path_given + ": cannot write" + noun +
                    ": it is not a regular file (a device, FIFO or folder), and is never replaced");
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto failed = [&](const char* verb, int err) {
    ::unlink(tmp.c_str());
    return io_error(path_given + ": cannot " + verb + noun + ": " + std::strerror(err));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path_given + ": cannot write" + noun + ": " + std::strerror(errno));
  if (const int err = write_all(fd, bytes); err != 0) {
    ::close(fd);
    return failed("write", err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return failed("write", err);
  }
  if (::close(fd) != 0) return failed("write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("replace", errno);
  // Make the rename itself durable.
  const auto dir = std::filesystem::path(path).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  remove_stale_temporaries(path);
  return {};
}

Status append_whole(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path + ": cannot open for appending: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return io_error(path + ": cannot read its size: " + std::strerror(e));
  }
  size_t done = 0;
  int failure = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failure = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (failure == 0 && ::fsync(fd) != 0) failure = errno;
  if (failure != 0 && ::ftruncate(fd, st.st_size) != 0) {
    const int e = errno;
    ::close(fd);
    return io_error(path + ": write failed (" + std::strerror(failure) +
                    ") and the partial row could not be taken back: " + std::strerror(e));
  }
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure != 0) {
    return io_error(path + ": write failed, nothing was added: " + std::strerror(failure));
  }
  return {};
}

}  // namespace digits::detail
