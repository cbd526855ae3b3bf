#include "digits/submission.h"

#include <fcntl.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto failed = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    return Error{path + ": cannot " + what + ": " + std::strerror(err)};
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{path + ": cannot write: " + std::strerror(errno)};
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return failed("write", err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return failed("write", err);
  }
  if (::close(fd) != 0) return failed("write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("replace", errno);
  return {};
}

}  // namespace digits
