// Tests of digits/train/trainer.h: a short run learns; a stopped and resumed run equals an
// uninterrupted one; resuming with other options or data is refused unless fine-tuning; the
// training loss (smoothed, mixed, not-digit rows). The schedule and the metrics log have files
// of their own (schedule_test.cpp, metrics_log_test.cpp).
#include "digits/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

TrainConfig small_config(const std::string& dir, int64_t epochs = 2) {
  TrainConfig c;
  c.data_paths = {testing::mnist_sample_path()};
  c.limit = 600;
  c.model.width = 8;
  c.epochs = epochs;
  c.batch_size = 32;
  c.checkpoint_dir = dir;
  c.seed = 11;
  return c;
}

Dataset small_data(int64_t limit = 600) { return testing::mnist_sample(limit); }

struct RunLog {
  std::vector<EpochReport> epochs;
  TrainResult result{};
};

RunLog run(Trainer& t, int64_t stop_after = -1, int64_t interrupt_at_batch = -1) {
  RunLog r;
  std::atomic<bool> stop{false};
  TrainHooks hooks;
  hooks.stop = &stop;
  hooks.stop_after_epochs = stop_after;
  hooks.on_epoch = [&](const EpochReport& e) { r.epochs.push_back(e); };
  hooks.on_batch = [&](const BatchProgress& p) {
    if (interrupt_at_batch > 0 && p.epoch == 1 && p.batch >= interrupt_at_batch) stop = true;
  };
  auto result = t.run(hooks);
  EXPECT_TRUE(result) << result.error().message;
  if (result) r.result = *result;
  return r;
}

std::unique_ptr<Trainer> resume_from(const std::string& path, const TrainConfig& c,
                                     ResumeMode mode = ResumeMode::kExact) {
  auto ckpt = load_checkpoint(path);
  EXPECT_TRUE(ckpt) << ckpt.error().message;
  if (!ckpt) return nullptr;
  auto t = Trainer::resume(std::move(ckpt.value()), c, small_data(c.limit), mode);
  EXPECT_TRUE(t) << t.error().message;
  return t ? std::move(t.value()) : nullptr;
}

TEST(Trainer, StopAfterOneEpochThenResumeEqualsTheUninterruptedRun) {
  TempDir whole_dir, split_dir;
  auto whole = Trainer::start(small_config(whole_dir.path()), small_data());
  ASSERT_TRUE(whole) << whole.error().message;
  const RunLog expected = run(**whole);
  ASSERT_EQ(expected.epochs.size(), 2u);
  EXPECT_EQ(expected.result.reason, StopReason::kFinished);

  const TrainConfig c = small_config(split_dir.path());
  auto first = Trainer::start(c, small_data());
  ASSERT_TRUE(first) << first.error().message;
  const RunLog part1 = run(**first, /*stop_after=*/1);
  ASSERT_EQ(part1.epochs.size(), 1u);
  EXPECT_EQ(part1.result.reason, StopReason::kStopAfter);
  first->reset();

  auto second = resume_from(split_dir.file("last.pt"), c);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->epochs_done(), 1);
  const RunLog part2 = run(*second);
  ASSERT_EQ(part2.epochs.size(), 1u);
  EXPECT_EQ(part2.epochs[0].epoch, 2);
  EXPECT_EQ(part2.result.reason, StopReason::kFinished);

  EXPECT_EQ(part1.epochs[0].val_loss, expected.epochs[0].val_loss);
  EXPECT_EQ(part2.epochs[0].train_loss, expected.epochs[1].train_loss);
  EXPECT_EQ(part2.epochs[0].val_loss, expected.epochs[1].val_loss);
  EXPECT_EQ(part2.epochs[0].val_acc, expected.epochs[1].val_acc);
  EXPECT_EQ(part2.epochs[0].lr, expected.epochs[1].lr);
}

