// libFuzzer target: digits::load_checkpoint on arbitrary bytes. It must return a checkpoint whose
// network runs, or a one-line error naming the file; never crash, throw or read out of bounds.
#include <torch/torch.h>

#include <cstdint>
#include <cstdlib>

#include "digits/checkpoint.h"
#include "mem_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static digits::fuzz::MemFile file;
  file.assign(data, size);
  auto result = digits::load_checkpoint(file.path());
  if (!result) {
    digits::fuzz::check_message(file.path(), result.error().message);
    return 0;
  }
  // A checkpoint that loads must be usable: its network classifies a batch into 10 classes.
  torch::NoGradGuard no_grad;
  const auto logits = result->net->forward(torch::zeros({2, 1, 28, 28}));
  if (logits.sizes() != torch::IntArrayRef({2, 10})) {
    std::fprintf(stderr, "loaded network gives logits of shape %s\n",
                 c10::str(logits.sizes()).c_str());
    std::abort();
  }
  return 0;
}
