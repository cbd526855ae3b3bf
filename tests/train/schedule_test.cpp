// Tests of digits/train/schedule.h: the learning rate of each step under each schedule.
#include "digits/train/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace digits {
namespace {

TEST(Schedule, OneCycleWarmsUpPeaksAndEndsNearZero) {
  const int64_t total = 1000;
  EXPECT_LT(scheduled_lr(Schedule::kOneCycle, 1.0, 0, total), 0.1);
  double peak = 0;
  for (int64_t s = 0; s < total; ++s)
    peak = std::max(peak, scheduled_lr(Schedule::kOneCycle, 1.0, s, total));
  EXPECT_NEAR(peak, 1.0, 1e-2);
  EXPECT_LT(scheduled_lr(Schedule::kOneCycle, 1.0, total - 1, total), 1e-3);
  EXPECT_DOUBLE_EQ(scheduled_lr(Schedule::kConstant, 0.5, 700, total), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(Schedule::kCosine, 1.0, 0, total), 1.0);
  EXPECT_NEAR(scheduled_lr(Schedule::kCosine, 1.0, total / 2, total), 0.5, 1e-2);
}

}  // namespace
}  // namespace digits