TEST(Trainer, InterruptedMidEpochThenResumedEqualsTheUninterruptedRun) {
  // With elastic distortion and mixup on: their random draws must resume exactly too.
  auto elastic_config = [](const std::string& dir) {
    TrainConfig c = small_config(dir);
    c.augment.elastic_px = 1.5;
    c.mixup = 0.4;
    return c;
  };
  TempDir whole_dir, split_dir;
  auto whole = Trainer::start(elastic_config(whole_dir.path()), small_data());
  ASSERT_TRUE(whole) << whole.error().message;
  const RunLog expected = run(**whole);

  const TrainConfig c = elastic_config(split_dir.path());
  auto first = Trainer::start(c, small_data());
  ASSERT_TRUE(first);
  const RunLog part1 = run(**first, -1, /*interrupt_at_batch=*/5);
  EXPECT_EQ(part1.result.reason, StopReason::kInterrupted);
  EXPECT_TRUE(part1.epochs.empty());
  first->reset();

  auto second = resume_from(split_dir.file("last.pt"), c);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->epochs_done(), 0);
  const RunLog rest = run(*second);
  ASSERT_EQ(rest.epochs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rest.epochs[i].train_loss, expected.epochs[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(rest.epochs[i].val_loss, expected.epochs[i].val_loss) << "epoch " << i + 1;
    EXPECT_EQ(rest.epochs[i].val_acc, expected.epochs[i].val_acc) << "epoch " << i + 1;
  }
}

TEST(Trainer, WritesLastBestAndOneMetricsRowPerEpoch) {
  TempDir dir;
  auto t = Trainer::start(small_config(dir.path()), small_data());
  ASSERT_TRUE(t);
  const RunLog r = run(**t);
  EXPECT_TRUE(std::filesystem::exists(dir.file("last.pt")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("best.pt")));
  std::ifstream metrics(dir.file("metrics.csv"));
  std::string header, row;
  std::getline(metrics, header);
  EXPECT_EQ(header, "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds");
  int rows = 0;
  while (std::getline(metrics, row)) rows += !row.empty();
  EXPECT_EQ(rows, 2);
  auto last = load_checkpoint(dir.file("last.pt"));
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->progress.epoch, 2);
  EXPECT_EQ(last->progress.best_val_acc, r.result.best_val_acc);
  EXPECT_EQ(last->data.rows, 600);
}

// 17 full batches of 32 and one image over: batch norm cannot train on a batch of one, so that
// image joins the epoch's last full batch instead of failing the run (it did, at the first epoch's
// end, for a run whose rows happened to leave one over).
TEST(Trainer, OneImageLeftOverJoinsTheLastBatch) {
  TempDir dir;
  TrainConfig c = small_config(dir.path(), 1);
  c.limit = 32 * 17 + 1;
  c.val_fraction = 0;
  auto t = Trainer::start(c, small_data(c.limit));
  ASSERT_TRUE(t) << t.error().message;
  const RunLog r = run(**t);
  ASSERT_EQ(r.epochs.size(), 1u);
  auto last = load_checkpoint(dir.file("last.pt"));
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->progress.global_step, 17);
  // Two left over are a batch of their own.
  TempDir two;
  c.checkpoint_dir = two.path();
  c.limit = 32 * 17 + 2;
  t = Trainer::start(c, small_data(c.limit));
  ASSERT_TRUE(t) << t.error().message;
  run(**t);
  last = load_checkpoint(two.file("last.pt"));
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->progress.global_step, 18);
}

TEST(Trainer, ResumeDropsMetricsRowsOfEpochsTheCheckpointDoesNotHold) {
  // A kill between logging epoch 2 and saving it leaves a row the checkpoint does not hold;
  // the resumed run redoes epoch 2 and must log it once, with its own figures.
  TempDir dir;
  const TrainConfig c = small_config(dir.path());
  auto first = Trainer::start(c, small_data());
  ASSERT_TRUE(first);
  run(**first, /*stop_after=*/1);
  first->reset();
  std::ofstream(dir.file("metrics.csv"), std::ios::app) << "2,9,9,0.777777,0.1,1,1\n";

  auto second = resume_from(dir.file("last.pt"), c);
  ASSERT_NE(second, nullptr);
  const RunLog rest = run(*second);
  ASSERT_EQ(rest.epochs.size(), 1u);

  std::ifstream metrics(dir.file("metrics.csv"));
  std::string line;
  std::getline(metrics, line);
  EXPECT_EQ(line, "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds");
  std::vector<std::string> rows;
  while (std::getline(metrics, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].substr(0, 2), "1,");
  EXPECT_EQ(rows[1].substr(0, 2), "2,");
  EXPECT_EQ(rows[1].find("0.777777"), std::string::npos) << rows[1];
}

