// Reliability (issue 6), tested on the real programs: every kind of bad input gets a one-line
// message naming the file (and line and column) with exit code 2; damaged checkpoints are refused
// the same way; SIGKILL at any moment leaves a loadable last.pt that --resume continues; SIGINT
// and SIGTERM save, exit 130 / 143 and resume exactly; a save that cannot be written stops the run
// with an error and leaves the previous checkpoint intact.
//
// DIGITS_TEST_SMALL=1 (set by .ci/sanitize) cuts the SIGKILL loop from 20 kills to 5.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "digits/checkpoint.h"
#include "digits/model.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::Child;
using testing::ChildOptions;
using testing::command;
using testing::kaggle_header;
using testing::kaggle_row;
using testing::kDraw;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::TempDir;
using testing::write_file;

bool small_tests() {
  const char* v = std::getenv("DIGITS_TEST_SMALL");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// A labelled CSV of `rows` real digits cut from the bundled sample, with `eol` line endings.
std::string sample_csv(int64_t rows, const std::string& eol = "\n") {
  const Dataset d = testing::mnist_sample(rows);
  std::string text = kaggle_header(true) + eol;
  const auto images = d.images.reshape({d.size(), kPixels}).contiguous();
  for (int64_t r = 0; r < d.size(); ++r) {
    text += std::to_string(d.labels[r].item<int64_t>());
    const uint8_t* px = images[r].data_ptr<uint8_t>();
    for (int64_t i = 0; i < kPixels; ++i) text += "," + std::to_string(px[i]);
    text += eol;
  }
  return text;
}

// Quick, small training options: seconds per run.
std::vector<std::string> tiny_run(const std::string& data, const std::string& dir) {
  return command(kTrain, "--epochs 1 --width 4 --batch-size 4 --threads 1 --quiet --seed 3",
                 {"--data", data, "--checkpoint-dir", dir});
}

// The promise every error keeps: exit code 2, no signal, and the error as the last line of stderr,
// one line starting with the program's name and containing each of `needles`. (Status lines such
// as "loaded 42000 rows" may come before it; no other line is an error.)
void expect_clean_error(const Outcome& o, const std::vector<std::string>& needles,
                        const std::string& program = "digit-train") {
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, 2) << o.describe();
  ASSERT_FALSE(o.err.empty()) << o.describe();
  ASSERT_EQ(o.err.back(), '\n') << o.describe();
  const size_t start = o.err.rfind('\n', o.err.size() - 2) + 1;  // 0 when there is one line
  const std::string last = o.err.substr(start);
  EXPECT_EQ(last.rfind(program + ": ", 0), 0u) << o.describe();
  EXPECT_EQ(o.err.find(program + ": "), start) << "more than one error line:\n" << o.describe();
  EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o.describe();
  for (const auto& n : needles) {
    EXPECT_NE(last.find(n), std::string::npos) << n << "\n" << o.describe();
  }
}

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
  const Outcome o = run(tiny_run(path, dir.file("ck")), dir.file("log"));
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
    const Outcome o = run(tiny_run(path, dir.file("ck-" + name)), dir.file("log"));
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
// Damaged checkpoints: the library refuses them with a message naming the file, and so does
// `digit-train --resume`.

