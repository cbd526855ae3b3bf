#include "digits/data/dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>

#include "digits/core/random.h"

namespace digits {

uint64_t fingerprint(const Dataset& data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&h](const torch::Tensor& t) {
    const auto c = t.contiguous();
    const auto* bytes = static_cast<const uint8_t*>(c.data_ptr());
    const size_t n = c.numel() * c.element_size();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, bytes + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  };
  feed(data.images);
  if (data.has_labels()) feed(data.labels);
  return mix_seed(h, static_cast<uint64_t>(data.size()));
}

Split stratified_split(const torch::Tensor& labels, double val_fraction, uint64_t seed) {
  const auto lab = labels.to(torch::kCPU).to(torch::kInt64).contiguous();
  const int64_t* y = lab.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> by_class(kClasses);
  for (int64_t i = 0; i < lab.numel(); ++i) by_class[static_cast<size_t>(y[i])].push_back(i);
  std::vector<int64_t> train, val;
  for (int64_t c = 0; c < kClasses; ++c) {
    const auto& rows = by_class[c];
    const auto n = static_cast<int64_t>(rows.size());
    const auto order = seeded_permutation(n, mix_seed(seed, 0x5b1175ULL, c));
    const auto n_val = static_cast<int64_t>(std::llround(val_fraction * n));
    for (int64_t k = 0; k < n; ++k) (k < n_val ? val : train).push_back(rows[order[k]]);
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  return {torch::tensor(train, torch::kInt64), torch::tensor(val, torch::kInt64)};
}

Dataset subset(const Dataset& data, const torch::Tensor& index) {
  Dataset out;
  out.images = data.images.index_select(0, index);
  if (data.has_labels()) out.labels = data.labels.index_select(0, index);
  if (data.origin.defined()) {
    const auto at = index.to(torch::kCPU);
    const RowOrigin& o = data.origin;
    out.origin = {o.file.index_select(0, at), o.writer.index_select(0, at),
                  o.sample.index_select(0, at), o.pen.index_select(0, at)};
  }
  return out;
}

}  // namespace digits