TEST(Trainer, ResumingWithOtherOptionsOrDataIsRefusedUnlessFineTuning) {
  TempDir dir;
  TrainConfig c = small_config(dir.path(), 3);
  auto t = Trainer::start(c, small_data());
  ASSERT_TRUE(t);
  run(**t, 1);
  t.value().reset();  // the run ends and frees its folder's lock
  const std::string last = dir.file("last.pt");

  TrainConfig other_lr = c;
  other_lr.lr = 0.01;
  auto refused =
      Trainer::resume(load_checkpoint(last).value(), other_lr, small_data(), ResumeMode::kExact);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("--lr"), std::string::npos) << refused.error().message;

  TrainConfig more = c;
  more.limit = 500;
  auto other_data =
      Trainer::resume(load_checkpoint(last).value(), more, small_data(500), ResumeMode::kExact);
  ASSERT_FALSE(other_data);

  TrainConfig other_arch = c;
  other_arch.model.arch = Arch::kSeed;
  auto wrong_arch = Trainer::resume(load_checkpoint(last).value(), other_arch, small_data(),
                                    ResumeMode::kFineTune);
  ASSERT_FALSE(wrong_arch);  // fine-tuning keeps the architecture
  EXPECT_NE(wrong_arch.error().message.find("seed"), std::string::npos);

  TempDir tune_dir;
  TrainConfig tune = other_lr;
  tune.limit = 500;
  tune.epochs = 1;
  tune.checkpoint_dir = tune_dir.path();
  auto fine =
      Trainer::resume(load_checkpoint(last).value(), tune, small_data(500), ResumeMode::kFineTune);
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ((*fine)->epochs_done(), 0);  // a new run from the checkpoint's weights
  const RunLog r = run(**fine);
  EXPECT_EQ(r.epochs.size(), 1u);
}

TEST(Trainer, LearnsFromAFewThousandRealDigits) {
  TempDir dir;
  TrainConfig c = small_config(dir.path(), 3);
  c.limit = 3000;
  c.model.width = 16;
  auto t = Trainer::start(c, small_data(3000));
  ASSERT_TRUE(t);
  const RunLog r = run(**t);
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_GT(r.epochs.back().val_acc, 0.85);  // chance is 0.10
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
  EXPECT_EQ((*t)->val_size(), 300);
  EXPECT_EQ((*t)->train_size(), 2700);
}

