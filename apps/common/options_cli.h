// The training options table (digits/options.h) on a CLI11 command line: one registration per
// table entry, its help, type, range and default from the table, `--recipe` for the table's
// presets, and `apply`, which sets in a TrainConfig exactly the options the command line named
// (a recipe's first, then those given one by one).
#pragma once

#include <CLI/CLI.hpp>
#include <deque>
#include <string>
#include <vector>

#include "digits/train/options.h"
#include "digits/train/recipes.h"

namespace digits::cli {

class TrainOptions {
 public:
  explicit TrainOptions(CLI::App& app) {
    const TrainConfig defaults;
    for (const auto& spec : train_options()) {
      Slot& slot = slots_.emplace_back();
      slot.spec = &spec;
      const std::string name = "--" + spec.name;
      switch (spec.kind) {
        case OptionSpec::Kind::kFlag:
          slot.option = app.add_flag(name + ",!--no-" + spec.name, slot.flag, spec.help);
          continue;
        case OptionSpec::Kind::kList:
          slot.option = app.add_option(name, slot.values, spec.help);
          break;
        case OptionSpec::Kind::kValue:
          slot.option = app.add_option(name, slot.value, spec.help);
          break;
      }
      slot.option->type_name(spec.type);
      if (spec.kind == OptionSpec::Kind::kValue) slot.option->check(validator(spec));
      if (spec.show_default) slot.option->default_str(spec.get(defaults).at(0));
    }
    std::string help = "Start from a preset of the options above (options given override it):";
    std::vector<std::string> names;
    for (const auto& r : recipes()) {
      help += "\n    " + r.name + ": " + r.help + " (" + describe(r) + ")";
      names.push_back(r.name);
    }
    recipe_option_ =
        app.add_option("--recipe", recipe_, help)->check(CLI::IsMember(names))->type_name("TEXT");
  }

  // Sets in `config` the options given on the command line, and only those: with --resume the
  // checkpoint's options stay wherever the user said nothing.
  Status apply(TrainConfig& config) const {
    if (recipe_option_->count() > 0) {
      if (auto st = apply_recipe(config, recipe_); !st) return st;
    }
    for (const Slot& slot : slots_) {
      if (slot.option->count() == 0) continue;
      std::vector<std::string> values = slot.values;
      if (slot.spec->kind == OptionSpec::Kind::kValue) values = {slot.value};
      if (slot.spec->kind == OptionSpec::Kind::kFlag) values = {slot.flag ? "1" : "0"};
      if (auto st = slot.spec->set(config, values); !st) return st;
    }
    return {};
  }

  bool given(const std::string& name) const {
    for (const Slot& slot : slots_) {
      if (slot.spec->name == name) return slot.option->count() > 0;
    }
    return false;
  }

 private:
  struct Slot {
    const OptionSpec* spec = nullptr;
    CLI::Option* option = nullptr;
    std::string value;
    std::vector<std::string> values;
    bool flag = false;
  };

  // The table's own check, so a bad value is a usage error (exit 2) naming the option.
  static CLI::Validator validator(const OptionSpec& spec) {
    return CLI::Validator(
        [&spec](std::string& text) -> std::string {
          TrainConfig scratch;
          const Status st = spec.set(scratch, {text});
          if (st) return {};
          // "--lr 1e: not a finite number": CLI11 puts "--lr: " before it already.
          const std::string& m = st.error().message;
          const std::string prefix = "--" + spec.name + " ";
          return m.compare(0, prefix.size(), prefix) == 0 ? m.substr(prefix.size()) : m;
        },
        spec.allowed);
  }

  std::deque<Slot> slots_;  // stable addresses: CLI11 writes into them
  std::string recipe_;
  CLI::Option* recipe_option_ = nullptr;
};

}  // namespace digits::cli
