#include "digits/submission.h"

#include <torch/torch.h>

#include <cstdio>

#include "atomic_file.h"
#include "digits/image.h"

namespace digits {
namespace {

// `image_ids` as int64 on the CPU, or 1..n when undefined.
torch::Tensor ids_or_rows(const torch::Tensor& image_ids, int64_t n) {
  torch::Tensor ids = image_ids.defined() ? image_ids.to(torch::kCPU, torch::kInt64).contiguous()
                                          : torch::arange(1, n + 1, torch::kInt64);
  TORCH_CHECK(ids.numel() == n, "image ids and predictions differ in length");
  return ids;
}

}  // namespace

std::string format_submission(const torch::Tensor& digits, const torch::Tensor& image_ids) {
  const auto d = digits.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t n = d.numel();
  const auto ids = ids_or_rows(image_ids, n);
  const int64_t* dv = d.data_ptr<int64_t>();
  const int64_t* iv = ids.data_ptr<int64_t>();
  std::string text = "ImageId,Label\n";
  text.reserve(text.size() + static_cast<size_t>(n) * 8);
  for (int64_t i = 0; i < n; ++i) {
    text += std::to_string(iv[i]);
    text += ',';
    text += std::to_string(dv[i]);
    text += '\n';
  }
  return text;
}

Status write_submission(const std::string& path, const torch::Tensor& digits,
                        const torch::Tensor& image_ids) {
  const std::string text = format_submission(digits, image_ids);
  return detail::write_file_atomically(path, text, "");
}

std::string format_probabilities(const torch::Tensor& probabilities,
                                 const torch::Tensor& image_ids) {
  TORCH_CHECK(probabilities.dim() == 2 && probabilities.size(1) == kClasses,
              "probabilities must be [N, 10]");
  const auto p = probabilities.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t n = p.size(0);
  const auto ids = ids_or_rows(image_ids, n);
  const auto digits = p.argmax(1);
  const float* pv = p.data_ptr<float>();
  const int64_t* iv = ids.data_ptr<int64_t>();
  const int64_t* dv = digits.data_ptr<int64_t>();
  std::string text = "ImageId,Label";
  for (int64_t c = 0; c < kClasses; ++c) text += ",p" + std::to_string(c);
  text += '\n';
  text.reserve(text.size() + static_cast<size_t>(n) * (12 + kClasses * 9));
  char cell[32];
  for (int64_t i = 0; i < n; ++i) {
    text += std::to_string(iv[i]);
    text += ',';
    text += std::to_string(dv[i]);
    for (int64_t c = 0; c < kClasses; ++c) {
      std::snprintf(cell, sizeof cell, ",%.6f", static_cast<double>(pv[i * kClasses + c]));
      text += cell;
    }
    text += '\n';
  }
  return text;
}

Status write_probabilities(const std::string& path, const torch::Tensor& probabilities,
                           const torch::Tensor& image_ids) {
  const std::string text = format_probabilities(probabilities, image_ids);
  return detail::write_file_atomically(path, text, "");
}

}  // namespace digits
