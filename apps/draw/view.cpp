#include "view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace digits::draw {

CanvasPoint Layout::to_canvas(int window_x, int window_y) const {
  const double x = window_x * pixel_ratio, y = window_y * pixel_ratio;
  return canvas_point(x - canvas.x, y - canvas.y, canvas.h);
}

SDL_Point Layout::to_window(CanvasPoint p) const {
  return {static_cast<int>(std::lround((canvas.x + p.x * canvas.h) / pixel_ratio)),
          static_cast<int>(std::lround((canvas.y + p.y * canvas.h) / pixel_ratio))};
}

bool Layout::in_clear_button(int window_x, int window_y) const {
  const SDL_Point p{static_cast<int>(window_x * pixel_ratio),
                    static_cast<int>(window_y * pixel_ratio)};
  return SDL_PointInRect(&p, &clear_button) == SDL_TRUE;
}

// Everything is laid out in renderer pixels: the scale is the UI scale (HiDPI pixel density, or
// the display's DPI when the system does not scale windows, or --scale).
Layout layout_window(const Theme& theme, double scale, const WindowSize& size) {
  Layout l;
  l.scale = scale;
  l.pixel_ratio = size.points_w > 0 ? static_cast<double>(size.pixels_w) / size.points_w : 1.0;
  const int pw = size.pixels_w, ph = size.pixels_h;
  const int m = l.px(theme.margin), panel = l.px(theme.panel_width);
  // The canvas takes what the panel leaves: as wide as the window allows, room for a number.
  const int w = std::max(8, pw - panel - 3 * m), h = std::max(8, ph - 2 * m);
  l.canvas = {m, m, w, h};
  l.panel = {2 * m + w, m, panel, h};
  l.clear_button = {l.panel.x, l.panel.y + l.panel.h - l.px(theme.button_bottom),
                    l.px(theme.button_width), l.px(theme.button_height)};
  return l;
}

CanvasSize View::relayout() {
  layout_ = layout_window(theme_, platform_.scale(), platform_.window_size());
  const int longer = std::max(layout_.canvas.w, layout_.canvas.h);
  const double shrink = std::min(1.0, static_cast<double>(theme_.max_canvas_side) / longer);
  return {std::lround(layout_.canvas.w * shrink), std::lround(layout_.canvas.h * shrink)};
}

void View::reset_textures() {
  canvas_texture_.reset();
  model_texture_.reset();
}

void View::render(const AppState& state) {
  set_colour(theme_.background);
  SDL_RenderClear(platform_.renderer());
  draw_canvas(state);
  draw_panel(state);
  if (state.help) draw_help(state);
  draw_message(state);
}

void View::set_colour(SDL_Color c) {
  SDL_SetRenderDrawColor(platform_.renderer(), c.r, c.g, c.b, c.a);
}

void View::fill(const SDL_Rect& r, SDL_Color c) {
  set_colour(c);
  SDL_RenderFillRect(platform_.renderer(), &r);
}

void View::text(TTF_Font* font, const std::string& s, int x, int y, SDL_Color color, Align align,
                int wrap) {
  if (s.empty()) return;
  Surface surface(wrap > 0 ? TTF_RenderUTF8_Blended_Wrapped(font, s.c_str(), color, wrap)
                           : TTF_RenderUTF8_Blended(font, s.c_str(), color));
  if (!surface) return;
  Texture t(SDL_CreateTextureFromSurface(platform_.renderer(), surface.get()));
  SDL_Rect r{x, y, surface->w, surface->h};
  if (align == Align::kRight) r.x -= surface->w;
  if (align == Align::kCentre) r.x -= surface->w / 2;
  surface.reset();
  if (t) SDL_RenderCopy(platform_.renderer(), t.get(), nullptr, &r);
}

