#include "train/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "io/atomic_file.h"

namespace digits::detail {

namespace {
namespace fs = std::filesystem;

constexpr const char* kRunFile = ".run";

std::string read_small_file(int fd) {
  char buf[512];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string local_time(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

Result<RunLock> RunLock::take(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error{path + ": cannot open the run's lock: " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = read_small_file(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Error{dir + ": another training run is using this folder (" +
                   (holder.empty() ? std::string("its process is starting") : holder) +
                   "); wait for it to end, or give this run another --checkpoint-dir"};
    }
    return Error{path + ": cannot lock the run's folder: " + std::strerror(err)};
  }
  const std::string me = "digit-train pid " + std::to_string(::getpid()) + ", since " +
                         local_time("%Y-%m-%d %H:%M:%S") + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd, me.data(), me.size(), 0);
  }
  return RunLock(fd);
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& name : run_files()) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(fs::path(dir) / name, ec))) found.push_back(name);
  }
  return found;
}

Result<std::string> set_aside(const std::string& dir) {
  const std::string stamp = local_time("%Y%m%d-%H%M%S");
  fs::path aside = fs::path(dir) / ("previous-" + stamp);
  std::error_code ec;
  for (int n = 2; fs::exists(aside, ec); ++n) {
    aside = fs::path(dir) / ("previous-" + stamp + "-" + std::to_string(n));
  }
  if (!fs::create_directory(aside, ec)) {
    return Error{aside.string() + ": cannot create a folder for the earlier run: " + ec.message()};
  }
  std::vector<std::string> names = run_files_in(dir);
  if (fs::exists(fs::path(dir) / kRunFile, ec)) names.push_back(kRunFile);
  for (const auto& name : names) {
    fs::rename(fs::path(dir) / name, aside / name, ec);
    if (ec) return Error{dir + "/" + name + ": cannot move it aside: " + ec.message()};
  }
  return aside.string();
}

std::string folder_run(const std::string& dir) {
  std::ifstream in(fs::path(dir) / kRunFile);
  std::string id;
  std::getline(in, id);
  return id;
}

Status mark_folder(const std::string& dir, const std::string& run_id) {
  return write_file_atomically((fs::path(dir) / kRunFile).string(), run_id + "\n",
                               "the run's identity");
}

}  // namespace digits::detail
