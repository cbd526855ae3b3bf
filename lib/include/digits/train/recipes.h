// Recipes: named sets of training options (--recipe NAME) that trade accuracy for time.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "digits/core/error.h"
#include "digits/train/options.h"

namespace digits {

// A recipe: a named set of the table's options, what `--recipe NAME` sets before the options
// the command line names (which override it). The defaults are the most accurate recipe (30
// epochs); these trade accuracy for time, each measured as docs/benchmarks.md gives.
struct Recipe {
  std::string name;
  std::string help;
  std::vector<std::pair<std::string, std::string>> options;  // option (no "--"), value as typed
};
const std::vector<Recipe>& recipes();
// Sets the options of the recipe called `name` in `config`; the Error names the recipes there
// are.
Status apply_recipe(TrainConfig& config, const std::string& name);
// "--width 16 --batch-size 128 ...": a recipe's options as a command line would give them.
std::string describe(const Recipe& recipe);

}  // namespace digits
