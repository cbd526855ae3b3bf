// Nothing a user has is ever lost (issue 19), tested on the real programs: an output never
// replaces an input (the same file under any name) or anything that is not a regular file; a
// run owns its checkpoint folder (a lock while it runs, another run's files refused or set
// aside, never overwritten; a fine-tune never writes over its source; best.pt only improves);
// every value is checked where it enters (command line and checkpoint alike, exit 2 naming it);
// out of memory is one line and exit 1; a closed pipe on stdout does not kill a run. (A diverged
// run: trainer_test.cpp, Trainer.ADivergedRunStopsAndKeepsTheLastGoodCheckpoint.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "digits/checkpoint.h"
#include "digits/run_state.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::Child;
using testing::command;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::TempDir;
using testing::write_file;

// A 1-epoch run of the tiniest network: a second or two.
std::vector<std::string> tiny(const std::string& dir, const std::string& more = "") {
  return command(
      kTrain,
      "--limit 200 --epochs 1 --width 4 --batch-size 16 --threads 1 --quiet --seed 2 " + more,
      {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir});
}

void expect_exit(const Outcome& o, int code, const std::vector<std::string>& needles) {
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, code) << o.describe();
  EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o.describe();
  for (const auto& n : needles) EXPECT_NE(o.err.find(n), std::string::npos) << n << o.describe();
}

// One trained checkpoint and a small test-format CSV, made once for the output tests.
struct Inputs {
  TempDir dir;
  std::string checkpoint, csv;
  Inputs() {
    const Outcome o = run(tiny(dir.file("run")), dir.file("train"));
    EXPECT_TRUE(o.exited && o.code == 0) << o.describe();
    checkpoint = dir.file("run/last.pt");
    csv = dir.file("test.csv");
    std::string text = testing::kaggle_header(false) + "\n";
    for (int r = 0; r < 5; ++r) text += testing::kaggle_row(-1, 40 * r) + "\n";
    write_file(csv, text);
  }
};

Inputs& inputs() {
  static Inputs* i = new Inputs();  // shared by the tests below; never destroyed mid-run
  return *i;
}

// ---------------------------------------------------------------------------------------------
// Outputs never destroy inputs

struct OutputCase {
  std::string name;
  std::string option;  // --out or --probabilities
  // Makes the output path in `dir` (a link to an input, a FIFO, ...).
  std::function<std::string(const std::string& dir, const Inputs& in)> make;
};

void PrintTo(const OutputCase& c, std::ostream* os) { *os << c.name; }

class PredictOutput : public ::testing::TestWithParam<OutputCase> {};

TEST_P(PredictOutput, ThatWouldDestroySomethingIsRefusedAndNothingChanges) {
  Inputs& in = inputs();
  TempDir dir;
  const std::string out = GetParam().make(dir.path(), in);
  const std::string csv_before = read_file(in.csv), ckpt_before = read_file(in.checkpoint);
  const Outcome o =
      run(command(kPredict, "--threads 1 --quiet",
                  {"--checkpoint", in.checkpoint, "--csv", in.csv, GetParam().option, out}),
          dir.file("log"));
  expect_exit(o, 2, {GetParam().option});
  EXPECT_EQ(read_file(in.csv), csv_before);
  EXPECT_EQ(read_file(in.checkpoint), ckpt_before);
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, PredictOutput,
    ::testing::Values(OutputCase{"out_is_the_csv", "--out",
                                 [](const std::string&, const Inputs& in) { return in.csv; }},
                      OutputCase{"probabilities_is_the_csv", "--probabilities",
                                 [](const std::string&, const Inputs& in) { return in.csv; }},
                      OutputCase{
                          "out_is_the_checkpoint", "--out",
                          [](const std::string&, const Inputs& in) { return in.checkpoint; }},
                      OutputCase{"out_is_a_symlink_to_the_csv", "--out",
                                 [](const std::string& d, const Inputs& in) {
                                   fs::create_symlink(in.csv, d + "/link.csv");
                                   return d + "/link.csv";
                                 }},
                      OutputCase{"out_is_a_hard_link_to_the_csv", "--out",
                                 [](const std::string& d, const Inputs& in) {
                                   fs::create_hard_link(in.csv, d + "/hard.csv");
                                   return d + "/hard.csv";
                                 }},
                      OutputCase{"out_is_a_fifo", "--out",
                                 [](const std::string& d, const Inputs&) {
                                   ::mkfifo((d + "/fifo").c_str(), 0644);
                                   return d + "/fifo";
                                 }},
                      OutputCase{"out_is_a_folder", "--out",
                                 [](const std::string& d, const Inputs&) { return d; }}),
    [](const auto& info) { return info.param.name; });

