// Process-wide LibTorch settings that decide speed: threads, denormals, device.
#pragma once

#include <torch/types.h>

#include <string>

#include "digits/core/error.h"

namespace digits {

// Sets the intra-op thread count (0: one per core; Debian's LibTorch otherwise starts with one)
// and flushes denormal floats to zero (denormals made training steps several times slower).
void configure_runtime(int threads);

// The thread count LibTorch will use now.
int runtime_threads();

// "cpu", "cuda" or "cuda:N"; an Error when the build or machine has no such device.
Result<torch::Device> parse_device(const std::string& name);

}  // namespace digits
