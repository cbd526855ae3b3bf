// Small text helpers every program and report uses.
#pragma once

#include <string>
#include <vector>

namespace digits {

// "a, b, c" from {"a", "b", "c"} and ", ".
inline std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : separator) + item;
  return s;
}

}  // namespace digits
