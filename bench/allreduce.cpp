// digits-allreduce-bench: the cost of one training step's communication. Starts WORLD ranks of
// itself on 127.0.0.1 (unless started as a worker, with torchrun's variables) and times the
// flattened gradient allreduce that digit-train does once per step.
//
//   digits-allreduce-bench [FLOATS [STEPS [WORLD]]]   default: 326,000 floats, 200 steps, 2 ranks
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "digits/train/distributed.h"
#include "digits/train/options.h"

namespace {

int worker(int64_t floats, int steps) {
  digits::TrainConfig c;
  if (auto st = digits::read_worker_environment(c); !st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 2;
  }
  auto group = digits::WorkerGroup::join(c.distributed);
  if (!group) {
    std::fprintf(stderr, "%s\n", group.error().message.c_str());
    return 1;
  }
  auto flat = torch::ones({floats}, torch::kFloat);
  std::vector<double> ms;
  for (int i = 0; i < steps + 10; ++i) {  // the first 10 warm the connections up
    const auto t = std::chrono::steady_clock::now();
    if (auto st = (*group)->sum(flat, "allreduce"); !st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      return 1;
    }
    const double d =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    if (i >= 10) ms.push_back(d);
  }
  if (c.distributed.rank == 0) {
    std::sort(ms.begin(), ms.end());
    std::printf("allreduce of %lld floats (%.2f MB) over %lld ranks: median %.3f ms, p90 %.3f ms\n",
                static_cast<long long>(floats), static_cast<double>(floats) * 4 / 1e6,
                static_cast<long long>(c.distributed.world_size), ms[ms.size() / 2],
                ms[ms.size() * 9 / 10]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t floats = argc > 1 ? std::atoll(argv[1]) : 326000;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 200;
  const int world = argc > 3 ? std::atoi(argv[3]) : 2;
  if (!digits::distributed_compiled_in()) {
    std::fprintf(stderr, "distributed training is not compiled in\n");
    return 2;
  }
  if (std::getenv("RANK") != nullptr) return worker(floats, steps);
  const std::string port = std::to_string(29400 + ::getpid() % 1000);
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::execv("/proc/self/exe", argv);
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  int code = 0;
  for (const pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) code = 1;
  }
  return code;
}
