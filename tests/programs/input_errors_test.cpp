// Bad input, tested on the real programs: every kind of bad data file gets a one-line message
// naming the file (and line and column) with exit code 2, from digit-train and digit-predict
// alike, while the files other tools leave behind (CRLF, a BOM, no final newline) are read; bad
// command lines and option values are exit 2 naming the option, with the usage line; out of memory
// is exit 1 with one line naming what was being done.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "digits/train/distributed.h"
#include "pen_digits.h"
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
using testing::synthetic_unipen;
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

// ---------------------------------------------------------------------------------------------
// Messages that say what is wrong and where it came from: one line naming its source, never a
// misleading one (a BOM taken for a bad Kaggle header, a path from a checkpoint shown as if the
// user had typed it, a busy port as a timeout, an integer too large as "not an integer", "-"
// suggested where "-" is refused).

// How a case runs: its command, where, and what must stay open meanwhile; `skip` says why not.
struct MessageRun {
  std::vector<std::string> argv;
  std::string working_dir;
  std::shared_ptr<void> hold;
  std::string skip;
};

struct MessageCase {
  std::string name;
  std::function<MessageRun(const std::string& dir)> make;
  int code;                           // the exit code
  std::vector<std::string> needles;   // in stderr
  std::vector<std::string> misleads;  // never in stderr
};

void PrintTo(const MessageCase& c, std::ostream* os) { *os << c.name; }

// A TCP port another program listens on (on every address), held until the returned handle goes.
std::pair<int, std::shared_ptr<void>> busy_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = 0;
  socklen_t size = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd, 4) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) != 0) {
    if (fd >= 0) ::close(fd);
    return {-1, nullptr};
  }
  return {ntohs(a.sin_port), std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); })};
}

std::vector<MessageCase> message_cases() {
  const std::string tiny = "--limit 50 --epochs 1 --width 4 --batch-size 8 --threads 1 --quiet";
  return {
      {"unipen_with_a_byte_order_mark",
       [](const std::string& d) {
         const std::string path =
             file_with(d, "bom.tes", "\xEF\xBB\xBF" + synthetic_unipen(3, 2, 5));
         return MessageRun{
             command(kPredict, "--threads 1 --quiet",
                     {"--checkpoint", testing::program_inputs().checkpoint, "--data", path}),
             "", nullptr, ""};
       },
       0,
       {"loaded 30 rows"},
       {"header"}},
      {"data_path_read_from_a_checkpoint",
       [tiny](const std::string& d) {
         fs::create_directories(d + "/first");
         fs::create_directories(d + "/elsewhere");
         file_with(d + "/first", "d.csv", sample_csv(60));
         testing::ChildOptions in_first;
         in_first.working_dir = d + "/first";
         const Outcome trained =
             run(command(kTrain, tiny, {"--data", "d.csv", "--checkpoint-dir", d + "/ck"}),
                 d + "/train", in_first);
         EXPECT_EQ(trained.code, 0) << trained.describe();
         return MessageRun{command(kTrain, "--threads 1 --quiet", {"--resume", d + "/ck/last.pt"}),
                           d + "/elsewhere", nullptr, ""};
       },
       2,
       {"d.csv (the --data of the checkpoint's run, ", "/ck/last.pt): no such file"},
       {}},
      {"busy_port",
       [tiny](const std::string& d) {
         if (!distributed_compiled_in()) {
           return MessageRun{{}, "", nullptr, "distributed training is not compiled in"};
         }
         auto [port, hold] = busy_port();
         if (port < 0) return MessageRun{{}, "", nullptr, "no TCP port to hold"};
         return MessageRun{
             command(kTrain, tiny + " --nproc-per-node 2 --master-port " + std::to_string(port),
                     {"--data", testing::mnist_sample_path(), "--checkpoint-dir", d + "/ck"}),
             "", hold, ""};
       },
       2,
       {"is in use on this machine", "--master-port"},
       {"within --dist-timeout", "rank 1", "[W ", "socket"}},
      {"integer_out_of_range_train",
       [](const std::string& d) {
         return MessageRun{
             command(kTrain, "--epochs 99999999999999999999", {"--checkpoint-dir", d + "/ck"}), "",
             nullptr, ""};
       },
       2,
       {"--epochs", "out of range"},
       {"not an integer"}},
      {"integer_out_of_range_predict",
       [](const std::string& d) {
         return MessageRun{
             command(kPredict, "--holdout-seed 18446744073709551616", {"--data", d + "/x.csv"}), "",
             nullptr, ""};
       },
       2,
       {"--holdout-seed", "out of range"},
       {"not an integer"}},
      {"dash_for_an_onnx_model",
       [](const std::string& d) {
         return MessageRun{command(testing::kExport, "--onnx -", {"--checkpoint", d + "/m.pt"}), "",
                           nullptr, ""};
       },
       2,
       {"--onnx", "standard output"},
       {"or - for"}},
      {"fifo_for_a_png",
       [](const std::string& d) {
         ::mkfifo((d + "/fifo.png").c_str(), 0644);
         return MessageRun{
             command(kPredict, "--quiet",
                     {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                      testing::program_inputs().csv, "--misread-png", d + "/fifo.png"}),
             "", nullptr, ""};
       },
       2,
       {"--misread-png", "a FIFO", "name a regular file"},
       {"or - for"}},
      {"dash_for_data",
       [tiny](const std::string& d) {
         return MessageRun{command(kTrain, tiny, {"--data", "-", "--checkpoint-dir", d + "/ck"}),
                           "", nullptr, ""};
       },
       2,
       {"-: standard input is not read as data"},
       {"or - for", "no such file"}},
  };
}

