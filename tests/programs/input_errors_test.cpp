// Bad input, tested on the real programs: every kind of bad data file gets a one-line message
// naming the file (and line and column) with exit code 2, from digit-train and digit-predict
// alike, while the files other tools leave behind (CRLF, a BOM, no final newline) are read; bad
// command lines and option values are exit 2 naming the option, with the usage line; out of memory
// is exit 1 with one line naming what was being done.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <random>
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
using testing::good_checkpoint_bytes;
using testing::kaggle_header;
using testing::kaggle_row;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::sample_csv;
using testing::TempDir;
using testing::tiny_run;
using testing::tiny_run_on;
using testing::write_file;

// ---------------------------------------------------------------------------------------------
// Bad input files

struct BadInput {
  std::string name;
  // Writes the bad file under `dir` and returns the path to give to --data.
  std::function<std::string(const std::string& dir)> make;
  std::vector<std::string> needles;  // besides the path
  bool training_only = false;        // fine for programs that also read the test format
};

// Test names in ctest show the case's name, not the parameter's bytes.
void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

std::string row_with(const std::string& field, int column) {
  // A train row with field number `column` (1-based; 1 is the label) replaced.
  std::vector<std::string> fields = {"3"};
  for (int i = 0; i < kPixels; ++i) fields.push_back("0");
  fields[column - 1] = field;
  std::string r;
  for (const auto& f : fields) r += (r.empty() ? "" : ",") + f;
  return r;
}

std::string file_with(const std::string& dir, const std::string& name, const std::string& text) {
  write_file(dir + "/" + name, text);
  return dir + "/" + name;
}

// The row is on line 3: line 2 is good, so the line number cannot be right by accident.
std::string bad_row_file(const std::string& dir, const std::string& row) {
  return file_with(dir, "bad.csv",
                   kaggle_header(true) + "\n" + kaggle_row(1, 0) + "\n" + row + "\n");
}

std::vector<BadInput> bad_inputs() {
  return {
      {"missing_file", [](const std::string& d) { return d + "/no-such.csv"; }, {"no such file"}},
      {"directory",
       [](const std::string& d) {
         fs::create_directory(d + "/folder.csv");
         return d + "/folder.csv";
       },
       {"is a directory"}},
      {"empty_file", [](const std::string& d) { return file_with(d, "empty.csv", ""); }, {"empty"}},
      {"header_only",
       [](const std::string& d) { return file_with(d, "h.csv", kaggle_header(true) + "\n"); },
       {"no rows"}},
      {"foreign_header",
       [](const std::string& d) { return file_with(d, "f.csv", "id,name,value\n1,a,2\n"); },
       {":1:", "header", "id,name,value"}},
      {"row_of_784_fields",
       [](const std::string& d) {
         std::string row = kaggle_row(1, 0);
         return bad_row_file(d, row.substr(0, row.rfind(',')));
       },
       {":3:", "784 fields, expected 785"}},
      {"row_of_786_fields",
       [](const std::string& d) { return bad_row_file(d, kaggle_row(1, 0) + ",0"); },
       {":3:", "786 fields, expected 785"}},
      {"field_12a",
       [](const std::string& d) { return bad_row_file(d, row_with("12a", 7)); },
       {":3:", "column 7", "pixel5", "12a"}},
      {"field_1.5",
       [](const std::string& d) { return bad_row_file(d, row_with("1.5", 7)); },
       {":3:", "column 7", "pixel5", "1.5"}},
      {"empty_field",
       [](const std::string& d) { return bad_row_file(d, row_with("", 7)); },
       {":3:", "column 7", "pixel5"}},
      {"pixel_256",
       [](const std::string& d) { return bad_row_file(d, row_with("256", 100)); },
       {":3:", "column 100", "pixel98", "256"}},
      {"pixel_-1",
       [](const std::string& d) { return bad_row_file(d, row_with("-1", 100)); },
       {":3:", "column 100", "pixel98", "-1"}},
      {"label_10",
       [](const std::string& d) { return bad_row_file(d, row_with("10", 1)); },
       {":3:", "column 1", "label", "10"}},
      {"label_-1",
       [](const std::string& d) { return bad_row_file(d, row_with("-1", 1)); },
       {":3:", "column 1", "label", "-1"}},
      {"test_format_for_training",
       [](const std::string& d) {
         return file_with(
             d, "test.csv",
             kaggle_header(false) + "\n" + kaggle_row(-1, 0) + "\n" + kaggle_row(-1, 0) + "\n");
       },
       {"test format"},
       true},
      {"line_of_10_MB",
       [](const std::string& d) {
         std::string line;
         line.reserve(10u << 20);
         while (line.size() < (10u << 20)) line += "0,";
         line += "0";
         return file_with(d, "long.csv", kaggle_header(true) + "\n" + line + "\n");
       },
       {":2:"}},
      {"random_bytes",
       [](const std::string& d) {
         std::mt19937 rng(7);
         std::string bytes(64 << 10, '\0');
         for (char& c : bytes) c = static_cast<char>(rng());
         return file_with(d, "random.csv", bytes);
       },
       {}},
      {"truncated_gzip",
       [](const std::string& d) {
         const std::string gz = read_file(testing::mnist_sample_path());
         return file_with(d, "cut.csv.gz", gz.substr(0, gz.size() / 2));
       },
       {"truncated"}},
  };
}

class TrainRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(TrainRejects, WithOneLineNamingTheFileAndExitCode2) {
  TempDir dir;
  const std::string path = GetParam().make(dir.path());
  const Outcome o = run(tiny_run_on(path, dir.file("ck")), dir.file("log"));
  std::vector<std::string> needles = GetParam().needles;
  needles.push_back(path);
  expect_clean_error(o, needles);
  EXPECT_FALSE(fs::exists(dir.file("ck/last.pt")));
}

INSTANTIATE_TEST_SUITE_P(BadInput, TrainRejects, ::testing::ValuesIn(bad_inputs()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

// What Kaggle files look like after a trip through other tools: all of it is accepted.
TEST(TrainAccepts, CrlfBomMissingFinalNewlineAndTrailingEmptyLine) {
  TempDir dir;
  const std::string plain = sample_csv(24);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"crlf.csv", sample_csv(24, "\r\n")},
      {"bom.csv", "\xEF\xBB\xBF" + plain},
      {"no_final_newline.csv", plain.substr(0, plain.size() - 1)},
      {"trailing_empty_line.csv", plain + "\n"},
  };
  for (const auto& [name, text] : files) {
    const std::string path = file_with(dir.path(), name, text);
    const Outcome o = run(tiny_run_on(path, dir.file("ck-" + name)), dir.file("log"));
    EXPECT_TRUE(o.exited && o.code == 0) << name << ": " << o.describe();
    EXPECT_NE(o.err.find("loaded 24 rows"), std::string::npos) << name << ": " << o.describe();
    EXPECT_NE(o.out.find("epoch=1 "), std::string::npos) << name << ": " << o.describe();
  }
}

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

// digit-predict reads the same files (either format) and gets the same answers.
class PredictRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(PredictRejects, WithOneLineNamingTheFileAndExitCode2) {
  if (GetParam().training_only) GTEST_SKIP() << "digit-predict reads both formats";
  TempDir dir;
  const std::string path = GetParam().make(dir.path());
  write_file(dir.file("model.pt"), good_checkpoint_bytes(dir.path()));
  const Outcome o = run(command(kPredict, "--threads 1 --quiet",
                                {"--checkpoint", dir.file("model.pt"), "--csv", path, "--out",
                                 dir.file("submission.csv")}),
                        dir.file("log"));
  std::vector<std::string> needles = GetParam().needles;
  needles.push_back(path);
  expect_clean_error(o, needles, "digit-predict");
  EXPECT_FALSE(fs::exists(dir.file("submission.csv"))) << "wrote a submission from bad input";
}

INSTANTIATE_TEST_SUITE_P(BadInput, PredictRejects, ::testing::ValuesIn(bad_inputs()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n) {
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return n;
                         });

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

// ---------------------------------------------------------------------------------------------
// More than the machine has

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

}  // namespace
}  // namespace digits
