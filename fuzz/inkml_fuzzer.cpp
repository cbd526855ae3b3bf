// libFuzzer target: digits::parse_inkml on arbitrary bytes, then the first sample drawn as the
// app draws a pen digit (pen.h). Parsing must return samples or a one-line error naming the file
// and line; every sample must have strokes of finite points and parts that index them, and
// drawing it must never crash or read out of bounds.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "digits/ink/inkml.h"
#include "digits/ink/pen.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& where) {
  std::fprintf(stderr, "%s: %s\n", what, where.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto samples = digits::parse_inkml(text, "fuzz.inkml");
  if (!samples) {
    const std::string& m = samples.error().message;
    if (m.rfind("fuzz.inkml:", 0) != 0 || m.find('\n') != std::string::npos) {
      fail("bad error message", m);
    }
    return 0;
  }
  if (samples->empty()) fail("parsed no sample and no error", "");
  for (const digits::InkSample& s : *samples) {
    if (s.where.rfind("fuzz.inkml:", 0) != 0) fail("sample without its place", s.where);
    if (s.strokes.empty()) fail("sample without strokes", s.where);
    for (const digits::InkStroke& stroke : s.strokes) {
      if (stroke.empty()) fail("empty stroke", s.where);
      for (const digits::InkPoint& p : stroke) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || std::abs(p.x) > 1e9 ||
            std::abs(p.y) > 1e9) {
          fail("point out of range", s.where);
        }
      }
    }
    for (const digits::InkPart& part : s.parts) {
      if (part.strokes.empty()) fail("part without strokes", s.where);
      for (size_t i = 0; i < part.strokes.size(); ++i) {
        if (part.strokes[i] >= s.strokes.size() ||
            (i > 0 && part.strokes[i] <= part.strokes[i - 1])) {
          fail("part's strokes out of range or order", s.where);
        }
      }
    }
  }
  // The first sample as a pen digit (y up, as UNIPEN's), drawn as the app draws one.
  digits::PenDigit digit;
  for (const digits::InkStroke& stroke : samples->front().strokes) {
    digit.strokes.emplace_back();
    for (const digits::InkPoint& p : stroke) digit.strokes.back().push_back({p.x, -p.y});
  }
  digits::PenStyle small;
  small.canvas_side = 64;  // the same code as the app's 528, faster
  (void)digits::render_pen_digit(digit, small);
  return 0;
}