// A real checkpoint of a small network, as bytes.
std::string good_checkpoint_bytes(const std::string& dir,
                                  const ModelConfig& model = {Arch::kBnCnn, 4, 0.1}) {
  Checkpoint c;
  c.model = model;
  torch::manual_seed(1);
  c.net = make_model(c.model).value();
  c.train_options = {{"lr", "0.003"}};
  const std::string path = dir + "/made.pt";
  EXPECT_TRUE(save_checkpoint(path, c));
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

// A checkpoint archive written by hand: `meta` as given, weights of `weights_model`.
std::string crafted_checkpoint(const std::string& dir, int64_t format, const std::string& meta,
                               const ModelConfig& weights_model) {
  torch::serialize::OutputArchive archive;
  archive.write("digits.format", c10::IValue(format));
  archive.write("digits.meta", c10::IValue(meta));
  torch::serialize::OutputArchive weights;
  make_model(weights_model).value()->save(weights);
  archive.write("model", weights);
  const std::string path = dir + "/crafted.pt";
  archive.save_to(path);
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

// An ensemble file written by hand: `count` in digits.members, and a member archive (a valid
// one's metadata, weights of `weights_model`) for each of `members`, named member.1, member.2...
std::string crafted_ensemble(const std::string& dir, int64_t count, const std::string& meta,
                             const std::vector<ModelConfig>& members) {
  torch::serialize::OutputArchive archive;
  archive.write("digits.format", c10::IValue(kEnsembleFormatVersion));
  archive.write("digits.members", c10::IValue(count));
  for (size_t i = 0; i < members.size(); ++i) {
    torch::serialize::OutputArchive member;
    member.write("digits.format", c10::IValue(kEnsembleFormatVersion));
    member.write("digits.meta", c10::IValue(meta));
    torch::serialize::OutputArchive weights;
    make_model(members[i]).value()->save(weights);
    member.write("model", weights);
    archive.write("member." + std::to_string(i + 1), member);
  }
  const std::string path = dir + "/crafted.pt";
  archive.save_to(path);
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

// The metadata a valid checkpoint of `model` carries, as its loader reads it back.
std::string meta_of(const std::string& dir, const ModelConfig& model) {
  write_file(dir + "/meta-source.pt", good_checkpoint_bytes(dir, model));
  torch::serialize::InputArchive in;
  in.load_from(dir + "/meta-source.pt");
  c10::IValue meta;
  EXPECT_TRUE(in.try_read("digits.meta", meta));
  fs::remove(dir + "/meta-source.pt");
  return meta.toStringRef();
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

struct BadCheckpoint {
  std::string name;
  std::function<std::string(const std::string& dir)> bytes;  // the file's contents
  std::string needle;                                        // part of the expected message
  // A damaged ensemble file: `digit-train --resume` refuses every ensemble file before reading
  // its members, with this message.
  bool ensemble = false;
};

constexpr const char* kResumeRefusesEnsembles = "an ensemble file";

std::vector<BadCheckpoint> bad_checkpoints() {
  return {
      {"zero_bytes", [](const std::string&) { return std::string(); }, "empty"},
      {"truncated",
       [](const std::string& d) {
         const std::string good = good_checkpoint_bytes(d);
         return good.substr(0, good.size() / 2);
       },
       "truncated"},
      {"random_bytes",
       [](const std::string&) {
         std::mt19937 rng(11);
         std::string b(20000, '\0');
         for (char& c : b) c = static_cast<char>(rng());
         return b;
       },
       "not a readable checkpoint"},
      {"csv_file",
       [](const std::string&) { return kaggle_header(true) + "\n" + kaggle_row(1, 0) + "\n"; },
       "not a readable checkpoint"},
      {"plain_tensor_archive",
       [](const std::string& d) {
         torch::save(torch::ones({3, 3}), d + "/tensor.pt");
         std::string b = read_file(d + "/tensor.pt");
         fs::remove(d + "/tensor.pt");
         return b;
       },
       "not a digits checkpoint"},
      {"newer_format",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_checkpoint(d, kEnsembleFormatVersion + 1, meta_of(d, m), m);
       },
       "newer"},
      {"weights_of_another_width",
       [](const std::string& d) {
         // The metadata says width 4; the weights are those of width 6: same names, other shapes.
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta_of(d, {Arch::kBnCnn, 4, 0.1}),
                                   {Arch::kBnCnn, 6, 0.1});
       },
       "do not fit"},
      {"weights_of_another_architecture",
       [](const std::string& d) {
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta_of(d, {Arch::kBnCnn, 4, 0.1}),
                                   {Arch::kSeed, 32, 0.0});
       },
       "do not fit"},
      {"unknown_architecture",
       [](const std::string& d) {
         std::string meta = meta_of(d, {Arch::kBnCnn, 4, 0.1});
         meta.replace(meta.find("model.arch=bncnn"), 16, "model.arch=resnet9");
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta, {Arch::kBnCnn, 4, 0.1});
       },
       "resnet9"},
      {"metadata_missing_a_key",
       [](const std::string& d) {
         std::string meta = meta_of(d, {Arch::kBnCnn, 4, 0.1});
         const auto at = meta.find("norm.std=");
         meta.erase(at, meta.find('\n', at) + 1 - at);
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta, {Arch::kBnCnn, 4, 0.1});
       },
       "norm.std"},
      {"ensemble_without_a_count",
       [](const std::string& d) {
         torch::serialize::OutputArchive archive;  // digits.format 2 and nothing else
         archive.write("digits.format", c10::IValue(kEnsembleFormatVersion));
         archive.save_to(d + "/crafted.pt");
         std::string bytes = read_file(d + "/crafted.pt");
         fs::remove(d + "/crafted.pt");
         return bytes;
       },
       "without digits.members", true},
      {"ensemble_of_one",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 1, meta_of(d, m), {m});
       },
       "digits.members=1", true},
      {"ensemble_missing_a_member",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 3, meta_of(d, m), {m, m});
       },
       "member 3 of 3 is missing", true},
      {"ensemble_member_of_another_width",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 2, meta_of(d, m), {m, {Arch::kBnCnn, 6, 0.1}});
       },
       "member 2 of 2: weights do not fit", true},
  };
}

