// Tests of digits/evaluate/predictor.h: a checkpoint trained here predicts unseen digits far above
// chance; an ensemble averages its members' probabilities; --tta averages five shifted views; the
// held-out rows holdout.h picks are exactly the ones the trainer validated on; and the shipped
// checkpoints/pretrained.pt, when present, reads real digits right.
#include "digits/evaluate/predictor.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "digits/evaluate/holdout.h"
#include "digits/evaluate/metrics.h"
#include "digits/nn/model.h"
#include "digits/train/trainer.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

constexpr int64_t kTrainRows = 1000;   // the first rows of tests/fixtures/mnist-3000.csv.gz
constexpr int64_t kUnseenRows = 1000;  // the rows after them, never trained on

// One small network trained once for all tests here (about 2 s; 85% held out).
class TrainedPredictor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    TrainConfig c;
    c.data_paths = {testing::mnist_sample_path()};
    c.limit = kTrainRows;
    c.model.width = 8;
    c.epochs = 3;
    c.batch_size = 32;
    c.lr = 0.01;
    c.augment.enabled = false;  // learns faster from so few digits
    c.seed = 3;
    c.validation_seed = 4;
    c.checkpoint_dir = dir_->path();
    auto trainer = Trainer::start(c, testing::mnist_sample(kTrainRows));
    ASSERT_TRUE(trainer) << trainer.error().message;
    TrainHooks hooks;
    hooks.on_epoch = [](const EpochReport& r) { last_ = new EpochReport(r); };
    auto result = (*trainer)->run(hooks);
    ASSERT_TRUE(result) << result.error().message;
    trainer_ = trainer->release();
  }
  static void TearDownTestSuite() {
    delete trainer_;
    delete last_;
    delete dir_;
  }

  static std::string checkpoint() { return dir_->file("last.pt"); }
  static Predictor load() {
    auto p = Predictor::load({checkpoint()});
    EXPECT_TRUE(p) << p.error().message;
    return std::move(p).value();
  }
  static Dataset unseen() {
    const Dataset all = testing::mnist_sample(kTrainRows + kUnseenRows);
    return subset(all, torch::arange(kTrainRows, kTrainRows + kUnseenRows, torch::kInt64));
  }

  static TempDir* dir_;
  static Trainer* trainer_;
  static EpochReport* last_;
};
TempDir* TrainedPredictor::dir_ = nullptr;
Trainer* TrainedPredictor::trainer_ = nullptr;
EpochReport* TrainedPredictor::last_ = nullptr;

// A network with fresh random weights: an ensemble member that disagrees with the trained one.
Checkpoint untrained_member(uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig config;
  config.width = 8;
  auto net = make_model(config);
  EXPECT_TRUE(net) << net.error().message;
  Checkpoint c;
  c.model = config;
  c.normalization = {0.13, 0.31};
  c.net = *net;
  return c;
}

// The probabilities of a member's own module in eval mode: what the predictor computed before it
// ran frozen networks (InferenceNet).
torch::Tensor plain_eval_probabilities(const Checkpoint& c, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  c.net->eval();
  const auto x = (images.to(torch::kFloat).div(255.0).unsqueeze(1) - c.normalization.mean) /
                 c.normalization.std;
  return torch::softmax(c.net->forward(x), 1);
}

// predict() (one image at a time) and probabilities() (a batch) both match the plain eval forward
// (of an ensemble, its members' mean).
void expect_same_as_plain_eval(const Predictor& p, const torch::Tensor& images) {
  auto expected = torch::zeros({images.size(0), kClasses});
  for (const Checkpoint& m : p.members()) expected += plain_eval_probabilities(m, images);
  expected /= static_cast<double>(p.members().size());
  EXPECT_TRUE(torch::allclose(p.probabilities(images), expected, 0, 1e-5));
  for (int64_t i = 0; i < images.size(0); ++i) {
    const Prediction one = p.predict(images[i]);
    for (int64_t k = 0; k < kClasses; ++k) {
      EXPECT_NEAR(one.probabilities[k], expected[i][k].item<float>(), 1e-5) << "image " << i;
    }
  }
}

TEST_F(TrainedPredictor, PredictsUnseenDigitsFarAboveChance) {
  ASSERT_NE(trainer_, nullptr);
  const Predictor p = load();
  const Dataset data = unseen();
  const auto probs = p.probabilities(data.images);
  ASSERT_EQ(probs.sizes(), (torch::IntArrayRef{kUnseenRows, kClasses}));
  EXPECT_TRUE(torch::allclose(probs.sum(1), torch::ones({kUnseenRows}), 1e-5, 1e-5));
  const auto m = ConfusionMatrix::of(data.labels, probs.argmax(1));
  EXPECT_GT(m.accuracy(), 0.7) << format_confusion_matrix(m);  // chance is 0.1
}

