// Tests of digits/train/distributed.h through digit-train on 127.0.0.1, two ranks: the ranks train
// in step (one process with the joint batch gives the same weights), a run resumes exactly at world
// size 2, and a rank that dies, hangs or never comes makes the others fail in bounded time with
// the checkpoints intact; SIGINT to the launcher stops all ranks and saves once.
#include "digits/train/distributed.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/train/options.h"
#include "digits/train/trainer.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::Child;
using testing::command;
using testing::kTrain;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

#define SKIP_WITHOUT_DISTRIBUTED()                        \
  if (!distributed_compiled_in())                         \
  GTEST_SKIP() << "distributed training is not compiled " \
                  "in (no libgloo-dev at build time)"

// Small and quick: 1 thread per process, a few hundred rows, a narrow network.
std::string small_run(const std::string& dir, int64_t batch_size, int64_t epochs) {
  return "--data " + testing::mnist_sample_path() + " --limit 300 --width 4 --threads 1 --quiet" +
         " --seed 3 --batch-size " + std::to_string(batch_size) + " --epochs " +
         std::to_string(epochs) + " --checkpoint-dir " + dir;
}

// A TCP port free on 127.0.0.1 now (tests run in parallel: no fixed port).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t size = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `argv` as rank `rank` of `world` workers, configured as torchrun configures them.
std::vector<std::string> as_worker(std::vector<std::string> argv, int rank, int world, int port) {
  const std::vector<std::string> env = {"/usr/bin/env",
                                        "MASTER_ADDR=127.0.0.1",
                                        "MASTER_PORT=" + std::to_string(port),
                                        "WORLD_SIZE=" + std::to_string(world),
                                        "RANK=" + std::to_string(rank),
                                        "LOCAL_RANK=" + std::to_string(rank),
                                        "OMP_WAIT_POLICY=PASSIVE"};
  argv.insert(argv.begin(), env.begin(), env.end());
  return argv;
}

bool wait_for_file(const std::string& path, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Checkpoint load(const std::string& path) {
  auto c = load_checkpoint(path);
  EXPECT_TRUE(c) << c.error().message;
  return c ? std::move(c.value()) : Checkpoint{};
}

// The largest absolute difference between two checkpoints' weights.
double max_weight_difference(const Checkpoint& a, const Checkpoint& b) {
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    worst = std::max(worst, (pa[i] - pb[i]).abs().max().item<double>());
  }
  return worst;
}

TEST(Distributed, WorkerEnvironmentSetsTheOptionsAndABadValueNamesTheVariable) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("MASTER_PORT", "29511", 1);
  TrainConfig c;
  ASSERT_TRUE(read_worker_environment(c));
  EXPECT_EQ(c.distributed.world_size, 4);
  EXPECT_EQ(c.distributed.rank, 3);
  EXPECT_EQ(c.distributed.master_port, 29511);
  ::setenv("RANK", "three", 1);
  const auto bad = read_worker_environment(c);
  ::unsetenv("WORLD_SIZE");
  ::unsetenv("RANK");
  ::unsetenv("MASTER_PORT");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "environment RANK=three: not an integer");
}

TEST(Distributed, TheWorldSizeIsStoredAndOlderCheckpointsWereOneProcess) {
  TrainConfig c;
  c.data_paths = {"x.csv"};
  c.distributed.world_size = 2;
  c.distributed.rank = 1;  // where this process runs: not stored
  auto stored = encode_options(c);
  EXPECT_EQ(stored.at("world-size"), "2");
  EXPECT_EQ(stored.count("rank"), 0u);
  stored.erase("world-size");
  EXPECT_EQ(decode_options(stored)->distributed.world_size, 1);
}

TEST(Distributed, TwoRanksWithHalfTheBatchMatchOneProcessWithAllOfIt) {
  SKIP_WITHOUT_DISTRIBUTED();
  // The seed model has no batch norm and no dropout, and without augmentation nothing random
  // depends on the rank: the averaged gradient is the joint batch's.
  TempDir one, two;
  const std::string plain = " --model seed --no-augment";
  const auto single =
      testing::run(command(kTrain, small_run(one.path(), 32, 1) + plain), one.file("log"));
  ASSERT_EQ(single.code, 0) << single.describe();
  const auto pair = testing::run(
      command(kTrain, small_run(two.path(), 16, 1) + plain + " --nproc-per-node 2 --master-port 0"),
      two.file("log"));
  ASSERT_EQ(pair.code, 0) << pair.describe();

  const Checkpoint a = load(one.file("last.pt")), b = load(two.file("last.pt"));
  EXPECT_EQ(b.progress.global_step, a.progress.global_step);  // global batches: 9 steps each
  EXPECT_LT(max_weight_difference(a, b), 1e-4);
  EXPECT_EQ(decode_options(b.train_options)->distributed.world_size, 2);
  EXPECT_EQ(decode_options(a.train_options)->distributed.world_size, 1);
  // Rank 0 alone speaks: one epoch line, one summary.
  EXPECT_EQ(std::count(pair.out.begin(), pair.out.end(), '\n'), 1) << pair.out;
}

