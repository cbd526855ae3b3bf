#include "digits/evaluate/submission.h"

#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <utility>

#include "digits/core/image.h"
#include "io/atomic_file.h"

namespace digits {
namespace {

// A predictions file's text: `header`, then per image "ImageId,Label" (ImageId from `image_ids`,
// or 1..N when undefined; Label from `digits` [N]) followed by what `append_extra(i, text)` adds
// for image i, and a newline. `row_bytes` is the expected length of a row, to reserve once.
template <typename AppendExtra>
std::string format_rows(const torch::Tensor& digits, const torch::Tensor& image_ids,
                        std::string header, size_t row_bytes, AppendExtra append_extra) {
  const auto d = digits.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t n = d.numel();
  const torch::Tensor ids = image_ids.defined()
                                ? image_ids.to(torch::kCPU, torch::kInt64).contiguous()
                                : torch::arange(1, n + 1, torch::kInt64);
  TORCH_CHECK(ids.numel() == n, "image ids and predictions differ in length");
  const int64_t* dv = d.data_ptr<int64_t>();
  const int64_t* iv = ids.data_ptr<int64_t>();
  std::string text = std::move(header);
  text.reserve(text.size() + static_cast<size_t>(n) * row_bytes);
  for (int64_t i = 0; i < n; ++i) {
    text += std::to_string(iv[i]);
    text += ',';
    text += std::to_string(dv[i]);
    append_extra(i, text);
    text += '\n';
  }
  return text;
}

}  // namespace

std::string format_submission(const torch::Tensor& digits, const torch::Tensor& image_ids) {
  return format_rows(digits, image_ids, "ImageId,Label\n", 8, [](int64_t, std::string&) {});
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
  const float* pv = p.data_ptr<float>();
  std::string header = "ImageId,Label";
  for (int64_t c = 0; c < kClasses; ++c) header += ",p" + std::to_string(c);
  header += '\n';
  return format_rows(p.argmax(1), image_ids, std::move(header), 12 + kClasses * 9,
                     [pv](int64_t i, std::string& text) {
                       char cell[32];
                       for (int64_t c = 0; c < kClasses; ++c) {
                         std::snprintf(cell, sizeof cell, ",%.6f",
                                       static_cast<double>(pv[i * kClasses + c]));
                         text += cell;
                       }
                     });
}

Status write_probabilities(const std::string& path, const torch::Tensor& probabilities,
                           const torch::Tensor& image_ids) {
  const std::string text = format_probabilities(probabilities, image_ids);
  return detail::write_file_atomically(path, text, "");
}

}  // namespace digits
