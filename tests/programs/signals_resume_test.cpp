// Stopped, killed and resumed training, on the real programs: SIGKILL at any moment leaves a
// loadable last.pt that --resume continues; SIGINT, SIGTERM and SIGHUP save, exit 128 + the
// signal's number and resume exactly as if never stopped; a closed pipe on stdout does not kill a
// run. (A second run in a folder in use, and what a resume may write there: RunFolder in
// outputs_folders_test.cpp; distributed runs: train/distributed_test.cpp.)
//
// DIGITS_TEST_SMALL=1 (set by .ci/sanitize) cuts the SIGKILL loop from 10 kills to 5.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::Child;
using testing::command;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::small_tests;
using testing::TempDir;
using testing::tiny_run;
using testing::TinyRun;

// ---------------------------------------------------------------------------------------------
// Interrupted and killed training

TEST(KilledTraining, LastCheckpointAlwaysLoadsAndResumes) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  // The tiny run for as many epochs as it is let run: it saves several times a second. Not quiet:
  // the test waits for its progress lines.
  TinyRun endless{ck};
  endless.epochs = 100000;
  endless.quiet = false;
  const std::string last = ck + "/last.pt";
  const int kills = small_tests() ? 5 : 10;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  int64_t epoch_seen = 0;
  std::string moments;
  for (int k = 0; k < kills; ++k) {
    std::vector<std::string> argv = endless.argv();
    if (fs::exists(last)) argv.insert(argv.end(), {"--resume", last});
    Child child(argv, dir.file("log"));
    // Killing while it loads its libraries would test nothing: wait until training runs
    // (it prints its first progress line then), then let it go on a random while.
    ASSERT_TRUE(child.wait_for_stderr(std::regex("epoch [0-9]+/"))) << child.wait().describe();
    const int ms = delay_ms(rng);
    moments += " " + std::to_string(ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    child.signal(SIGKILL);
    const Outcome o = child.wait();
    ASSERT_FALSE(o.exited) << "kill " << k << " (after" << moments << " ms): " << o.describe();
    ASSERT_EQ(o.code, SIGKILL);

    if (!fs::exists(last)) continue;  // killed before the first save
    auto loaded = load_checkpoint(last);
    ASSERT_TRUE(loaded) << "after kill " << k << " (delays" << moments
                        << " ms): " << loaded.error().message;
    EXPECT_GE(loaded->progress.epoch, epoch_seen) << "last.pt went back in time";
    epoch_seen = loaded->progress.epoch;
  }
  ASSERT_TRUE(fs::exists(last)) << "no checkpoint after " << kills << " kills";
  ASSERT_GT(epoch_seen, 0) << "no epoch completed between the kills";

  // A clean resume goes on from the last saved epoch and leaves no temporary file behind.
  endless.quiet = true;
  std::vector<std::string> argv = endless.argv();
  argv.insert(argv.end(), {"--resume", last, "--stop-after", "1"});
  const Outcome o = run(argv, dir.file("log"));
  ASSERT_TRUE(o.exited && o.code == 0) << o.describe();
  EXPECT_NE(o.out.find("epoch=" + std::to_string(epoch_seen + 1) + " "), std::string::npos)
      << "expected epoch " << epoch_seen + 1 << " next: " << o.describe();
  for (const auto& entry : fs::directory_iterator(ck)) {
    EXPECT_EQ(entry.path().filename().string().find("last.pt.tmp."), std::string::npos)
        << "stale temporary file " << entry.path();
  }
}

// The epoch line's figures that must be identical between runs (the timings are not).
std::string figures(const std::string& out, int epoch) {
  std::smatch m;
  const std::regex line("epoch=" + std::to_string(epoch) +
                        " (train_loss=\\S+ val_loss=\\S+ val_acc=\\S+ lr=\\S+)");
  return std::regex_search(out, m, line) ? m[1].str()
                                         : "(no epoch=" + std::to_string(epoch) + " line)";
}

std::vector<std::string> exact_run(const std::string& dir) {
  return command(kTrain, "--limit 300 --batch-size 32 --width 8 --epochs 3 --seed 5 --threads 1",
                 {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir});
}

class StopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StopSignal, SavesExitsWith128PlusSignalAndResumesExactly) {
  const int sig = GetParam();
  TempDir dir;
  const Outcome whole = run(exact_run(dir.file("whole")), dir.file("whole-log"));
  ASSERT_TRUE(whole.exited && whole.code == 0) << whole.describe();
  const std::string expected = figures(whole.out, 3);
  ASSERT_EQ(expected.find("(no"), std::string::npos) << whole.describe();

  // Signalled at its first progress line (a quarter into epoch 1): it stops mid-epoch.
  Child child(exact_run(dir.file("split")), dir.file("split-log"));
  ASSERT_TRUE(child.wait_for_stderr(std::regex("epoch 1/3 +batch"))) << child.wait().describe();
  child.signal(sig);
  const Outcome stopped = child.wait();
  ASSERT_TRUE(stopped.exited) << stopped.describe();
  EXPECT_EQ(stopped.code, 128 + sig) << stopped.describe();
  EXPECT_NE(stopped.err.find("resume with: "), std::string::npos) << stopped.describe();
  auto saved = load_checkpoint(dir.file("split/last.pt"));
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_LT(saved->progress.epoch, 3);

  std::vector<std::string> again = exact_run(dir.file("split"));
  again.insert(again.end(), {"--resume", dir.file("split/last.pt")});
  const Outcome resumed = run(again, dir.file("resume-log"));
  ASSERT_TRUE(resumed.exited && resumed.code == 0) << resumed.describe();
  EXPECT_EQ(figures(resumed.out, 3), expected) << "stopped at epoch " << saved->progress.epoch
                                               << " batch " << saved->progress.batch_in_epoch;
}

// SIGHUP: a closed terminal or a dropped ssh session saves like SIGTERM.
INSTANTIATE_TEST_SUITE_P(IntTermAndHup, StopSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const auto& info) {
                           return info.param == SIGINT    ? "SIGINT"
                                  : info.param == SIGTERM ? "SIGTERM"
                                                          : "SIGHUP";
                         });

// ---------------------------------------------------------------------------------------------
// A reader that goes away: SIGPIPE

TEST(Sigpipe, AClosedPipeOnStdoutDoesNotKillTheRun) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // the reader is gone before the first line: `digit-train | head -0`
  const auto argv = tiny_run(dir.file("ck"));
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    const int err = ::open(dir.file("err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n"
                                 << read_file(dir.file("err"));
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_file(dir.file("err"));
  EXPECT_TRUE(load_checkpoint(dir.file("ck/last.pt")));
}

}  // namespace
}  // namespace digits
