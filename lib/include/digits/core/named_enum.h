// Enums with names: the one table that maps each value to its spelling on the command line and
// in checkpoints, and to a line of help. An enum E takes part by declaring, beside itself,
//   const std::vector<Named<E>>& names(E);
// which these templates find by argument-dependent lookup.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace digits {

template <class E>
struct Named {
  E value;
  std::string_view name;         // as typed: "adamw"
  std::string_view description;  // one line for --help
};

// "adamw", or "?" for a value outside the table (a cast from a bad integer).
template <class E>
std::string_view name_of(E value) {
  for (const auto& n : names(E{})) {
    if (n.value == value) return n.name;
  }
  return "?";
}

template <class E>
std::optional<E> parse_name(std::string_view text) {
  for (const auto& n : names(E{})) {
    if (n.name == text) return n.value;
  }
  return std::nullopt;
}

// "sgd, adam or adamw".
template <class E>
std::string name_list(const char* last_separator = " or ") {
  const auto& all = names(E{});
  std::string s;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) s += i + 1 == all.size() ? last_separator : ", ";
    s += all[i].name;
  }
  return s;
}

}  // namespace digits