TEST(PredictOutput, ASymlinkIsFollowedNotReplacedAndDashIsStdout) {
  Inputs& in = inputs();
  TempDir dir;
  const std::string target = dir.file("target.csv"), link = dir.file("link.csv");
  write_file(target, "old\n");
  fs::create_symlink(target, link);
  const Outcome o = run(command(kPredict, "--threads 1 --quiet",
                                {"--checkpoint", in.checkpoint, "--csv", in.csv, "--out", link}),
                        dir.file("log"));
  expect_exit(o, 0, {});
  EXPECT_TRUE(fs::is_symlink(link)) << "the link was replaced by a file";
  EXPECT_EQ(read_file(target).rfind("ImageId,Label\n", 0), 0u) << read_file(target);

  const Outcome dash = run(command(kPredict, "--threads 1 --quiet",
                                   {"--checkpoint", in.checkpoint, "--csv", in.csv, "--out", "-"}),
                           dir.file("dash"));
  expect_exit(dash, 0, {});
  EXPECT_EQ(dash.out.rfind("ImageId,Label\n", 0), 0u) << dash.describe();
  EXPECT_FALSE(fs::exists(dir.file("-")));

  // /dev/null discards; it stays the device it is (the test may run as root).
  const Outcome null =
      run(command(kPredict, "--threads 1 --quiet",
                  {"--checkpoint", in.checkpoint, "--csv", in.csv, "--out", "/dev/null"}),
          dir.file("null"));
  expect_exit(null, 0, {});
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(TrainOutput, ACheckpointFolderWhoseFilesAreTheDataIsRefused) {
  TempDir dir;
  fs::create_directories(dir.file("ck"));
  const std::string data = dir.file("ck/metrics.csv");
  std::string rows = testing::kaggle_header(true) + "\n";
  for (int label = 0; label < 10; ++label) rows += testing::kaggle_row(label, 9 * label) + "\n";
  write_file(data, rows);  // a labelled CSV that happens to be named like the run's log
  const std::string before = read_file(data);
  const Outcome o = run(command(kTrain, "--limit 50 --epochs 1 --width 4 --quiet",
                                {"--data", data, "--checkpoint-dir", dir.file("ck")}),
                        dir.file("log"));
  expect_exit(o, 2, {"--checkpoint-dir", "metrics.csv"});
  EXPECT_EQ(read_file(data), before);
}

// ---------------------------------------------------------------------------------------------
// A run owns its checkpoint folder

TEST(RunFolder, ANewRunRefusesAnotherRunsFilesAndForceSetsThemAside) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  ASSERT_EQ(run(tiny(ck), dir.file("first")).code, 0);
  const std::string last = read_file(ck + "/last.pt"), metrics = read_file(ck + "/metrics.csv");

  const Outcome again = run(tiny(ck, "--lr 0.002"), dir.file("again"));
  expect_exit(again, 2, {"holds another run's files", "--resume", "--force"});
  EXPECT_EQ(read_file(ck + "/last.pt"), last);
  EXPECT_EQ(read_file(ck + "/metrics.csv"), metrics);

  const Outcome forced = run(tiny(ck, "--lr 0.002 --force"), dir.file("forced"));
  expect_exit(forced, 0, {"moved the earlier run's files"});
  std::string aside;
  for (const auto& e : fs::directory_iterator(ck)) {
    if (e.path().filename().string().rfind("previous-", 0) == 0) aside = e.path().string();
  }
  ASSERT_FALSE(aside.empty()) << forced.describe();
  EXPECT_EQ(read_file(aside + "/last.pt"), last);
  EXPECT_EQ(read_file(aside + "/metrics.csv"), metrics);
  EXPECT_NE(read_file(ck + "/last.pt"), last);
}

