// Tests of digits/data/dataset.h: the fingerprint of a dataset, the seeded stratified split and
// subsets.
#include "digits/data/dataset.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "test_util.h"

namespace digits {
namespace {

TEST(Fingerprint, ChangesWithAnyPixelOrLabel) {
  const Dataset data = testing::mnist_sample(50);
  const uint64_t base = fingerprint(data);
  EXPECT_EQ(base, fingerprint(testing::mnist_sample(50)));
  Dataset pixel{data.images.clone(), data.labels.clone(), {}};
  pixel.images[10][5][5] += 1;
  EXPECT_NE(base, fingerprint(pixel));
  Dataset label{data.images.clone(), data.labels.clone(), {}};
  label.labels[3] = (label.labels[3] + 1) % 10;
  EXPECT_NE(base, fingerprint(label));
  EXPECT_NE(base, fingerprint(testing::mnist_sample(49)));
}

TEST(StratifiedSplit, IsDeterministicDisjointCompleteAndStratified) {
  const Dataset data = testing::mnist_sample();
  const Split a = stratified_split(data.labels, 0.1, 7);
  const Split b = stratified_split(data.labels, 0.1, 7);
  const Split c = stratified_split(data.labels, 0.1, 8);
  EXPECT_TRUE(torch::equal(a.train, b.train));
  EXPECT_TRUE(torch::equal(a.val, b.val));
  EXPECT_FALSE(torch::equal(a.val, c.val));
  ASSERT_EQ(a.train.numel() + a.val.numel(), 3000);
  EXPECT_EQ(a.val.numel(), 300);
  std::set<int64_t> all;
  for (int64_t i = 0; i < a.train.numel(); ++i) all.insert(a.train[i].item<int64_t>());
  for (int64_t i = 0; i < a.val.numel(); ++i) all.insert(a.val[i].item<int64_t>());
  EXPECT_EQ(all.size(), 3000u);                                 // disjoint and complete
  EXPECT_TRUE(torch::equal(a.val, std::get<0>(a.val.sort())));  // ascending
  // Each class keeps its share: 30 of its 300 rows in validation.
  const auto val_counts = torch::bincount(data.labels.index_select(0, a.val), {}, 10);
  EXPECT_EQ(val_counts.min().item<int64_t>(), 30);
  EXPECT_EQ(val_counts.max().item<int64_t>(), 30);
}

TEST(StratifiedSplit, PinnedForSeedOneSoEveryMachineHoldsOutTheSameRows) {
  // The split must not depend on the platform's std:: distributions: pin a few indices.
  const Dataset data = testing::mnist_sample();
  const Split s = stratified_split(data.labels, 0.1, 1);
  const auto first = s.val.slice(0, 0, 8);
  const auto pinned = torch::tensor({7, 18, 21, 30, 58, 59, 65, 71}, torch::kInt64);
  EXPECT_TRUE(torch::equal(first, pinned)) << first;
  const Split none = stratified_split(data.labels, 0.0, 1);
  EXPECT_EQ(none.val.numel(), 0);
  EXPECT_EQ(none.train.numel(), 3000);
}

TEST(Subset, TakesRowsAndLabels) {
  const Dataset data = testing::mnist_sample(20);
  const auto index = torch::tensor({3, 17}, torch::kInt64);
  const Dataset part = subset(data, index);
  ASSERT_EQ(part.size(), 2);
  EXPECT_TRUE(torch::equal(part.images[1], data.images[17]));
  EXPECT_EQ(part.labels[0].item<int64_t>(), data.labels[3].item<int64_t>());
}

}  // namespace
}  // namespace digits
