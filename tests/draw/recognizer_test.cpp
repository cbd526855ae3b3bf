// Tests of digits/draw/recognizer.h: the drawing app's prediction state. It predicts only when the
// canvas changed, exactly what Predictor says for the prepared canvas; it notices a checkpoint
// replaced on disk; it keeps a working model when a load fails; it saves teaching rows that the
// CSV loader reads back; an ensemble file is one model. Which model is the default:
// tests/checkpoint/find_model_test.cpp.
#include "digits/draw/recognizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <thread>

#include "digits/checkpoint/checkpoint.h"
#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "digits/nn/model.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

// A small network with fresh weights saved at `path` (the tests need a file, not accuracy).
void save_untrained(const std::string& path, uint64_t seed, int64_t epoch = 3) {
  torch::manual_seed(seed);
  Checkpoint c;
  c.model.width = 8;
  c.normalization = {0.13, 0.31};
  c.progress.epoch = epoch;
  c.progress.best_val_acc = 0.5;
  auto net = make_model(c.model);
  ASSERT_TRUE(net) << net.error().message;
  c.net = *net;
  ASSERT_TRUE(save_checkpoint(path, c));
}

Canvas a_stroke() {
  Canvas c(224);
  c.begin_stroke({0.5f, 0.2f});
  c.extend_stroke({0.5f, 0.8f});
  c.end_stroke();
  return c;
}

TEST(Recognizer, LoadsAndDescribesTheCheckpoint) {
  TempDir dir;
  save_untrained(dir.file("m.pt"), 1, 7);
  Recognizer r;
  EXPECT_FALSE(r.loaded());
  ASSERT_TRUE(r.load(dir.file("m.pt")));
  EXPECT_TRUE(r.loaded());
  EXPECT_EQ(r.info().name, "m.pt");
  EXPECT_EQ(r.info().arch, "bncnn width 8");
  EXPECT_EQ(r.info().epoch, 7);
  EXPECT_DOUBLE_EQ(r.info().val_acc, 0.5);
  EXPECT_EQ(r.path(), dir.file("m.pt"));
}

TEST(Recognizer, PredictsOnlyWhenTheCanvasChanges) {
  TempDir dir;
  save_untrained(dir.file("m.pt"), 1);
  Recognizer r;
  ASSERT_TRUE(r.load(dir.file("m.pt")));
  Canvas c(224);
  EXPECT_TRUE(r.update(c));
  EXPECT_FALSE(r.prediction());  // no ink, no prediction
  EXPECT_FALSE(r.update(c));
  c.begin_stroke({0.5f, 0.2f});
  EXPECT_TRUE(r.update(c));
  EXPECT_TRUE(r.prediction());
  EXPECT_FALSE(r.update(c));
  EXPECT_FALSE(r.update(c));
  c.extend_stroke({0.5f, 0.8f});
  EXPECT_TRUE(r.update(c));
  EXPECT_EQ(r.predictions(), 3);
  EXPECT_GE(r.latency_ms(), 0.0);
  r.invalidate();
  EXPECT_TRUE(r.update(c));
  c.clear();
  EXPECT_TRUE(r.update(c));
  EXPECT_FALSE(r.prediction());
}

TEST(Recognizer, PredictsWhatThePredictorSaysOfThePreparedCanvas) {
  TempDir dir;
  save_untrained(dir.file("m.pt"), 2);
  Recognizer r;
  ASSERT_TRUE(r.load(dir.file("m.pt")));
  const Canvas c = a_stroke();
  ASSERT_TRUE(r.update(c));
  auto p = Predictor::load({dir.file("m.pt")});
  ASSERT_TRUE(p);
  const Prediction expected = p->predict(prepare_drawing(c.view()));
  ASSERT_TRUE(r.prediction());
  EXPECT_EQ(r.prediction()->digit, expected.digit);
  for (int k = 0; k < 10; ++k) {
    EXPECT_FLOAT_EQ(r.prediction()->probabilities[k], expected.probabilities[k]);
  }
  EXPECT_EQ(r.input(), prepare_digit(c.view()));
}

