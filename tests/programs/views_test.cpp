// What the programs show besides their lines: digit-train's DIR/metrics.png and TensorBoard
// event files (--tensorboard), digit-predict's --confusion-png. Views of a run, never its state:
// a chart that cannot be drawn is a warning, and training goes on.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "digits/report/tensorboard.h"
#include "digits/train/trainer.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::read_png;
using testing::run;
using testing::TempDir;
using testing::tensorboard_event_files;
using testing::TinyRun;
using testing::write_file;

// The tiny run on 300 rows in batches of 32 (seed 4) for `epochs` epochs, with `more` options.
std::vector<std::string> train(const std::string& ck, int64_t epochs,
                               const std::string& more = "") {
  TinyRun r{ck};
  r.limit = 300;
  r.batch_size = 32;
  r.seed = 4;
  r.epochs = epochs;
  r.more = more;
  return r.argv();
}

// step -> tag -> value, from one event file.
std::map<int64_t, std::map<std::string, float>> scalars(const fs::path& file) {
  std::map<int64_t, std::map<std::string, float>> by_step;
  auto events = read_scalar_events(file.string());
  EXPECT_TRUE(events) << events.error().message;
  if (events) {
    for (const auto& e : *events) by_step[e.step][e.tag] = e.value;
  }
  return by_step;
}

// Every epoch of metrics.csv is in the events, with the same values.
void expect_events_match_log(const std::map<int64_t, std::map<std::string, float>>& events,
                             const std::string& metrics_csv) {
  auto log = read_metrics_log(metrics_csv);
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(events.size(), log->size());
  for (const auto& r : *log) {
    ASSERT_EQ(events.count(r.epoch), 1u) << "epoch " << r.epoch;
    const auto& tags = events.at(r.epoch);
    EXPECT_FLOAT_EQ(tags.at("loss/train"), static_cast<float>(r.train_loss));
    EXPECT_FLOAT_EQ(tags.at("loss/validation"), static_cast<float>(r.val_loss));
    EXPECT_FLOAT_EQ(tags.at("accuracy/validation"), static_cast<float>(r.val_acc));
    EXPECT_FLOAT_EQ(tags.at("learning_rate"), static_cast<float>(r.lr));
    EXPECT_GT(tags.at("images_per_second"), 0.f);
  }
}

TEST(TrainViews, EveryEpochDrawsTheChartAndSendsTheScalarsToTensorBoard) {
  REQUIRE_GNUPLOT();
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  const std::string ck = dir.file("run-a"), tb = dir.file("tb");
  const Outcome o = run(train(ck, 2, "--tensorboard " + tb), dir.file("log"));
  ASSERT_EQ(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find("TensorBoard events in " + tb + "/run-a/"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("warning"), std::string::npos) << o.err;

  const auto png = read_png(ck + "/metrics.png");
  EXPECT_EQ(png.width, 1200);
  EXPECT_EQ(png.height, 800);
  const auto files = tensorboard_event_files(tb + "/run-a");
  ASSERT_EQ(files.size(), 1u);
  expect_events_match_log(scalars(files[0]), ck + "/metrics.csv");
}

TEST(TrainViews, AResumedRunSendsItsWholeLogAgainAndANewRunSetsTheOldEventsAside) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  const std::string ck = dir.file("ck"), tb = dir.file("tb"), events = tb + "/ck";
  ASSERT_EQ(run(train(ck, 3, "--stop-after 1 --tensorboard " + tb), dir.file("a")).code, 0);
  ASSERT_EQ(tensorboard_event_files(events).size(), 1u);
  const std::string first = read_file(tensorboard_event_files(events)[0].string());

  const Outcome resumed =
      run(command(kTrain, "--threads 1 --quiet --tensorboard " + tb, {"--resume", ck + "/last.pt"}),
          dir.file("b"));
  ASSERT_EQ(resumed.code, 0) << resumed.describe();
  auto files = tensorboard_event_files(events);
  ASSERT_EQ(files.size(), 2u);
  // The first file is never touched; the resumed run wrote the other one.
  const bool first_is_0 = read_file(files[0].string()) == first;
  EXPECT_TRUE(first_is_0 || read_file(files[1].string()) == first);
  const auto second = first_is_0 ? files[1] : files[0];
  // Epoch 1 again (TensorBoard keeps one value per step), then epochs 2 and 3.
  expect_events_match_log(scalars(second), ck + "/metrics.csv");

  // A new run in the same folder (--force): the earlier run's events move to previous-*/.
  const Outcome fresh = run(train(ck, 1, "--force --tensorboard " + tb), dir.file("c"));
  ASSERT_EQ(fresh.code, 0) << fresh.describe();
  ASSERT_EQ(tensorboard_event_files(events).size(), 1u);
  std::string aside;
  for (const auto& e : fs::directory_iterator(events)) {
    if (e.is_directory() && e.path().filename().string().rfind("previous-", 0) == 0) {
      aside = e.path().string();
    }
  }
  ASSERT_FALSE(aside.empty());
  EXPECT_EQ(tensorboard_event_files(aside).size(), 2u);
  // And the checkpoint folder's earlier files went to a folder of the same name.
  EXPECT_TRUE(fs::exists(ck + "/" + fs::path(aside).filename().string() + "/metrics.csv"));
  expect_events_match_log(scalars(tensorboard_event_files(events)[0]), ck + "/metrics.csv");
}

