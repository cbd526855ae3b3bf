#include "digits/report/contact_sheet.h"

#include <algorithm>
#include <array>
#include <vector>

#include "digits/core/image.h"
#include "digits/io/png.h"

namespace digits {

namespace {

// Glyphs 3 wide and 5 high, one row per 3 bits (high bit left): 0-9, then '>'.
constexpr std::array<std::array<uint8_t, 5>, 11> kGlyphs = {{
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
}};
constexpr int kGlyphScale = 2;  // caption pixels per glyph pixel
constexpr int kGap = 4;         // between tiles

struct Rgb {
  uint8_t r, g, b;
};
constexpr Rgb kTrue{0, 120, 40}, kRead{200, 20, 20}, kMark{90, 90, 90};

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
  Status save(const std::string& path) const {
    return write_png_rgb(path, rgb_.data(), width_, height_, width_ * 3);
  }

 private:
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

}  // namespace

Status write_contact_sheet(const std::string& path, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& predicted,
                           const ContactSheetStyle& style) {
  const auto img = images.to(torch::kCPU).to(torch::kUInt8).contiguous().reshape({-1, kPixels});
  const auto n = img.size(0);
  const auto y = labels.to(torch::kCPU).to(torch::kInt64).contiguous();
  const auto p = predicted.to(torch::kCPU).to(torch::kInt64).contiguous();
  if (y.numel() != n || p.numel() != n) {
    return Error{path + ": contact sheet needs one label and one prediction per image"};
  }
  const int zoom = std::max(1, style.zoom), columns = std::max(1, style.columns);
  const int tile = kImageSide * zoom;
  const int caption = 5 * kGlyphScale + 4;
  const int cell_w = tile + kGap, cell_h = caption + tile + kGap;
  const int shown = static_cast<int>(std::max<int64_t>(1, n));
  const int cols = std::min(columns, shown), rows = (shown + columns - 1) / columns;
  Sheet sheet(kGap + cols * cell_w, kGap + rows * cell_h);
  const uint8_t* px = img.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int x0 = kGap + static_cast<int>(i % columns) * cell_w;
    const int y0 = kGap + static_cast<int>(i / columns) * cell_h;
    const auto label = y.data_ptr<int64_t>()[i], read = p.data_ptr<int64_t>()[i];
    const int step = 4 * kGlyphScale;
    if (label >= 0 && label <= 9) sheet.glyph(static_cast<int>(label), x0, y0, kTrue);
    sheet.glyph(10, x0 + step, y0, kMark);
    if (read >= 0 && read <= 9) sheet.glyph(static_cast<int>(read), x0 + 2 * step, y0, kRead);
    for (int r = 0; r < tile; ++r) {
      for (int c = 0; c < tile; ++c) {
        const auto ink = px[i * kPixels + (r / zoom) * kImageSide + c / zoom];
        const auto v = static_cast<uint8_t>(255 - ink);
        sheet.set(x0 + c, y0 + caption + r, {v, v, v});
      }
    }
  }
  if (n == 0) {
    // One empty tile outlined, so that "nothing misread" is an image too.
    for (int k = 0; k < tile; ++k) {
      for (const auto& [x, yy] :
           {std::pair{k, 0}, std::pair{k, tile - 1}, std::pair{0, k}, std::pair{tile - 1, k}}) {
        sheet.set(kGap + x, kGap + caption + yy, kMark);
      }
    }
  }
  return sheet.save(path);
}

}  // namespace digits