TEST(RunFolder, ASecondRunWhileTheFirstRunsIsRefusedNamingTheHolder) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  Child first(command(kTrain, "--limit 600 --epochs 30 --width 8 --batch-size 8 --threads 1",
                      {"--data", testing::mnist_sample_path(), "--checkpoint-dir", ck}),
              dir.file("first"));
  ASSERT_TRUE(first.wait_for_stderr(std::regex("epoch 1/30 +batch"))) << first.wait().describe();
  const Outcome second = run(tiny(ck, "--force"), dir.file("second"));
  expect_exit(second, 2, {"another training run is using this folder", "pid"});
  first.signal(SIGINT);
  const Outcome stopped = first.wait();
  EXPECT_TRUE(stopped.exited && stopped.code == 130) << stopped.describe();
  EXPECT_TRUE(load_checkpoint(ck + "/last.pt")) << "the first run's checkpoint was harmed";
}

TEST(RunFolder, TheLockOfADeadProcessIsTakenOver) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  fs::create_directories(ck);
  write_file(ck + "/.lock", "digit-train pid 999999, since 2026-01-01 00:00:00\n");
  expect_exit(run(tiny(ck), dir.file("log")), 0, {});
}

TEST(RunFolder, FineTuningWritesANewFolderAndNeverItsSource) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  ASSERT_EQ(run(tiny(ck), dir.file("first")).code, 0);
  const std::string best = read_file(ck + "/best.pt");
  const Outcome tuned = run(command(kTrain, "--epochs 1 --threads 1 --quiet --lr 0.001",
                                    {"--resume", ck + "/best.pt", "--fine-tune", "--data",
                                     testing::mnist_sample_path(), "--limit", "200"}),
                            dir.file("tuned"));
  expect_exit(tuned, 0, {"fine-tuned"});
  EXPECT_EQ(read_file(ck + "/best.pt"), best);
  EXPECT_TRUE(load_checkpoint(ck + "/fine-tuned/best.pt"));
}

