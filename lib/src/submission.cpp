#include "digits/submission.h"

#include <torch/torch.h>

#include "atomic_file.h"

namespace digits {

std::string format_submission(const torch::Tensor& digits, const torch::Tensor& image_ids) {
  const auto d = digits.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t n = d.numel();
  torch::Tensor ids = image_ids.defined() ? image_ids.to(torch::kCPU, torch::kInt64).contiguous()
                                          : torch::arange(1, n + 1, torch::kInt64);
  TORCH_CHECK(ids.numel() == n, "image ids and digits differ in length");
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

}  // namespace digits