TEST(Distributed, BatchNormRanksStayInStepAndAResumeWithOtherWeightsIsRefused) {
  SKIP_WITHOUT_DISTRIBUTED();
  // bncnn with augmentation and dropout: each rank normalises its own images; after every epoch
  // the trainer checks that all hold rank 0's weights and takes rank 0's running statistics.
  TempDir dir, other;
  const auto trained = testing::run(
      command(kTrain, small_run(dir.path(), 16, 3) + " --stop-after 2 --nproc-per-node 2 "
                                                     "--master-port 0"),
      dir.file("log"));
  ASSERT_EQ(trained.code, 0) << trained.describe();
  const auto earlier = testing::run(
      command(kTrain, small_run(other.path(), 16, 3) + " --stop-after 1 --nproc-per-node 2 "
                                                       "--master-port 0"),
      other.file("log"));
  ASSERT_EQ(earlier.code, 0) << earlier.describe();

  // Rank 1 resumes from another checkpoint of the same options: both refuse to go on.
  const int port = free_port();
  Child rank0(as_worker(command(kTrain, "--threads 1 --quiet --dist-timeout 60 --resume " +
                                            dir.file("last.pt")),
                        0, 2, port),
              dir.file("rank0"));
  Child rank1(as_worker(command(kTrain, "--threads 1 --quiet --dist-timeout 60 --resume " +
                                            other.file("last.pt")),
                        1, 2, port),
              other.file("rank1"));
  const auto r0 = rank0.wait(), r1 = rank1.wait();
  EXPECT_NE(r0.code, 0) << r0.describe();
  EXPECT_NE(r1.code, 0) << r1.describe();
  EXPECT_NE(r1.err.find("hold other weights than rank 0 on resuming, this one among them"),
            std::string::npos)
      << r1.err;
}

TEST(Distributed, ATwoRankRunResumesExactlyAtWorldSizeTwoAndOnlyThere) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir whole, split;
  const std::string two = " --nproc-per-node 2 --master-port 0";
  const auto expected =
      testing::run(command(kTrain, small_run(whole.path(), 16, 2) + two), whole.file("log"));
  ASSERT_EQ(expected.code, 0) << expected.describe();
  const auto first = testing::run(
      command(kTrain, small_run(split.path(), 16, 2) + two + " --stop-after 1"), split.file("a"));
  ASSERT_EQ(first.code, 0) << first.describe();
  EXPECT_NE(first.err.find("resume with: digit-train --nproc-per-node 2 --resume"),
            std::string::npos)
      << first.err;
  TempDir copy;  // the epoch-1 checkpoint, for a resume at world size 1 below
  std::filesystem::copy_file(split.file("last.pt"), copy.file("last.pt"));

  // One process may not continue it unless allowed.
  const auto alone = testing::run(
      command(kTrain, "--threads 1 --quiet --resume " + split.file("last.pt")), split.file("b"));
  EXPECT_EQ(alone.code, 2) << alone.describe();
  EXPECT_NE(alone.err.find("trained on 2 process(es) (--world-size), this one runs on 1; pass "
                           "--allow-world-size-change"),
            std::string::npos)
      << alone.err;

  const auto rest =
      testing::run(command(kTrain, "--threads 1 --quiet --resume " + split.file("last.pt") + two),
                   split.file("c"));
  ASSERT_EQ(rest.code, 0) << rest.describe();
  const auto rows = [](const std::string& dir) {
    auto r = read_metrics_log(dir + "/metrics.csv");
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<EpochReport>{};
  };
  const auto want = rows(whole.path()), got = rows(split.path());
  ASSERT_EQ(want.size(), 2u);
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got[i].train_loss, want[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(got[i].val_loss, want[i].val_loss) << "epoch " << i + 1;
    EXPECT_EQ(got[i].val_acc, want[i].val_acc) << "epoch " << i + 1;
  }
  EXPECT_EQ(max_weight_difference(load(whole.file("last.pt")), load(split.file("last.pt"))), 0);

  // Allowed, one process goes on from the epoch-1 checkpoint (not bit-exact: another batch).
  const auto moved =
      testing::run(command(kTrain, "--threads 1 --quiet --allow-world-size-change --resume " +
                                       copy.file("last.pt")),
                   copy.file("log"));
  EXPECT_EQ(moved.code, 0) << moved.describe();
  EXPECT_NE(moved.out.find("epoch=2 "), std::string::npos) << moved.out;
}

