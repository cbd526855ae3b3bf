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

// The app's inputs, read with the tiny model the program tests share (program_inputs()).
class DrawInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built";
    ::setenv("SDL_VIDEODRIVER", "dummy", 1);
    ::setenv("SDL_AUDIODRIVER", "dummy", 1);
    write_file(dir_.file("one.replay"), "down 0.5 0.2\nmove 0.5 0.8\nup\n");
  }
  static std::string model() { return testing::program_inputs().checkpoint; }
  // The app with the model, `replay` and `rest`, until the replay ends.
  Outcome draw(const std::string& flags, const std::string& replay,
               const std::vector<std::string>& rest) {
    std::vector<std::string> args = {"--checkpoint", model(), "--replay", replay};
    args.insert(args.end(), rest.begin(), rest.end());
    return run(command(kDraw, "--exit-after-replay --threads 1 " + flags, args), dir_.file("draw"));
  }

  TempDir dir_;
};

TEST_F(DrawInputs, AScreenshotNamedLikeAnInputIsRefusedAndTheInputKept) {
  write_file(dir_.file("teach.csv"), testing::kaggle_header(true) + "\n");
  const std::string model_bytes = testing::read_file(model());
  for (const std::string& input :
       {model(), dir_.file("one.replay"), dir_.file("teach.csv"), dir_.path() + "/./one.replay"}) {
    const std::string before = testing::read_file(fs::path(input).lexically_normal().string());
    const Outcome o = draw("", dir_.file("one.replay"),
                           {"--teach-file", dir_.file("teach.csv"), "--screenshot", input});
    testing::expect_clean_error(o, {"--screenshot"}, "digit-draw");
    EXPECT_EQ(testing::read_file(fs::path(input).lexically_normal().string()), before) << input;
  }
  EXPECT_EQ(testing::read_file(model()), model_bytes);
}

// The teach file is the app's other output: a screenshot named like it is refused even before
// either exists, however it is spelt.
TEST_F(DrawInputs, AScreenshotNamedLikeTheTeachFileIsRefusedBeforeEitherExists) {
  const Outcome o =
      draw("", dir_.file("one.replay"),
           {"--teach-file", dir_.file("teach.csv"), "--screenshot", dir_.path() + "/./teach.csv"});
  testing::expect_clean_error(o, {"--screenshot", "--teach-file"}, "digit-draw");
  EXPECT_FALSE(fs::exists(dir_.file("teach.csv")));
}

TEST_F(DrawInputs, AReplayWithoutEventsEndsAtOnce) {
  for (const std::string& script : {std::string(""), std::string("# only a comment\n\n")}) {
    write_file(dir_.file("empty.replay"), script);
    const Outcome o = draw("--print-prediction", dir_.file("empty.replay"),
                           {"--teach-file", dir_.file("teach.csv")});
    ASSERT_TRUE(o.exited) << o.describe();
    EXPECT_EQ(o.code, 0) << o.describe();
    EXPECT_NE(o.out.find("prediction=none confidence=0\nnumber=none confidence=0.0000 canvas="),
              std::string::npos)
        << o.describe();
  }
}

TEST_F(DrawInputs, AScaleThatIsNotAFiniteNumberIsAUsageError) {
  for (const char* scale : {"nan", "inf", "-inf"}) {
    const Outcome o = run(command(kDraw, std::string("--scale ") + scale), dir_.file("draw"));
    ASSERT_TRUE(o.exited) << o.describe();
    EXPECT_EQ(o.code, 2) << scale << o.describe();
    EXPECT_NE(o.err.find("--scale"), std::string::npos) << o.describe();
  }
}

}  // namespace
}  // namespace digits