TEST(TrainViews, WithoutGnuplotTrainingGoesOnAfterOneWarning) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  ::setenv("DIGITS_GNUPLOT", "digits-no-such-gnuplot", 1);
  const Outcome o = run(train(ck, 2), dir.file("log"));
  ::unsetenv("DIGITS_GNUPLOT");
  ASSERT_EQ(o.code, 0) << o.describe();
  const auto first = o.err.find("warning: ");
  ASSERT_NE(first, std::string::npos) << o.err;
  EXPECT_NE(o.err.find("digits-no-such-gnuplot: not found", first), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("warning: ", first + 1), std::string::npos) << "warned twice:\n" << o.err;
  EXPECT_FALSE(fs::exists(ck + "/metrics.png"));
  EXPECT_TRUE(fs::exists(ck + "/last.pt"));
  auto log = read_metrics_log(ck + "/metrics.csv");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), 2u);
}

// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
bool ended(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return stat.empty() || paren == std::string::npos || stat.compare(paren + 2, 1, "Z") == 0;
}

// A plotting helper that leaves a process behind holding its output pipes (a daemon of its own,
// a stray `sleep &`) never holds up the work: training finishes, with one warning about the
// chart, and digit-predict --confusion-png fails at once, not when that process ends; what the
// helper left is killed with it.
TEST(Views, AHelperWhoseChildHoldsItsPipesNeverHoldsUpTheWork) {
  TempDir dir;
  const std::string pid_file = dir.file("grandchild.pid");
  write_file(dir.file("gnuplot"),
             "#!/bin/sh\ncat >/dev/null\nsleep 120 &\necho $! >" + pid_file + "\nexit 0\n");
  fs::permissions(dir.file("gnuplot"), fs::perms::owner_all);
  ::setenv("DIGITS_GNUPLOT", dir.file("gnuplot").c_str(), 1);
  const std::string ck = dir.file("ck");
  auto start = std::chrono::steady_clock::now();
  const Outcome trained = run(train(ck, 2), dir.file("train"));
  const auto train_time = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  const Outcome drawn =
      run(command(kPredict, "--quiet --limit 300",
                  {"--checkpoint", ck + "/last.pt", "--data", testing::mnist_sample_path(),
                   "--confusion-png", dir.file("confusion.png")}),
          dir.file("predict"));
  const auto predict_time = std::chrono::steady_clock::now() - start;
  ::unsetenv("DIGITS_GNUPLOT");

  ASSERT_EQ(trained.code, 0) << trained.describe();
  EXPECT_LT(train_time, std::chrono::seconds(60)) << "the helper's child held training up";
  const auto warning = trained.err.find("warning: ");
  EXPECT_NE(warning, std::string::npos) << trained.err;
  EXPECT_EQ(trained.err.find("warning: ", warning + 1), std::string::npos) << trained.err;
  auto log = read_metrics_log(ck + "/metrics.csv");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), 2u);

  EXPECT_TRUE(drawn.exited && drawn.code == 1) << drawn.describe();
  EXPECT_NE(drawn.err.find(dir.file("confusion.png")), std::string::npos) << drawn.describe();
  EXPECT_LT(predict_time, std::chrono::seconds(60)) << "the helper's child held prediction up";
  EXPECT_FALSE(fs::exists(dir.file("confusion.png")));

  const std::string pid_text = read_file(pid_file);
  ASSERT_FALSE(pid_text.empty()) << "the stand-in never ran";
  const pid_t grandchild = static_cast<pid_t>(std::stol(pid_text));
  for (int i = 0; i < 100 && !ended(grandchild); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ended(grandchild)) << "the helper's child " << grandchild << " was left running";
}

