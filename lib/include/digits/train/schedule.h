// Learning-rate schedules: the rate at each optimizer step of a run.
#pragma once

#include <cstdint>
#include <vector>

#include "digits/core/named_enum.h"

namespace digits {

enum class Schedule { kOneCycle, kCosine, kConstant };
const std::vector<Named<Schedule>>& names(Schedule);

// Learning rate at `step` (0-based) of `total_steps` for `schedule` peaking at `peak`:
//   onecycle  cosine up from peak / 25 over the first 30% of steps, then cosine down to
//             peak / 25e4 (Smith and Topin 2018, as PyTorch's OneCycleLR)
//   cosine    cosine from the peak down to 0
//   constant  the peak throughout
double scheduled_lr(Schedule schedule, double peak, int64_t step, int64_t total_steps);

}  // namespace digits
