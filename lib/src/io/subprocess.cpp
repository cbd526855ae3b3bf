#include "io/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

extern char** environ;

namespace digits::detail {

namespace {

// How long output is still read after the child has exited (or was killed): what it wrote is in
// the pipes by then; a process it left behind holding them is not waited for.
constexpr auto kGrace = std::chrono::milliseconds(250);
// The longest poll while the child runs: how late its exit may be seen.
constexpr int64_t kPollMs = 20;

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
  // Its own process group: whatever it starts (a helper that outlives it, holding its pipes) can
  // be killed with it, and a terminal's Ctrl-C reaches this program only.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return io_error(argv[0] + (spawned == ENOENT
                                   ? std::string(": not found")
                                   : ": cannot start: " + std::string(std::strerror(spawned))));
  }
  in[0].reset();
  out[1].reset();
  err[1].reset();
  // Writes never block: a child that writes its output before reading all its input (cat) would
  // wait on a full output pipe while this process waited on a full input pipe.
  ::fcntl(in[1].fd, F_SETFL, ::fcntl(in[1].fd, F_GETFL) | O_NONBLOCK);

  // Feed the input and drain both outputs together: a child that writes much before reading
  // all its input must not wait on us while we wait on it. A child that stops reading early
  // closes the pipe: EPIPE, ignored (its exit code tells). Reading ends when the child has
  // exited and its pipes are closed, or a short grace after its exit (or its kill at the
  // deadline): a process it left behind that still holds the pipes is killed with its group and
  // never waited for.
  ProgramRun run;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::optional<Clock::time_point> stop_reading;
  bool exited = false;
  size_t written = 0;
  if (input.empty()) in[1].reset();
  // A write to a child that has exited raises SIGPIPE, which would end this process: blocked
  // on this thread meanwhile, and a pending one taken back afterwards.
  sigset_t pipe_signal, old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  for (;;) {
    if (!exited) {
      // Without reaping it: its pid stays its group's id until waitpid below.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
        if (!stop_reading) stop_reading = Clock::now() + kGrace;
      }
    }
    const bool reading = out[0].fd >= 0 || err[0].fd >= 0;
    if (exited && !reading) break;
    const auto now = Clock::now();
    if (!exited && !run.timed_out && now >= deadline) {
      ::kill(-pid, SIGKILL);  // the child and what it started
      run.timed_out = true;
      stop_reading = now + kGrace;
    }
    if (stop_reading && now >= *stop_reading) {
      if (reading) ::kill(-pid, SIGKILL);  // something of its group holds the pipes
      break;
    }
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    for (Fd* f : {&out[0], &err[0]}) {
      if (f->fd >= 0) fds[n++] = pollfd{f->fd, POLLIN, 0};
    }
    if (in[1].fd >= 0) fds[n++] = pollfd{in[1].fd, POLLOUT, 0};
    // Short waits while it runs, so that its exit is seen soon after it happens; never past
    // the end of the grace (set once it exited or was killed) or the deadline.
    const auto until = stop_reading ? *stop_reading : deadline;
    const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    const int wait_ms = static_cast<int>(std::clamp<int64_t>(left + 1, 0, kPollMs));
    const int ready = ::poll(fds.data(), n, wait_ms);
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
  out[0].reset();
  err[0].reset();
  const timespec no_wait{0, 0};
  while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  // It has exited, or was killed at the deadline: reaping it does not wait long.
  if (!exited && !run.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

}  // namespace digits::detail
