// digit-draw's command line against what a user can get wrong: a screenshot named like one of
// the app's inputs is refused before anything is written; a replay with no events still ends
// with --exit-after-replay; a scale that is not a finite number is a usage error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::kDraw;
using testing::Outcome;
using testing::run;
using testing::TempDir;
using testing::write_file;

void headless() {
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
}

TEST(DrawInputs, AScreenshotNamedLikeAnInputIsRefusedAndTheInputKept) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built";
  headless();
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  const std::string model = dir.file("run/best.pt");
  write_file(dir.file("one.replay"), "down 0.5 0.2\nmove 0.5 0.8\nup\n");
  write_file(dir.file("teach.csv"), testing::kaggle_header(true) + "\n");
  const std::string model_bytes = testing::read_file(model);
  for (const std::string& input :
       {model, dir.file("one.replay"), dir.file("teach.csv"), dir.path() + "/./one.replay"}) {
    const std::string before = testing::read_file(fs::path(input).lexically_normal().string());
    const Outcome o = run(command(kDraw, "--exit-after-replay --threads 1",
                                  {"--checkpoint", model, "--replay", dir.file("one.replay"),
                                   "--teach-file", dir.file("teach.csv"), "--screenshot", input}),
                          dir.file("draw"));
    testing::expect_clean_error(o, {"--screenshot"}, "digit-draw");
    EXPECT_EQ(testing::read_file(fs::path(input).lexically_normal().string()), before) << input;
  }
  EXPECT_EQ(testing::read_file(model), model_bytes);
}

// The teach file is the app's other output: a screenshot named like it is refused even before
// either exists, however it is spelt.
TEST(DrawInputs, AScreenshotNamedLikeTheTeachFileIsRefusedBeforeEitherExists) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built";
  headless();
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  write_file(dir.file("one.replay"), "down 0.5 0.2\nmove 0.5 0.8\nup\n");
  const Outcome o = run(command(kDraw, "--exit-after-replay --threads 1",
                                {"--checkpoint", dir.file("run/best.pt"), "--replay",
                                 dir.file("one.replay"), "--teach-file", dir.file("teach.csv"),
                                 "--screenshot", dir.path() + "/./teach.csv"}),
                        dir.file("draw"));
  testing::expect_clean_error(o, {"--screenshot", "--teach-file"}, "digit-draw");
  EXPECT_FALSE(fs::exists(dir.file("teach.csv")));
}

TEST(DrawInputs, AReplayWithoutEventsEndsAtOnce) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built";
  headless();
  TempDir dir;
  const Outcome trained = run(testing::tiny_run(dir.file("run")), dir.file("train"));
  ASSERT_TRUE(trained.exited && trained.code == 0) << trained.describe();
  for (const std::string& script : {std::string(""), std::string("# only a comment\n\n")}) {
    write_file(dir.file("empty.replay"), script);
    const Outcome o =
        run(command(kDraw, "--exit-after-replay --print-prediction --threads 1",
                    {"--checkpoint", dir.file("run/best.pt"), "--replay", dir.file("empty.replay"),
                     "--teach-file", dir.file("teach.csv")}),
            dir.file("draw"));
    ASSERT_TRUE(o.exited) << o.describe();
    EXPECT_EQ(o.code, 0) << o.describe();
    EXPECT_NE(o.out.find("prediction=none confidence=0\nnumber=none confidence=0.0000 canvas="),
              std::string::npos)
        << o.describe();
  }
}

TEST(DrawInputs, AScaleThatIsNotAFiniteNumberIsAUsageError) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built";
  headless();
  for (const char* scale : {"nan", "inf", "-inf"}) {
    const Outcome o = run(command(kDraw, std::string("--scale ") + scale), "draw-scale");
    ASSERT_TRUE(o.exited) << o.describe();
    EXPECT_EQ(o.code, 2) << scale << o.describe();
    EXPECT_NE(o.err.find("--scale"), std::string::npos) << o.describe();
  }
}

}  // namespace
}  // namespace digits
