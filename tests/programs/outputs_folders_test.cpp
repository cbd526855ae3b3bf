// Outputs, on the real programs: nothing a user has is ever lost. An output never replaces an
// input (the same file under any name) or anything that is not a regular file, nor another
// output; a save that cannot be written (full disk, read-only folder, no folder) stops the run
// with an error and leaves the previous checkpoint intact (run folders: run_folder_test.cpp). (A
// diverged run: train/trainer_test.cpp, Trainer.ADivergedRunStopsAndKeepsTheLastGoodCheckpoint.)
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::ChildOptions;
using testing::command;
using testing::expect_exit;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::program_inputs;
using testing::ProgramInputs;
using testing::read_file;
using testing::run;
using testing::sample_csv;
using testing::TempDir;
using testing::tiny_run_on;
using testing::TinyRun;
using testing::write_file;

// ---------------------------------------------------------------------------------------------
// Outputs never destroy inputs

struct OutputCase {
  std::string name;
  std::string option;  // --out or --probabilities
  // Makes the output path in `dir` (a link to an input, a FIFO, ...).
  std::function<std::string(const std::string& dir, const ProgramInputs& in)> make;
};

void PrintTo(const OutputCase& c, std::ostream* os) { *os << c.name; }

class PredictOutput : public ::testing::TestWithParam<OutputCase> {};

TEST_P(PredictOutput, ThatWouldDestroySomethingIsRefusedAndNothingChanges) {
  ProgramInputs& in = program_inputs();
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
    ::testing::Values(
        OutputCase{"out_is_the_csv", "--out",
                   [](const std::string&, const ProgramInputs& in) { return in.csv; }},
        OutputCase{"probabilities_is_the_csv", "--probabilities",
                   [](const std::string&, const ProgramInputs& in) { return in.csv; }},
        OutputCase{"out_is_the_checkpoint", "--out",
                   [](const std::string&, const ProgramInputs& in) { return in.checkpoint; }},
        OutputCase{"out_is_a_symlink_to_the_csv", "--out",
                   [](const std::string& d, const ProgramInputs& in) {
                     fs::create_symlink(in.csv, d + "/link.csv");
                     return d + "/link.csv";
                   }},
        OutputCase{"out_is_a_hard_link_to_the_csv", "--out",
                   [](const std::string& d, const ProgramInputs& in) {
                     fs::create_hard_link(in.csv, d + "/hard.csv");
                     return d + "/hard.csv";
                   }},
        OutputCase{"out_is_a_fifo", "--out",
                   [](const std::string& d, const ProgramInputs&) {
                     ::mkfifo((d + "/fifo").c_str(), 0644);
                     return d + "/fifo";
                   }},
        OutputCase{"out_is_a_folder", "--out",
                   [](const std::string& d, const ProgramInputs&) { return d; }}),
    [](const auto& info) { return info.param.name; });

