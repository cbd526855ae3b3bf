// TensorBoard event files: CRC-32C against its published check value, scalars written and read
// back through the TFRecord framing, and damaged files refused with the record's offset.
#include "digits/report/tensorboard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;
using testing::tensorboard_event_files;

TEST(TensorBoard, Crc32cMatchesItsCheckValue) {
  // The check value of CRC-32C (RFC 3720 B.4; the "123456789" of every CRC catalogue).
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // 32 bytes of zeros: RFC 3720's first test vector, 0x8A9136AA.
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  // TFRecord's mask: rotate right by 15 and add 0xa282ead8.
  const uint32_t c = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TensorBoard, ScalarsAreWrittenAndReadBack) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  const std::string run = dir.file("logs/run-a");
  auto w = EventWriter::open(run);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->add_scalars(1, {{"loss/train", 0.5}, {"loss/validation", std::nan("")}}));
  ASSERT_TRUE((*w)->add_scalars(2, {{"loss/train", 0.25}, {"accuracy/validation", 0.9931}}));
  const auto files = tensorboard_event_files(run);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].string(), (*w)->path());

  auto events = read_scalar_events((*w)->path());
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 3u);  // the nan is left out
  EXPECT_EQ((*events)[0].step, 1);
  EXPECT_EQ((*events)[0].tag, "loss/train");
  EXPECT_EQ((*events)[0].value, 0.5f);
  EXPECT_EQ((*events)[2].step, 2);
  EXPECT_EQ((*events)[2].tag, "accuracy/validation");
  EXPECT_EQ((*events)[2].value, 0.9931f);
  EXPECT_GT((*events)[2].wall_time, 1.7e9);  // seconds since 1970, as TensorBoard expects

  // A second writer in the same run adds a file; the first one stays as it is.
  const std::string before = testing::read_file((*w)->path());
  auto w2 = EventWriter::open(run);
  ASSERT_TRUE(w2) << w2.error().message;
  EXPECT_NE((*w2)->path(), (*w)->path());
  EXPECT_EQ(tensorboard_event_files(run).size(), 2u);
  EXPECT_EQ(testing::read_file((*w)->path()), before);
}

TEST(TensorBoard, DamagedFilesAreRefusedWithTheRecordsOffset) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  auto w = EventWriter::open(dir.path());
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->add_scalars(7, {{"learning_rate", 0.003}}));
  const std::string good = testing::read_file((*w)->path());
  const std::string path = dir.file("damaged");

  std::string flipped = good;
  flipped[good.size() - 6] ^= 0x40;  // inside the second record's payload
  testing::write_file(path, flipped);
  auto r = read_scalar_events(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("damaged: record at byte "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("the record's CRC does not match"), std::string::npos);

  testing::write_file(path, good.substr(0, good.size() - 3));
  r = read_scalar_events(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;

  std::string length = good;
  length[0] ^= 1;
  testing::write_file(path, length);
  r = read_scalar_events(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("record at byte 0: the length's CRC does not match"),
            std::string::npos)
      << r.error().message;
}

TEST(TensorBoard, AFolderThatCannotBeMadeIsAnError) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  TempDir dir;
  testing::write_file(dir.file("file"), "x");
  auto w = EventWriter::open(dir.file("file/run"));
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("file/run: cannot create the TensorBoard folder"),
            std::string::npos)
      << w.error().message;
}

// TensorBoard's own format, read by code that is not ours: tools/tfevents-read.js (npm's tfrecord
// for the framing and its CRC-32C, protobufjs with TensorFlow's field numbers).
TEST(TensorBoard, AnIndependentReaderReadsWhatWasWritten) {
  if (!tensorboard_compiled_in()) GTEST_SKIP() << "TensorBoard files are not compiled in";
  const auto node = testing::node_runtime(
      "tfrecord", "npm install --no-audit --no-fund --ignore-scripts tfrecord@0.2.0");
  if (!node.missing.empty()) GTEST_SKIP() << "no independent reader: " << node.missing;
  TempDir dir;
  auto w = EventWriter::open(dir.path());
  ASSERT_TRUE(w) << w.error().message;
  const std::vector<std::pair<std::string, double>> epoch1 = {{"loss/train", 0.123456789},
                                                              {"accuracy/validation", 0.9954}};
  ASSERT_TRUE((*w)->add_scalars(1, epoch1));
  ASSERT_TRUE((*w)->add_scalars(12345678901, {{"learning_rate", 3e-8}}));
  // tests/fixtures -> the source tree
  const std::string script =
      std::filesystem::path(DIGITS_TEST_DATA_DIR).parent_path().parent_path() / "tools" /
      "tfevents-read.js";
  const auto read = testing::run(
      {"/usr/bin/env", "NODE_PATH=" + node.node_modules, node.node, script, (*w)->path()},
      dir.file("read"));
  ASSERT_EQ(read.code, 0) << read.describe();
  std::vector<std::string> lines;
  std::istringstream out(read.out);
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << read.out;
  const auto field = [](const std::string& line, int k) {
    std::istringstream cells(line);
    std::string cell;
    for (int i = 0; i <= k; ++i) std::getline(cells, cell, ',');
    return cell;
  };
  EXPECT_EQ(field(lines[0], 0), "1");
  EXPECT_EQ(field(lines[0], 1), "loss/train");
  EXPECT_EQ(std::stof(field(lines[0], 2)), static_cast<float>(0.123456789));
  EXPECT_EQ(field(lines[1], 1), "accuracy/validation");
  EXPECT_EQ(std::stof(field(lines[1], 2)), static_cast<float>(0.9954));
  EXPECT_EQ(field(lines[2], 0), "12345678901");  // int64 steps
  EXPECT_EQ(std::stof(field(lines[2], 2)), static_cast<float>(3e-8));

  // And it refuses what ours refuses: a payload whose CRC does not match.
  std::string bytes = testing::read_file((*w)->path());
  bytes[bytes.size() - 6] ^= 0x40;
  testing::write_file(dir.file("damaged"), bytes);
  const auto damaged = testing::run(
      {"/usr/bin/env", "NODE_PATH=" + node.node_modules, node.node, script, dir.file("damaged")},
      dir.file("damaged-read"));
  EXPECT_NE(damaged.code, 0) << damaged.describe();
}

}  // namespace
}  // namespace digits
