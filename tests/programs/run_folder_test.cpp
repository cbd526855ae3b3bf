// Run folders, on the real programs: a run owns its checkpoint folder. Its files are never the
// run's data; a lock while it runs; another run's files refused or set aside, never overwritten;
// a fine-tune never writes over its source; best.pt only improves within a run.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::Child;
using testing::command;
using testing::expect_exit;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::TempDir;
using testing::tiny_run;
using testing::write_file;

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
  ASSERT_EQ(run(tiny_run(ck), dir.file("first")).code, 0);
  const std::string last = read_file(ck + "/last.pt"), metrics = read_file(ck + "/metrics.csv");

  const Outcome again = run(tiny_run(ck, "--lr 0.002"), dir.file("again"));
  expect_exit(again, 2, {"holds another run's files", "--resume", "--force"});
  EXPECT_EQ(read_file(ck + "/last.pt"), last);
  EXPECT_EQ(read_file(ck + "/metrics.csv"), metrics);

  const Outcome forced = run(tiny_run(ck, "--lr 0.002 --force"), dir.file("forced"));
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
  const Outcome second = run(tiny_run(ck, "--force"), dir.file("second"));
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
  expect_exit(run(tiny_run(ck), dir.file("log")), 0, {});
}

TEST(RunFolder, FineTuningWritesANewFolderAndNeverItsSource) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  ASSERT_EQ(run(tiny_run(ck), dir.file("first")).code, 0);
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

// A checkpoint says which run wrote it, and a folder which run's files it holds (its .run):
// another run's last.pt copied into a folder is not resumed into that folder's files (its
// best.pt replaced, two runs' metrics.csv spliced); the same run's folder copied whole resumes.
TEST(RunFolder, AnotherRunsCheckpointCopiedIntoAFolderIsNotResumedThere) {
  TempDir dir;
  const std::string a = dir.file("a"), b = dir.file("b"), c = dir.file("c");
  testing::TinyRun two_epochs{a};
  two_epochs.epochs = 2;
  two_epochs.more = "--stop-after 1";
  ASSERT_EQ(run(two_epochs.argv(), dir.file("run-a")).code, 0);
  ASSERT_EQ(run(tiny_run(b, "--lr 0.002"), dir.file("run-b")).code, 0);
  auto in_a = load_checkpoint(a + "/last.pt"), in_b = load_checkpoint(b + "/best.pt");
  ASSERT_TRUE(in_a && in_b);
  EXPECT_EQ(in_a->run_id.size(), 16u);
  EXPECT_NE(in_a->run_id, in_b->run_id);
  fs::copy(a, c, fs::copy_options::recursive);  // before b's files are touched
  const std::string best = read_file(b + "/best.pt"), metrics = read_file(b + "/metrics.csv");
  fs::copy_file(a + "/last.pt", b + "/last.pt", fs::copy_options::overwrite_existing);

  const Outcome o =
      run(command(kTrain, "--threads 1 --quiet", {"--resume", b + "/last.pt"}), dir.file("resume"));
  expect_exit(o, 2, {"holds the files of run " + in_b->run_id, "of run " + in_a->run_id});
  EXPECT_EQ(read_file(b + "/best.pt"), best);
  EXPECT_EQ(read_file(b + "/metrics.csv"), metrics);

  // Run a's folder copied whole is run a's: it resumes there, and keeps its identity.
  const Outcome whole =
      run(command(kTrain, "--threads 1 --quiet", {"--resume", c + "/last.pt"}), dir.file("c"));
  expect_exit(whole, 0, {});
  auto after = load_checkpoint(c + "/last.pt");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->progress.epoch, 2);
  EXPECT_EQ(after->run_id, in_a->run_id);
}

}  // namespace
}  // namespace digits
