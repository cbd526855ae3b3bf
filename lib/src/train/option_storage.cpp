// What the option table gives besides the command line: validation, the checkpoint's
// key=value storage of a run's options, and how two runs' options differ.
#include <map>
#include <string>
#include <vector>

#include "digits/train/options.h"

namespace digits {

namespace {

// Options that say where this invocation runs are not the run's: never stored.
bool stored(const OptionSpec& o) { return o.role != OptionRole::kSession; }

}  // namespace

Status check_options(const TrainConfig& config) {
  if (config.data_paths.empty()) return Error{"no training data given (--data PATH)"};
  TrainConfig scratch;
  for (const auto& o : train_options()) {
    if (auto st = o.set(scratch, o.get(config)); !st) return st;
  }
  return {};
}

std::map<std::string, std::string> encode_options(const TrainConfig& config) {
  std::map<std::string, std::string> out;
  for (const auto& o : train_options()) {
    if (!stored(o)) continue;
    const auto values = o.get(config);
    if (o.kind == OptionSpec::Kind::kList) {
      for (size_t i = 0; i < values.size(); ++i) out[o.name + "." + std::to_string(i)] = values[i];
    } else {
      out[o.name] = values.at(0);
    }
  }
  return out;
}

Result<TrainConfig> decode_options(const std::map<std::string, std::string>& in) {
  TrainConfig c;
  size_t used = 0;
  for (const auto& o : train_options()) {
    if (!stored(o)) continue;
    std::vector<std::string> values;
    if (o.kind == OptionSpec::Kind::kList) {
      for (size_t i = 0; in.count(o.name + "." + std::to_string(i)); ++i) {
        values.push_back(in.at(o.name + "." + std::to_string(i)));
      }
    } else if (auto it = in.find(o.name); it != in.end()) {
      values.push_back(it->second);
    }
    used += values.size();
    if (values.empty()) continue;  // not stored by older versions: the default
    if (auto st = o.set(c, values); !st) {
      return Error{"stored training option " + st.error().message.substr(2)};
    }
  }
  if (used != in.size()) {
    const auto known = encode_options(c);
    for (const auto& [key, value] : in) {
      if (!known.count(key)) return Error{"unknown stored training option '" + key + "'"};
    }
  }
  return c;
}

std::string option_differences(const TrainConfig& there, const TrainConfig& here) {
  std::string diffs;
  for (const auto& o : train_options()) {
    if (o.role != OptionRole::kIdentity) continue;
    const auto a = o.get(there), b = o.get(here);
    if (a == b) continue;
    diffs +=
        (diffs.empty() ? "--" : ", --") + o.name + " " + a.at(0) + " there, " + b.at(0) + " here";
  }
  return diffs;
}

std::map<std::string, std::string> TrainConfig::to_options() const { return encode_options(*this); }

Result<TrainConfig> TrainConfig::from_options(const std::map<std::string, std::string>& options) {
  return decode_options(options);
}

}  // namespace digits