void PrintTo(const BadCheckpoint& b, std::ostream* os) { *os << b.name; }

class CheckpointRefuses : public ::testing::TestWithParam<BadCheckpoint> {};

TEST_P(CheckpointRefuses, InTheLibraryWithAMessageNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, GetParam().bytes(dir.path()));
  // load_members reads what load_checkpoint reads, and ensemble files besides.
  auto loaded = load_members(path);
  ASSERT_FALSE(loaded) << "loaded";
  if (!GetParam().ensemble) {
    auto checkpoint = load_checkpoint(path);
    ASSERT_FALSE(checkpoint) << "loaded";
    EXPECT_EQ(checkpoint.error().message, loaded.error().message);
  }
  const std::string& m = loaded.error().message;
  EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find(GetParam().needle), std::string::npos) << m;
}

TEST_P(CheckpointRefuses, InDigitTrainResumeWithExitCode2) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  const std::string bytes = GetParam().bytes(dir.path());
  write_file(path, bytes);
  write_file(dir.file("data.csv"), sample_csv(24));
  std::vector<std::string> argv = tiny_run(dir.file("data.csv"), dir.path());
  argv.insert(argv.end(), {"--resume", path});
  expect_clean_error(run(argv, dir.file("log")),
                     {path, GetParam().ensemble ? kResumeRefusesEnsembles : GetParam().needle});
  EXPECT_EQ(read_file(path), bytes) << "the bad file was changed";
}

TEST_P(CheckpointRefuses, InDigitPredictWithExitCode2) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, GetParam().bytes(dir.path()));
  write_file(dir.file("test.csv"), kaggle_header(false) + "\n" + kaggle_row(-1, 0) + "\n");
  const Outcome o = run(command(kPredict, "--threads 1 --quiet",
                                {"--checkpoint", path, "--csv", dir.file("test.csv"), "--out",
                                 dir.file("submission.csv")}),
                        dir.file("log"));
  expect_clean_error(o, {path, GetParam().needle}, "digit-predict");
  EXPECT_FALSE(fs::exists(dir.file("submission.csv")));
}