TEST_F(TrainedPredictor, OneImageGivesTheSameAnswerAsABatch) {
  const Predictor p = load();
  const Dataset data = unseen();
  const auto probs = p.probabilities(data.images.slice(0, 0, 5));
  for (int64_t i = 0; i < 5; ++i) {
    const Prediction one = p.predict(data.images[i]);
    EXPECT_EQ(one.digit, probs[i].argmax().item<int64_t>());
    EXPECT_NEAR(one.confidence, probs[i].max().item<float>(), 1e-6);
    // Float 0..1 input means the same as uint8 0..255.
    EXPECT_EQ(p.predict(data.images[i].to(torch::kFloat) / 255).digit, one.digit);
  }
}

TEST_F(TrainedPredictor, FrozenNetworksGiveThePlainEvalProbabilities) {
  expect_same_as_plain_eval(load(), unseen().images.slice(0, 0, 50));
  expect_same_as_plain_eval(Predictor::from_checkpoints({untrained_member(5)}),
                            unseen().images.slice(0, 0, 10));
}

TEST_F(TrainedPredictor, EnsembleProbabilitiesAreTheMeanOfTheMembers) {
  const Predictor trained = load();
  std::vector<Checkpoint> members = {trained.members()[0], untrained_member(1),
                                     untrained_member(2)};
  const auto images = unseen().images.slice(0, 0, 300);
  for (bool tta : {false, true}) {
    torch::Tensor sum = torch::zeros({300, kClasses});
    for (const auto& m : members)
      sum += Predictor::from_checkpoints({m}).probabilities(images, tta);
    const auto ensemble = Predictor::from_checkpoints(members).probabilities(images, tta, 64);
    EXPECT_TRUE(torch::allclose(ensemble, sum / 3, 1e-6, 1e-6)) << "tta=" << tta;
    // The members really differ, so the test could fail.
    EXPECT_FALSE(torch::allclose(
        ensemble, Predictor::from_checkpoints({members[0]}).probabilities(images, tta), 1e-3,
        1e-3));
  }
}

TEST_F(TrainedPredictor, EnsembleOfCheckpointFilesLoadsEveryMember) {
  auto p = Predictor::load({checkpoint(), dir_->file("best.pt")});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->members().size(), 2u);
  EXPECT_EQ(p->paths()[1], dir_->file("best.pt"));
}

// One ensemble file predicts what its members' files predict together, and its members keep
// their runs' identity (the hold-out check uses it) under the names FILE#1, FILE#2.
TEST_F(TrainedPredictor, AnEnsembleFilePredictsAsItsMembersFilesDo) {
  auto separate = Predictor::load({checkpoint(), dir_->file("best.pt")});
  ASSERT_TRUE(separate) << separate.error().message;
  std::vector<Checkpoint> members = separate->members();
  members.push_back(untrained_member(6));  // so that the members disagree
  const std::string path = dir_->file("ensemble.pt");
  ASSERT_TRUE(save_ensemble(path, members));
  auto one_file = Predictor::load({path});
  ASSERT_TRUE(one_file) << one_file.error().message;
  ASSERT_EQ(one_file->members().size(), 3u);
  EXPECT_EQ(one_file->paths(), (std::vector<std::string>{path + "#1", path + "#2", path + "#3"}));
  EXPECT_EQ(one_file->members()[0].data.fingerprint, separate->members()[0].data.fingerprint);
  EXPECT_EQ(one_file->members()[0].train_options, separate->members()[0].train_options);
  const auto images = unseen().images.slice(0, 0, 200);
  EXPECT_TRUE(torch::allclose(one_file->probabilities(images),
                              Predictor::from_checkpoints(members).probabilities(images), 0, 1e-6));
  const Prediction a = one_file->predict(images[0]);
  const Prediction b = Predictor::from_checkpoints(members).predict(images[0]);
  EXPECT_EQ(a.digit, b.digit);
  EXPECT_NEAR(a.confidence, b.confidence, 1e-6);
  // Beside another file: every member of each.
  auto mixed = Predictor::load({checkpoint(), path});
  ASSERT_TRUE(mixed) << mixed.error().message;
  EXPECT_EQ(mixed->paths(),
            (std::vector<std::string>{checkpoint(), path + "#1", path + "#2", path + "#3"}));
}

