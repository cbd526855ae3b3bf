#include "digits/core/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace digits {

void configure_runtime(int threads) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads > 0 ? threads : cores);
  at::globalContext().setFlushDenormal(true);
#if defined(__GLIBC__)
  // Keep freed activation buffers in the heap for the next batch: glibc's defaults return them
  // to the kernel, and every step then faulted its activations in afresh
  // (docs/results/code-notes.md). Blocks over 32 MB (evaluation batches) are still returned.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int runtime_threads() { return at::get_num_threads(); }

Result<torch::Device> parse_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    return Error{"unknown device '" + name + "'; use cpu, cuda or cuda:N"};
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available()) {
      return Error{"device '" + name +
                   "' asked for, but this LibTorch build or machine has no "
                   "CUDA GPU; use --device cpu"};
    }
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count())) {
      return Error{"device '" + name + "': only " + std::to_string(torch::cuda::device_count()) +
                   " CUDA device(s)"};
    }
  } else if (!device.is_cpu()) {
    return Error{"device '" + name + "' is not supported; use cpu or cuda"};
  }
  return device;
}

}  // namespace digits
