// digits/checkpoint/checkpoint.h choose_model and models_in: the model a program uses when not
// told is never silently a weaker one than the shipped model.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/model.h"
#include "digits/train/options.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

// A network of the smallest width that records `fingerprint` as its data, `val_acc` as its best
// validation accuracy and `data_path` as its --data.
Checkpoint recorded(uint64_t fingerprint, double val_acc, const std::string& data_path) {
  Checkpoint c;
  c.model = ModelConfig{Arch::kBnCnn, 1, 0.0};
  c.net = make_model(c.model).value();
  c.data = {100, fingerprint};
  c.progress.epoch = 3;
  c.progress.best_val_acc = val_acc;
  c.progress.last_val_acc = val_acc;
  TrainConfig options;
  options.data_paths = {data_path};
  c.train_options = encode_options(options);
  return c;
}

// checkpoints/pretrained.pt: an ensemble of two members, on data 1 and data 2.
void ship(const TempDir& dir) {
  ASSERT_TRUE(save_ensemble(dir.file("pretrained.pt"),
                            {recorded(1, 0.995, "data/train.csv"), recorded(2, 0.996, "b.csv")}));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ChooseModel, NoneWithoutAModel) {
  TempDir dir;
  EXPECT_EQ(choose_model(dir.path()).path, "");
}

TEST(ChooseModel, TheOnlyModelThereIsUsed) {
  TempDir shipped_only;
  ship(shipped_only);
  EXPECT_EQ(choose_model(shipped_only.path()).path, shipped_only.file("pretrained.pt"));
  TempDir trained_only;
  ASSERT_TRUE(save_checkpoint(trained_only.file("best.pt"), recorded(7, 0.9, "d.csv")));
  EXPECT_EQ(choose_model(trained_only.path()).path, trained_only.file("best.pt"));
}

TEST(ChooseModel, AModelOfOtherDataIsNotUsedSilently) {
  TempDir dir;
  ship(dir);
  // Newer and with a higher figure, but measured on other rows: nothing shows it reads as well.
  ASSERT_TRUE(save_checkpoint(dir.file("best.pt"), recorded(7, 0.999, "data/mnist-default.csv")));
  const ModelChoice chosen = choose_model(dir.path());
  EXPECT_EQ(chosen.path, dir.file("pretrained.pt"));
  EXPECT_TRUE(has(chosen.note, dir.file("best.pt"))) << chosen.note;
  EXPECT_TRUE(has(chosen.note, "other data (data/mnist-default.csv)")) << chosen.note;
  EXPECT_TRUE(has(chosen.note, "--checkpoint " + dir.file("best.pt"))) << chosen.note;
  EXPECT_EQ(default_checkpoint(dir.path()), chosen.path);
}

TEST(ChooseModel, AModelOfTheShippedDataIsUsedWhenAtLeastAsGood) {
  TempDir dir;
  ship(dir);
  ASSERT_TRUE(save_checkpoint(dir.file("best.pt"), recorded(2, 0.996, "b.csv")));
  ModelChoice chosen = choose_model(dir.path());
  EXPECT_EQ(chosen.path, dir.file("best.pt")) << chosen.note;
  EXPECT_TRUE(has(chosen.note, "at least its 0.9960")) << chosen.note;
  // Less well than the member of its data: the shipped model, saying why.
  ASSERT_TRUE(save_checkpoint(dir.file("best.pt"), recorded(2, 0.990, "b.csv")));
  chosen = choose_model(dir.path());
  EXPECT_EQ(chosen.path, dir.file("pretrained.pt"));
  EXPECT_TRUE(has(chosen.note, "less well (val_acc 0.9900, the shipped model 0.9960)"))
      << chosen.note;
}

TEST(ChooseModel, AnUnreadableModelIsNotUsed) {
  TempDir dir;
  ship(dir);
  testing::write_file(dir.file("best.pt"), "not a checkpoint");
  const ModelChoice chosen = choose_model(dir.path());
  EXPECT_EQ(chosen.path, dir.file("pretrained.pt"));
  EXPECT_TRUE(has(chosen.note, "cannot be read")) << chosen.note;
}

TEST(ModelsIn, TheShippedModelFirstThenByNameWithTheRunsBestModels) {
  TempDir dir;
  for (const char* name : {"last.pt", "best.pt", "pretrained.pt", "notes.txt"}) {
    testing::write_file(dir.file(name), "x");
  }
  std::filesystem::create_directories(dir.file("runs/a"));
  testing::write_file(dir.file("runs/a/best.pt"), "x");
  const std::vector<std::string> expected = {dir.file("pretrained.pt"), dir.file("best.pt"),
                                             dir.file("last.pt"), dir.file("runs/a/best.pt")};
  EXPECT_EQ(models_in(dir.path()), expected);
}

}  // namespace
}  // namespace digits
