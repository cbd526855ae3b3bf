#include "digits/evaluate/holdout.h"

#include <cstdio>

#include "digits/train/options.h"

namespace digits {

namespace {

std::string describe(const Holdout& h) {
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%g", h.val_fraction);
  return std::string("--val-fraction ") + fraction + ", split seed " + std::to_string(h.seed) +
         ", " +
         (h.data.limit < 0 ? std::string("all rows")
                           : "first " + std::to_string(h.data.limit) + " rows") +
         (h.data.pen_warp_seed != 0
              ? std::string(", pen strokes ") + (h.data.pen_warp > 0 ? "bent" : "") +
                    (h.data.pen_warp > 0 && h.data.pen_slant > 0 ? " and " : "") +
                    (h.data.pen_slant > 0 ? "slanted" : "") + " by seed " +
                    std::to_string(h.data.pen_warp_seed)
              : std::string());
}

}  // namespace

Result<Holdout> holdout_of(const Checkpoint& checkpoint) {
  auto options = decode_options(checkpoint.train_options);
  DIGITS_RETURN_IF_ERROR(options);
  if (!(options->val_fraction > 0)) {
    return Error{"its training run held out no rows (--val-fraction 0)"};
  }
  return Holdout{options->val_fraction, options->split_seed(), data_options(*options)};
}

Result<Holdout> common_holdout(const std::vector<Checkpoint>& members,
                               const std::vector<std::string>& paths) {
  if (members.empty()) return Error{"no checkpoint given"};
  auto name = [&](size_t i) { return i < paths.size() ? paths[i] : "member " + std::to_string(i); };
  auto first = holdout_of(members[0]);
  if (!first) return Error{name(0) + ": " + first.error().message};
  for (size_t i = 1; i < members.size(); ++i) {
    auto other = holdout_of(members[i]);
    if (!other) return Error{name(i) + ": " + other.error().message};
    if (*other != *first || members[i].data != members[0].data) {
      return Error{
          name(i) + " held out other rows than " + name(0) + " (" + describe(*other) + " vs " +
          describe(*first) + (members[i].data != members[0].data ? "; trained on other data" : "") +
          "): train ensemble members on the same data with the same --split-seed" +
          (other->data.pen_warp_seed != first->data.pen_warp_seed
               ? std::string("; members whose pen strokes were bent or slanted by "
                             "their own --seed drew their held-out digits differently, so score "
                             "such an ensemble with --holdout-seed on the CSV files")
               : std::string())};
    }
  }
  return first;
}

Status check_training_data(const Checkpoint& checkpoint, const std::string& checkpoint_path,
                           const Dataset& data, const std::string& data_name) {
  DIGITS_RETURN_IF_ERROR(require_labels(data, data_name));
  if (DataIdentity{data.size(), fingerprint(data)} != checkpoint.data) {
    // Its own --data, as it was given, is the likeliest fix.
    std::string its_data;
    if (auto options = decode_options(checkpoint.train_options)) {
      for (const auto& p : options->data_paths) its_data += " " + p;
    }
    return Error{checkpoint_path + ": was trained on other data (" +
                 std::to_string(checkpoint.data.rows) + " rows) than " + data_name + " (" +
                 std::to_string(data.size()) +
                 " rows, other digest), so its held-out rows are unknown there; pass the same "
                 "files in the same order as its --data" +
                 (its_data.empty() ? "" : " (" + its_data.substr(1) + ")") +
                 ", or choose a split with --holdout-seed"};
  }
  return {};
}

torch::Tensor holdout_rows(const Dataset& data, const Holdout& holdout) {
  return split_rows(data, holdout.val_fraction, holdout.seed).val;
}

}  // namespace digits
