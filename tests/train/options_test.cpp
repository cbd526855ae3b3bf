// Tests of digits/train/options.h and its command-line adapter (apps/common/options_cli.h): the
// table is complete and consistent; one codec stores every value exactly; one set of bounds refuses
// bad values from the command line and from checkpoints alike; a resumed run's command line
// changes only what it names; recipes set only valid options, which those given override; the
// "options differ" message names each difference; TrainConfig's options round-trip, and options
// added later are off in older checkpoints.
#include "digits/train/options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "digits/train/recipes.h"
#include "options_cli.h"

namespace digits {
namespace {

TEST(Options, TableNamesAreUniqueAndEveryOptionHasHelpAndAFieldThatRoundTrips) {
  std::set<std::string> seen;
  const TrainConfig defaults;
  for (const auto& o : train_options()) {
    EXPECT_TRUE(seen.insert(o.name).second) << o.name << " twice";
    EXPECT_FALSE(o.help.empty()) << o.name;
    EXPECT_EQ(find_train_option(o.name), &o);
    TrainConfig c;
    ASSERT_TRUE(o.set(c, o.get(defaults))) << o.name << " rejects its own default";
  }
  EXPECT_EQ(find_train_option("no-such-option"), nullptr);
  // Every stored option appears in the codec; session options never do.
  const auto stored = encode_options(defaults);
  EXPECT_EQ(stored.count("checkpoint-dir"), 0u);
  EXPECT_EQ(stored.count("device"), 0u);
  EXPECT_EQ(stored.at("optimizer"), "adamw");
  EXPECT_EQ(stored.at("schedule"), "onecycle");
}

TEST(Options, IntegersAndDoublesRoundTripExactly) {
  TrainConfig c;
  c.data_paths = {"a.csv", "b.csv.gz"};
  c.seed = std::numeric_limits<uint64_t>::max();
  c.validation_seed = 9007199254740993;  // 2^53 + 1: not a double
  c.lr = 0.1 + 0.2;                      // 0.30000000000000004
  c.weight_decay = std::nextafter(1e-4, 1.0);
  c.optimizer = Optimizer::kSgd;
  c.schedule = Schedule::kCosine;
  const auto stored = encode_options(c);
  EXPECT_EQ(stored.at("split-seed"), "9007199254740993");
  EXPECT_EQ(stored.at("data.1"), "b.csv.gz");
  auto back = decode_options(stored);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->seed, c.seed);
  EXPECT_EQ(back->validation_seed, c.validation_seed);
  EXPECT_EQ(back->lr, c.lr);
  EXPECT_EQ(back->weight_decay, c.weight_decay);
  EXPECT_EQ(back->optimizer, Optimizer::kSgd);
  EXPECT_EQ(back->schedule, Schedule::kCosine);
  EXPECT_EQ(back->data_paths, c.data_paths);
  EXPECT_EQ(encode_options(*back), stored);
}

TEST(Options, OneSetOfBoundsForCodeCheckpointsAndTheCommandLine) {
  // (option, a value outside its range or not a value at all)
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"dropout", "0.97"},
      {"label-smoothing", "0.6"},
      {"momentum", "0.9995"},
      {"mixup", "10.5"},
      {"lr", "nan"},
      {"lr", "inf"},
      {"lr", "0"},
      {"weight-decay", "nan"},
      {"rotation", "-1"},
      {"epochs", "0"},
      {"batch-size", "1"},
      {"width", "2000"},
      {"split-seed", "-2"},
      {"limit", "0"},
      {"epochs", "2.5"},
      {"seed", "-1"},
      {"optimizer", "rmsprop"},
      {"model", "resnet9"},
      {"elastic-sigma", "0.1"},
      {"val-fraction", "0.95"},
  };
  for (const auto& [name, value] : bad) {
    const OptionSpec* o = find_train_option(name);
    ASSERT_NE(o, nullptr) << name;
    TrainConfig c;
    const Status set = o->set(c, {value});
    ASSERT_FALSE(set) << name << "=" << value;
    EXPECT_NE(set.error().message.find("--" + name), std::string::npos) << set.error().message;

    const TrainConfig defaults;
    auto stored = encode_options(defaults);
    stored[name] = value;
    auto decoded = decode_options(stored);
    ASSERT_FALSE(decoded) << name << "=" << value << " read from a checkpoint";
    EXPECT_NE(decoded.error().message.find(name), std::string::npos) << decoded.error().message;

    CLI::App app;
    cli::TrainOptions options(app);
    std::vector<std::string> args = {"--" + name, value};
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    EXPECT_THROW(app.parse(args), CLI::ParseError) << name << "=" << value;
  }
  // The sentinels outside the ranges stay allowed: -1 is "all rows" and "the seed's split".
  for (const char* name : {"limit", "split-seed"}) {
    TrainConfig c;
    EXPECT_TRUE(find_train_option(name)->set(c, {"-1"})) << name;
  }
}

