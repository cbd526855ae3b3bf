// libFuzzer target: digits::load_members (checkpoints and ensemble files; load_checkpoint shares
// its reading) on arbitrary bytes. It must return networks that run, or a one-line error naming
// the file; never crash, throw or read out of bounds.
#include <torch/torch.h>

#include <cstdint>
#include <cstdlib>

#include "digits/checkpoint/checkpoint.h"
#include "mem_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static digits::fuzz::MemFile file;
  file.assign(data, size);
  auto result = digits::load_members(file.path());
  if (!result) {
    digits::fuzz::check_message(file.path(), result.error().message);
    return 0;
  }
  // A file that loads must be usable: each network classifies a batch into 10 classes.
  torch::NoGradGuard no_grad;
  for (const auto& member : *result) {
    const auto logits = member.net->forward(torch::zeros({2, 1, 28, 28}));
    if (logits.sizes() != torch::IntArrayRef({2, 10})) {
      std::fprintf(stderr, "loaded network gives logits of shape %s\n",
                   c10::str(logits.sizes()).c_str());
      std::abort();
    }
  }
  return 0;
}
