// Bad data files, tested on the real programs: every kind gets a one-line message naming the file
// (and line and column) with exit code 2, from digit-train and digit-predict alike (dealt to them
// in turn); --data that is not a regular file is refused before a byte is read; the files other
// tools leave behind (CRLF, a BOM, no final newline) are read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <regex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::expect_clean_error;
using testing::file_with;
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

// Both programs read data through the library's loader (load_data), which the data tests meet
// with every kind of bad file, so each kind goes to one program, dealt in turn (the suite starts 17
// programs, not 33); a kind only training refuses (a test-format file) always goes to digit-train.
class DataRefuses : public ::testing::TestWithParam<std::pair<size_t, BadInput>> {};

void refused_by_train(const BadInput& bad) {
  TempDir dir;
  const std::string path = bad.make(dir.path());
  const Outcome o = run(tiny_run_on(path, dir.file("ck")), dir.file("log"));
  std::vector<std::string> needles = bad.needles;
  needles.push_back(path);
  expect_clean_error(o, needles);
  EXPECT_FALSE(fs::exists(dir.file("ck/last.pt")));
}

void refused_by_predict(const BadInput& bad) {
  TempDir dir;
  const std::string path = bad.make(dir.path());
  write_file(dir.file("model.pt"), good_checkpoint_bytes(dir.path()));
  const Outcome o = run(command(kPredict, "--threads 1 --quiet",
                                {"--checkpoint", dir.file("model.pt"), "--csv", path, "--out",
                                 dir.file("submission.csv")}),
                        dir.file("log"));
  std::vector<std::string> needles = bad.needles;
  needles.push_back(path);
  expect_clean_error(o, needles, "digit-predict");
  EXPECT_FALSE(fs::exists(dir.file("submission.csv"))) << "wrote a submission from bad input";
}

TEST_P(DataRefuses, WithOneLineNamingItInTheProgramWhoseTurnItIs) {
  const auto& [turn, bad] = GetParam();
  if (turn % 2 == 0 || bad.training_only) {
    refused_by_train(bad);
  } else {
    refused_by_predict(bad);
  }
}

std::vector<std::pair<size_t, BadInput>> dealt_bad_inputs() {
  std::vector<std::pair<size_t, BadInput>> dealt;
  for (const BadInput& b : bad_inputs()) dealt.emplace_back(dealt.size(), b);
  return dealt;
}

INSTANTIATE_TEST_SUITE_P(BadInput, DataRefuses, ::testing::ValuesIn(dealt_bad_inputs()),
                         [](const auto& info) {
                           const BadInput& bad = info.param.second;
                           std::string n = bad.name;
                           for (char& c : n)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           const bool train = info.param.first % 2 == 0 || bad.training_only;
                           return n + (train ? "_train" : "_predict");
                         });

// Data that is not a file: standard input ("-"), a pipe (what a shell's <(zcat ...) gives), a FIFO,
// a device. A data file is read twice (its first bytes tell its kind), so each is refused before
// a byte is read, naming the path, by every program that reads data; never a hang, never an
// error blamed on "line 1" of what came after the first bytes.
struct NotAFile {
  std::string name;
  // The --data argument, made under `dir`; `keep` holds what must stay open meanwhile.
  std::function<std::string(const std::string& dir, std::vector<int>& keep)> make;
  std::string needle;
};

void PrintTo(const NotAFile& c, std::ostream* os) { *os << c.name; }

class DataThatIsNotAFile : public ::testing::TestWithParam<std::tuple<std::string, NotAFile>> {};

TEST_P(DataThatIsNotAFile, IsRefusedBeforeAByteIsReadNamingIt) {
  const auto& [program, c] = GetParam();
  TempDir dir;
  std::vector<int> keep;
  const std::string path = c.make(dir.path(), keep);
  std::vector<std::string> argv;
  if (program == kTrain) {
    argv = tiny_run_on(path, dir.file("ck"));
  } else {
    write_file(dir.file("model.pt"), good_checkpoint_bytes(dir.path()));
    argv = command(kPredict, "--threads 1 --quiet",
                   {"--checkpoint", dir.file("model.pt"), "--data", path, "--out",
                    dir.file("submission.csv")});
  }
  testing::Child child(argv, dir.file("log"));
  // A program that read the stream would wait on it: give up after a minute, not ctest's ten.
  const bool said =
      child.wait_for_stderr(std::regex(": (is a|standard input)"), std::chrono::seconds(60));
  const Outcome o = said ? child.wait() : Outcome{};
  for (const int fd : keep) ::close(fd);
  ASSERT_TRUE(said) << "no refusal within a minute";
  expect_clean_error(o, {path + ": ", c.needle}, fs::path(program).filename().string());
  EXPECT_FALSE(fs::exists(dir.file("ck/last.pt")));
  EXPECT_FALSE(fs::exists(dir.file("submission.csv")));
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, DataThatIsNotAFile,
    ::testing::Combine(::testing::Values(kTrain, kPredict),
                       ::testing::Values(NotAFile{"standard_input",
                                                  [](const std::string&, std::vector<int>&) {
                                                    return "-";
                                                  },
                                                  "standard input is not read as data"},
                                         NotAFile{"pipe",
                                                  [](const std::string&, std::vector<int>& keep) {
                                                    int fds[2];
                                                    EXPECT_EQ(::pipe(fds),
                                                              0);  // inherited by the program, as
                                                                   // <(...) is
                                                    const std::string header =
                                                        kaggle_header(true) + "\n";
                                                    EXPECT_EQ(::write(fds[1], header.data(), 64),
                                                              static_cast<ssize_t>(64));
                                                    keep = {fds[0], fds[1]};
                                                    return "/dev/fd/" + std::to_string(fds[0]);
                                                  },
                                                  "is a pipe or FIFO, not a regular file"},
                                         NotAFile{"fifo",
                                                  [](const std::string& d, std::vector<int>&) {
                                                    ::mkfifo((d + "/data.csv").c_str(), 0644);
                                                    return d + "/data.csv";
                                                  },
                                                  "is a pipe or FIFO, not a regular file"},
                                         NotAFile{"device",
                                                  [](const std::string&, std::vector<int>&) {
                                                    return "/dev/null";
                                                  },
                                                  "is a device, not a regular file"})),
    [](const auto& info) {
      return fs::path(std::get<0>(info.param)).filename().string().substr(6) + "_" +
             std::get<1>(info.param).name;
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

}  // namespace
}  // namespace digits
