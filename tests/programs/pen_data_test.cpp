// Pen handwriting through the real programs: digit-train learns from UNIPEN files alone (drawn
// with several brushes, bent by --pen-warp, slanted by --pen-slant), digit-predict scores them
// writer by writer and draws what it misread (--misread-png), finds the run's hold-out again, and
// refuses one for runs that bent their strokes each its own way; ink that is not a digit
// (--not-digits, --not-digit-pairs) is trained on and the hold-out found again.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "pen_digits.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::command;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::synthetic_unipen;
using testing::TempDir;
using testing::write_file;

// digit-predict --holdout finds the `rows` held out by the run in DIR/run from DIR/pen.tra.
void expect_holdout_of(const TempDir& dir, int rows) {
  const Outcome held =
      run(command(kPredict, "--threads 1 --quiet --holdout",
                  {"--checkpoint", dir.file("run/last.pt"), "--data", dir.file("pen.tra")}),
          dir.file("holdout"));
  ASSERT_TRUE(held.exited && held.code == 0) << held.describe();
  EXPECT_NE(held.out.find(" total=" + std::to_string(rows) + "\n"), std::string::npos)
      << held.describe();
}

// digit-train learns from pen digits alone, and digit-predict scores them writer by writer and
// draws what it misread.
TEST(PenPrograms, TrainOnPenDigitsThenScoreEachWriterAndDrawTheMisreads) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(40, 4, 3));
  write_file(dir.file("pen.tes"), synthetic_unipen(10, 3, 4));
  const Outcome trained =
      run(command(kTrain, "--epochs 4 --width 8 --batch-size 32 --threads 1 --quiet --seed 3",
                  {"--data", dir.file("pen.tra"), "--pen-brushes", "0.8", "1.25", "--pen-warp",
                   "0.04", "--pen-slant", "15", "--checkpoint-dir", dir.file("run")}),
          dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  EXPECT_NE(trained.err.find("720 training and 80 validation images"), std::string::npos)
      << trained.describe();

  const Outcome scored =
      run(command(kPredict, "--threads 1 --quiet",
                  {"--checkpoint", dir.file("run/last.pt"), "--data", dir.file("pen.tes"),
                   "--misread-png", dir.file("misread.png"), "--exclude", "2:5"}),
          dir.file("predict"));
  ASSERT_TRUE(scored.exited && scored.code == 0) << scored.describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(scored.out, m,
                                std::regex("^accuracy=([0-9.]+) correct=\\d+ "
                                           "total=99\\n")))
      << scored.describe();
  // Ten shapes, learnt in four short epochs: far above chance (10%).
  EXPECT_GT(std::stod(m[1]), 0.6) << scored.describe();
  for (const char* w : {"writer=1 ", "writer=2 ", "writer=3 "}) {
    EXPECT_NE(scored.out.find(std::string("\n") + w + "accuracy="), std::string::npos)
        << w << scored.describe();
  }
  EXPECT_NE(scored.out.find("writers=3 worst_writer_accuracy="), std::string::npos);
  EXPECT_NE(scored.err.find("left out 1 rows (--exclude)"), std::string::npos) << scored.describe();
  const std::string png = read_file(dir.file("misread.png"));
  ASSERT_GT(png.size(), 100u) << scored.describe();
  EXPECT_EQ(png.substr(1, 3), "PNG");

  // The run's hold-out: its pen rows, drawn with its brushes, bent and slanted, are found
  // again from the checkpoint (a drawing that differs fails the data's fingerprint).
  expect_holdout_of(dir, 80);

  // A run of another --seed bent its strokes, held-out digits too, its own way: an ensemble of
  // the two has no one hold-out, and says why.
  const Outcome other =
      run(command(kTrain, "--epochs 1 --width 8 --batch-size 32 --threads 1 --quiet --seed 4",
                  {"--data", dir.file("pen.tra"), "--pen-brushes", "0.8", "1.25", "--pen-warp",
                   "0.04", "--split-seed", "3", "--checkpoint-dir", dir.file("other")}),
          dir.file("train-other"));
  ASSERT_TRUE(other.exited && other.code == 0) << other.describe();
  const Outcome both = run(command(kPredict, "--threads 1 --quiet --holdout",
                                   {"--checkpoint", dir.file("run/last.pt"), "--checkpoint",
                                    dir.file("other/last.pt"), "--data", dir.file("pen.tra")}),
                           dir.file("holdout-both"));
  EXPECT_TRUE(both.exited && both.code == 2) << both.describe();
  EXPECT_NE(both.err.find("slanted by their own --seed"), std::string::npos) << both.describe();
}

// Not-digit ink joins the training rows only: the digits split as before, and digit-predict finds
// the run's hold-out again from its checkpoint (which names the not-digit file and the pairs).
TEST(PenPrograms, NotDigitInkIsTrainedOnAndTheHoldOutFoundAgain) {
  TempDir dir;
  write_file(dir.file("pen.tra"), synthetic_unipen(40, 4, 3));
  const Outcome trained =
      run(command(kTrain, "--epochs 1 --width 8 --batch-size 32 --threads 1 --seed 3",
                  {"--data", dir.file("pen.tra"), "--pen-brushes", "0.8", "1.25", "--not-digits",
                   testing::ink_fixture("letter-a.inkml"), "--not-digit-pairs", "10",
                   "--checkpoint-dir", dir.file("run")}),
          dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  EXPECT_NE(trained.err.find("loaded 822 rows"), std::string::npos) << trained.describe();
  EXPECT_NE(trained.err.find("(22 of them not digits, always trained on)"), std::string::npos)
      << trained.describe();
  EXPECT_NE(trained.err.find("742 training and 80 validation images"), std::string::npos)
      << trained.describe();
  expect_holdout_of(dir, 80);
}

}  // namespace
}  // namespace digits