TEST(Distributed, AKilledRankMakesTheOtherFailAtOnceAndTheCheckpointsLoad) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  const int port = free_port();
  const std::string options = small_run(dir.path(), 16, 200) + " --dist-timeout 60";
  Child rank0(as_worker(command(kTrain, options), 0, 2, port), dir.file("rank0"));
  Child rank1(as_worker(command(kTrain, options), 1, 2, port), dir.file("rank1"));
  ASSERT_TRUE(wait_for_file(dir.file("last.pt"), std::chrono::seconds(120)));
  const auto killed = Clock::now();
  rank1.signal(SIGKILL);
  const auto r0 = rank0.wait();
  EXPECT_LT(seconds_since(killed), 30.0) << "a closed connection fails the next collective";
  EXPECT_EQ(r0.code, 1) << r0.describe();
  EXPECT_NE(r0.err.find("digit-train rank 0: "), std::string::npos) << r0.err;
  EXPECT_NE(r0.err.find("the checkpoints already saved are intact"), std::string::npos) << r0.err;
  const Checkpoint last = load(dir.file("last.pt"));
  EXPECT_GE(last.progress.epoch, 1);
}

TEST(Distributed, AHungRankFailsTheOthersAfterTheTimeout) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  const int port = free_port();
  const std::string options = small_run(dir.path(), 16, 200) + " --dist-timeout 5";
  Child rank0(as_worker(command(kTrain, options), 0, 2, port), dir.file("rank0"));
  Child rank1(as_worker(command(kTrain, options), 1, 2, port), dir.file("rank1"));
  ASSERT_TRUE(wait_for_file(dir.file("last.pt"), std::chrono::seconds(120)));
  const auto stopped = Clock::now();
  rank1.signal(SIGSTOP);
  const auto r0 = rank0.wait();
  rank1.signal(SIGKILL);
  EXPECT_LT(seconds_since(stopped), 40.0);
  EXPECT_EQ(r0.code, 1) << r0.describe();
  EXPECT_NE(r0.err.find("within --dist-timeout 5 s"), std::string::npos) << r0.err;
  EXPECT_TRUE(load_checkpoint(dir.file("last.pt")));
}

TEST(Distributed, AWorkerThatNeverArrivesIsAnErrorWithinTheTimeout) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  const auto start = Clock::now();
  const auto alone =
      testing::run(as_worker(command(kTrain, small_run(dir.path(), 16, 1) + " --dist-timeout 5"), 0,
                             2, free_port()),
                   dir.file("log"));
  EXPECT_LT(seconds_since(start), 60.0);
  EXPECT_EQ(alone.code, 2) << alone.describe();
  EXPECT_NE(alone.err.find("rank 0: cannot join the run of 2 processes at 127.0.0.1:"),
            std::string::npos)
      << alone.err;
}

TEST(Distributed, RanksWithOtherOptionsOrDataRefuseToStart) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  const std::string options = small_run(dir.path(), 16, 1) + " --dist-timeout 60";
  const std::string other_rows =
      std::regex_replace(options, std::regex("--limit 300"), "--limit 290");
  for (const std::string& other : {options + " --lr 0.01", other_rows}) {
    const int port = free_port();
    Child rank0(as_worker(command(kTrain, options), 0, 2, port), dir.file("rank0"));
    Child rank1(as_worker(command(kTrain, other), 1, 2, port), dir.file("rank1"));
    const auto r0 = rank0.wait(), r1 = rank1.wait();
    EXPECT_EQ(r0.code, 2) << other << ": " << r0.describe();
    EXPECT_EQ(r1.code, 2) << other << ": " << r1.describe();
    EXPECT_NE(r0.err.find("digit-train rank 0: 1 rank(s) run with other options or data than "
                          "rank 0; give every rank the same options"),
              std::string::npos)
        << r0.err;
    const std::string what = other == other_rows ? "(this rank's data differs from rank 0's"
                                                 : "(this rank's options differ from rank 0's)";
    EXPECT_NE(r1.err.find(what), std::string::npos) << r1.err;
  }
}

