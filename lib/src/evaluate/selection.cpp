#include "digits/evaluate/selection.h"

#include <torch/torch.h>

#include <cstdio>

namespace digits {

std::optional<SampleKey> parse_sample_key(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    size_t a = 0, b = 0;
    const int64_t w = std::stoll(text.substr(0, colon), &a);
    const int64_t n = std::stoll(text.substr(colon + 1), &b);
    if (a != colon || b != text.size() - colon - 1 || w < 0 || n < 0) return std::nullopt;
    return SampleKey{w, n};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<SelectedRows> select_rows(const Dataset& data, const std::string& data_name,
                                 const std::optional<Holdout>& split,
                                 const std::vector<SampleKey>& excluded) {
  SelectedRows out{data, torch::Tensor(), {}};
  char line[256];
  if (split) {
    DIGITS_RETURN_IF_ERROR(require_labels(data, data_name));
    const auto rows = holdout_rows(data, *split);
    out.data = subset(data, rows);
    out.image_ids = rows + 1;
    std::snprintf(line, sizeof line,
                  "scoring the %lld held-out rows (val-fraction %g, split seed %llu) of %lld",
                  static_cast<long long>(rows.numel()), split->val_fraction,
                  static_cast<unsigned long long>(split->seed),
                  static_cast<long long>(data.size()));
    out.notes.emplace_back(line);
  }
  if (excluded.empty()) return out;
  const RowOrigin& origin = out.data.origin;
  if (!origin.defined())
    return Error{"--exclude: " + data_name + " has no pen digits (UNIPEN files)"};
  auto keep = torch::ones({out.data.size()}, torch::kBool);
  for (const auto& [w, n] : excluded) {
    const auto hit = origin.writer.eq(w).logical_and(origin.sample.eq(n));
    if (!hit.any().item<bool>()) {
      std::snprintf(line, sizeof line, "--exclude %lld:%lld: no such pen digit in %s",
                    static_cast<long long>(w), static_cast<long long>(n), data_name.c_str());
      out.notes.emplace_back(line);
    }
    keep.logical_and_(hit.logical_not());
  }
  const auto kept = keep.nonzero().reshape({-1});
  if (!out.image_ids.defined()) {
    out.image_ids = torch::arange(1, out.data.size() + 1, torch::kInt64);
  }
  std::snprintf(line, sizeof line, "left out %lld rows (--exclude)",
                static_cast<long long>(out.data.size() - kept.numel()));
  out.notes.emplace_back(line);
  out.data = subset(out.data, kept);
  out.image_ids = out.image_ids.index_select(0, kept);
  return out;
}

}  // namespace digits