TEST(Options, CheckOptionsNamesTheFieldOfAConfigBuiltInCode) {
  TrainConfig c;
  c.data_paths = {"a.csv"};
  ASSERT_TRUE(check_options(c));
  c.augment.rotation_deg = std::nan("");
  const Status st = check_options(c);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("--rotation"), std::string::npos) << st.error().message;
  TrainConfig no_data;
  EXPECT_FALSE(check_options(no_data));
}

TEST(Options, CommandLineSetsOnlyWhatItNames) {
  TrainConfig stored;  // as a checkpoint holds it
  stored.data_paths = {"train.csv"};
  stored.lr = 0.01;
  stored.epochs = 12;
  stored.augment.enabled = false;
  CLI::App app;
  cli::TrainOptions options(app);
  app.parse(std::vector<std::string>{"7", "--epochs", "cuda", "--device"});
  TrainConfig c = stored;
  ASSERT_TRUE(options.apply(c));
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.device, "cuda");
  EXPECT_EQ(c.lr, 0.01);
  EXPECT_FALSE(c.augment.enabled);
  EXPECT_EQ(c.data_paths, stored.data_paths);
  EXPECT_TRUE(options.given("epochs"));
  EXPECT_FALSE(options.given("lr"));

  CLI::App flags;
  cli::TrainOptions flag_options(flags);
  flags.parse(std::vector<std::string>{"--augment", "b.csv", "a.csv", "--data"});
  TrainConfig f = stored;
  ASSERT_TRUE(flag_options.apply(f));
  EXPECT_TRUE(f.augment.enabled);
  EXPECT_EQ(f.data_paths, (std::vector<std::string>{"a.csv", "b.csv"}));
}

TEST(Options, EveryRecipeSetsValidOptionsOfTheTable) {
  ASSERT_FALSE(recipes().empty());
  std::set<std::string> names;
  for (const auto& r : recipes()) {
    EXPECT_TRUE(names.insert(r.name).second) << r.name << " twice";
    EXPECT_FALSE(r.help.empty()) << r.name;
    ASSERT_FALSE(r.options.empty()) << r.name;
    TrainConfig c;
    ASSERT_TRUE(apply_recipe(c, r.name)) << r.name;
    // Each option it names is set to the value it gives, and nothing else changes.
    TrainConfig expected;
    for (const auto& [option, value] : r.options) {
      const OptionSpec* spec = find_train_option(option);
      ASSERT_NE(spec, nullptr) << r.name << ": --" << option;
      EXPECT_NE(spec->role, OptionRole::kSession) << r.name << ": --" << option;
      ASSERT_TRUE(spec->set(expected, {value})) << r.name << ": --" << option << " " << value;
      EXPECT_NE(spec->get(expected), spec->get(TrainConfig()))
          << r.name << ": --" << option << " is the default already";
    }
    EXPECT_EQ(encode_options(c), encode_options(expected)) << r.name;
  }
  TrainConfig c;
  const Status unknown = apply_recipe(c, "slow");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("slow"), std::string::npos);
  EXPECT_NE(unknown.error().message.find(recipes().front().name), std::string::npos)
      << unknown.error().message;
}

