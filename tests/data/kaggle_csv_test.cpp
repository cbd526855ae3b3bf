// Tests of digits/data/kaggle_csv.h: Kaggle's CSV formats read (train and test, plain and gzip,
// the files other tools leave), bad files refused naming file, line and column, and rows appended
// to a teach file.
#include "digits/data/kaggle_csv.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test_util.h"

namespace digits {
namespace {

using testing::kaggle_header;
using testing::kaggle_row;
using testing::ramp_row;
using testing::TempDir;
using testing::write_file;
using testing::write_gz;

// The error message of loading `text` as a file named `name`; "" when it loads.
std::string load_error(const TempDir& dir, const std::string& text,
                       const std::string& name = "in.csv") {
  write_file(dir.file(name), text);
  auto r = load_kaggle_csv(dir.file(name));
  return r ? "" : r.error().message;
}

TEST(KaggleCsv, ReadsTrainFormatPixelsInRowMajorOrder) {
  TempDir dir;
  write_file(dir.file("t.csv"),
             kaggle_header(true) + "\n" + ramp_row(3, 0) + "\n" + ramp_row(7, 5) + "\n");
  auto data = load_kaggle_csv(dir.file("t.csv"));
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->size(), 2);
  EXPECT_EQ(data->format(), CsvFormat::kTrain);
  EXPECT_EQ(data->images.dtype(), torch::kUInt8);
  EXPECT_EQ(data->images.sizes(), (std::vector<int64_t>{2, 28, 28}));
  EXPECT_EQ(data->labels.dtype(), torch::kInt64);
  EXPECT_EQ(data->labels[0].item<int64_t>(), 3);
  EXPECT_EQ(data->labels[1].item<int64_t>(), 7);
  // pixelX is row X / 28, column X % 28.
  EXPECT_EQ(data->images[0][1][2].item<uint8_t>(), 30);
  EXPECT_EQ(data->images[1][27][27].item<uint8_t>(), (783 + 5) % 256);
}

TEST(KaggleCsv, ReadsTestFormat) {
  TempDir dir;
  write_file(dir.file("t.csv"), kaggle_header(false) + "\n" + kaggle_row(-1, 9) + "\n");
  auto data = load_kaggle_csv(dir.file("t.csv"));
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->size(), 1);
  EXPECT_FALSE(data->has_labels());
  EXPECT_EQ(data->format(), CsvFormat::kTest);
  EXPECT_EQ(data->images.sum().item<int64_t>(), 9 * 784);
}

TEST(KaggleCsv, AcceptsCrlfBomMissingFinalNewlineAndTrailingBlankLine) {
  TempDir dir;
  const std::string rows[] = {ramp_row(1, 0), ramp_row(2, 1)};
  const std::map<std::string, std::string> variants = {
      {"crlf", kaggle_header(true) + "\r\n" + rows[0] + "\r\n" + rows[1] + "\r\n"},
      {"bom", "\xEF\xBB\xBF" + kaggle_header(true) + "\n" + rows[0] + "\n" + rows[1] + "\n"},
      {"no final newline", kaggle_header(true) + "\n" + rows[0] + "\n" + rows[1]},
      {"trailing blank line", kaggle_header(true) + "\n" + rows[0] + "\n" + rows[1] + "\n\n"},
      {"all at once",
       "\xEF\xBB\xBF" + kaggle_header(true) + "\r\n" + rows[0] + "\r\n" + rows[1] + "\r\n\r\n"},
  };
  for (const auto& [name, text] : variants) {
    write_file(dir.file("v.csv"), text);
    auto data = load_kaggle_csv(dir.file("v.csv"));
    ASSERT_TRUE(data) << name << ": " << data.error().message;
    EXPECT_EQ(data->size(), 2) << name;
    EXPECT_EQ(data->labels[1].item<int64_t>(), 2) << name;
    EXPECT_EQ(data->images[1][0][0].item<uint8_t>(), 1) << name;
  }
}

TEST(KaggleCsv, ReadsGzipAndGivesTheSameDataAsPlain) {
  TempDir dir;
  const std::string text =
      kaggle_header(true) + "\n" + ramp_row(4, 3) + "\n" + ramp_row(5, 8) + "\n";
  write_file(dir.file("p.csv"), text);
  write_gz(dir.file("p.csv.gz"), text);
  auto plain = load_kaggle_csv(dir.file("p.csv"));
  auto gz = load_kaggle_csv(dir.file("p.csv.gz"));
  ASSERT_TRUE(plain) << plain.error().message;
  ASSERT_TRUE(gz) << gz.error().message;
  EXPECT_TRUE(torch::equal(plain->images, gz->images));
  EXPECT_TRUE(torch::equal(plain->labels, gz->labels));
}

TEST(KaggleCsv, LimitReadsTheFirstRows) {
  TempDir dir;
  write_file(dir.file("t.csv"), kaggle_header(true) + "\n" + ramp_row(1, 0) + "\n" +
                                    ramp_row(2, 0) + "\n" + ramp_row(3, 0) + "\n");
  auto data = load_kaggle_csv(dir.file("t.csv"), {2});
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->size(), 2);
  EXPECT_EQ(data->labels[1].item<int64_t>(), 2);
}

