// A white RGB sheet with a tiny digit font: what the contact sheets (contact_sheet.h,
// number_sheet.h) draw on. Internal to report/.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/io/png.h"

namespace digits::detail {

// Glyphs 3 wide and 5 high, one row per 3 bits (high bit left): 0-9, then '>', then '-'.
inline constexpr int kGlyphMark = 10, kGlyphDash = 11;
inline constexpr std::array<std::array<uint8_t, 5>, 12> kGlyphs = {{
    {7, 5, 5, 5, 7},
    {2, 6, 2, 2, 7},
    {7, 1, 7, 4, 7},
    {7, 1, 7, 1, 7},
    {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7},
    {7, 4, 7, 5, 7},
    {7, 1, 2, 2, 2},
    {7, 5, 7, 5, 7},
    {7, 5, 7, 1, 7},
    {4, 2, 1, 2, 4},
    {0, 0, 7, 0, 0},
}};
inline constexpr int kGlyphScale = 2;  // caption pixels per glyph pixel
inline constexpr int kGap = 4;         // between tiles

struct Rgb {
  uint8_t r, g, b;
};
inline constexpr Rgb kTrue{0, 120, 40}, kRead{200, 20, 20}, kMark{90, 90, 90};

class Sheet {
 public:
  Sheet(int width, int height) : width_(width), height_(height), rgb_(width * height * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void glyph(int index, int x, int y, Rgb c) {
    for (int row = 0; row < 5; ++row) {
      for (int col = 0; col < 3; ++col) {
        if (!((kGlyphs[index][row] >> (2 - col)) & 1)) continue;
        for (int dy = 0; dy < kGlyphScale; ++dy) {
          for (int dx = 0; dx < kGlyphScale; ++dx) {
            set(x + col * kGlyphScale + dx, y + row * kGlyphScale + dy, c);
          }
        }
      }
    }
  }
  // A line of `width` pixels from (x0, y0) to (x1, y1).
  void line(double x0, double y0, double x1, double y1, double width, Rgb c);
  // The outline of a box.
  void box(int x0, int y0, int x1, int y1, Rgb c) {
    for (int x = x0; x <= x1; ++x) set(x, y0, c), set(x, y1, c);
    for (int y = y0; y <= y1; ++y) set(x0, y, c), set(x1, y, c);
  }
  Status save(const std::string& path) const {
    return write_png_rgb(path, rgb_.data(), width_, height_, width_ * 3);
  }

 private:
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

inline void Sheet::line(double x0, double y0, double x1, double y1, double width, Rgb c) {
  const double r = std::max(0.5, width / 2);
  const int steps = std::max(1, static_cast<int>(std::ceil(std::hypot(x1 - x0, y1 - y0))));
  const int reach = static_cast<int>(std::ceil(r));
  for (int k = 0; k <= steps; ++k) {
    const double t = static_cast<double>(k) / steps;
    const auto x = static_cast<int>(std::lround(x0 + (x1 - x0) * t));
    const auto y = static_cast<int>(std::lround(y0 + (y1 - y0) * t));
    for (int dy = -reach; dy <= reach; ++dy) {
      for (int dx = -reach; dx <= reach; ++dx) {
        if (dx * dx + dy * dy <= r * r) set(x + dx, y + dy, c);
      }
    }
  }
}

}  // namespace digits::detail