TEST(Trainer, RejectsBadOptionsAndTestFormatData) {
  TempDir dir;
  TrainConfig c = small_config(dir.path());
  // An optimizer is an enum: a name outside its table is refused where text becomes a value.
  const Status bad = find_train_option("optimizer")->set(c, {"rmsprop"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("rmsprop"), std::string::npos);

  Dataset unlabelled{small_data().images, torch::Tensor(), {}};
  auto test_format = Trainer::start(small_config(dir.path()), unlabelled);
  ASSERT_FALSE(test_format);
  EXPECT_NE(test_format.error().message.find("test format"), std::string::npos);

  TrainConfig flat = small_config(dir.path());
  flat.augment.elastic_sigma = 0;
  auto no_sigma = Trainer::start(flat, small_data());
  ASSERT_FALSE(no_sigma);
  EXPECT_NE(no_sigma.error().message.find("--elastic-sigma"), std::string::npos);

  TrainConfig all_smoothed = small_config(dir.path());
  all_smoothed.label_smoothing = 1.0;  // would leave no trace of the labels
  auto no_labels = Trainer::start(all_smoothed, small_data());
  ASSERT_FALSE(no_labels);
  EXPECT_NE(no_labels.error().message.find("--label-smoothing"), std::string::npos);

  for (double alpha : {-0.1, 11.0}) {
    TrainConfig mixed = small_config(dir.path());
    mixed.mixup = alpha;
    auto bad_mixup = Trainer::start(mixed, small_data());
    ASSERT_FALSE(bad_mixup) << alpha;
    EXPECT_NE(bad_mixup.error().message.find("--mixup"), std::string::npos);
  }
}

// A run whose weights stop being finite ends with an Error before saving anything of them; what
// was saved before stays byte for byte.
TEST(Trainer, ADivergedRunStopsAndKeepsTheLastGoodCheckpoint) {
  TempDir dir;
  auto t = Trainer::start(small_config(dir.path(), 3), small_data());
  ASSERT_TRUE(t);
  run(**t, 1);
  const std::string last = testing::read_file(dir.file("last.pt"));
  const std::string best = testing::read_file(dir.file("best.pt"));
  {
    torch::NoGradGuard no_grad;
    (*t)->net()->parameters()[0].fill_(std::nan(""));  // as a too-high learning rate would
  }
  auto r = (*t)->run({});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("diverged at epoch 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("last good state (epoch 1)"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(testing::read_file(dir.file("last.pt")), last);
  EXPECT_EQ(testing::read_file(dir.file("best.pt")), best);
}

TEST(Trainer, MixupTrainsOnBlendedBatchesAndValidatesOnPlainImages) {
  TempDir plain_dir, mixed_dir, again_dir;
  TrainConfig mixed = small_config(mixed_dir.path(), 1);
  mixed.mixup = 0.2;
  auto tp = Trainer::start(small_config(plain_dir.path(), 1), small_data());
  auto tm = Trainer::start(mixed, small_data());
  mixed.checkpoint_dir = again_dir.path();
  auto tm2 = Trainer::start(mixed, small_data());
  ASSERT_TRUE(tp && tm && tm2);
  const RunLog rp = run(**tp);
  const RunLog rm = run(**tm);
  const RunLog rm2 = run(**tm2);
  ASSERT_EQ(rm.epochs.size(), 1u);
  // Blended targets cannot be met as well as one-hot ones: the loss stays higher.
  EXPECT_GT(rm.epochs[0].train_loss, rp.epochs[0].train_loss);
  EXPECT_EQ(rm.epochs[0].train_loss, rm2.epochs[0].train_loss);  // seeded: the same run twice
  EXPECT_EQ(rm.epochs[0].val_loss, rm2.epochs[0].val_loss);
  const Split split = stratified_split(small_data().labels, mixed.val_fraction, mixed.seed);
  const Dataset val = subset(small_data(), split.val);
  EXPECT_NEAR((*tm)->evaluate(val).loss, rm.epochs[0].val_loss, 1e-6);  // unblended images
}

TEST(Trainer, LabelSmoothingTrainsOnTheSmoothedLossAndValidatesOnThePlainOne) {
  TempDir plain_dir, smooth_dir;
  const TrainConfig plain = small_config(plain_dir.path(), 1);
  TrainConfig smooth = small_config(smooth_dir.path(), 1);
  smooth.label_smoothing = 0.1;
  auto tp = Trainer::start(plain, small_data());
  auto ts = Trainer::start(smooth, small_data());
  ASSERT_TRUE(tp && ts);
  const RunLog rp = run(**tp);
  const RunLog rs = run(**ts);
  ASSERT_EQ(rp.epochs.size(), 1u);
  ASSERT_EQ(rs.epochs.size(), 1u);
  // The smoothed targets put a tenth of the weight on the mean over all classes of -log p,
  // which is at least log 10 = 2.30: far above what a network that has learnt anything pays.
  EXPECT_GT(rs.epochs[0].train_loss, rp.epochs[0].train_loss);
  const Split split = stratified_split(small_data().labels, smooth.val_fraction, smooth.seed);
  const Dataset val = subset(small_data(), split.val);
  EXPECT_NEAR((*ts)->evaluate(val).loss, rs.epochs[0].val_loss, 1e-6);  // plain cross-entropy
}

TEST(Trainer, SplitSeedKeepsTheHeldOutRowsWhileSeedChangesTheRun) {
  TempDir a_dir, b_dir;
  TrainConfig a = small_config(a_dir.path(), 1);
  TrainConfig b = small_config(b_dir.path(), 1);
  a.validation_seed = b.validation_seed = 4;
  b.seed = a.seed + 1;
  auto ta = Trainer::start(a, small_data());
  auto tb = Trainer::start(b, small_data());
  ASSERT_TRUE(ta && tb);
  const RunLog ra = run(**ta);
  const RunLog rb = run(**tb);
  ASSERT_EQ(ra.epochs.size(), 1u);
  ASSERT_EQ(rb.epochs.size(), 1u);
  EXPECT_NE(ra.epochs[0].train_loss, rb.epochs[0].train_loss);  // another run...
  const Split split = stratified_split(small_data().labels, a.val_fraction, 4);
  const Dataset val = subset(small_data(), split.val);
  // ...scored on the same held-out rows: evaluate() on them reproduces each run's val_loss.
  EXPECT_NEAR((*ta)->evaluate(val).loss, ra.epochs[0].val_loss, 1e-6);
  EXPECT_NEAR((*tb)->evaluate(val).loss, rb.epochs[0].val_loss, 1e-6);
}

TEST(TrainingLoss, MixedLossWeighsTheTwoLabelsByTheBlendsWeight) {
  torch::manual_seed(4);
  const auto logits = torch::randn({4, 10}) * 3;
  const auto labels = torch::tensor({2, 5, 5, 8}, torch::kInt64);
  MixedBatch m;
  m.partner = torch::tensor({3, 2, 0, 1}, torch::kInt64);
  m.weight = 0.7;
  for (double e : {0.0, 0.1}) {
    const double own = training_loss(logits, labels, e).item<double>();
    const double partners =
        training_loss(logits, torch::tensor({8, 5, 2, 5}, torch::kInt64), e).item<double>();
    EXPECT_NEAR(mixed_training_loss(logits, labels, m, e).item<double>(),
                0.7 * own + 0.3 * partners, 1e-5)
        << e;
  }
}

TEST(TrainingLoss, SmoothingMixesTheLabelsLossWithTheMeanLossOverClasses) {
  torch::manual_seed(3);
  const auto logits = torch::randn({6, 10}) * 3;
  const auto labels = torch::tensor({0, 3, 9, 3, 7, 1}, torch::kInt64);
  const auto nll = -torch::log_softmax(logits, 1);  // [6, 10]: -log p of every class
  const auto of_label = nll.gather(1, labels.unsqueeze(1)).squeeze(1);
  EXPECT_NEAR(training_loss(logits, labels, 0.0).item<double>(), of_label.mean().item<double>(),
              1e-5);
  const double e = 0.1;
  const auto expected = ((1 - e) * of_label + e * nll.mean(1)).mean();
  EXPECT_NEAR(training_loss(logits, labels, e).item<double>(), expected.item<double>(), 1e-5);
}

// A row labelled kNotDigit is trained towards equal probabilities: it adds the weight times the
// mean of -log p over the ten classes; the digits' rows keep their cross-entropy (smoothed).
TEST(TrainingLoss, NotDigitRowsAreTrainedTowardsEqualProbabilities) {
  torch::manual_seed(5);
  const auto logits = torch::randn({5, 10}) * 3;
  const auto labels =
      torch::tensor({int64_t{4}, kNotDigit, int64_t{0}, kNotDigit, int64_t{7}}, torch::kInt64);
  const auto nll = -torch::log_softmax(logits, 1);
  const double e = 0.1, w = 0.5;
  double expected = 0;
  for (int64_t i = 0; i < 5; ++i) {
    const int64_t y = labels[i].item<int64_t>();
    expected += y == kNotDigit ? w * nll[i].mean().item<double>()
                               : ((1 - e) * nll[i][y] + e * nll[i].mean()).item<double>();
  }
  EXPECT_NEAR(training_loss(logits, labels, e, w).item<double>(), expected / 5, 1e-5);
  // Equal logits are what it asks of a not-digit: its loss is then log 10, the least there is.
  const auto flat = torch::zeros({1, 10});
  const auto one = torch::tensor({kNotDigit}, torch::kInt64);
  EXPECT_NEAR(training_loss(flat, one, 0, 1).item<double>(), std::log(10.0), 1e-6);
  EXPECT_GT(training_loss(torch::eye(10)[3].unsqueeze(0) * 5, one, 0, 1).item<double>(),
            std::log(10.0) + 0.5);
  // Weight 0: the not-digit rows count as zero in the batch's mean.
  EXPECT_NEAR(training_loss(logits, labels, e, 0).item<double>(),
              (expected - w * (nll[1].mean() + nll[3].mean()).item<double>()) / 5, 1e-5);
}

}  // namespace
}  // namespace digits