TEST(PredictOutput, ASymlinkIsFollowedNotReplacedAndDashIsStdout) {
  ProgramInputs& in = program_inputs();
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

// An output named "" (a script's unset variable) is a usage error naming the option, never "not
// given": nothing is written, not even a default file in the working folder.
struct EmptyOutput {
  std::string name;
  std::string program;  // kPredict, kExport, kTrain or kDraw
  std::string option;   // given as ""
  // The rest of a command that would run and write without the empty output.
  std::function<std::vector<std::string>(const ProgramInputs& in, const std::string& dir)> rest;
};

void PrintTo(const EmptyOutput& c, std::ostream* os) { *os << c.name; }

std::vector<std::string> predict_rest(const ProgramInputs& in, const std::string&) {
  return {"--threads", "1", "--quiet", "--checkpoint", in.checkpoint, "--csv", in.csv};
}

std::vector<std::string> export_rest(const ProgramInputs& in, const std::string&) {
  return {"--checkpoint", in.checkpoint};
}

std::vector<std::string> train_rest(const std::string& dir, bool with_folder) {
  std::vector<std::string> args =
      command(kTrain, "--limit 50 --epochs 1 --width 4 --threads 1 --quiet",
              {"--data", testing::mnist_sample_path()});
  args.erase(args.begin());  // the program
  if (with_folder) args.insert(args.end(), {"--checkpoint-dir", dir + "/ck"});
  return args;
}

std::vector<std::string> draw_rest(const ProgramInputs& in, const std::string& dir) {
  write_file(dir + "/stroke.replay", "down 0.5 0.2\nmove 0.5 0.8\nup\nwait 50\n");
  return {"--threads",   "1",        "--exit-after-replay", "--checkpoint",
          in.checkpoint, "--replay", dir + "/stroke.replay"};
}

class EmptyOutputName : public ::testing::TestWithParam<EmptyOutput> {};

TEST_P(EmptyOutputName, IsAUsageErrorNamingTheOptionAndNothingIsWritten) {
  const EmptyOutput& c = GetParam();
  if (c.program == testing::kDraw && !fs::exists(testing::kDraw)) {
    GTEST_SKIP() << "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)";
  }
  ProgramInputs& in = program_inputs();
  TempDir dir;
  fs::create_directories(dir.file("cwd"));
  std::vector<std::string> argv = {c.program};
  for (const auto& a : c.rest(in, dir.path())) argv.push_back(a);
  argv.insert(argv.end(), {c.option, ""});
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
  ChildOptions where;
  where.working_dir = dir.file("cwd");
  const Outcome o = run(argv, dir.file("log"), where);
  expect_exit(o, 2, {c.option});
  EXPECT_TRUE(fs::is_empty(dir.file("cwd"))) << "wrote into the working folder";
  EXPECT_FALSE(fs::exists(dir.file("ck"))) << "made the checkpoint folder";
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, EmptyOutputName,
    ::testing::Values(
        EmptyOutput{"predict_out", kPredict, "--out", predict_rest},
        EmptyOutput{"predict_probabilities", kPredict, "--probabilities", predict_rest},
        EmptyOutput{"predict_misread_png", kPredict, "--misread-png", predict_rest},
        EmptyOutput{"predict_confusion_png", kPredict, "--confusion-png", predict_rest},
        EmptyOutput{"export_onnx", testing::kExport, "--onnx", export_rest},
        EmptyOutput{"export_ensemble", testing::kExport, "--ensemble", export_rest},
        EmptyOutput{
            "train_checkpoint_dir", kTrain, "--checkpoint-dir",
            [](const ProgramInputs&, const std::string& d) { return train_rest(d, false); }},
        EmptyOutput{"train_tensorboard", kTrain, "--tensorboard",
                    [](const ProgramInputs&, const std::string& d) { return train_rest(d, true); }},
        EmptyOutput{"draw_screenshot", testing::kDraw, "--screenshot", draw_rest},
        EmptyOutput{"draw_teach_file", testing::kDraw, "--teach-file", draw_rest}),
    [](const auto& info) { return info.param.name; });

// digit-export's two outputs are compared as files, not as spellings: `--ensemble ./x`, or a link
// to `--onnx x` whose file does not exist yet, is refused before anything is written.
TEST(ExportOutput, TwoOutputsNamingOneFileAreRefusedAndNothingIsWritten) {
  ProgramInputs& in = program_inputs();
  TempDir dir;
  fs::create_symlink(dir.file("x.model"), dir.file("link.model"));
  for (const std::string& second : {dir.path() + "/./x.model", dir.file("link.model")}) {
    const Outcome o = run(command(testing::kExport, "",
                                  {"--checkpoint", in.checkpoint, "--onnx", dir.file("x.model"),
                                   "--ensemble", second}),
                          dir.file("log"));
    testing::expect_clean_error(o, {"--ensemble", "is also --onnx"}, "digit-export");
    EXPECT_FALSE(fs::exists(dir.file("x.model"))) << second;
  }
}

// ---------------------------------------------------------------------------------------------
// Saves that cannot be written

// The tiny run for three epochs into `ck`: it saves several times a second.
TinyRun three_epochs(const std::string& ck) {
  TinyRun r{ck};
  r.epochs = 3;
  return r;
}

// Trains one epoch into CK and returns last.pt's bytes.
std::string first_epoch(const std::string& ck, const std::string& log) {
  std::vector<std::string> argv = three_epochs(ck).argv();
  argv.insert(argv.end(), {"--stop-after", "1"});
  const Outcome o = run(argv, log);
  EXPECT_TRUE(o.exited && o.code == 0) << o.describe();
  return read_file(ck + "/last.pt");
}

void expect_stopped_with_previous_checkpoint(const Outcome& o, const std::string& ck,
                                             const std::string& before) {
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_NE(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find("digit-train: "), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find(ck), std::string::npos) << "the message must name the file\n"
                                               << o.describe();
  EXPECT_EQ(o.out.find("epoch=3"), std::string::npos) << "went on without saving\n" << o.describe();
  EXPECT_EQ(read_file(ck + "/last.pt"), before) << "the previous checkpoint changed";
  auto loaded = load_checkpoint(ck + "/last.pt");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->progress.epoch, 1);
}

TEST(UnwritableCheckpoints, FullDiskStopsTheRunAndKeepsThePreviousCheckpoint) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  const std::string before = first_epoch(ck, dir.file("log1"));
  ASSERT_FALSE(before.empty());

  // A file-size limit below a checkpoint's size: every save fails as on a full disk (EFBIG).
  std::vector<std::string> argv = three_epochs(ck).argv();
  argv.insert(argv.end(), {"--resume", ck + "/last.pt"});
  ChildOptions limited;
  limited.max_file_bytes = 4096;
  const Outcome o = run(argv, dir.file("log2"), limited);
  expect_stopped_with_previous_checkpoint(o, ck, before);
  EXPECT_NE(o.err.find("File too large"), std::string::npos) << o.describe();
}

// A file-size limit (ulimit -f) as a shell leaves it: SIGXFSZ kills by default, so each program
// ignores it and its write fails with EFBIG instead. Every program then ends with one line naming
// the file and exit 1, and no NAME.tmp.PID is left beside it.
struct LimitedWrite {
  std::string name;
  std::string program;
  // The command, writing more than the limit into `dir`.
  std::function<std::vector<std::string>(const ProgramInputs& in, const std::string& dir)> argv;
};

