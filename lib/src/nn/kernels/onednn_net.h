// One image through a frozen network with oneDNN's primitives called directly (internal).
//
// LibTorch reaches oneDNN too, but one image through it pays more in per-operator work
// (dispatch, tensor and descriptor creation, allocations) than in arithmetic
// (docs/results/code-notes.md). Here every primitive, every weight in oneDNN's blocked layout and
// every buffer is made once, when the network is frozen; a forward pass is the primitives'
// execution and nothing else. Built only where oneDNN's own package is found (DIGITS_HAVE_ONEDNN);
// elsewhere, and off the CPU, InferenceNet keeps LibTorch's path.
#pragma once

#include <memory>

#include "digits/nn/inference.h"

namespace digits::detail {

class OneDnnNet {
 public:
  // The network as primitives, or nullptr where this build has no oneDNN or the stack is not
  // float on the CPU.
  static std::unique_ptr<OneDnnNet> make(const ConvStack& stack);
  ~OneDnnNet();

  // Logits [10] for one normalised image [28 * 28]. Safe to call from several threads (one
  // runs at a time: the buffers are the network's own).
  void forward(const float* image, float* logits) const;

 private:
  struct Impl;
  explicit OneDnnNet(std::unique_ptr<Impl> impl);
  static std::unique_ptr<Impl> build(const ConvStack& stack);  // throws dnnl::error
  std::unique_ptr<Impl> impl_;
};

}  // namespace digits::detail