TEST(Options, OptionsGivenBesideARecipeOverrideIt) {
  const Recipe& fast = recipes().front();
  ASSERT_EQ(fast.name, "fast");
  CLI::App app;
  cli::TrainOptions options(app);
  // CLI11 takes them last first: --recipe fast --epochs 5.
  app.parse(std::vector<std::string>{"5", "--epochs", "fast", "--recipe"});
  TrainConfig c;
  ASSERT_TRUE(options.apply(c));
  EXPECT_EQ(c.epochs, 5);
  TrainConfig recipe;
  ASSERT_TRUE(apply_recipe(recipe, "fast"));
  EXPECT_EQ(c.model.width, recipe.model.width);
  EXPECT_EQ(c.batch_size, recipe.batch_size);
  EXPECT_EQ(c.lr, recipe.lr);
  EXPECT_NE(recipe.epochs, 5);

  CLI::App bad;
  cli::TrainOptions bad_options(bad);
  EXPECT_THROW(bad.parse(std::vector<std::string>{"slow", "--recipe"}), CLI::ParseError);
}

TEST(Options, DifferencesNameEachChangedIdentityOption) {
  TrainConfig there, here;
  there.data_paths = {"a.csv"};
  here.data_paths = {"moved/a.csv"};  // paths may move: not a difference
  here.checkpoint_dir = "elsewhere";  // where this invocation writes: not a difference
  EXPECT_EQ(option_differences(there, here), "");
  here.lr = 0.01;
  here.optimizer = Optimizer::kSgd;
  EXPECT_EQ(option_differences(there, here),
            "--lr 0.003 there, 0.01 here, --optimizer adamw there, sgd here");
}

TEST(Options, OlderCheckpointsReadAbsentOptionsAsDefaultsAndUnknownOnesAreRefused) {
  const TrainConfig defaults;
  auto stored = encode_options(defaults);
  stored.erase("mixup");
  auto old = decode_options(stored);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->mixup, 0.0);
  stored["colour"] = "blue";
  auto unknown = decode_options(stored);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("colour"), std::string::npos);
}

TEST(TrainConfig, OptionsRoundTrip) {
  TrainConfig c;
  c.data_paths = {"a.csv", "b.csv.gz"};
  c.lr = 0.0123;
  c.model.arch = Arch::kSeed;
  c.augment.enabled = false;
  c.seed = 12345678901ULL;
  auto back = TrainConfig::from_options(c.to_options());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->to_options(), c.to_options());
  auto options = c.to_options();
  options["colour"] = "blue";
  EXPECT_FALSE(TrainConfig::from_options(options));
}

TEST(TrainConfig, ElasticOptionsRoundTripAndAreOffInOlderCheckpoints) {
  TrainConfig c;
  c.data_paths = {"a.csv"};
  c.augment.elastic_px = 1.5;
  c.augment.elastic_sigma = 3.25;
  auto back = TrainConfig::from_options(c.to_options());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_DOUBLE_EQ(back->augment.elastic_px, 1.5);
  EXPECT_DOUBLE_EQ(back->augment.elastic_sigma, 3.25);
  auto older = c.to_options();  // as written before the option existed
  older.erase("elastic");
  older.erase("elastic-sigma");
  auto old = TrainConfig::from_options(older);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->augment.elastic_px, 0.0);
}

// An option added after checkpoints existed: `value` survives to_options/from_options under
// `key`, and a checkpoint written before the option (no key) reads as 0, off.
void expect_round_trip_and_off_in_older_checkpoints(double TrainConfig::*option,
                                                    const std::string& key, double value) {
  TrainConfig c;
  c.data_paths = {"a.csv"};
  c.*option = value;
  auto back = TrainConfig::from_options(c.to_options());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_DOUBLE_EQ((*back).*option, value) << key;
  auto older = c.to_options();  // as written before the option existed
  older.erase(key);
  auto old = TrainConfig::from_options(older);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ((*old).*option, 0.0) << key;
}

TEST(TrainConfig, LabelSmoothingRoundTripsAndIsOffInOlderCheckpoints) {
  expect_round_trip_and_off_in_older_checkpoints(&TrainConfig::label_smoothing, "label-smoothing",
                                                 0.1);
}

TEST(TrainConfig, MixupRoundTripsAndIsOffInOlderCheckpoints) {
  expect_round_trip_and_off_in_older_checkpoints(&TrainConfig::mixup, "mixup", 0.2);
}

}  // namespace
}  // namespace digits
