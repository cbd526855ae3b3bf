// digit-draw's platform glue: SDL and SDL_ttf from start to end, the window and its renderer, the
// UI scale (HiDPI), fonts and screenshots. Every SDL and TTF handle is a unique_ptr that frees
// it; the Platform frees fonts, renderer and window before it quits SDL_ttf and SDL.
#pragma once

#include <SDL.h>
#include <SDL_ttf.h>

#include <memory>
#include <optional>
#include <string>

#include "theme.h"

namespace digits::draw {

struct SdlDeleter {
  void operator()(SDL_Window* w) const { SDL_DestroyWindow(w); }
  void operator()(SDL_Renderer* r) const { SDL_DestroyRenderer(r); }
  void operator()(SDL_Texture* t) const { SDL_DestroyTexture(t); }
  void operator()(SDL_Surface* s) const { SDL_FreeSurface(s); }
  void operator()(TTF_Font* f) const { TTF_CloseFont(f); }
};
template <typename T>
using SdlPtr = std::unique_ptr<T, SdlDeleter>;
using Window = SdlPtr<SDL_Window>;
using Renderer = SdlPtr<SDL_Renderer>;
using Texture = SdlPtr<SDL_Texture>;
using Surface = SdlPtr<SDL_Surface>;
using Font = SdlPtr<TTF_Font>;

struct Fonts {
  Font text, small, big;  // Theme::text_size, small_text_size, big_text_size
};

// The window's size in points (as SDL reports the pointer) and in renderer pixels.
struct WindowSize {
  int points_w = 0, points_h = 0;
  int pixels_w = 0, pixels_h = 0;
};

// Milliseconds since this process started (the kernel's start time, 10 ms resolution), so that
// start-up figures include loading LibTorch's shared libraries before main(). -1 if unknown.
double process_age_ms();

class Platform {
 public:
  explicit Platform(const Theme& theme) : theme_(theme) {}

  // SDL, SDL_ttf, the UI scale (`scale` > 0 forces it) and the fonts from `font_path`: a missing
  // font is found before any window opens. nullopt, or the exit code after a message on stderr.
  std::optional<int> init(double scale, const std::string& font_path);
  // The window and its renderer. Where the system scales windows itself (HiDPI), the pixel
  // density becomes the UI scale and the fonts open again at it.
  std::optional<int> open_window();

  double scale() const { return scale_; }
  SDL_Renderer* renderer() const { return renderer_.get(); }
  Uint32 window_id() const { return SDL_GetWindowID(window_.get()); }
  WindowSize window_size() const;
  const Fonts& fonts() const { return fonts_; }

  // Shows what was drawn since the last present.
  void present() { SDL_RenderPresent(renderer_.get()); }
  // Saves what was drawn since the last present to `path` (.png, else .bmp), then presents it
  // (read-back must come before the buffers swap). False after saying why on stderr.
  bool save_screenshot(const std::string& path);

 private:
  // SDL_Init and TTF_Init, undone in reverse order when it goes.
  class Libraries {
   public:
    Libraries() = default;
    Libraries(const Libraries&) = delete;
    Libraries& operator=(const Libraries&) = delete;
    ~Libraries();
    std::optional<int> init();

   private:
    bool sdl_ = false, ttf_ = false;
  };

  std::optional<int> open_fonts();

  const Theme& theme_;
  Libraries libraries_;  // first in, last out: quit after every handle below is freed
  Window window_;
  Renderer renderer_;
  Fonts fonts_;
  std::string font_path_;
  double fonts_scale_ = 0.0;
  double scale_ = 1.0;
  bool scale_forced_ = false;
};

}  // namespace digits::draw
