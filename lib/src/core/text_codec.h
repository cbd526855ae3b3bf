// The one text codec of stored values (checkpoint metadata and training options): integers in
// decimal, doubles in the shortest form that reads back to the same bits. Parsing is strict:
// the whole text, no spaces, finite numbers only.
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace digits::detail {

// The shortest text in %g's style that reads back as exactly `v` (0.003 stays "0.003", 10 stays
// "10"); "nan" for NaN.
inline std::string format_real(double v) {
  if (std::isnan(v)) return "nan";
  char buf[40];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

// An integer (any width, signedness checked) or a finite double; nullopt for anything else.
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T v{};
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || at != end) return std::nullopt;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  return v;
}

}  // namespace digits::detail
