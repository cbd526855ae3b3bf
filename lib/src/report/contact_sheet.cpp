#include "digits/report/contact_sheet.h"

#include <algorithm>
#include <array>
#include <vector>

#include "digits/core/image.h"
#include "report/sheet.h"

namespace digits {

namespace {

using detail::kGap;
using detail::kGlyphScale;
using detail::kMark;
using detail::kRead;
using detail::kTrue;
using detail::Sheet;

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
