// digit-draw's view: where things are in the window (Layout) and drawing them from the app's state:
// the canvas, the side panel, the help overlay and the message line. One render() serves the
// screen and screenshots.
#pragma once

#include <SDL.h>

#include <cstdint>
#include <string>

#include "app.h"
#include "digits/ink/canvas.h"
#include "platform.h"
#include "theme.h"

namespace digits::draw {

// The canvas's raster in pixels.
struct CanvasSize {
  int64_t width = 0, height = 0;
};

// The window's areas in renderer pixels, and the conversions from window points (as SDL reports
// the pointer) to them.
struct Layout {
  double scale = 1.0;
  double pixel_ratio = 1.0;  // renderer pixels per window point (HiDPI)
  SDL_Rect canvas{}, panel{}, clear_button{};

  int px(double points) const { return to_pixels(points, scale); }
  // Window points to canvas points, in canvas heights (outside the canvas: below 0, y above 1, x
  // beyond its width over its height).
  CanvasPoint to_canvas(int window_x, int window_y) const;
  // Canvas points to window points: what SDL would report for the pointer there.
  SDL_Point to_window(CanvasPoint p) const;
  bool in_clear_button(int window_x, int window_y) const;
  // Whether a canvas point lies on the canvas.
  bool on_canvas(CanvasPoint p) const {
    return p.x >= 0 && p.x * canvas.h <= canvas.w && p.y >= 0 && p.y <= 1;
  }
};

// Lays out a window of `size` at UI scale `scale`.
Layout layout_window(const Theme& theme, double scale, const WindowSize& size);

class View {
 public:
  View(Platform& platform, const Theme& theme) : platform_(platform), theme_(theme) {}

  const Layout& layout() const { return layout_; }
  // Lays the window out again at its present size and scale; returns the raster size the canvas
  // should have (its rectangle's, its longer side capped at Theme::max_canvas_side).
  CanvasSize relayout();
  // Drops the textures (the renderer lost them); they are made again when next drawn.
  void reset_textures();

  // Draws the whole window from `state` into the renderer, without presenting it.
  void render(const AppState& state);

 private:
  enum class Align { kLeft, kRight, kCentre };

  void draw_canvas(const AppState& state);
  void draw_model_input(const AppState& state);
  void draw_number(const AppState& state);
  void draw_panel(const AppState& state);
  void draw_help(const AppState& state);
  void draw_message(const AppState& state);
  SDL_Rect model_square() const;
  void text(TTF_Font* font, const std::string& s, int x, int y, SDL_Color color,
            Align align = Align::kLeft, int wrap = 0);
  void fill(const SDL_Rect& r, SDL_Color c);
  void set_colour(SDL_Color c);
  int px(double points) const { return layout_.px(points); }

  Platform& platform_;
  const Theme& theme_;
  Layout layout_;
  Texture canvas_texture_, model_texture_;
  CanvasSize texture_size_;
  uint64_t texture_version_ = ~0ULL;
};

}  // namespace digits::draw