TEST_F(TrainedPredictor, TtaAveragesTheImageAndItsFourOnePixelShifts) {
  const Predictor p = load();
  const auto images = unseen().images.slice(0, 0, 200);
  const auto tta = p.probabilities(images, /*tta=*/true, /*batch_size=*/77);
  ASSERT_EQ(tta.sizes(), (torch::IntArrayRef{200, kClasses}));
  EXPECT_TRUE(torch::allclose(tta.sum(1), torch::ones({200}), 1e-5, 1e-5));
  torch::Tensor expected = p.probabilities(images);
  const int64_t shifts[][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  for (const auto& s : shifts) expected += p.probabilities(shift_images(images, s[0], s[1]));
  EXPECT_TRUE(torch::allclose(tta, expected / 5, 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(tta, p.probabilities(images), 1e-3, 1e-3));
}

TEST_F(TrainedPredictor, ReportsProgressOverEveryBatch) {
  const Predictor p = load();
  const auto images = unseen().images.slice(0, 0, 250);
  std::vector<int64_t> done;
  const auto probs = p.probabilities(images, false, 100, [&](int64_t d, int64_t total) {
    EXPECT_EQ(total, 250);
    done.push_back(d);
  });
  EXPECT_EQ(done, (std::vector<int64_t>{100, 200, 250}));
  EXPECT_TRUE(probs.equal(p.probabilities(images, false, 100)));
}

TEST_F(TrainedPredictor, HeldOutRowsAreTheRowsTheTrainerValidatedOn) {
  ASSERT_NE(last_, nullptr);
  const Predictor p = load();
  const Checkpoint& ckpt = p.members()[0];
  auto holdout = holdout_of(ckpt);
  ASSERT_TRUE(holdout) << holdout.error().message;
  EXPECT_EQ(holdout->seed, 4u);  // --split-seed, not --seed
  EXPECT_EQ(holdout->data.limit, kTrainRows);

  const Dataset data = testing::mnist_sample(holdout->data.limit);
  ASSERT_TRUE(check_training_data(ckpt, checkpoint(), data, "mnist-3000.csv.gz"));
  const Dataset held_out = subset(data, holdout_rows(data, *holdout));
  EXPECT_EQ(held_out.size(), trainer_->val_size());
  // The trainer's own evaluation of these rows reproduces its last epoch's figures exactly.
  const auto again = trainer_->evaluate(held_out);
  EXPECT_EQ(again.loss, last_->val_loss);
  EXPECT_EQ(again.accuracy, last_->val_acc);
  EXPECT_EQ(ckpt.progress.last_val_acc, last_->val_acc);
  // And the predictor agrees with it (to one image: it computes softmax in another order).
  const auto m = ConfusionMatrix::of(held_out.labels, p.probabilities(held_out.images).argmax(1));
  EXPECT_NEAR(m.accuracy(), last_->val_acc, 1.0 / held_out.size() + 1e-12);
}

TEST(Predictor, BadCheckpointsAreErrorsNamingTheFile) {
  TempDir dir;
  const auto garbage = dir.file("garbage.pt");
  testing::write_file(garbage, "this is not a checkpoint");
  auto p = Predictor::load({garbage});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find(garbage), std::string::npos) << p.error().message;
  p = Predictor::load({dir.file("missing.pt")});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("missing.pt"), std::string::npos) << p.error().message;
  EXPECT_FALSE(Predictor::load({}));
}

TEST(Predictor, ShiftImagesMovesPixelsAndFillsWithZeros) {
  auto image = torch::zeros({1, 28, 28}, torch::kUInt8);
  image[0][5][7] = 200;
  image[0][0][27] = 9;
  const auto right = shift_images(image, 0, 1);
  EXPECT_EQ(right[0][5][8].item<int>(), 200);
  EXPECT_EQ(right.sum().item<int>(), 200);  // the pixel at the right edge fell off
  const auto up = shift_images(image, -1, 0);
  EXPECT_EQ(up[0][4][7].item<int>(), 200);
  EXPECT_EQ(up.sum().item<int>(), 200);
  EXPECT_EQ(shift_images(image, 1, -1)[0][1][26].item<int>(), 9);
}

using testing::pretrained_path;

// The shipped model: checkpoints/pretrained.pt (at most 5 MB; its first network read 99.597% of
// its run's held-out rows, Kaggle's and pen digits': docs/accuracy.md has the pair's figures).
TEST(Pretrained, ReadsRealDigitsRight) {
  const auto path = pretrained_path();
  if (path.empty()) GTEST_SKIP() << "checkpoints/pretrained.pt is not in this checkout";
  EXPECT_LE(std::filesystem::file_size(path), 5u * 1000 * 1000)
      << "the shipped model must be small";
  auto p = Predictor::load({path});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_GE(p->members()[0].progress.best_val_acc, 0.995);

  // The first rows of the bundled sample, one by one as digit-draw asks, then all 3,000.
  const Dataset data = testing::mnist_sample();
  for (int64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(p->predict(data.images[i]).digit, data.labels[i].item<int64_t>()) << "row " << i;
  }
  const auto m = ConfusionMatrix::of(data.labels, p->probabilities(data.images).argmax(1));
  EXPECT_GE(m.accuracy(), 0.99) << format_confusion_matrix(m);
}

// A trained network's batch norm folded into its convolutions gives the same probabilities (the
// shipped model's networks, averaged as an ensemble when it is one).
TEST(Pretrained, FrozenNetworkGivesThePlainEvalProbabilities) {
  const auto path = pretrained_path();
  if (path.empty()) GTEST_SKIP() << "checkpoints/pretrained.pt is not in this checkout";
  auto p = Predictor::load({path});
  ASSERT_TRUE(p) << p.error().message;
  expect_same_as_plain_eval(*p, testing::mnist_sample(100).images);
}

}  // namespace
}  // namespace digits
