#include "digits/train/schedule.h"

#include <algorithm>
#include <cmath>

namespace digits {

const std::vector<Named<Schedule>>& names(Schedule) {
  static const std::vector<Named<Schedule>> n = {
      {Schedule::kOneCycle, "onecycle", "warm-up then cosine down"},
      {Schedule::kCosine, "cosine", "cosine from the peak to 0"},
      {Schedule::kConstant, "constant", "the peak throughout"},
  };
  return n;
}

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kOneCycleWarmup = 0.3;  // share of steps spent rising to the peak
constexpr double kOneCycleStartDiv = 25.0;
constexpr double kOneCycleFinalDiv = 1e4;
}  // namespace

double scheduled_lr(Schedule schedule, double peak, int64_t step, int64_t total_steps) {
  const double t = total_steps > 1 ? static_cast<double>(step) / (total_steps - 1) : 1.0;
  auto cosine = [](double from, double to, double u) {
    return to + (from - to) * 0.5 * (1 + std::cos(kPi * std::clamp(u, 0.0, 1.0)));
  };
  switch (schedule) {
    case Schedule::kConstant:
      return peak;
    case Schedule::kCosine:
      return cosine(peak, 0.0, t);
    case Schedule::kOneCycle:
      break;
  }
  const double start = peak / kOneCycleStartDiv, end = start / kOneCycleFinalDiv;
  if (t < kOneCycleWarmup) return cosine(start, peak, t / kOneCycleWarmup);
  return cosine(peak, end, (t - kOneCycleWarmup) / (1 - kOneCycleWarmup));
}

}  // namespace digits
