// The training options table (digits/options.h) on a CLI11 command line: one registration per
// table entry, its help, type, range and default from the table, `--recipe` for the table's
// presets, and `apply`, which sets in a TrainConfig exactly the options the command line named
// (a recipe's first, then those given one by one).
#pragma once

#include <CLI/CLI.hpp>
#include <deque>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/train/options.h"
#include "digits/train/recipes.h"

namespace digits::cli {

// The table's own check of `spec` as a CLI11 validator, so a bad value is a usage error (exit 2)
// naming the option, with the table's words. With `canonical`, the value is rewritten as the
// table writes it back (--seed 010 is 10): for an option of another program that CLI11 converts
// itself (digit-predict --holdout-seed), which then means what digit-train makes of the text.
inline CLI::Validator table_check(const OptionSpec& spec, bool canonical = false) {
  return CLI::Validator(
      [&spec, canonical](std::string& text) -> std::string {
        TrainConfig scratch;
        const Status st = spec.set(scratch, {text});
        if (st) {
          if (canonical) text = spec.get(scratch).at(0);
          return {};
        }
        // "--lr 1e: not a finite number": CLI11 puts "--lr: " before it already.
        const std::string& m = st.error().message;
        const std::string prefix = "--" + spec.name + " ";
        return m.compare(0, prefix.size(), prefix) == 0 ? m.substr(prefix.size()) : m;
      },
      spec.allowed);
}

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
      // A folder, a device, an address given as "" is a mistake, never the default.
      if (spec.kind == OptionSpec::Kind::kValue && spec.type == "TEXT" && spec.allowed.empty()) {
        slot.option->check(NonEmpty);
      }
      if (spec.kind == OptionSpec::Kind::kValue) slot.option->check(table_check(spec));
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

  std::deque<Slot> slots_;  // stable addresses: CLI11 writes into them
  std::string recipe_;
  CLI::Option* recipe_option_ = nullptr;
};

}  // namespace digits::cli
