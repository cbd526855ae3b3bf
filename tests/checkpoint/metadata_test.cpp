// digits/checkpoint/metadata.h: the keys of digits.meta, declared once.
#include "digits/checkpoint/metadata.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "digits/nn/model.h"
#include "digits/train/options.h"

namespace digits {
namespace {

Checkpoint small_checkpoint() {
  Checkpoint c;
  c.model = ModelConfig{Arch::kBnCnn, 4, 0.1};
  c.normalization = {0.13, 0.31};
  c.progress.epoch = 3;
  c.progress.batch_in_epoch = 2;
  c.progress.global_step = 77;
  c.progress.best_val_acc = 0.5;
  c.progress.last_val_acc = 0.25;
  c.progress.epoch_loss_sum = 1.5;
  c.progress.epoch_samples = 128;
  c.data = {1000, 0xfedcba9876543210ULL};
  c.run_id = "0123456789abcdef";
  c.train_options = encode_options(TrainConfig{});
  return c;
}

TEST(Metadata, EveryKeyIsWrittenAndReadBack) {
  const Checkpoint c = small_checkpoint();
  const std::string text = encode_metadata(c);
  for (const auto& key : metadata_keys()) {
    EXPECT_NE(text.find(std::string(key.name) + "="), std::string::npos) << key.name;
  }
  Checkpoint back;
  ASSERT_TRUE(decode_metadata("x.pt", text, back));
  EXPECT_EQ(back.model, c.model);
  EXPECT_EQ(back.normalization.mean, c.normalization.mean);
  EXPECT_EQ(back.normalization.std, c.normalization.std);
  EXPECT_EQ(back.progress.epoch, 3);
  EXPECT_EQ(back.progress.batch_in_epoch, 2);
  EXPECT_EQ(back.progress.global_step, 77);
  EXPECT_EQ(back.progress.best_val_acc, 0.5);
  EXPECT_EQ(back.progress.last_val_acc, 0.25);
  EXPECT_EQ(back.progress.epoch_loss_sum, 1.5);
  EXPECT_EQ(back.progress.epoch_samples, 128);
  EXPECT_EQ(back.data, c.data);
  EXPECT_EQ(back.run_id, c.run_id);
  EXPECT_EQ(back.train_options, c.train_options);
  // Written again, the same text: nothing is lost or reformatted.
  EXPECT_EQ(encode_metadata(back), text);
}

// Files from before runs had an identity lack `run` and still load; a value that no run draws
// is refused naming the key.
TEST(Metadata, TheRunKeyMayBeMissingButNeverMalformed) {
  Checkpoint c = small_checkpoint();
  c.run_id.clear();
  const std::string text = encode_metadata(c);
  EXPECT_EQ(text.find("\nrun="), std::string::npos);
  Checkpoint back;
  ASSERT_TRUE(decode_metadata("x.pt", text, back));
  EXPECT_EQ(back.run_id, "");
  for (const std::string bad : {"", "0123", "0123456789ABCDEF", "0123456789abcdeg"}) {
    Checkpoint again;
    const auto st = decode_metadata("x.pt", text + "run=" + bad + "\n", again);
    ASSERT_FALSE(st) << bad;
    EXPECT_NE(st.error().message.find("x.pt: checkpoint metadata: run=" + bad), std::string::npos)
        << st.error().message;
  }
  EXPECT_TRUE(is_run_id(new_run_id()));
  EXPECT_NE(new_run_id(), new_run_id());
}

TEST(Metadata, KeysAreUniqueAndNoneIsAnOption) {
  std::set<std::string> seen;
  for (const auto& key : metadata_keys()) {
    EXPECT_TRUE(seen.insert(key.name).second) << key.name << " twice";
    EXPECT_NE(std::string(key.name).rfind(kTrainOptionPrefix, 0), 0u) << key.name;
    EXPECT_FALSE(std::string(key.meaning).empty()) << key.name;
  }
}

TEST(Metadata, TheFirstMissingUnreadableOrOutOfRangeKeyIsNamed) {
  const std::string good = encode_metadata(small_checkpoint());
  // Where the line of `key` starts (not inside another key: epoch in batch_in_epoch).
  auto line_of = [&](const std::string& key) {
    return good.rfind(key + "=", 0) == 0 ? 0 : good.find("\n" + key + "=") + 1;
  };
  auto without = [&](const std::string& key) {
    std::string t = good;
    const auto at = line_of(key);
    t.erase(at, t.find('\n', at) + 1 - at);
    return t;
  };
  auto with = [&](const std::string& key, const std::string& value) {
    std::string t = good;
    const auto at = line_of(key) + key.size() + 1;
    t.replace(at, t.find('\n', at) - at, value);
    return t;
  };
  const std::pair<std::string, std::string> cases[] = {
      {without("global_step"), "x.pt: checkpoint metadata: 'global_step' is missing"},
      {with("epoch", "3x"), "x.pt: checkpoint metadata: epoch=3x is not an integer"},
      {with("norm.mean", "nan"), "x.pt: checkpoint metadata: norm.mean=nan is not a finite number"},
      {with("norm.std", "0"),
       "x.pt: checkpoint metadata: norm.std=0 is out of range (no run writes it)"},
      {with("last_val_acc", "1.5"),
       "x.pt: checkpoint metadata: last_val_acc=1.5 is out of range (no run writes it)"},
      {with("model.arch", "resnet9"), "x.pt: checkpoint metadata: unknown model 'resnet9'"},
  };
  for (const auto& [text, expected] : cases) {
    Checkpoint c;
    const Status st = decode_metadata("x.pt", text, c);
    ASSERT_FALSE(st) << expected;
    EXPECT_EQ(st.error().message.rfind(expected, 0), 0u) << st.error().message;
  }
  // An accuracy not measured yet is nan, which reads back.
  Checkpoint c;
  EXPECT_TRUE(decode_metadata("x.pt", with("best_val_acc", "nan"), c));
  EXPECT_TRUE(std::isnan(c.progress.best_val_acc));
}

// docs/checkpoint-format.md shows the table the library declares, word for word.
TEST(Metadata, TheFormatDocumentShowsEveryKey) {
  std::ifstream in(std::string(DIGITS_SOURCE_DIR) + "/docs/checkpoint-format.md");
  ASSERT_TRUE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(metadata_table()), std::string::npos)
      << "docs/checkpoint-format.md should hold this table:\n"
      << metadata_table();
}

}  // namespace
}  // namespace digits
