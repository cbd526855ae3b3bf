// The kinds of option in train_options()'s table (options.cpp) and what they share: ranges
// worded as CLI11 words them, values parsed and checked alike from the command line and from a
// checkpoint, messages that name the option. Internal to the table.
#pragma once

#include <algorithm>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/text_codec.h"
#include "digits/train/options.h"

namespace digits::option_kinds {

using detail::format_real;
using detail::parse_number;

constexpr double kInf = std::numeric_limits<double>::infinity();

// As CLI11 prints a number in --help (an ostream's defaults).
template <class T>
std::string display(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A closed or half-open interval of allowed values, plus one "unset" value outside it.
struct Range {
  double lo = -kInf, hi = kInf;
  bool lo_open = false;
  std::optional<double> unset;  // e.g. -1 for "all rows"

  bool contains(double v) const {
    if (unset && v == *unset) return true;
    return (lo_open ? v > lo : v >= lo) && v <= hi;
  }
  // CLI11's wording, so that --help reads as it always has.
  std::string help(const std::string& type) const {
    if (hi == kInf && lo == 0) return lo_open ? "POSITIVE" : "NONNEGATIVE";
    if (hi == kInf && lo == -kInf) return "";
    if (type == "FLOAT") {
      return type + (lo_open ? " in (" : " in [") + display(lo) + " - " + display(hi) + "]";
    }
    return type + " in [" + display(static_cast<int64_t>(lo)) + " - " +
           display(static_cast<int64_t>(hi)) + "]";
  }
  std::string sentence(bool integer) const {
    auto num = [&](double v) {
      return integer ? std::to_string(static_cast<int64_t>(v)) : format_real(v);
    };
    std::string s;
    if (hi == kInf) {
      s = lo_open ? (lo == 0 ? "positive" : "> " + num(lo)) : ">= " + num(lo);
    } else {
      s = "in " + std::string(lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + "]";
    }
    if (unset) s += " (or " + num(*unset) + ")";
    return s;
  }
};

inline Range positive() { return {0, kInf, true, {}}; }
inline Range at_least(double lo) { return {lo, kInf, false, {}}; }
inline Range between(double lo, double hi) { return {lo, hi, false, {}}; }
inline Range any() { return {}; }

// `text` on one line: control bytes as C escapes ("d\nx" shows as d\nx), so that a message never
// breaks in two.
inline std::string printable(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else {
      const char* hex = "0123456789abcdef";
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    }
  }
  return out;
}

inline Error bad_value(const std::string& name, const std::string& text, const std::string& why) {
  return Error{"--" + name + " " + printable(text) + ": " + why};
}

// Text a checkpoint stores (--data, any stored text option) holds no control character: its
// metadata is one key=value per line, and a line break in a file's name would be read back as
// another key. "" when `text` is fine.
inline std::string control_character_problem(const std::string& text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return "holds a control character (" + printable(std::string(1, ch)) +
             "), which a checkpoint cannot store (one option per line); rename it";
    }
  }
  return {};
}

// Why an integer field cannot take `text`: an integer beyond the field's type (a 20-digit
// --epochs) is out of range, anything else is not an integer.
template <class T>
std::string integer_problem(const std::string& text, const Range& range) {
  const bool negative = !text.empty() && text[0] == '-';
  const size_t first = negative ? 1 : 0;
  if (text.size() == first || text.find_first_not_of("0123456789", first) != std::string::npos) {
    return "not an integer";
  }
  if (negative ? range.lo > -kInf : range.hi < kInf) {
    return "out of range: must be " + range.sentence(true);
  }
  return "out of range: the " + std::string(negative ? "smallest" : "largest") + " is " +
         std::to_string(negative ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max());
}

inline Status one_value(const std::string& name, const std::vector<std::string>& values) {
  if (values.size() != 1) return Error{"--" + name + " takes one value"};
  return {};
}