void PrintTo(const LimitedWrite& c, std::ostream* os) { *os << c.name; }

class FileSizeLimit : public ::testing::TestWithParam<LimitedWrite> {};

TEST_P(FileSizeLimit, EndsWithOneLineAndExit1AndLeavesNoTemporary) {
  const LimitedWrite& c = GetParam();
  if (c.program == testing::kDraw && !fs::exists(testing::kDraw)) {
    GTEST_SKIP() << "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)";
  }
  ProgramInputs& in = program_inputs();
  TempDir dir;
  fs::create_directories(dir.file("out"));
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
  ChildOptions limited;
  limited.max_file_bytes = 4096;
  const Outcome o = run(c.argv(in, dir.file("out")), dir.file("log"), limited);
  ASSERT_TRUE(o.exited) << "killed by signal " << o.code << " (" << ::strsignal(o.code) << ")\n"
                        << o.describe();
  EXPECT_EQ(o.code, 1) << o.describe();
  ASSERT_FALSE(o.err.empty()) << o.describe();
  const std::string program = fs::path(c.program).filename().string() + ": ";
  const size_t last = o.err.rfind('\n', o.err.size() - 2) + 1;  // 0 when there is one line
  // The error is the last line, said once ("digit-draw: loaded ..." may come before it).
  EXPECT_EQ(o.err.compare(last, program.size(), program), 0) << o.describe();
  EXPECT_NE(o.err.find("File too large", last), std::string::npos) << o.describe();
  EXPECT_EQ(o.err.find("File too large"), o.err.find("File too large", last)) << o.describe();
  EXPECT_NE(o.err.find(dir.file("out/"), last), std::string::npos) << o.describe();
  for (const auto& e : fs::recursive_directory_iterator(dir.file("out"))) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "left " << e.path();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, FileSizeLimit,
    ::testing::Values(
        LimitedWrite{
            "train_checkpoint", kTrain,
            [](const ProgramInputs&, const std::string& d) { return TinyRun{d + "/ck"}.argv(); }},
        LimitedWrite{"predict_probabilities", kPredict,
                     [](const ProgramInputs& in, const std::string& d) {
                       std::string rows = testing::kaggle_header(false) + "\n";
                       for (int r = 0; r < 100; ++r) rows += testing::kaggle_row(-1, r) + "\n";
                       write_file(d + "/../test.csv", rows);
                       return command(
                           kPredict, "--threads 1 --quiet",
                           {"--checkpoint", in.checkpoint, "--data", d + "/../test.csv", "--out",
                            d + "/submission.csv", "--probabilities", d + "/probabilities.csv"});
                     }},
        LimitedWrite{"export_ensemble", testing::kExport,
                     [](const ProgramInputs& in, const std::string& d) {
                       return command(
                           testing::kExport, "",
                           {"--checkpoint", in.checkpoint, "--ensemble", d + "/model.pt"});
                     }},
        LimitedWrite{"draw_screenshot", testing::kDraw,
                     [](const ProgramInputs& in, const std::string& d) {
                       write_file(d + "/../stroke.replay",
                                  "down 0.5 0.2\nmove 0.5 0.8\nup\nwait 50\n");
                       return command(testing::kDraw, "--threads 1 --exit-after-replay",
                                      {"--checkpoint", in.checkpoint, "--replay",
                                       d + "/../stroke.replay", "--screenshot", d + "/shot.png"});
                     }}),
    [](const auto& info) { return info.param.name; });

TEST(UnwritableCheckpoints, ReadOnlyFolderStopsTheRunAndKeepsThePreviousCheckpoint) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  const std::string before = first_epoch(ck, dir.file("log1"));
  ASSERT_FALSE(before.empty());
  ::chmod(ck.c_str(), 0555);
  if (::access(ck.c_str(), W_OK) == 0) {
    ::chmod(ck.c_str(), 0755);
    GTEST_SKIP() << "running as root: chmod 555 does not stop writing (the full-disk test covers "
                    "failed saves)";
  }
  std::vector<std::string> argv = three_epochs(ck).argv();
  argv.insert(argv.end(), {"--resume", ck + "/last.pt"});
  const Outcome o = run(argv, dir.file("log2"));
  ::chmod(ck.c_str(), 0755);
  expect_stopped_with_previous_checkpoint(o, ck, before);
}

TEST(UnwritableCheckpoints, FolderThatCannotBeCreatedIsAClearError) {
  TempDir dir;
  write_file(dir.file("a-file"), "not a folder\n");
  write_file(dir.file("data.csv"), sample_csv(24));
  const std::string ck = dir.file("a-file/checkpoints");
  const Outcome o = run(tiny_run_on(dir.file("data.csv"), ck), dir.file("log"));
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_NE(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find(ck), std::string::npos) << o.describe();
  EXPECT_EQ(o.out.find("epoch=1"), std::string::npos) << "trained without a place to save\n"
                                                      << o.describe();
}

}  // namespace
}  // namespace digits