TEST(KaggleCsv, BadInputIsAnErrorNamingFileLineAndProblem) {
  TempDir dir;
  const std::string h = kaggle_header(true) + "\n";
  std::string row_785 = ramp_row(1, 0);
  std::string row_784 = row_785.substr(0, row_785.rfind(','));
  std::string row_786 = row_785 + ",0";
  std::string with = ramp_row(1, 0);
  auto replace_field = [&](int field, const std::string& value) {
    std::string r = "1";
    for (int i = 0; i < kPixels; ++i) r += "," + (i + 1 == field ? value : std::string("0"));
    return r;
  };
  struct Case {
    std::string name, text, expect;  // expect: a substring of the message
  };
  const std::vector<Case> cases = {
      {"empty file", "", "empty"},
      {"header only", h, "no rows"},
      {"neither format", "a,b,c\n1,2,3\n", ":1:"},
      {"784 fields", h + row_784 + "\n", ":2:"},
      {"786 fields", h + row_786 + "\n", ":2:"},
      {"letters", h + replace_field(5, "12a") + "\n", ":2:"},
      {"decimal", h + replace_field(5, "1.5") + "\n", ":2:"},
      {"empty field", h + replace_field(5, "") + "\n", ":2:"},
      {"pixel below 0", h + replace_field(7, "-1") + "\n", ":2:"},
      {"pixel above 255", h + ramp_row(1, 0) + "\n" + replace_field(7, "256") + "\n", ":3:"},
      {"label above 9", h + "10" + ramp_row(1, 0).substr(1) + "\n", ":2:"},
      {"negative label", h + "-1" + ramp_row(1, 0).substr(1) + "\n", ":2:"},
      {"binary bytes", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18), ":1:"},
  };
  for (const auto& c : cases) {
    const std::string message = load_error(dir, c.text);
    EXPECT_FALSE(message.empty()) << c.name << " was accepted";
    EXPECT_NE(message.find(dir.file("in.csv")), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.name << ": " << message;
  }
}

// A line holding NUL bytes (what a block zeroed by a crash leaves) or other control bytes is an
// error naming the file and the line, never a blank line skipped: every later row would shift.
// Plain and gzip files, and a file large enough to be read by several threads.
TEST(KaggleCsv, ALineWithNulOrControlBytesIsAnErrorNamingItsLineNeverSkipped) {
  TempDir dir;
  const std::string h = kaggle_header(true) + "\n";
  const std::string row = ramp_row(1, 0) + "\n";
  const std::string nuls(16, '\0');
  struct Case {
    std::string name, text, expect;  // expect: the line, and what the message says
  };
  std::vector<Case> cases = {
      {"NULs before a row", h + row + nuls + row + row, ":3: holds NUL"},
      {"a line of NULs", h + row + std::string(4096, '\0') + "\n" + row, ":3: holds NUL"},
      {"a zeroed block at the end", h + row + row + std::string(4096, '\0'), ":4: holds NUL"},
      {"NULs inside a row", h + row + row.substr(0, 100) + nuls + row.substr(100), ":3: holds NUL"},
      {"a control byte", h + row + "\x01" + row, ":3: holds NUL"},
      {"NULs before the header", nuls + h + row, ":1: header"},
  };
  // Several threads: a plain file over 8 MB, the bad line in its second half.
  std::string big = h;
  for (int i = 0; i < 2999; ++i) big += ramp_row(i % 10, i) + "\n";
  big += nuls + "\n";
  for (int i = 0; i < 1000; ++i) big += ramp_row(i % 10, i) + "\n";
  cases.push_back({"a line of NULs in a large file", big, ":3001: holds NUL"});
  for (const auto& c : cases) {
    for (const bool gz : {false, true}) {
      const std::string name = gz ? "in.csv.gz" : "in.csv";
      if (gz) {
        write_gz(dir.file(name), c.text);
      } else {
        write_file(dir.file(name), c.text);
      }
      auto r = load_kaggle_csv(dir.file(name));
      ASSERT_FALSE(r) << c.name << (gz ? " (gzip)" : "") << ": loaded " << r->size() << " rows";
      const std::string& m = r.error().message;
      EXPECT_EQ(m.rfind(dir.file(name) + c.expect, 0), 0u) << c.name << ": " << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << c.name << ": " << m;
    }
  }
}

