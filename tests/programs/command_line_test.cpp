// Bad command lines and option values, tested on the real programs: exit 2 naming the option, with
// the usage line; names that could be stored as something else are refused; a seed digit-train
// takes means the same rows to digit-predict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::expect_clean_error;
using testing::expect_exit;
using testing::file_with;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::sample_csv;
using testing::TempDir;
using testing::tiny_run;
using testing::tiny_run_on;

// ---------------------------------------------------------------------------------------------
// Bad command lines

TEST(TrainCommandLine, UnknownOptionGivesMessageAndUsageLine) {
  TempDir dir;
  const Outcome o = run({kTrain, "--no-such-option"}, dir.file("log"));
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--no-such-option"), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find("usage: digit-train"), std::string::npos) << o.describe();
  EXPECT_TRUE(o.out.empty()) << o.describe();
}

TEST(TrainCommandLine, MissingOptionValueGivesMessageAndUsageLine) {
  TempDir dir;
  for (const char* option : {"--epochs", "--data", "--checkpoint-dir", "--resume"}) {
    const Outcome o = run({kTrain, option}, dir.file("log"));
    ASSERT_TRUE(o.exited) << option << ": " << o.describe();
    EXPECT_EQ(o.code, 2) << option << ": " << o.describe();
    EXPECT_NE(o.err.find(option), std::string::npos) << option << ": " << o.describe();
    EXPECT_NE(o.err.find("usage: digit-train"), std::string::npos) << o.describe();
  }
}

TEST(TrainCommandLine, MalformedOptionValueGivesMessageAndUsageLine) {
  TempDir dir;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--epochs", "abc"}, {"--epochs", "-3"}, {"--lr", "1e"}, {"--optimizer", "rmsprop"}}) {
    const Outcome o = run({kTrain, args[0], args[1]}, dir.file("log"));
    ASSERT_TRUE(o.exited) << args[0] << " " << args[1] << ": " << o.describe();
    EXPECT_EQ(o.code, 2) << args[0] << " " << args[1] << ": " << o.describe();
    EXPECT_NE(o.err.find(args[0]), std::string::npos) << o.describe();
    EXPECT_NE(o.err.find("usage: digit-train"), std::string::npos) << o.describe();
  }
}

TEST(PredictCommandLine, UnknownOptionAndMissingValueGiveMessageAndUsageLine) {
  TempDir dir;
  // Arguments, and the option the message must name (--csv is another name of --data).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--csv x.csv --no-such-option", "--no-such-option"},
      {"--csv", "--data"},
      {"--checkpoint m.pt --csv", "--data"},
      {"--csv x.csv --checkpoint", "--checkpoint"},
      {"--csv x.csv --batch-size x", "--batch-size"},
  };
  for (const auto& [args, option] : cases) {
    const Outcome o = run(command(kPredict, args), dir.file("log"));
    ASSERT_TRUE(o.exited) << args << ": " << o.describe();
    EXPECT_EQ(o.code, 2) << args << ": " << o.describe();
    EXPECT_NE(o.err.find(option), std::string::npos) << args << ": " << o.describe();
    EXPECT_NE(o.err.find("usage: digit-predict"), std::string::npos) << o.describe();
  }
}

// ---------------------------------------------------------------------------------------------
// Bad option values: every value is checked where it enters (checkpoints: EditedMetadata in
// checkpoint_corruption_test.cpp)

class BadValue : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(BadValue, OnTheCommandLineIsExit2NamingTheOption) {
  TempDir dir;
  const auto& [option, value] = GetParam();
  auto argv = tiny_run(dir.file("ck"));
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

// A name a user gives is stored in a checkpoint's metadata (key=value lines) only if it can never
// be read back as something else: a data file whose name holds a line break, a carriage return
// or a tab is refused before training, naming the option, with the name shown escaped on one
// line. The writer refuses such metadata too, whoever builds it.
TEST(StoredNames, ANameHoldingAControlCharacterIsRefusedNeverStoredAsAnotherKey) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> names = {
      {"d\nmodel.width=5", "d\\nmodel.width=5"},
      {"d\rx.csv", "d\\rx.csv"},
      {"d\tx.csv", "d\\tx.csv"}};
  for (const auto& [name, shown] : names) {
    const std::string path = file_with(dir.path(), name, sample_csv(24));
    const Outcome o = run(tiny_run_on(path, dir.file("ck")), dir.file("log"));
    expect_clean_error(o, {"--data", shown, "control character"});
    EXPECT_FALSE(fs::exists(dir.file("ck/last.pt"))) << shown;
  }