TEST(TrainViews, ATensorBoardFolderThatCannotBeMadeStopsBeforeTraining) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  testing::write_file(dir.file("file"), "x");
  const Outcome o =
      run(train(dir.file("ck"), 1, "--tensorboard " + dir.file("file")), dir.file("log"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--tensorboard " + dir.file("file")), std::string::npos) << o.err;
  EXPECT_EQ(o.out.find("epoch=1"), std::string::npos) << o.out;
}

// The events folder (TB/RUN) is compared with the run's own files and its data as files: inside
// last.pt (which the first save would then find a folder), inside best.pt through a link, or the
// data file itself. Refused before any work, and nothing is made.
TEST(TrainViews, AnEventsFolderThatIsOrIsInsideTheRunsFilesOrItsDataIsRefused) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  const std::string ck = dir.file("ck");
  fs::create_directories(ck);
  fs::create_directory_symlink(ck, dir.file("link"));
  // --checkpoint-dir d/data.csv names its events TB/data.csv: with TB = d, the data file itself.
  const std::string data_dir = dir.file("d"), data = data_dir + "/data.csv";
  fs::create_directories(data_dir);
  fs::copy_file(testing::mnist_sample_path(), data);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {train(ck, 1, "--tensorboard " + ck + "/last.pt"), "the run's " + ck + "/last.pt"},
      {train(ck, 1, "--tensorboard " + dir.file("link") + "/./best.pt"),
       "the run's " + ck + "/best.pt"},
      {command(kTrain, "--limit 300 --epochs 1 --threads 1 --quiet",
               {"--data", data, "--checkpoint-dir", data, "--tensorboard", data_dir}),
       "the data file"},
  };
  for (const auto& [args, needle] : cases) {
    const Outcome o = run(args, dir.file("log"));
    EXPECT_EQ(o.code, 2) << o.describe();
    EXPECT_NE(o.err.find("--tensorboard"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(needle), std::string::npos) << o.err;
    EXPECT_EQ(o.err.find("loaded"), std::string::npos) << o.err;
  }
  EXPECT_TRUE(fs::is_empty(ck));
  EXPECT_TRUE(fs::is_regular_file(data));
}

TEST(PredictViews, ConfusionPngOfLabelledDataAndARefusalWithoutLabels) {
  REQUIRE_GNUPLOT();
  TempDir dir;
  const std::string ck = dir.file("ck");
  ASSERT_EQ(run(train(ck, 1), dir.file("train")).code, 0);
  const Outcome o =
      run(command(kPredict, "--quiet --limit 300",
                  {"--checkpoint", ck + "/last.pt", "--data", testing::mnist_sample_path(),
                   "--confusion-png", dir.file("confusion.png")}),
          dir.file("predict"));
  ASSERT_EQ(o.code, 0) << o.describe();
  const auto png = read_png(dir.file("confusion.png"));
  EXPECT_EQ(png.width, 760);
  EXPECT_EQ(png.height, 680);
  EXPECT_NE(o.err.find("drew the confusion matrix on"), std::string::npos);

  std::string rows = testing::kaggle_header(false) + "\n";
  for (int i = 0; i < 3; ++i) rows += testing::kaggle_row(-1, 40 * i) + "\n";
  testing::write_file(dir.file("test.csv"), rows);
  const Outcome refused =
      run(command(kPredict, "--quiet",
                  {"--checkpoint", ck + "/last.pt", "--data", dir.file("test.csv"),
                   "--confusion-png", dir.file("c2.png"), "--out", dir.file("s.csv")}),
          dir.file("refused"));
  EXPECT_EQ(refused.code, 2) << refused.describe();
  EXPECT_NE(refused.err.find("--confusion-png needs labels"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir.file("c2.png")));
}

}  // namespace
}  // namespace digits
