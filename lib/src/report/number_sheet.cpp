#include "digits/report/number_sheet.h"

#include <algorithm>
#include <cmath>

#include "ink/geometry.h"
#include "report/sheet.h"

namespace digits {

namespace {

using detail::kGap;
using detail::kGlyphDash;
using detail::kGlyphMark;
using detail::kGlyphScale;
using detail::Rgb;

constexpr int kTileW = 420, kTileH = 96;  // the ink's room
constexpr int kCaption = 5 * kGlyphScale + 4;
constexpr int kStep = 4 * kGlyphScale;  // one glyph and its space
constexpr Rgb kInk{30, 30, 30};
// Boxes alternate, so that neighbours that overlap stay apart.
constexpr Rgb kBoxes[] = {{40, 90, 220}, {230, 120, 0}};

void caption(detail::Sheet& sheet, const std::string& text, int x, int y, Rgb c) {
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') sheet.glyph(ch - '0', x, y, c);
    if (ch == '-') sheet.glyph(kGlyphDash, x, y, c);
    x += kStep;
  }
}

}  // namespace

Status write_number_sheet(const std::string& path, const std::vector<InkSample>& samples,
                          const std::vector<NumberReading>& readings, int columns) {
  if (samples.size() != readings.size()) {
    return Error{path + ": a number sheet needs one reading per sample"};
  }
  columns = std::max(1, columns);
  const int n = static_cast<int>(samples.size());
  const int shown = std::max(1, n);
  const int cols = std::min(columns, shown), rows = (shown + columns - 1) / columns;
  // Each tile: caption, a row of digit readings, the ink.
  const int cell_w = kTileW + kGap, cell_h = 2 * kCaption + kTileH + kGap;
  detail::Sheet sheet(kGap + cols * cell_w, kGap + rows * cell_h);
  for (int i = 0; i < n; ++i) {
    const InkSample& s = samples[static_cast<size_t>(i)];
    const NumberReading& r = readings[static_cast<size_t>(i)];
    const int x0 = kGap + (i % columns) * cell_w, y0 = kGap + (i / columns) * cell_h;
    caption(sheet, s.label, x0, y0, detail::kTrue);
    sheet.glyph(kGlyphMark, x0 + kStep * static_cast<int>(s.label.size()), y0, detail::kMark);
    caption(sheet, r.number ? r.text() : "-", x0 + kStep * static_cast<int>(s.label.size() + 1), y0,
            detail::kRead);
    // The ink fitted into the tile, keeping its aspect ratio.
    detail::Span ink;
    for (const auto& stroke : s.strokes) ink.add(detail::span_of(stroke));
    if (!(ink.x1 >= ink.x0)) continue;
    const double margin = 6;
    const double scale = std::min((kTileW - 2 * margin) / std::max(ink.x1 - ink.x0, 1e-9),
                                  (kTileH - 2 * margin) / std::max(ink.y1 - ink.y0, 1e-9));
    const double ox = x0 + margin, oy = y0 + 2 * kCaption + margin;
    auto X = [&](double x) { return ox + (x - ink.x0) * scale; };
    auto Y = [&](double y) { return oy + (y - ink.y0) * scale; };
    for (size_t k = 0; k < r.digits.size(); ++k) {
      const ReadDigit& d = r.digits[k];
      // The digit that made the ink no number (NumberReading::why) in the colour of the reading.
      const bool why = !r.number && r.why_digit == static_cast<int64_t>(k);
      const Rgb c = why ? detail::kRead : kBoxes[k % 2];
      sheet.box(static_cast<int>(X(d.x0)) - 2, static_cast<int>(Y(d.y0)) - 2,
                static_cast<int>(X(d.x1)) + 2, static_cast<int>(Y(d.y1)) + 2, c);
      sheet.glyph(d.digit, static_cast<int>(X(d.x0)), y0 + kCaption, c);
    }
    for (const auto& stroke : s.strokes) {
      for (size_t k = 0; k < stroke.size(); ++k) {
        const InkPoint& a = stroke[k == 0 ? 0 : k - 1];
        const InkPoint& b = stroke[k];
        sheet.line(X(a.x), Y(a.y), X(b.x), Y(b.y), 2.0, kInk);
      }
    }
  }
  if (n == 0) sheet.box(kGap, kGap, kGap + kTileW, kGap + kTileH, detail::kMark);
  return sheet.save(path);
}

}  // namespace digits