// An ensemble file is one model to the app: described as such, predicting its members' mean.
TEST(Recognizer, AnEnsembleFileIsOneModelPredictingItsMembersMean) {
  TempDir dir;
  save_untrained(dir.file("a.pt"), 3);
  save_untrained(dir.file("b.pt"), 4);
  auto members = Predictor::load({dir.file("a.pt"), dir.file("b.pt")});
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_TRUE(save_ensemble(dir.file("ab.pt"), members->members()));
  Recognizer r;
  ASSERT_TRUE(r.load(dir.file("ab.pt")));
  EXPECT_EQ(r.info().name, "ab.pt");
  EXPECT_EQ(r.info().arch, "2 x bncnn width 8");
  const Canvas c = a_stroke();
  ASSERT_TRUE(r.update(c));
  const Prediction expected = members->predict(prepare_drawing(c.view()));
  ASSERT_TRUE(r.prediction());
  EXPECT_EQ(r.prediction()->digit, expected.digit);
  for (int k = 0; k < 10; ++k) {
    EXPECT_NEAR(r.prediction()->probabilities[k], expected.probabilities[k], 1e-6);
  }
}

TEST(Recognizer, AFailedLoadNamesTheFileAndKeepsTheWorkingModel) {
  TempDir dir;
  Recognizer r;
  Status missing = r.load(dir.file("none.pt"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.pt"), std::string::npos);
  EXPECT_FALSE(r.loaded());
  EXPECT_EQ(r.path(), dir.file("none.pt"));  // watched: it may be written later

  save_untrained(dir.file("m.pt"), 1);
  ASSERT_TRUE(r.load(dir.file("m.pt")));
  testing::write_file(dir.file("bad.pt"), "not a checkpoint");
  Status bad = r.load(dir.file("bad.pt"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.pt"), std::string::npos);
  EXPECT_TRUE(r.loaded());
  EXPECT_EQ(r.info().name, "m.pt");
  EXPECT_EQ(r.path(), dir.file("m.pt"));
  EXPECT_TRUE(r.update(a_stroke()));
  EXPECT_TRUE(r.prediction());
}

TEST(Recognizer, NoticesACheckpointReplacedOnDisk) {
  TempDir dir;
  const std::string path = dir.file("best.pt");
  Recognizer r;
  ASSERT_FALSE(r.load(path));
  EXPECT_FALSE(r.file_changed());  // still missing
  save_untrained(path, 1);         // a training run writes its first best.pt
  EXPECT_TRUE(r.file_changed());
  ASSERT_TRUE(r.reload());
  EXPECT_FALSE(r.file_changed());

  save_untrained(dir.file("next.pt"), 2, 9);  // the next best, renamed over it as the trainer does
  std::filesystem::rename(dir.file("next.pt"), path);
  EXPECT_TRUE(r.file_changed());
  ASSERT_TRUE(r.reload());
  EXPECT_EQ(r.info().epoch, 9);
  EXPECT_FALSE(r.file_changed());

  std::filesystem::remove(path);  // between a save's unlink and rename
  EXPECT_FALSE(r.file_changed());
}

TEST(Recognizer, ReloadPredictsAgainWithTheNewModel) {
  TempDir dir;
  save_untrained(dir.file("m.pt"), 1);
  Recognizer r;
  ASSERT_TRUE(r.load(dir.file("m.pt")));
  const Canvas c = a_stroke();
  ASSERT_TRUE(r.update(c));
  const auto before = r.prediction()->probabilities;
  save_untrained(dir.file("m.pt"), 5);
  ASSERT_TRUE(r.reload());
  EXPECT_TRUE(r.update(c));  // same canvas, new model
  EXPECT_NE(r.prediction()->probabilities, before);
}

TEST(Recognizer, TeachingAppendsRowsTheLoaderReads) {
  TempDir dir;
  Recognizer r;  // no model needed to save drawings
  const std::string csv = dir.file("data/my-digits.csv");
  EXPECT_FALSE(r.teach(Canvas(224), 3, csv));  // nothing drawn
  EXPECT_FALSE(std::filesystem::exists(csv));
  const Canvas one = a_stroke();
  Canvas seven(224);
  seven.begin_stroke({0.2f, 0.2f});
  seven.extend_stroke({0.8f, 0.2f});
  seven.extend_stroke({0.4f, 0.9f});
  ASSERT_TRUE(r.teach(one, 1, csv));
  ASSERT_TRUE(r.teach(seven, 7, csv));
  auto data = load_kaggle_csv(csv);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->size(), 2);
  EXPECT_EQ(data->labels[0].item<int64_t>(), 1);
  EXPECT_EQ(data->labels[1].item<int64_t>(), 7);
  EXPECT_TRUE(torch::equal(data->images[1], prepare_drawing(seven.view())));
  EXPECT_FALSE(r.teach(one, 10, csv));  // not a digit
}

}  // namespace
}  // namespace digits