TEST(RunFolder, ResumingAnOlderLastNeverReplacesABetterBest) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  const std::string opts = "--limit 400 --epochs 4 --width 4 --batch-size 16 --threads 1 --quiet";
  auto args = [&](const std::string& more) {
    return command(kTrain, opts + " " + more,
                   {"--data", testing::mnist_sample_path(), "--checkpoint-dir", ck});
  };
  ASSERT_EQ(run(args("--stop-after 1"), dir.file("a")).code, 0);
  fs::copy_file(ck + "/last.pt", ck + "/epoch1.pt");
  const Outcome whole =
      run(command(kTrain, "--threads 1 --quiet", {"--resume", ck + "/last.pt"}), dir.file("b"));
  ASSERT_EQ(whole.code, 0) << whole.describe();
  auto best = load_checkpoint(ck + "/best.pt");
  ASSERT_TRUE(best);
  const std::string best_bytes = read_file(ck + "/best.pt");
  // From epoch 1 again, one epoch: whatever epoch 2 scores, best.pt holds the run's best.
  const Outcome older = run(command(kTrain, "--threads 1 --quiet --stop-after 1",
                                    {"--resume", ck + "/epoch1.pt", "--checkpoint-dir", ck}),
                            dir.file("c"));
  ASSERT_EQ(older.code, 0) << older.describe();
  auto after = load_checkpoint(ck + "/best.pt");
  ASSERT_TRUE(after);
  EXPECT_GE(after->progress.best_val_acc, best->progress.best_val_acc);
  if (best->progress.epoch > 2) {
    EXPECT_EQ(read_file(ck + "/best.pt"), best_bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Every value is checked where it enters

class BadValue : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(BadValue, OnTheCommandLineIsExit2NamingTheOption) {
  TempDir dir;
  const auto& [option, value] = GetParam();
  auto argv = tiny(dir.file("ck"));
  argv.push_back(option);
  argv.push_back(value);
  const Outcome o = run(argv, dir.file("log"));
  expect_exit(o, 2, {option});
  EXPECT_FALSE(fs::exists(dir.file("ck/last.pt")));
}

INSTANTIATE_TEST_SUITE_P(
    Options, BadValue,
    ::testing::Values(std::pair<std::string, std::string>{"--lr", "1e300"},
                      std::pair<std::string, std::string>{"--lr", "nan"},
                      std::pair<std::string, std::string>{"--weight-decay", "nan"},
                      std::pair<std::string, std::string>{"--momentum", "nan"},
                      std::pair<std::string, std::string>{"--rotation", "nan"},
                      std::pair<std::string, std::string>{"--scale", "inf"},
                      std::pair<std::string, std::string>{"--split-seed", "9007199254740993.5"}),
    [](const auto& info) {
      std::string name = info.param.first.substr(2) + "_" + info.param.second;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

// A checkpoint whose metadata holds what no run writes, made with the library's own writer.
struct EditedCheckpoint {
  std::string name, key;
  std::function<void(Checkpoint&)> edit;
};

void PrintTo(const EditedCheckpoint& e, std::ostream* os) { *os << e.name; }

class EditedMetadata : public ::testing::TestWithParam<EditedCheckpoint> {};

TEST_P(EditedMetadata, IsRefusedByTrainAndPredictNamingTheKey) {
  Inputs& in = inputs();
  TempDir dir;
  auto c = load_checkpoint(in.checkpoint);
  ASSERT_TRUE(c);
  GetParam().edit(*c);
  const std::string path = dir.file("edited.pt");
  ASSERT_TRUE(save_checkpoint(path, *c));
  const Outcome predict =
      run(command(kPredict, "--threads 1 --quiet", {"--checkpoint", path, "--csv", in.csv}),
          dir.file("predict"));
  expect_exit(predict, 2, {path, GetParam().key});
  const Outcome train =
      run(command(kTrain, "--threads 1 --quiet", {"--resume", path}), dir.file("train"));
  expect_exit(train, 2, {path, GetParam().key});
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, EditedMetadata,
    ::testing::Values(
        EditedCheckpoint{
            "norm_std_inf", "norm.std",
            [](Checkpoint& c) { c.normalization.std = std::numeric_limits<double>::infinity(); }},
        EditedCheckpoint{"lr_1e300", "lr", [](Checkpoint& c) { c.train_options["lr"] = "1e300"; }},
        EditedCheckpoint{"momentum_nan", "momentum",
                         [](Checkpoint& c) { c.train_options["momentum"] = "nan"; }},
        EditedCheckpoint{"negative_epoch", "epoch", [](Checkpoint& c) { c.progress.epoch = -1; }},
        EditedCheckpoint{"accuracy_above_one", "best_val_acc",
                         [](Checkpoint& c) { c.progress.best_val_acc = 1.5; }},
        EditedCheckpoint{"nan_weights", "not finite",
                         [](Checkpoint& c) {
                           torch::NoGradGuard no_grad;
                           c.net->parameters()[0].fill_(std::nan(""));
                         }}),
    [](const auto& info) { return info.param.name; });

// Out of memory is exit 1 with one line naming what was being done. The address space is capped
// (RLIMIT_AS) so that a batch of 2,700 wide images cannot be allocated. AddressSanitizer reserves
// terabytes of address space for itself, so under it the cap cannot be set.
TEST(OutOfMemory, IsExit1WithOneLineNamingWhatWasBeingDone) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot be used under AddressSanitizer";
#else
  TempDir dir;
  testing::ChildOptions limited;
  limited.max_memory_bytes = rlim_t{3} << 30;
  const Outcome o =
      run(command(kTrain, "--limit 3000 --epochs 1 --width 128 --batch-size 2700 --threads 1",
                  {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir.file("ck")}),
          dir.file("log"), limited);
  expect_exit(o, 1, {"out of memory while training"});
  EXPECT_EQ(o.err.find("terminate"), std::string::npos) << o.describe();
#endif
}

// ---------------------------------------------------------------------------------------------
// Signals

TEST(Sigpipe, AClosedPipeOnStdoutDoesNotKillTheRun) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // the reader is gone before the first line: `digit-train | head -0`
  const auto argv = tiny(dir.file("ck"));
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