TEST(Distributed, SigintToTheLauncherStopsAllRanksAndSavesOnce) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  Child launcher(
      command(kTrain, small_run(dir.path(), 16, 200) + " --nproc-per-node 2 --master-port 0"),
      dir.file("log"));
  ASSERT_TRUE(wait_for_file(dir.file("metrics.csv"), std::chrono::seconds(120)));
  launcher.signal(SIGINT);
  const auto o = launcher.wait();
  EXPECT_EQ(o.code, 130) << o.describe();
  const std::string saved = "interrupted; saved " + dir.file("last.pt");
  const auto first = o.err.find(saved);
  EXPECT_NE(first, std::string::npos) << o.err;
  EXPECT_EQ(o.err.find(saved, first + 1), std::string::npos) << "saved once: " << o.err;
  EXPECT_EQ(o.err.find("stopping the other ranks"), std::string::npos) << o.err;
  const Checkpoint last = load(dir.file("last.pt"));
  EXPECT_GT(last.progress.global_step, 0);
}

TEST(Distributed, WhenARankDiesTheLauncherStopsTheOthersAndSaysWhich) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  Child launcher(
      command(kTrain, small_run(dir.path(), 16, 200) + " --nproc-per-node 2 --master-port 0"),
      dir.file("log"));
  ASSERT_TRUE(wait_for_file(dir.file("last.pt"), std::chrono::seconds(120)));
  // Rank 1: the launcher's child with RANK=1 in its environment.
  const std::string launcher_pid = std::to_string(launcher.pid());
  std::istringstream children(
      testing::read_file("/proc/" + launcher_pid + "/task/" + launcher_pid + "/children"));
  pid_t rank1 = -1;
  for (pid_t p; children >> p;) {
    const std::string env = testing::read_file("/proc/" + std::to_string(p) + "/environ");
    if (env.find(std::string("RANK=1\0", 7)) != std::string::npos) rank1 = p;
  }
  ASSERT_GT(rank1, 0);
  ::kill(rank1, SIGKILL);
  const auto o = launcher.wait();
  EXPECT_EQ(o.code, 128 + SIGKILL) << "the first failure's status: " << o.describe();
  EXPECT_NE(o.err.find("rank 1 (pid " + std::to_string(rank1) +
                       ") was killed by signal 9 (Killed); stopping the other ranks"),
            std::string::npos)
      << o.err;
  EXPECT_TRUE(load_checkpoint(dir.file("last.pt")));
}

// What can be checked once is checked before any worker starts, within reason of the machine: a
// thousand workers on a few cores, data or a checkpoint that is not there, data that is not a
// file. One line from the launcher, exit 2, and no worker's words.
TEST(Distributed, TheLauncherChecksWhatItCanOnceBeforeAnyWorkerStarts) {
  SKIP_WITHOUT_DISTRIBUTED();
  TempDir dir;
  const std::string common = " --limit 10 --width 4 --threads 1 --quiet --checkpoint-dir " +
                             dir.file("ck") + " --nproc-per-node ";
  // More than four workers per core (--nproc-per-node 1024 on a machine of fewer than 256).
  const int64_t too_many = 4 * std::max(1u, std::thread::hardware_concurrency()) + 1;
  std::vector<std::pair<std::string, std::string>> cases = {
      {"--data " + dir.file("missing.csv") + common + "2",
       dir.file("missing.csv") + ": no such file"},
      {"--data -" + common + "2", "-: standard input is not read as data"},
      {"--resume " + dir.file("nope.pt") + common + "2", dir.file("nope.pt")},
  };
  if (too_many <= 1024) {  // the option's own bound
    const std::string n = std::to_string(too_many);
    cases.push_back({"--data " + testing::mnist_sample_path() + common + n,
                     "--nproc-per-node " + n + ": more than 4 workers per core"});
  }
  for (const auto& [args, needle] : cases) {
    const auto start = Clock::now();
    const auto o = testing::run(command(kTrain, args), dir.file("log"));
    testing::expect_clean_error(o, {needle});
    EXPECT_EQ(o.err.find("rank "), std::string::npos) << args << "\n" << o.describe();
    EXPECT_FALSE(std::filesystem::exists(dir.file("ck"))) << args;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(60)) << args;
  }
}

TEST(Distributed, WithoutGlooTheLauncherSaysItIsNotCompiledIn) {
  if (distributed_compiled_in()) GTEST_SKIP() << "distributed training is compiled in";
  TempDir dir;
  const auto o = testing::run(command(kTrain, small_run(dir.path(), 16, 1) + " --nproc-per-node 2"),
                              dir.file("log"));
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("distributed training is not compiled in"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace digits