// digit-draw shows the problem in its window and keeps running: the replay plays to its end,
// the program exits 0, and stderr has the message naming the file.
TEST_P(CheckpointRefuses, InDigitDrawWhichKeepsRunning) {
  if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)";
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, GetParam().bytes(dir.path()));
  write_file(dir.file("stroke.replay"), "down 0.5 0.2\nmove 0.5 0.5\nmove 0.5 0.8\nup\nwait 50\n");
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
  const Outcome o = run(command(kDraw, "--exit-after-replay --threads 1",
                                {"--checkpoint", path, "--replay", dir.file("stroke.replay"),
                                 "--teach-file", dir.file("teach.csv")}),
                        dir.file("log"));
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find("digit-draw: " + path + ": "), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find(GetParam().needle), std::string::npos) << o.describe();
}

INSTANTIATE_TEST_SUITE_P(Damaged, CheckpointRefuses, ::testing::ValuesIn(bad_checkpoints()),
                         [](const auto& info) { return info.param.name; });

TEST(CheckpointRefuses, EveryTruncationOfAGoodFile) {
  TempDir dir;
  const std::string good = good_checkpoint_bytes(dir.path());
  const std::string path = dir.file("cut.pt");
  // Every 1/64 of the file, and each of the last 64 bytes (the zip directory lives there).
  std::vector<size_t> cuts;
  for (size_t k = 0; k < 64; ++k) cuts.push_back(good.size() * k / 64);
  for (size_t k = 1; k <= 64; ++k) cuts.push_back(good.size() - k);
  for (size_t n : cuts) {
    write_file(path, good.substr(0, n));
    auto loaded = load_checkpoint(path);
    ASSERT_FALSE(loaded) << "a checkpoint cut to " << n << " of " << good.size() << " bytes loaded";
    EXPECT_EQ(loaded.error().message.rfind(path + ": ", 0), 0u) << loaded.error().message;
  }
}

TEST(CheckpointRefuses, FlippedBytesNeverCrash) {
  // Each load either succeeds (a byte the format does not check) or fails with a message naming
  // the file; it never throws or crashes. A loaded network must still run.
  TempDir dir;
  const std::string good = good_checkpoint_bytes(dir.path());
  const std::string path = dir.file("flipped.pt");
  std::mt19937 rng(5);
  const int trials = small_tests() ? 50 : 300;
  for (int t = 0; t < trials; ++t) {
    std::string bytes = good;
    const size_t at = rng() % bytes.size();
    bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
    write_file(path, bytes);
    auto loaded = load_checkpoint(path);
    if (loaded) {
      torch::NoGradGuard no_grad;
      EXPECT_EQ(loaded->net->forward(torch::zeros({1, 1, 28, 28})).sizes(),
                torch::IntArrayRef({1, 10}))
          << "byte " << at;
    } else {
      EXPECT_EQ(loaded.error().message.rfind(path + ": ", 0), 0u) << loaded.error().message;
    }
  }
}

TEST(CheckpointRefuses, DirectoriesAndUnreadableFiles) {
  TempDir dir;
  fs::create_directory(dir.file("folder.pt"));
  auto loaded = load_checkpoint(dir.file("folder.pt"));
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("is a directory"), std::string::npos);

  write_file(dir.file("locked.pt"), good_checkpoint_bytes(dir.path()));
  ::chmod(dir.file("locked.pt").c_str(), 0);
  if (::access(dir.file("locked.pt").c_str(), R_OK) == 0) {
    GTEST_SKIP() << "running as root: chmod 0 does not stop reading";
  }
  loaded = load_checkpoint(dir.file("locked.pt"));
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("Permission denied"), std::string::npos)
      << loaded.error().message;
}

// ---------------------------------------------------------------------------------------------
// Interrupted and killed training

// A run that saves several times a second: 200 rows, batches of 16, width 4.
std::vector<std::string> saving_often(const std::string& data, const std::string& dir,
                                      const std::string& epochs) {
  return command(kTrain,
                 "--limit 200 --batch-size 16 --width 4 --threads 1 --seed 2 --epochs " + epochs,
                 {"--data", data, "--checkpoint-dir", dir});
}

