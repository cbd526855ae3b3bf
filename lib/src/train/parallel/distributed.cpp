#include "digits/train/distributed.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>
#include <vector>

#ifdef DIGITS_HAVE_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "digits/train/options.h"

namespace digits {

Status read_worker_environment(TrainConfig& config) {
  static const std::pair<const char*, const char*> kVariables[] = {
      {"MASTER_ADDR", "master-addr"}, {"MASTER_PORT", "master-port"},
      {"WORLD_SIZE", "world-size"},   {"RANK", "rank"},
      {"LOCAL_RANK", "local-rank"},   {"GLOO_SOCKET_IFNAME", "dist-ifname"},
  };
  for (const auto& [variable, option] : kVariables) {
    const char* value = std::getenv(variable);
    if (value == nullptr) continue;
    const OptionSpec* spec = find_train_option(option);
    if (auto st = spec->set(config, {value}); !st) {
      // "--rank x: not an integer" as "environment RANK=x: not an integer".
      const std::string& m = st.error().message;
      const std::string prefix = "--" + spec->name + " " + value;
      return Error{std::string("environment ") + variable + "=" + value +
                   (m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : ": " + m)};
    }
  }
  return {};
}

Status check_store_port(int64_t port) {
  if (port <= 0 || port > 65535) return {};
  // As the store listens: on every address, IPv6 with IPv4 mapped where the machine has IPv6,
  // reusing ports in TIME_WAIT. Only a port another socket listens on fails with EADDRINUSE.
  for (const int family : {AF_INET6, AF_INET}) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int on = 1, off = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int bound = -1;
    if (family == AF_INET6) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      a.sin6_addr = in6addr_any;
      bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_ANY);
      bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    const int err = errno;
    ::close(fd);
    if (bound == 0) return {};
    if (err == EADDRINUSE) {
      const std::string n = std::to_string(port);
      return Error{"--master-port " + n + ": port " + n +
                   " is in use on this machine (another run, or another program, listens "
                   "there); give another --master-port, or 0 with --nproc-per-node on one "
                   "machine for a free one"};
    }
  }
  return {};
}

int worker_threads(int threads) {
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  if (threads != 0 || local == nullptr) return threads;
  const int local_workers = std::max(1, std::atoi(local));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local_workers);
}

#ifndef DIGITS_HAVE_GLOO

bool distributed_compiled_in() { return false; }

struct WorkerGroup::Impl {};

Result<std::unique_ptr<WorkerGroup>> WorkerGroup::join(const DistributedConfig&) {
  return Error{
      "distributed training is not compiled in: this build found no c10d with Gloo in "
      "LibTorch, or no Gloo headers (Debian: libgloo-dev; then rebuild)"};
}
Status WorkerGroup::sum(torch::Tensor&, const std::string&) { return {}; }
Status WorkerGroup::broadcast(torch::Tensor&, const std::string&) { return {}; }

#else

bool distributed_compiled_in() { return true; }

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// What a caught exception says, without LibTorch's backtrace.
std::string what_of(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    return first_line(c10->what_without_backtrace());
  }
  return first_line(e.what());
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

std::string seconds_text(double s) {
  return std::to_string(static_cast<int64_t>(s)) + (s == static_cast<int64_t>(s) ? "" : "+");
}

}  // namespace

struct WorkerGroup::Impl {
  DistributedConfig config;
  // The concrete type: in LibTorch 2.x it derives from c10d::Backend, in 1.13 from ProcessGroup.
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  Error failed(const std::string& what, const std::exception& e) const {
    return io_error(what + " failed: " + what_of(e) +
                    " (another rank exited, crashed or did not answer within --dist-timeout " +
                    seconds_text(config.timeout_s) +
                    " s); the checkpoints already saved are intact");
  }
};

Result<std::unique_ptr<WorkerGroup>> WorkerGroup::join(const DistributedConfig& d) {
  if (d.rank >= d.world_size) {
    return Error{"--rank " + std::to_string(d.rank) + " is not below --world-size " +
                 std::to_string(d.world_size)};
  }
  if (d.master_port == 0) {
    return Error{
        "--master-port 0: a worker needs the port of the run's store (only the launcher, "
        "--nproc-per-node on one machine, picks a free one)"};
  }
  if (d.interface.empty() && !is_loopback(d.master_addr)) {
    return Error{"--master-addr " + d.master_addr +
                 " is not a loopback address: name the network interface of the ranks' "
                 "connections with --dist-ifname (or GLOO_SOCKET_IFNAME), e.g. eth0"};
  }
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(d.timeout_s * 1000));
  const std::string where = d.master_addr + ":" + std::to_string(d.master_port);
  auto impl = std::make_unique<Impl>();
  impl->config = d;
  // Under torchrun its agent hosts the store; otherwise rank 0 does.
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool hosts_store = d.rank == 0 && !(agent != nullptr && std::string(agent) == "True");
  if (hosts_store) DIGITS_RETURN_IF_ERROR(check_store_port(d.master_port));
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(d.master_port);
    store_options.isServer = hosts_store;
    store_options.numWorkers = static_cast<size_t>(d.world_size);
    store_options.waitWorkers = false;  // the group's own connection waits, within `timeout`
    store_options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(d.master_addr, store_options);
    // The keys of this attempt, as torch.distributed's env:// rendezvous names them.
    const char* restarts = std::getenv("TORCHELASTIC_RESTART_COUNT");
    auto store = c10::make_intrusive<c10d::PrefixStore>(
        std::string("/worker/attempt_") + (restarts != nullptr ? restarts : "0"), tcp);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(d.interface.empty()
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname(d.master_addr)
                                   : c10d::ProcessGroupGloo::createDeviceForInterface(d.interface));
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        store, static_cast<int>(d.rank), static_cast<int>(d.world_size), options);
  } catch (const std::exception& e) {
    return Error{"cannot join the run of " + std::to_string(d.world_size) + " processes at " +
                 where + " within --dist-timeout " + seconds_text(d.timeout_s) +
                 " s: " + what_of(e)};
  }
  return std::unique_ptr<WorkerGroup>(new WorkerGroup(std::move(impl)));
}

Status WorkerGroup::sum(torch::Tensor& flat, const std::string& what) {
  try {
    std::vector<at::Tensor> tensors{flat};
    impl_->group->allreduce(tensors)->wait();  // SUM: Gloo has no average
  } catch (const std::exception& e) {
    return impl_->failed(what, e);
  }
  return {};
}

Status WorkerGroup::broadcast(torch::Tensor& flat, const std::string& what) {
  try {
    std::vector<at::Tensor> tensors{flat};
    impl_->group->broadcast(tensors)->wait();  // from rank 0
  } catch (const std::exception& e) {
    return impl_->failed(what, e);
  }
  return {};
}

#endif

WorkerGroup::WorkerGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorkerGroup::~WorkerGroup() = default;

#ifdef DIGITS_HAVE_GLOO
int64_t WorkerGroup::rank() const { return impl_->config.rank; }
int64_t WorkerGroup::size() const { return impl_->config.world_size; }
#else
int64_t WorkerGroup::rank() const { return 0; }
int64_t WorkerGroup::size() const { return 1; }
#endif

}  // namespace digits