  Checkpoint c;
  c.model = {Arch::kBnCnn, 4, 0.1};
  c.net = make_model(c.model).value();
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"data.0", "d\nmodel.width=5"}, {"data.0", "d\rx"}, {"lr=0.1\nseed", "1"}}) {
    c.train_options = {{key, value}};
    const Status st = save_checkpoint(dir.file("made.pt"), c);
    EXPECT_FALSE(st) << "stored " << key << "=" << value;
    EXPECT_FALSE(fs::exists(dir.file("made.pt")));
  }
}

// A seed digit-train takes means the same to digit-predict: the rows --holdout-seed S scores are
// those a run with --seed S held out, over digit-train's whole range (0 to 2^64 - 1), and a
// value digit-train refuses is refused in the same words.
TEST(Seeds, EverySeedDigitTrainTakesMeansTheSameRowsToDigitPredict) {
  TempDir dir;
  const std::string top = "18446744073709551615";  // 2^64 - 1
  const std::string data = testing::mnist_sample_path();
  const Outcome trained =
      run(command(kTrain, "--limit 300 --epochs 1 --width 4 --batch-size 16 --threads 1 --quiet",
                  {"--seed", top, "--data", data, "--checkpoint-dir", dir.file("ck")}),
          dir.file("train"));
  expect_exit(trained, 0, {});
  const std::vector<std::string> predict = {
      kPredict, "--threads", "1", "--quiet", "--checkpoint", dir.file("ck/last.pt"),
      "--data", data};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> argv = predict;
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };
  expect_exit(run(with({"--holdout", "--out", dir.file("holdout.csv")}), dir.file("a")), 0, {});
  expect_exit(run(with({"--holdout-seed", top, "--val-fraction", "0.1", "--limit", "300", "--out",
                        dir.file("seed.csv")}),
                  dir.file("b")),
              0, {});
  const std::string rows = read_file(dir.file("holdout.csv"));
  EXPECT_GT(std::count(rows.begin(), rows.end(), '\n'), 10) << rows;
  EXPECT_EQ(read_file(dir.file("seed.csv")), rows)
      << "--holdout-seed " << top << " scored other rows";

  // Beyond the range, or not a seed: refused by both, in the same words after the option's name.
  auto message = [](const Outcome& o, const std::string& option) {
    const size_t at = o.err.find(option + ": ");
    return at == std::string::npos ? "(no " + option + " message)"
                                   : o.err.substr(at + option.size() + 2,
                                                  o.err.find('\n', at) - at - option.size() - 2);
  };
  for (const std::string bad : {"18446744073709551616", "-1", "1.5"}) {
    const Outcome train =
        run(command(kTrain, "--quiet",
                    {"--seed", bad, "--data", data, "--checkpoint-dir", dir.file("x")}),
            dir.file("bad-train"));
    const Outcome scored =
        run(with({"--holdout-seed", bad, "--out", dir.file("bad.csv")}), dir.file("bad-predict"));
    expect_exit(train, 2, {"--seed"});
    expect_exit(scored, 2, {"--holdout-seed"});
    EXPECT_EQ(message(scored, "--holdout-seed"), message(train, "--seed")) << bad;
    EXPECT_FALSE(fs::exists(dir.file("bad.csv")));
  }
  EXPECT_NE(
      run(with({"--holdout-seed", "18446744073709551616"}), dir.file("c")).err.find("out of range"),
      std::string::npos);
}

}  // namespace
}  // namespace digits