TEST(KaggleCsv, ErrorsNameTheColumnOfABadField) {
  TempDir dir;
  std::string r = "1";
  for (int i = 0; i < kPixels; ++i) r += i == 99 ? ",x" : ",0";
  const std::string message = load_error(dir, kaggle_header(true) + "\n" + r + "\n");
  EXPECT_NE(message.find(":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("column 101"), std::string::npos) << message;
}

TEST(KaggleCsv, MissingFileDirectoryAndTruncatedGzipAreErrors) {
  TempDir dir;
  auto missing = load_kaggle_csv(dir.file("nope.csv"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.csv"), std::string::npos);

  auto directory = load_kaggle_csv(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("directory"), std::string::npos);

  std::string text = kaggle_header(true) + "\n";
  for (int i = 0; i < 200; ++i) text += ramp_row(i % 10, i) + "\n";
  write_gz(dir.file("full.csv.gz"), text);
  const std::string gz = testing::read_file(dir.file("full.csv.gz"));
  write_file(dir.file("cut.csv.gz"), gz.substr(0, gz.size() / 2));
  auto cut = load_kaggle_csv(dir.file("cut.csv.gz"));
  ASSERT_FALSE(cut) << "a truncated .csv.gz was accepted";
  EXPECT_NE(cut.error().message.find("cut.csv.gz"), std::string::npos) << cut.error().message;
}

TEST(KaggleCsv, AppendedRowsReadBack) {
  TempDir dir;
  const std::string path = dir.file("mine.csv");
  auto image = torch::arange(784, torch::kInt64).remainder(256).to(torch::kUInt8).view({28, 28});
  ASSERT_TRUE(append_kaggle_row(path, image, 4));
  ASSERT_TRUE(append_kaggle_row(path, torch::zeros({28, 28}, torch::kUInt8), 9));
  EXPECT_FALSE(append_kaggle_row(path, image, 10));
  auto data = load_kaggle_csv(path);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->size(), 2);
  EXPECT_TRUE(torch::equal(data->images[0], image));
  EXPECT_EQ(data->labels[1].item<int64_t>(), 9);
}

// The teach file digit-draw appends to: checked first, and a bad one is left as it was.
TEST(AppendKaggleRow, GivesALastLineItsNewlineAndRefusesFilesItWouldSpoil) {
  TempDir dir;
  const auto image = torch::full({28, 28}, 7, torch::kUInt8);
  const std::string unterminated = dir.file("mine.csv");
  write_file(unterminated, testing::kaggle_header(true) + "\n" + testing::kaggle_row(3, 1));
  ASSERT_TRUE(append_kaggle_row(unterminated, image, 5));
  auto both = load_kaggle_csv(unterminated);
  ASSERT_TRUE(both) << both.error().message;
  ASSERT_EQ(both->size(), 2);
  EXPECT_EQ(both->labels[1].item<int64_t>(), 5);

  struct Bad {
    std::string name, contents, needle;
  };
  const std::vector<Bad> bad = {
      {"test-format.csv", testing::kaggle_header(false) + "\n" + testing::kaggle_row(-1, 2) + "\n",
       "train-format"},
      {"notes.csv", "shopping list\n", "train-format"},
      {"mine.csv.gz", "", "compressed"},
  };
  for (const auto& b : bad) {
    const std::string path = dir.file(b.name);
    if (!b.contents.empty()) write_file(path, b.contents);
    const Status st = append_kaggle_row(path, image, 1);
    ASSERT_FALSE(st) << b.name;
    EXPECT_NE(st.error().message.find(b.needle), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find(path), std::string::npos) << st.error().message;
    if (!b.contents.empty()) {
      EXPECT_EQ(testing::read_file(path), b.contents) << b.name;
    } else {
      EXPECT_FALSE(std::filesystem::exists(path)) << b.name;
    }
  }
  EXPECT_FALSE(append_kaggle_row(dir.path(), image, 1));  // a folder
}

TEST(KaggleCsv, RealMnistSampleLoads) {
  const Dataset data = testing::mnist_sample();
  ASSERT_EQ(data.size(), 3000);
  const auto counts = torch::bincount(data.labels, {}, 10);
  EXPECT_EQ(counts.min().item<int64_t>(), 300);                          // 300 of each class
  EXPECT_GT(data.images.to(torch::kFloat).mean().item<double>(), 20.0);  // ink, not zeros
}

// A teach row is whole or not there: a write cut short by a file-size limit (as by a full disk)
// is taken back, and the file reads as before. In a child process, which the limit would
// otherwise kill with SIGXFSZ.
TEST(AppendKaggleRow, AWriteCutShortLeavesTheFileAsItWas) {
  TempDir dir;
  const std::string path = dir.file("mine.csv");
  const std::string before = testing::kaggle_header(true) + "\n" + testing::kaggle_row(3, 1) + "\n";
  write_file(path, before);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{before.size() + 100, before.size() + 100};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const Status st = append_kaggle_row(path, torch::full({28, 28}, 200, torch::kUInt8), 4);
    const bool named = !st && st.error().message.find(path) != std::string::npos &&
                       st.error().message.find("nothing was added") != std::string::npos;
    ::_exit(named ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the append must fail, naming the file and saying so";
  EXPECT_EQ(testing::read_file(path), before);
  auto data = load_kaggle_csv(path);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->size(), 1);
}

}  // namespace
}  // namespace digits
