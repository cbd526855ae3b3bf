#include "launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "digits/train/distributed.h"

namespace {

// How long stopped workers have to finish (a save is atomic) before they are killed.
constexpr auto kGrace = std::chrono::seconds(30);

// The launcher's options: each worker gets them through its environment instead.
const char* const kLauncherOptions[] = {"nproc-per-node", "nnodes",     "node-rank", "master-addr",
                                        "master-port",    "world-size", "rank",      "local-rank"};

volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_signals = 0;  // received so far; each one is passed on

void on_signal(int sig) {
  g_signal = sig;
  g_signals = g_signals + 1;
}

// A TCP port free on `address` now, for the store of a run on this machine alone.
int free_port(const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, address == "localhost" ? "127.0.0.1" : address.c_str(), &a.sin_addr) !=
          1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t size = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::vector<std::string> worker_arguments(int argc, char** argv) {
  std::vector<std::string> out = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool launcher_option = false;
    for (const char* name : kLauncherOptions) {
      const std::string option = std::string("--") + name;
      if (a == option) {
        ++i;  // and its value
        launcher_option = true;
      } else if (a.rfind(option + "=", 0) == 0) {
        launcher_option = true;
      }
    }
    if (!launcher_option) out.push_back(a);
  }
  return out;
}

std::string how_it_ended(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
         ::strsignal(WTERMSIG(status)) + ")";
}

struct Worker {
  pid_t pid = -1;
  int64_t rank = 0;
  bool running = false;
};

}  // namespace

int launch_workers(const digits::DistributedConfig& d, int argc, char** argv) {
  using digits::cli::fail;
  if (!digits::distributed_compiled_in()) {
    return fail(kProgram,
                "--nproc-per-node: distributed training is not compiled in (this build found no "
                "c10d with Gloo in LibTorch, or no libgloo-dev; install it and rebuild)");
  }
  if (d.node_rank >= d.nnodes) {
    return fail(kProgram, "--node-rank " + std::to_string(d.node_rank) + " is not below --nnodes " +
                              std::to_string(d.nnodes));
  }
  if (auto st = check_before_launching(d, argc, argv); !st) return fail(kProgram, st.error());
  int64_t port = d.master_port;
  if (port == 0) {
    if (d.nnodes > 1) {
      return fail(kProgram,
                  "--master-port 0 picks a free port on one machine only; with --nnodes " +
                      std::to_string(d.nnodes) + " give every machine the same port");
    }
    port = free_port(d.master_addr);
    if (port < 0) {
      return fail(kProgram, "--master-addr " + d.master_addr +
                                ": cannot find a free port there: " + std::strerror(errno));
    }
  }
  const int64_t world = d.nnodes * d.nproc_per_node;
  std::string command =
      std::string(kProgram) + " --nproc-per-node " + std::to_string(d.nproc_per_node);
  if (d.nnodes > 1) {
    command += " --nnodes " + std::to_string(d.nnodes) + " --node-rank " +
               std::to_string(d.node_rank) + " --master-addr " + d.master_addr + " --master-port " +
               std::to_string(port);
  }
  const std::vector<std::string> args = worker_arguments(argc, argv);

  struct sigaction sa {};
  sa.sa_handler = &on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  digits::cli::ignore_sigpipe();

  const pid_t launcher = ::getpid();
  std::vector<Worker> workers;
  for (int64_t local = 0; local < d.nproc_per_node; ++local) {
    Worker w;
    w.rank = d.node_rank * d.nproc_per_node + local;
    w.pid = ::fork();
    if (w.pid == 0) {
      // Its own process group: a Ctrl-C reaches the launcher only, which passes it on once.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a killed launcher stops its workers
      if (::getppid() != launcher) ::_exit(digits::cli::kExitFailure);
      ::setenv("MASTER_ADDR", d.master_addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      ::setenv("RANK", std::to_string(w.rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(local).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(d.nproc_per_node).c_str(), 1);
      ::setenv(kLaunchCommandVariable, command.c_str(), 1);
      ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");  // this launcher's rank 0 hosts the store
      std::vector<char*> child_argv;
      for (const auto& a : args) child_argv.push_back(const_cast<char*>(a.c_str()));
      child_argv.push_back(nullptr);
      ::execv("/proc/self/exe", child_argv.data());
      std::fprintf(stderr, "%s: cannot start worker %lld: %s\n", kProgram,
                   static_cast<long long>(w.rank), std::strerror(errno));
      ::_exit(127);
    }
    if (w.pid < 0) {
      std::fprintf(stderr, "%s: cannot start worker %lld: %s\n", kProgram,
                   static_cast<long long>(w.rank), std::strerror(errno));
      break;
    }
    w.running = true;
    workers.push_back(w);
  }

  int first_failure = 0;  // the wait status of the first worker that failed
  bool failed = workers.size() != static_cast<size_t>(d.nproc_per_node);
  bool told_to_stop = false;
  auto kill_deadline = std::chrono::steady_clock::time_point::max();
  sig_atomic_t passed_on = 0;
  auto running = [&] {
    int n = 0;
    for (const auto& w : workers) n += w.running;
    return n;
  };
  auto send = [&](int sig) {
    for (const auto& w : workers) {
      if (w.running) ::kill(w.pid, sig);
    }
  };
  while (running() > 0) {
    if (g_signals > passed_on) {
      passed_on = g_signals;
      send(g_signal);
    }
    // After a signal passed on the workers stop by themselves, rank 0 saving: no second one.
    if (failed && !told_to_stop && passed_on == 0) {
      send(SIGTERM);
      told_to_stop = true;
      kill_deadline = std::chrono::steady_clock::now() + kGrace;
    }
    if (std::chrono::steady_clock::now() > kill_deadline) send(SIGKILL);
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (auto& w : workers) {
      if (w.pid != pid) continue;
      w.running = false;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok || failed) break;
      failed = true;
      first_failure = status;
      if (g_signals == 0) {
        std::fprintf(stderr, "%s: rank %lld (pid %d) %s; stopping the other ranks\n", kProgram,
                     static_cast<long long>(w.rank), static_cast<int>(pid),
                     how_it_ended(status).c_str());
      }
    }
  }
  if (!failed) return digits::cli::kExitOk;
  if (first_failure == 0) return digits::cli::kExitFailure;
  return WIFEXITED(first_failure) ? WEXITSTATUS(first_failure) : 128 + WTERMSIG(first_failure);
}
