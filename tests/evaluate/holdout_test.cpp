// Tests of digits/evaluate/holdout.h: the held-out rows of a training run, read from its
// checkpoint's options (one split for all of an ensemble's members), are the trainer's stratified
// validation split, and only of the data the checkpoint was trained on.
#include "digits/evaluate/holdout.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "digits/train/trainer.h"
#include "test_util.h"

namespace digits {
namespace {

Checkpoint checkpoint_of(const TrainConfig& c) {
  Checkpoint ckpt;
  ckpt.train_options = c.to_options();
  return ckpt;
}

TEST(Holdout, IsReadFromTheCheckpointsTrainingOptions) {
  TrainConfig c;
  c.seed = 5;
  c.val_fraction = 0.2;
  c.limit = 500;
  auto h = holdout_of(checkpoint_of(c));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(*h, (Holdout{0.2, 5, DataOptions(500)}));

  c.validation_seed = 3;  // --split-seed decides the split, not --seed
  h = holdout_of(checkpoint_of(c));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->seed, 3u);

  c.val_fraction = 0;
  EXPECT_FALSE(holdout_of(checkpoint_of(c)));
}

TEST(Holdout, EnsembleMembersMustShareOneSplit) {
  TrainConfig a;
  a.seed = 1;
  a.validation_seed = 7;
  TrainConfig b = a;
  b.seed = 2;  // another member: other weights and batches, same held-out rows
  auto h = common_holdout({checkpoint_of(a), checkpoint_of(b)}, {"a.pt", "b.pt"});
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->seed, 7u);

  b.validation_seed = -1;  // split by --seed 2
  h = common_holdout({checkpoint_of(a), checkpoint_of(b)}, {"a.pt", "b.pt"});
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("b.pt"), std::string::npos) << h.error().message;
  EXPECT_NE(h.error().message.find("--split-seed"), std::string::npos) << h.error().message;
}

TEST(Holdout, RowsAreTheTrainersStratifiedValidationSplit) {
  const Dataset data = testing::mnist_sample(500);
  const Holdout h{0.1, 9, DataOptions(500)};
  const auto rows = holdout_rows(data, h);
  EXPECT_TRUE(rows.equal(stratified_split(data.labels, 0.1, 9).val));
  EXPECT_EQ(rows.numel(), 50);
}

TEST(Holdout, DataMustBeTheDataTheCheckpointWasTrainedOn) {
  const Dataset data = testing::mnist_sample(300);
  Checkpoint ckpt;
  ckpt.data.rows = data.size();
  ckpt.data.fingerprint = fingerprint(data);
  EXPECT_TRUE(check_training_data(ckpt, "run/best.pt", data, "train.csv"));

  const Dataset other = testing::mnist_sample(299);
  const auto st = check_training_data(ckpt, "run/best.pt", other, "train.csv");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("run/best.pt"), std::string::npos);
  EXPECT_NE(st.error().message.find("train.csv"), std::string::npos);

  Dataset unlabelled = data;
  unlabelled.labels = torch::Tensor();
  EXPECT_FALSE(check_training_data(ckpt, "run/best.pt", unlabelled, "test.csv"));
}

}  // namespace
}  // namespace digits
