#include "io/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace digits::detail {

namespace {

// Closes what it holds when it goes.
struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

Result<ProgramRun> run_program(const std::vector<std::string>& argv, const std::string& input,
                               int timeout_ms) {
  if (argv.empty()) return io_error("run_program: no program");
  // [0] read end, [1] write end of each pipe; every end is close-on-exec, so the child keeps only
  // what dup2 gives it.
  std::array<Fd, 2> in, out, err;
  for (auto* p : {&in, &out, &err}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return io_error(argv[0] + ": cannot make a pipe: " + std::strerror(errno));
    (*p)[0].fd = fds[0];
    (*p)[1].fd = fds[1];
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0].fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1].fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err[1].fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return io_error(argv[0] + (spawned == ENOENT
                                   ? std::string(": not found")
                                   : ": cannot start: " + std::string(std::strerror(spawned))));
  }
  in[0].reset();
  out[1].reset();
  err[1].reset();

  // Feed the input and drain both outputs together: a child that writes much before reading
  // all its input must not wait on us while we wait on it. A child that stops reading early
  // closes the pipe: EPIPE, ignored (its exit code tells).
  ProgramRun run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t written = 0;
  if (input.empty()) in[1].reset();
  // A write to a child that has exited raises SIGPIPE, which would end this process: blocked
  // on this thread meanwhile, and a pending one taken back afterwards.
  sigset_t pipe_signal, old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  while (out[0].fd >= 0 || err[0].fd >= 0) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    for (Fd* f : {&out[0], &err[0]}) {
      if (f->fd >= 0) fds[n++] = pollfd{f->fd, POLLIN, 0};
    }
    if (in[1].fd >= 0) fds[n++] = pollfd{in[1].fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 && !run.timed_out) {
      ::kill(pid, SIGKILL);  // its pipes close, and the loop ends
      run.timed_out = true;
    }
    const int ready = ::poll(fds.data(), n, run.timed_out ? 1000 : static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in[1].fd) {
        const ssize_t k = ::write(in[1].fd, input.data() + written, input.size() - written);
        if (k > 0) written += static_cast<size_t>(k);
        if (k < 0 && errno != EINTR && errno != EAGAIN) written = input.size();
        if (written == input.size()) in[1].reset();
        continue;
      }
      Fd& f = fds[i].fd == out[0].fd ? out[0] : err[0];
      std::string& sink = &f == &out[0] ? run.out : run.err;
      char buf[65536];
      const ssize_t k = ::read(f.fd, buf, sizeof buf);
      if (k > 0) {
        sink.append(buf, static_cast<size_t>(k));
      } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
        f.reset();
      }
    }
  }
  in[1].reset();
  const timespec no_wait{0, 0};
  while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

}  // namespace digits::detail