// A number field: Ref maps a TrainConfig& to the field (int64_t, uint64_t or double).
template <class Ref>
OptionSpec number(std::string name, std::string help, Ref ref, Range range,
                  bool show_default = true) {
  using T = std::remove_reference_t<decltype(ref(std::declval<TrainConfig&>()))>;
  constexpr bool kInteger = std::is_integral_v<T>;
  OptionSpec o;
  o.type = std::is_floating_point_v<T> ? "FLOAT" : std::is_signed_v<T> ? "INT" : "UINT";
  o.allowed = range.help(o.type);
  o.name = std::move(name);
  o.help = std::move(help);
  o.show_default = show_default;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    const T v = ref(const_cast<TrainConfig&>(c));
    if constexpr (kInteger)
      return {std::to_string(v)};
    else
      return {format_real(v)};
  };
  o.set = [ref, range, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    const auto v = parse_number<T>(values[0]);
    if (!v) {
      if constexpr (kInteger) {
        return Status(bad_value(n, values[0], integer_problem<T>(values[0], range)));
      }
      return Status(bad_value(n, values[0], "not a finite number"));
    }
    if (!range.contains(static_cast<double>(*v))) {
      return Status(bad_value(n, values[0], "must be " + range.sentence(kInteger)));
    }
    ref(c) = *v;
    return Status();
  };
  return o;
}

// An enum field with a names() table.
template <class Ref>
OptionSpec choice(std::string name, std::string help, Ref ref) {
  using E = std::remove_reference_t<decltype(ref(std::declval<TrainConfig&>()))>;
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.type = "TEXT";
  o.allowed = "{";
  for (const auto& n : names(E{}))
    o.allowed += (o.allowed.size() > 1 ? "," : "") + std::string(n.name);
  o.allowed += "}";
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {std::string(name_of(ref(const_cast<TrainConfig&>(c))))};
  };
  o.set = [ref, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    const auto v = parse_name<E>(values[0]);
    if (!v) return Status(bad_value(n, values[0], "unknown " + n + "; use " + name_list<E>()));
    ref(c) = *v;
    return Status();
  };
  return o;
}

// A text field, checked where it is used (a folder, a device).
template <class Ref>
OptionSpec text(std::string name, std::string help, Ref ref, OptionRole role) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.type = "TEXT";
  o.role = role;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {ref(const_cast<TrainConfig&>(c))};
  };
  o.set = [ref, n = o.name, stored = role != OptionRole::kSession](
              TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    if (auto problem = control_character_problem(values[0]); stored && !problem.empty()) {
      return Status(bad_value(n, values[0], problem));
    }
    ref(c) = values[0];
    return Status();
  };
  return o;
}

template <class Ref>
OptionSpec flag(std::string name, std::string help, Ref ref) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.kind = OptionSpec::Kind::kFlag;
  o.show_default = false;
  o.get = [ref](const TrainConfig& c) -> std::vector<std::string> {
    return {ref(const_cast<TrainConfig&>(c)) ? "1" : "0"};
  };
  o.set = [ref, n = o.name](TrainConfig& c, const std::vector<std::string>& values) {
    if (auto st = one_value(n, values); !st) return st;
    if (values[0] != "0" && values[0] != "1") return Status(bad_value(n, values[0], "not 0 or 1"));
    ref(c) = values[0] == "1";
    return Status();
  };
  return o;
}

// `o` as an option of the data: stored in checkpoints, never compared on resume (the data's
// fingerprint decides).
inline OptionSpec data_role(OptionSpec o) {
  o.role = OptionRole::kData;
  return o;
}

// A list of paths (data files): stored in checkpoints, so no control character in any.
inline OptionSpec paths(std::string name, std::string help,
                        std::vector<std::string> TrainConfig::*field) {
  OptionSpec o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.type = "TEXT";
  o.kind = OptionSpec::Kind::kList;
  o.role = OptionRole::kData;
  o.show_default = false;
  o.get = [field](const TrainConfig& c) { return c.*field; };
  o.set = [field, n = o.name](TrainConfig& c, const std::vector<std::string>& values) -> Status {
    for (const auto& path : values) {
      if (auto problem = control_character_problem(path); !problem.empty()) {
        return bad_value(n, path, problem);
      }
    }
    c.*field = values;
    return {};
  };
  return o;
}

}  // namespace digits::option_kinds
