// libFuzzer target: digits::parse_unipen on arbitrary bytes, then the first digit drawn as the
// app draws it (pen.h), and parse_unipen_ink (numbers too) on the same bytes. Parsing must return
// ink or a one-line error naming the file and line, and drawing any digit that parsed must never
// crash or read out of bounds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "digits/ink/pen.h"
#include "digits/ink/unipen.h"

namespace {

void check_message(const std::string& m) {
  if (m.rfind("fuzz.unipen:", 0) != 0 || m.find('\n') != std::string::npos) {
    std::fprintf(stderr, "bad error message: %s\n", m.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ink = digits::parse_unipen_ink(text, "fuzz.unipen");
  if (!ink) check_message(ink.error().message);
  for (const auto& sample : ink ? *ink : std::vector<digits::InkSample>{}) {
    bool ok = !sample.label.empty() && !sample.strokes.empty();
    for (const auto& s : sample.strokes) ok = ok && !s.empty();
    if (!ok) {
      std::fprintf(stderr, "parsed malformed ink at %s\n", sample.where.c_str());
      std::abort();
    }
  }
  auto digits = digits::parse_unipen(text, "fuzz.unipen");
  if (!digits) {
    check_message(digits.error().message);
    return 0;
  }
  for (const auto& d : *digits) {
    bool ok = d.label >= 0 && d.label <= 9 && !d.strokes.empty();
    for (const auto& s : d.strokes) ok = ok && !s.empty();
    if (!ok) {
      std::fprintf(stderr, "parsed a malformed digit at line %lld\n",
                   static_cast<long long>(d.line));
      std::abort();
    }
  }
  digits::PenStyle small;
  small.canvas_side = 64;  // the same code as the app's 528, faster
  (void)digits::render_pen_digit(digits->front(), small);
  return 0;
}