TEST(KilledTraining, LastCheckpointAlwaysLoadsAndResumes) {
  TempDir dir;
  const std::string data = testing::mnist_sample_path();
  const std::string ck = dir.file("ck");
  const std::string last = ck + "/last.pt";
  const int kills = small_tests() ? 5 : 20;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  int64_t epoch_seen = 0;
  std::string moments;
  for (int k = 0; k < kills; ++k) {
    std::vector<std::string> argv = saving_often(data, ck, "100000");
    if (fs::exists(last)) argv.insert(argv.end(), {"--resume", last});
    Child child(argv, dir.file("log"));
    // Killing while it loads its libraries would test nothing: wait until training runs
    // (it prints its first progress line then), then let it go on a random while.
    ASSERT_TRUE(child.wait_for_stderr(std::regex("epoch [0-9]+/"))) << child.wait().describe();
    const int ms = delay_ms(rng);
    moments += " " + std::to_string(ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    child.signal(SIGKILL);
    const Outcome o = child.wait();
    ASSERT_FALSE(o.exited) << "kill " << k << " (after" << moments << " ms): " << o.describe();
    ASSERT_EQ(o.code, SIGKILL);

    if (!fs::exists(last)) continue;  // killed before the first save
    auto loaded = load_checkpoint(last);
    ASSERT_TRUE(loaded) << "after kill " << k << " (delays" << moments
                        << " ms): " << loaded.error().message;
    EXPECT_GE(loaded->progress.epoch, epoch_seen) << "last.pt went back in time";
    epoch_seen = loaded->progress.epoch;
  }
  ASSERT_TRUE(fs::exists(last)) << "no checkpoint after " << kills << " kills";
  ASSERT_GT(epoch_seen, 0) << "no epoch completed between the kills";

  // A clean resume goes on from the last saved epoch and leaves no temporary file behind.
  std::vector<std::string> argv = saving_often(data, ck, "100000");
  argv.insert(argv.end(), {"--resume", last, "--stop-after", "1", "--quiet"});
  const Outcome o = run(argv, dir.file("log"));
  ASSERT_TRUE(o.exited && o.code == 0) << o.describe();
  EXPECT_NE(o.out.find("epoch=" + std::to_string(epoch_seen + 1) + " "), std::string::npos)
      << "expected epoch " << epoch_seen + 1 << " next: " << o.describe();
  for (const auto& entry : fs::directory_iterator(ck)) {
    EXPECT_EQ(entry.path().filename().string().find("last.pt.tmp."), std::string::npos)
        << "stale temporary file " << entry.path();
  }
}

// The epoch line's figures that must be identical between runs (the timings are not).
std::string figures(const std::string& out, int epoch) {
  std::smatch m;
  const std::regex line("epoch=" + std::to_string(epoch) +
                        " (train_loss=\\S+ val_loss=\\S+ val_acc=\\S+ lr=\\S+)");
  return std::regex_search(out, m, line) ? m[1].str()
                                         : "(no epoch=" + std::to_string(epoch) + " line)";
}

std::vector<std::string> exact_run(const std::string& dir) {
  return command(kTrain, "--limit 300 --batch-size 32 --width 8 --epochs 3 --seed 5 --threads 1",
                 {"--data", testing::mnist_sample_path(), "--checkpoint-dir", dir});
}

class StopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StopSignal, SavesExitsWith128PlusSignalAndResumesExactly) {
  const int sig = GetParam();
  TempDir dir;
  const Outcome whole = run(exact_run(dir.file("whole")), dir.file("whole-log"));
  ASSERT_TRUE(whole.exited && whole.code == 0) << whole.describe();
  const std::string expected = figures(whole.out, 3);
  ASSERT_EQ(expected.find("(no"), std::string::npos) << whole.describe();

  // Signalled at its first progress line (a quarter into epoch 1): it stops mid-epoch.
  Child child(exact_run(dir.file("split")), dir.file("split-log"));
  ASSERT_TRUE(child.wait_for_stderr(std::regex("epoch 1/3 +batch"))) << child.wait().describe();
  child.signal(sig);
  const Outcome stopped = child.wait();
  ASSERT_TRUE(stopped.exited) << stopped.describe();
  EXPECT_EQ(stopped.code, 128 + sig) << stopped.describe();
  EXPECT_NE(stopped.err.find("resume with: "), std::string::npos) << stopped.describe();
  auto saved = load_checkpoint(dir.file("split/last.pt"));
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_LT(saved->progress.epoch, 3);

