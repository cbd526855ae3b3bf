#include "digits/train/recipes.h"

#include <algorithm>
#include <string>
#include <vector>

namespace digits {

const std::vector<Recipe>& recipes() {
  // A batch of 128 at twice the default rate: the same schedule in half the steps, each cheaper
  // per image; less dropout, which a run of a few epochs cannot afford. What each reaches, and
  // in how long: docs/benchmarks.md, "Time to accuracy".
  static const std::vector<Recipe> list = {
      {"fast",
       "the default network at a quarter of its work, 2 epochs: 99% of Kaggle's held-out rows "
       "in seconds",
       {{"width", "16"},
        {"epochs", "2"},
        {"batch-size", "128"},
        {"lr", "0.006"},
        {"dropout", "0.1"}}},
      {"short",
       "the default network, 7 epochs, label smoothing: 99.5% of Kaggle's held-out rows in "
       "minutes",
       {{"epochs", "7"},
        {"batch-size", "128"},
        {"lr", "0.006"},
        {"dropout", "0.25"},
        {"label-smoothing", "0.1"}}},
  };
  return list;
}

Status apply_recipe(TrainConfig& config, const std::string& name) {
  const auto& all = recipes();
  const auto recipe =
      std::find_if(all.begin(), all.end(), [&](const Recipe& r) { return r.name == name; });
  if (recipe == all.end()) {
    std::string known;
    for (const auto& r : all) known += (known.empty() ? "" : ", ") + r.name;
    return Error{"--recipe " + name + ": no such recipe (there are " + known + ")"};
  }
  for (const auto& [option, value] : recipe->options) {
    const OptionSpec* spec = find_train_option(option);
    if (spec == nullptr) return Error{"recipe " + name + ": no option --" + option};
    if (auto st = spec->set(config, {value}); !st) {
      return Error{"recipe " + name + ": " + st.error().message};
    }
  }
  return {};
}

std::string describe(const Recipe& recipe) {
  std::string s;
  for (const auto& [option, value] : recipe.options) {
    s += (s.empty() ? "--" : " --") + option + " " + value;
  }
  return s;
}

}  // namespace digits