// Runs the case: its exit code and message, no misleading words, and one error line at most.
void expect_message(const MessageCase& c) {
  TempDir dir;
  const MessageRun r = c.make(dir.path());
  if (!r.skip.empty()) GTEST_SKIP() << r.skip;
  testing::ChildOptions where;
  where.working_dir = r.working_dir;
  const Outcome o = run(r.argv, dir.file("log"), where);
  expect_exit(o, c.code, c.needles);
  for (const auto& m : c.misleads) EXPECT_EQ(o.err.find(m), std::string::npos) << m << o.describe();
  // One error line at most, from the program itself (a usage line may follow it).
  const std::string program = fs::path(r.argv[0]).filename().string() + ": ";
  size_t lines = 0;
  for (size_t at = 0; (at = o.err.find(program, at)) != std::string::npos; ++at) {
    lines += at == 0 || o.err[at - 1] == '\n';
  }
  EXPECT_LE(lines, 1u) << o.describe();
}

class ClearMessage : public ::testing::TestWithParam<MessageCase> {};

TEST_P(ClearMessage, NamesWhereTheProblemCameFromOnOneLine) { expect_message(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Messages, ClearMessage, ::testing::ValuesIn(message_cases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// What no run could have written and no command can mean is refused, naming it: a checkpoint's
// progress edited past what its run's options and data allow (by digit-train --resume and, where
// the metadata alone tells, digit-predict); an image or a model sent to standard output, where it
// would mix with what the program prints; a --world-size or --rank that the launcher sets itself.

// The tiny run's checkpoint (one epoch of 200 rows in batches of 16) with its progress edited.
std::string edited_progress(const std::string& dir, const std::function<void(RunProgress&)>& edit) {
  auto c = load_checkpoint(testing::program_inputs().checkpoint);
  EXPECT_TRUE(c) << c.error().message;
  edit(c->progress);
  const std::string path = dir + "/edited.pt";
  EXPECT_TRUE(save_checkpoint(path, *c));
  return path;
}

MessageRun resume(const std::string& checkpoint) {
  return MessageRun{command(kTrain, "--threads 1 --quiet", {"--resume", checkpoint}), "", nullptr,
                    ""};
}

MessageRun launcher(const std::string& dir, const std::string& options) {
  if (!distributed_compiled_in()) {
    return MessageRun{{}, "", nullptr, "distributed training is not compiled in"};
  }
  return MessageRun{
      command(kTrain, "--limit 50 --epochs 1 --width 4 --threads 1 --quiet " + options,
              {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir + "/ck"}),
      "", nullptr, ""};
}

std::vector<MessageCase> impossible_cases() {
  return {
      {"resume_epoch_past_the_runs_epochs",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) { p.epoch = 50; }));
       },
       2,
       {"epoch=50", "train.epochs=1"},
       {}},
      {"predict_epoch_past_the_runs_epochs",
       [](const std::string& d) {
         return MessageRun{
             command(kPredict, "--threads 1 --quiet",
                     {"--checkpoint", edited_progress(d, [](RunProgress& p) { p.epoch = 50; }),
                      "--csv", testing::program_inputs().csv}),
             "", nullptr, ""};
       },
       2,
       {"epoch=50"},
       {}},
      {"resume_a_million_batches_into_an_epoch",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) {
           p.epoch = 0;
           p.batch_in_epoch = 1000000;
           p.epoch_samples = 16;
         }));
       },
       2,
       {"batch_in_epoch=1000000"},
       {}},
      {"resume_one_batch_past_the_epoch",  // 180 training rows: 12 batches of 16, not 13
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) {
           p.epoch = 0;
           p.batch_in_epoch = 13;
           p.epoch_samples = 13 * 16;
         }));
       },
       2,
       {"batch_in_epoch=13", "batches"},
       {}},
      {"resume_images_without_batches",
       [](const std::string& d) {
         return resume(edited_progress(d, [](RunProgress& p) { p.epoch_samples = 64; }));
       },
       2,
       {"epoch_samples=64", "batch_in_epoch=0"},
       {}},
      {"misread_png_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(kPredict, "--misread-png -",
                                   {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                                    testing::mnist_sample_path()}),
                           "", nullptr, ""};
       },
       2,
       {"--misread-png", "standard output"},
       {}},
      {"confusion_png_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(kPredict, "--confusion-png /dev/stdout",
                                   {"--checkpoint", testing::program_inputs().checkpoint, "--data",
                                    testing::mnist_sample_path()}),
                           "", nullptr, ""};
       },
       2,
       {"--confusion-png", "standard output"},
       {}},
      {"ensemble_to_standard_output",
       [](const std::string&) {
         return MessageRun{command(testing::kExport, "--ensemble -",
                                   {"--checkpoint", testing::program_inputs().checkpoint}),
                           "", nullptr, ""};
       },
       2,
       {"--ensemble", "standard output"},
       {}},
      {"screenshot_to_standard_output",
       [](const std::string& d) {
         if (!fs::exists(testing::kDraw)) {
           return MessageRun{{}, "", nullptr, "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)"};
         }
         write_file(d + "/stroke.replay", "down 0.5 0.2\nup\n");
         return MessageRun{command(testing::kDraw, "--exit-after-replay --screenshot -",
                                   {"--replay", d + "/stroke.replay"}),
                           "", nullptr, ""};
       },
       2,
       {"--screenshot", "standard output"},
       {}},
      {"world_size_against_the_launcher",
       [](const std::string& d) { return launcher(d, "--nproc-per-node 2 --world-size 3"); },
       2,
       {"--world-size 3 contradicts", "--nproc-per-node 2"},
       {"rank 0", "rank 1"}},
      {"rank_given_to_the_launcher",
       [](const std::string& d) { return launcher(d, "--nproc-per-node 2 --rank 1"); },
       2,
       {"--rank is set by the launcher"},
       {"rank 0", "rank 1"}},
  };
}

class Contradiction : public ::testing::TestWithParam<MessageCase> {};

TEST_P(Contradiction, IsRefusedNamingWhatCannotBe) { expect_message(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Impossible, Contradiction, ::testing::ValuesIn(impossible_cases()),
                         [](const auto& info) { return info.param.name; });

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