  std::vector<std::string> again = exact_run(dir.file("split"));
  again.insert(again.end(), {"--resume", dir.file("split/last.pt")});
  const Outcome resumed = run(again, dir.file("resume-log"));
  ASSERT_TRUE(resumed.exited && resumed.code == 0) << resumed.describe();
  EXPECT_EQ(figures(resumed.out, 3), expected) << "stopped at epoch " << saved->progress.epoch
                                               << " batch " << saved->progress.batch_in_epoch;
}

// SIGHUP: a closed terminal or a dropped ssh session saves like SIGTERM.
INSTANTIATE_TEST_SUITE_P(IntTermAndHup, StopSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const auto& info) {
                           return info.param == SIGINT    ? "SIGINT"
                                  : info.param == SIGTERM ? "SIGTERM"
                                                          : "SIGHUP";
                         });

// ---------------------------------------------------------------------------------------------
// Saves that cannot be written

// Trains one epoch into DIR and returns last.pt's bytes.
std::string first_epoch(const std::string& data, const std::string& ck, const std::string& log) {
  std::vector<std::string> argv = saving_often(data, ck, "3");
  argv.insert(argv.end(), {"--stop-after", "1", "--quiet"});
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
  const std::string data = testing::mnist_sample_path();
  const std::string ck = dir.file("ck");
  const std::string before = first_epoch(data, ck, dir.file("log1"));
  ASSERT_FALSE(before.empty());

  // A file-size limit below a checkpoint's size: every save fails as on a full disk (EFBIG).
  std::vector<std::string> argv = saving_often(data, ck, "3");
  argv.insert(argv.end(), {"--resume", ck + "/last.pt", "--quiet"});
  ChildOptions limited;
  limited.max_file_bytes = 4096;
  const Outcome o = run(argv, dir.file("log2"), limited);
  expect_stopped_with_previous_checkpoint(o, ck, before);
  EXPECT_NE(o.err.find("File too large"), std::string::npos) << o.describe();
}

TEST(UnwritableCheckpoints, ReadOnlyFolderStopsTheRunAndKeepsThePreviousCheckpoint) {
  TempDir dir;
  const std::string data = testing::mnist_sample_path();
  const std::string ck = dir.file("ck");
  const std::string before = first_epoch(data, ck, dir.file("log1"));
  ASSERT_FALSE(before.empty());
  ::chmod(ck.c_str(), 0555);
  if (::access(ck.c_str(), W_OK) == 0) {
    ::chmod(ck.c_str(), 0755);
    GTEST_SKIP() << "running as root: chmod 555 does not stop writing (the full-disk test covers "
                    "failed saves)";
  }
  std::vector<std::string> argv = saving_often(data, ck, "3");
  argv.insert(argv.end(), {"--resume", ck + "/last.pt", "--quiet"});
  const Outcome o = run(argv, dir.file("log2"));
  ::chmod(ck.c_str(), 0755);
  expect_stopped_with_previous_checkpoint(o, ck, before);
}

TEST(UnwritableCheckpoints, FolderThatCannotBeCreatedIsAClearError) {
  TempDir dir;
  write_file(dir.file("a-file"), "not a folder\n");
  write_file(dir.file("data.csv"), sample_csv(24));
  const std::string ck = dir.file("a-file/checkpoints");
  const Outcome o = run(tiny_run(dir.file("data.csv"), ck), dir.file("log"));
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_NE(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find(ck), std::string::npos) << o.describe();
  EXPECT_EQ(o.out.find("epoch=1"), std::string::npos) << "trained without a place to save\n"
                                                      << o.describe();
}

}  // namespace
}  // namespace digits