void View::draw_canvas(const AppState& state) {
  SDL_Renderer* renderer = platform_.renderer();
  const Canvas& canvas = state.canvas;
  const SDL_Rect& area = layout_.canvas;
  const int width = static_cast<int>(canvas.width()), height = static_cast<int>(canvas.height());
  if (!canvas_texture_ || texture_size_.width != width || texture_size_.height != height) {
    canvas_texture_.reset(SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888,
                                            SDL_TEXTUREACCESS_STREAMING, width, height));
    SDL_SetTextureScaleMode(canvas_texture_.get(), SDL_ScaleModeLinear);
    texture_size_ = {canvas.width(), canvas.height()};
    texture_version_ = ~0ULL;
  }
  if (texture_version_ != canvas.version() && canvas_texture_) {
    void* pixels = nullptr;
    int pitch = 0;
    if (SDL_LockTexture(canvas_texture_.get(), nullptr, &pixels, &pitch) == 0) {
      const uint8_t* grey = canvas.pixels().data();
      for (int y = 0; y < height; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(pixels) + y * pitch);
        for (int x = 0; x < width; ++x) {
          const uint32_t v = grey[y * width + x];
          row[x] = 0xFF000000u | v << 16 | v << 8 | v;
        }
      }
      SDL_UnlockTexture(canvas_texture_.get());
      texture_version_ = canvas.version();
    }
  }
  SDL_RenderCopy(renderer, canvas_texture_.get(), nullptr, &area);

  if (state.model_view && state.recognizer.prediction()) draw_model_input(state);
  draw_number(state);
  if (state.grid) {
    const SDL_Rect sq = model_square();
    set_colour(theme_.grid_line);
    for (int i = 1; i < kImageSide; ++i) {
      const int x = sq.x + i * sq.w / kImageSide;
      const int y = sq.y + i * sq.h / kImageSide;
      SDL_RenderDrawLine(renderer, x, sq.y, x, sq.y + sq.h - 1);
      SDL_RenderDrawLine(renderer, sq.x, y, sq.x + sq.w - 1, y);
    }
  }
  if (state.hover && !state.help) {
    // The brush's outline under the pointer (positions and radius in canvas heights).
    const double r = canvas.brush_pixels() * area.h / static_cast<double>(canvas.height());
    const double cx = area.x + state.hover->x * area.h;
    const double cy = area.y + state.hover->y * area.h;
    std::vector<SDL_Point> ring;
    const int n = theme_.ring_segments;
    for (int k = 0; k <= n; ++k) {
      const double a = k * 2 * M_PI / n;
      ring.push_back(
          {static_cast<int>(cx + r * std::cos(a)), static_cast<int>(cy + r * std::sin(a))});
    }
    set_colour(theme_.brush_ring);
    SDL_RenderDrawLines(renderer, ring.data(), static_cast<int>(ring.size()));
  }
  if (!canvas.has_ink() && state.model_error.empty() && !state.help) {
    text(platform_.fonts().text.get(), "write a digit or a number here", area.x + area.w / 2,
         area.y + area.h / 2 - px(theme_.hint_raise), theme_.dim_text, Align::kCentre);
  }
  if (!state.model_error.empty()) {
    const int inset = theme_.error_box_inset, pad = theme_.error_box_padding;
    const SDL_Rect box{area.x + px(inset), area.y + area.h / 2 - px(theme_.error_box_height / 2),
                       area.w - px(2 * inset), px(theme_.error_box_height)};
    fill(box, theme_.error_box);
    text(platform_.fonts().text.get(), state.model_error, box.x + px(pad), box.y + px(pad),
         theme_.error_text, Align::kLeft, box.w - px(2 * pad));
  }
}

// With several digits read, a box around each and its reading above it, alternating colours so
// that neighbours that touch stay apart.
void View::draw_number(const AppState& state) {
  const auto& number = state.recognizer.number();
  if (!number || number->digits.size() < 2) return;
  const SDL_Rect& area = layout_.canvas;
  const double scale = static_cast<double>(area.h) / static_cast<double>(state.canvas.height());
  const int pad = px(theme_.digit_box_padding);
  for (size_t i = 0; i < number->digits.size(); ++i) {
    const ReadDigit& d = number->digits[i];
    const SDL_Color c = i % 2 ? theme_.digit_box_odd : theme_.digit_box_even;
    const SDL_Rect box{area.x + static_cast<int>(d.x0 * scale) - pad,
                       area.y + static_cast<int>(d.y0 * scale) - pad,
                       static_cast<int>((d.x1 - d.x0) * scale) + 2 * pad,
                       static_cast<int>((d.y1 - d.y0) * scale) + 2 * pad};
    set_colour(c);
    SDL_RenderDrawRect(platform_.renderer(), &box);
    text(platform_.fonts().text.get(), std::to_string(d.digit), box.x + box.w / 2,
         box.y - px(theme_.digit_label_raise), c, Align::kCentre);
  }
}

// The 28x28 input over the canvas, one cell per input pixel, in blue as the original did.
void View::draw_model_input(const AppState& state) {
  if (!model_texture_) {
    model_texture_.reset(SDL_CreateTexture(platform_.renderer(), SDL_PIXELFORMAT_ARGB8888,
                                           SDL_TEXTUREACCESS_STREAMING, kImageSide, kImageSide));
    SDL_SetTextureBlendMode(model_texture_.get(), SDL_BLENDMODE_BLEND);
    SDL_SetTextureScaleMode(model_texture_.get(), SDL_ScaleModeNearest);
  }
  const SDL_Color ink = theme_.model_ink;
  const uint32_t rgb = static_cast<uint32_t>(ink.r) << 16 | ink.g << 8 | ink.b;
  std::vector<uint32_t> cells(kPixels);
  const auto& in = state.recognizer.input();
  for (int64_t i = 0; i < kPixels; ++i) {
    const uint32_t a = in[i] * ink.a / 255;
    cells[i] = a << 24 | rgb;
  }
  SDL_UpdateTexture(model_texture_.get(), nullptr, cells.data(), kImageSide * 4);
  const SDL_Rect sq = model_square();
  SDL_RenderCopy(platform_.renderer(), model_texture_.get(), nullptr, &sq);
}

// The 28x28 input and its grid are square: shown in the canvas's middle, as high as the canvas.
SDL_Rect View::model_square() const {
  const SDL_Rect& a = layout_.canvas;
  const int side = std::min(a.w, a.h);
  return {a.x + (a.w - side) / 2, a.y + (a.h - side) / 2, side, side};
}

}  // namespace digits::draw
