#include "platform.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "digits/io/png.h"
#include "options.h"

namespace digits::draw {

double process_age_ms() {
  std::FILE* f = std::fopen("/proc/self/stat", "r");
  if (f == nullptr) return -1;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Field 22 (starttime, clock ticks since boot) comes after ") " and 19 more fields.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  unsigned long long start_ticks = 0;
  int field = 2;
  for (const char* c = p + 1; *c != '\0'; ++c) {
    if (*c == ' ') {
      ++field;
      if (field == 22) {
        start_ticks = std::strtoull(c + 1, nullptr, 10);
        break;
      }
    }
  }
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (now.tv_sec + now.tv_nsec * 1e-9 - start_ticks / ticks) * 1000.0;
}

Platform::Libraries::~Libraries() {
  if (ttf_) TTF_Quit();
  if (sdl_) SDL_Quit();
}

std::optional<int> Platform::Libraries::init() {
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  sdl_ = true;  // SDL_Quit undoes a failed SDL_Init too
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    return cli::fail(kProgram,
                     std::string("cannot open a window: ") + SDL_GetError() +
                         " (no display? SDL_VIDEODRIVER=dummy runs without one)",
                     cli::kExitFailure);
  }
  if (TTF_Init() != 0) {
    return cli::fail(kProgram, std::string("SDL_ttf: ") + TTF_GetError(), cli::kExitFailure);
  }
  ttf_ = true;
  return std::nullopt;
}

std::optional<int> Platform::init(double scale, const std::string& font_path) {
  if (auto code = libraries_.init()) return code;
  // The UI scale: --scale, else the display's DPI over 96 (X11 does not scale windows itself).
  // GDK_SCALE is what GNOME and many X11 HiDPI set-ups export when the DPI is not reported.
  scale_forced_ = scale > 0;
  scale_ = scale;
  if (!scale_forced_) {
    float ddpi = 0;
    const char* gdk = std::getenv("GDK_SCALE");
    if (SDL_GetDisplayDPI(0, &ddpi, nullptr, nullptr) == 0 && ddpi > 0) {
      scale_ = std::clamp(std::round(ddpi / 96.0 * 4.0) / 4.0, 1.0, 3.0);
    } else if (gdk != nullptr && std::atof(gdk) >= 1.0) {
      scale_ = std::clamp(std::atof(gdk), 1.0, 3.0);
    } else {
      scale_ = 1.0;
    }
  }
  font_path_ = font_path;
  return open_fonts();
}

std::optional<int> Platform::open_fonts() {
  if (fonts_scale_ == scale_ && fonts_.text) return std::nullopt;
  const auto open = [&](int points) {
    return Font(TTF_OpenFont(font_path_.c_str(), to_pixels(points, scale_)));
  };
  Fonts fonts{open(theme_.text_size), open(theme_.small_text_size), open(theme_.big_text_size)};
  if (!fonts.text || !fonts.small || !fonts.big) {
    return cli::fail(kProgram, font_path_ + ": cannot open font: " + TTF_GetError() +
                                   " (install fonts-dejavu-core, or pass --font FILE.ttf)");
  }
  fonts_ = std::move(fonts);
  fonts_scale_ = scale_;
  return std::nullopt;
}

std::optional<int> Platform::open_window() {
  const double s = scale_;
  window_.reset(SDL_CreateWindow(kProgram, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                 static_cast<int>(theme_.window_width * s),
                                 static_cast<int>(theme_.window_height * s),
                                 SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI));
  if (!window_) {
    return cli::fail(kProgram, std::string("cannot open a window: ") + SDL_GetError(),
                     cli::kExitFailure);
  }
  SDL_SetWindowMinimumSize(window_.get(), static_cast<int>(theme_.min_window_width * s),
                           static_cast<int>(theme_.min_window_height * s));
  renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_PRESENTVSYNC));
  if (!renderer_) renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_SOFTWARE));
  if (!renderer_) {
    return cli::fail(kProgram, std::string("cannot draw in the window: ") + SDL_GetError(),
                     cli::kExitFailure);
  }
  SDL_SetRenderDrawBlendMode(renderer_.get(), SDL_BLENDMODE_BLEND);
  // On a HiDPI screen (pixels per point > 1) the density is the scale, not the DPI guess.
  const WindowSize size = window_size();
  if (!scale_forced_ && size.points_w > 0 && size.pixels_w > size.points_w) {
    // The system scales windows itself (Wayland, macOS): base size in points, density as scale.
    scale_ = static_cast<double>(size.pixels_w) / size.points_w;
    SDL_SetWindowMinimumSize(window_.get(), theme_.min_window_width, theme_.min_window_height);
    SDL_SetWindowSize(window_.get(), theme_.window_width, theme_.window_height);
  }
  return open_fonts();
}

WindowSize Platform::window_size() const {
  WindowSize size;
  SDL_GetWindowSize(window_.get(), &size.points_w, &size.points_h);
  SDL_GetRendererOutputSize(renderer_.get(), &size.pixels_w, &size.pixels_h);
  return size;
}

bool Platform::save_screenshot(const std::string& path) {
  int w = 0, h = 0;
  SDL_GetRendererOutputSize(renderer_.get(), &w, &h);
  Surface shot(SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24));
  std::string error;
  if (!shot || SDL_RenderReadPixels(renderer_.get(), nullptr, SDL_PIXELFORMAT_RGB24, shot->pixels,
                                    shot->pitch) != 0) {
    error = path + ": cannot read the window's pixels: " + SDL_GetError();
  } else if (strcasecmp(std::filesystem::path(path).extension().c_str(), ".png") == 0) {
    const auto st =
        write_png_rgb(path, static_cast<const uint8_t*>(shot->pixels), w, h, shot->pitch);
    if (!st) error = st.error().message;
  } else {
    // Beside it first, then renamed over it: the old file or the new one, never half of one.
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    if (SDL_SaveBMP(shot.get(), tmp.c_str()) != 0) {
      error = path + ": cannot write: " + SDL_GetError();
    } else if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      error = path + ": cannot replace: " + std::strerror(errno);
    }
    if (!error.empty()) std::remove(tmp.c_str());
  }
  shot.reset();
  present();
  if (!error.empty()) std::cerr << kProgram << ": " << error << "\n";
  return error.empty();
}

}  // namespace digits::draw
