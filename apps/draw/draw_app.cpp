#include "draw_app.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/canvas.h"
#include "digits/keys.h"
#include "digits/recognizer.h"
#include "digits/replay.h"
#include "digits/runtime.h"
#include "png.h"

namespace digits::draw {

namespace {

constexpr const char* kProgram = "digit-draw";
constexpr int kBaseWidth = 840;   // window size at UI scale 1, in points
constexpr int kBaseHeight = 560;  // (canvas 528 x 528 + side panel)
constexpr int kMinWidth = 760;    // canvas stays at least 448 x 448
constexpr int kMinHeight = 480;
constexpr int kMargin = 16;
constexpr int kPanelWidth = 260;
constexpr int kWatchMs = 500;         // how often the checkpoint file is checked for a new version
constexpr int kMessageMs = 4000;      // how long a status message stays
constexpr int kMaxCanvasSide = 1024;  // raster cap on very large or dense screens

constexpr SDL_Color kBackground{32, 33, 36, 255};
constexpr SDL_Color kPanelText{232, 234, 237, 255};
constexpr SDL_Color kDimText{154, 160, 166, 255};
constexpr SDL_Color kBar{66, 133, 244, 255};
constexpr SDL_Color kTopBar{52, 168, 83, 255};
constexpr SDL_Color kError{242, 139, 130, 255};
constexpr SDL_Color kGridLine{70, 70, 70, 255};
constexpr SDL_Color kButton{60, 64, 67, 255};

using Clock = std::chrono::steady_clock;

// Milliseconds since this process started (the kernel's start time, 10 ms resolution), so that
// start-up figures include loading LibTorch's shared libraries before main().
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

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string percent(double fraction, int decimals = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, fraction * 100.0);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2.0;
}

struct TextureDeleter {
  void operator()(SDL_Texture* t) const { SDL_DestroyTexture(t); }
};
using Texture = std::unique_ptr<SDL_Texture, TextureDeleter>;

struct FontDeleter {
  void operator()(TTF_Font* f) const { TTF_CloseFont(f); }
};
using Font = std::unique_ptr<TTF_Font, FontDeleter>;

class DrawApp {
 public:
  explicit DrawApp(const DrawOptions& options) : options_(options) {}
  ~DrawApp();
  int run();

 private:
  enum class Align { kLeft, kRight, kCentre };
  struct Message {
    std::string text;
    bool error = false;
    Clock::time_point until{};
  };

  // Set-up.
  std::optional<int> start();
  bool open_fonts(std::string* error);
  void update_layout();
  // Input, from SDL or from the replay script: both go through the same calls.
  void handle(const SDL_Event& e);
  void press(const KeyChord& chord, bool repeat);
  void run_command(const BoundCommand& c);
  void pointer_down(CanvasPoint p, bool erase);
  void pointer_move(CanvasPoint p);
  void pointer_up();
  CanvasPoint to_canvas(int window_x, int window_y) const;
  bool in_clear_button(int window_x, int window_y) const;
  void step_replay();
  // The model.
  void load_checkpoint(const std::string& path, const std::string& why);
  // Output.
  void render();
  void draw_canvas();
  void draw_panel();
  void draw_help();
  void draw_message();
  void text(TTF_Font* font, const std::string& s, int x, int y, SDL_Color color,
            Align align = Align::kLeft, int wrap = 0);
  void fill(const SDL_Rect& r, SDL_Color c);
  int px(double points) const { return static_cast<int>(std::lround(points * scale_)); }
  void say(std::string text, bool error = false);
  std::string prediction_line() const;
  bool save_screenshot(const std::string& path);

  DrawOptions options_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  Font font_, small_, big_;
  double fonts_scale_ = 0.0;
  Texture canvas_texture_, model_texture_;
  uint64_t texture_version_ = ~0ULL;

  Canvas canvas_;
  Recognizer recognizer_;
  std::string model_error_;  // why there is no model, shown over the canvas
  bool grid_ = false, model_view_ = false, help_ = false;
  Message message_;
  std::vector<double> latencies_;

  // Layout in renderer pixels.
  double scale_ = 1.0;
  double pixel_ratio_ = 1.0;  // renderer pixels per window point (HiDPI)
  SDL_Rect canvas_rect_{}, panel_rect_{}, clear_button_{};
  std::optional<CanvasPoint> hover_;
  bool mouse_drawing_ = false;

  std::vector<ReplayEvent> replay_;
  size_t replay_next_ = 0;
  Clock::time_point replay_wait_until_{};
  bool quit_ = false;
  bool dirty_ = true;
};

DrawApp::~DrawApp() {
  canvas_texture_.reset();
  model_texture_.reset();
  font_.reset();
  small_.reset();
  big_.reset();
  if (renderer_ != nullptr) SDL_DestroyRenderer(renderer_);
  if (window_ != nullptr) SDL_DestroyWindow(window_);
  if (TTF_WasInit() != 0) TTF_Quit();
  SDL_Quit();
}

bool DrawApp::open_fonts(std::string* error) {
  if (fonts_scale_ == scale_ && font_) return true;
  Font font(TTF_OpenFont(options_.font.c_str(), px(16)));
  Font small(TTF_OpenFont(options_.font.c_str(), px(13)));
  Font big(TTF_OpenFont(options_.font.c_str(), px(88)));
  if (!font || !small || !big) {
    *error = options_.font + ": cannot open font: " + TTF_GetError() +
             " (install fonts-dejavu-core, or pass --font FILE.ttf)";
    return false;
  }
  font_ = std::move(font);
  small_ = std::move(small);
  big_ = std::move(big);
  fonts_scale_ = scale_;
  return true;
}

// Everything is laid out in renderer pixels: scale_ is the UI scale (HiDPI pixel density, or the
// display's DPI when the system does not scale windows, or --scale).
void DrawApp::update_layout() {
  int ww = 0, wh = 0, pw = 0, ph = 0;
  SDL_GetWindowSize(window_, &ww, &wh);
  SDL_GetRendererOutputSize(renderer_, &pw, &ph);
  pixel_ratio_ = ww > 0 ? static_cast<double>(pw) / ww : 1.0;
  const int m = px(kMargin), panel = px(kPanelWidth);
  const int side = std::max(8, std::min(ph - 2 * m, pw - panel - 3 * m));
  canvas_rect_ = {m, (ph - side) / 2, side, side};
  panel_rect_ = {2 * m + side, m, pw - 3 * m - side, ph - 2 * m};
  clear_button_ = {panel_rect_.x, panel_rect_.y + panel_rect_.h - px(36), px(110), px(32)};
  const int64_t raster = std::min<int64_t>(side, kMaxCanvasSide);
  if (raster != canvas_.side()) {
    canvas_.resize(raster);
    canvas_texture_.reset();
  }
  dirty_ = true;
}

std::optional<int> DrawApp::start() {
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    return cli::fail(kProgram,
                     std::string("cannot open a window: ") + SDL_GetError() +
                         " (no display? SDL_VIDEODRIVER=dummy runs without one)",
                     cli::kExitFailure);
  }
  if (TTF_Init() != 0) {
    return cli::fail(kProgram, std::string("SDL_ttf: ") + TTF_GetError(), cli::kExitFailure);
  }
  // The UI scale: --scale, else the display's DPI over 96 (X11 does not scale windows itself).
  // GDK_SCALE is what GNOME and many X11 HiDPI set-ups export when the DPI is not reported.
  scale_ = options_.scale;
  if (scale_ <= 0) {
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
  // A missing font is found before any window opens: there would be no way to show text.
  std::string error;
  if (!open_fonts(&error)) return cli::fail(kProgram, error);
  if (!options_.replay.empty()) {
    auto events = load_replay(options_.replay);
    if (!events) return cli::fail(kProgram, events.error().message);
    for (const auto& e : *events) {
      if (e.kind == ReplayEvent::Kind::kKey &&
          SDL_GetKeyFromName(e.key.key.c_str()) == SDLK_UNKNOWN) {
        return cli::fail(kProgram, options_.replay + ":" + std::to_string(e.line) +
                                       ": unknown key '" + e.key.key +
                                       "' (expected an SDL key name: c, g, [, f1, backspace, ...)");
      }
    }
    replay_ = std::move(*events);
  }

  const double window_scale = scale_;
  window_ = SDL_CreateWindow("digit-draw", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                             static_cast<int>(kBaseWidth * window_scale),
                             static_cast<int>(kBaseHeight * window_scale),
                             SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (window_ == nullptr) {
    return cli::fail(kProgram, std::string("cannot open a window: ") + SDL_GetError(),
                     cli::kExitFailure);
  }
  SDL_SetWindowMinimumSize(window_, static_cast<int>(kMinWidth * window_scale),
                           static_cast<int>(kMinHeight * window_scale));
  renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_PRESENTVSYNC);
  if (renderer_ == nullptr) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (renderer_ == nullptr) {
    return cli::fail(kProgram, std::string("cannot draw in the window: ") + SDL_GetError(),
                     cli::kExitFailure);
  }
  SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_BLEND);
  // On a HiDPI screen (pixels per point > 1) the density is the scale, not the DPI guess.
  int ww = 0, pw = 0, h = 0;
  SDL_GetWindowSize(window_, &ww, &h);
  SDL_GetRendererOutputSize(renderer_, &pw, &h);
  if (options_.scale <= 0 && ww > 0 && pw > ww) {
    // The system scales windows itself (Wayland, macOS): base size in points, density as scale.
    scale_ = static_cast<double>(pw) / ww;
    SDL_SetWindowMinimumSize(window_, kMinWidth, kMinHeight);
    SDL_SetWindowSize(window_, kBaseWidth, kBaseHeight);
  }
  if (!open_fonts(&error)) return cli::fail(kProgram, error);
  update_layout();

  // First frame before the checkpoint loads, so the window appears at once.
  model_error_ = "loading the checkpoint...";
  render();
  if (options_.timings) std::fprintf(stderr, "first_frame_ms=%.0f\n", process_age_ms());

  const std::string path =
      options_.checkpoint.empty() ? default_checkpoint("checkpoints") : options_.checkpoint;
  if (path.empty()) {
    model_error_ =
        "No checkpoint: neither checkpoints/best.pt nor checkpoints/pretrained.pt exists. "
        "Train one with digit-train, pass --checkpoint FILE, or drop a .pt file here.";
    std::cerr << kProgram << ": " << model_error_ << "\n";
  } else {
    load_checkpoint(path, "loaded");
  }
  if (options_.timings) std::fprintf(stderr, "model_ready_ms=%.0f\n", process_age_ms());
  return std::nullopt;
}

void DrawApp::load_checkpoint(const std::string& path, const std::string& why) {
  const auto t0 = Clock::now();
  Status s = recognizer_.load(path);
  if (!s) {
    if (recognizer_.loaded()) {
      say(s.error().message + " (keeping " + recognizer_.info().name + ")", true);
    } else {
      model_error_ = "Cannot use the checkpoint: " + s.error().message +
                     ". Train one with digit-train, or drop a .pt file here.";
    }
    std::cerr << kProgram << ": " << s.error().message << "\n";
    dirty_ = true;
    return;
  }
  model_error_.clear();
  std::cerr << kProgram << ": " << why << " " << path << "\n";
  // One throw-away prediction: LibTorch's first forward pass sets up its kernels (tens of ms).
  recognizer_.update(Canvas(32));
  recognizer_.invalidate();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.0f ms)", ms);
  say(why + " " + recognizer_.info().name + buf);
  dirty_ = true;
}

void DrawApp::say(std::string text, bool error) {
  message_ = {std::move(text), error, Clock::now() + std::chrono::milliseconds(kMessageMs)};
  dirty_ = true;
}

CanvasPoint DrawApp::to_canvas(int window_x, int window_y) const {
  const double x = window_x * pixel_ratio_, y = window_y * pixel_ratio_;
  return {static_cast<float>((x - canvas_rect_.x) / canvas_rect_.w),
          static_cast<float>((y - canvas_rect_.y) / canvas_rect_.h)};
}

bool DrawApp::in_clear_button(int window_x, int window_y) const {
  const SDL_Point p{static_cast<int>(window_x * pixel_ratio_),
                    static_cast<int>(window_y * pixel_ratio_)};
  return SDL_PointInRect(&p, &clear_button_) == SDL_TRUE;
}

void DrawApp::pointer_down(CanvasPoint p, bool erase) {
  canvas_.begin_stroke(p, erase);
  dirty_ = true;
}

void DrawApp::pointer_move(CanvasPoint p) {
  if (canvas_.stroking()) canvas_.extend_stroke(p);
  dirty_ = true;
}

void DrawApp::pointer_up() { canvas_.end_stroke(); }

void DrawApp::press(const KeyChord& chord, bool repeat) {
  const auto c = command_for(chord);
  if (!c) return;
  // Holding a key repeats only what is harmless to repeat.
  if (repeat && c->command != Command::kUndo && c->command != Command::kBrushBigger &&
      c->command != Command::kBrushSmaller) {
    return;
  }
  run_command(*c);
}

void DrawApp::run_command(const BoundCommand& c) {
  dirty_ = true;
  switch (c.command) {
    case Command::kClear:
      canvas_.clear();
      break;
    case Command::kUndo:
      if (!canvas_.undo()) say("nothing to undo");
      break;
    case Command::kToggleGrid:
      grid_ = !grid_;
      break;
    case Command::kToggleModelView:
      model_view_ = !model_view_;
      break;
    case Command::kToggleHelp:
      help_ = !help_;
      break;
    case Command::kReload:
      if (recognizer_.path().empty()) {
        say("no checkpoint to reload: drop a .pt file here", true);
      } else {
        load_checkpoint(recognizer_.path(), "reloaded");
      }
      break;
    case Command::kBrushSmaller:
      canvas_.shrink_brush();
      break;
    case Command::kBrushBigger:
      canvas_.grow_brush();
      break;
    case Command::kTeach: {
      Status s = recognizer_.teach(canvas_, c.digit, options_.teach_file);
      if (s) {
        say("saved as " + std::to_string(c.digit) + " to " + options_.teach_file);
      } else {
        say(s.error().message, true);
        std::cerr << kProgram << ": " << s.error().message << "\n";
      }
      break;
    }
    case Command::kQuit:
      quit_ = true;
      break;
  }
}

void DrawApp::handle(const SDL_Event& e) {
  switch (e.type) {
    case SDL_QUIT:
      quit_ = true;
      break;
    case SDL_WINDOWEVENT:
      if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) update_layout();
      if (e.window.event == SDL_WINDOWEVENT_LEAVE) hover_.reset();
      dirty_ = true;
      break;
    case SDL_MOUSEBUTTONDOWN:
      if (e.button.button == SDL_BUTTON_LEFT && in_clear_button(e.button.x, e.button.y)) {
        run_command({Command::kClear});
      } else if (e.button.button == SDL_BUTTON_LEFT || e.button.button == SDL_BUTTON_RIGHT) {
        const CanvasPoint p = to_canvas(e.button.x, e.button.y);
        if (p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1) {
          pointer_down(p, e.button.button == SDL_BUTTON_RIGHT);
          mouse_drawing_ = true;
        }
      }
      break;
    case SDL_MOUSEMOTION: {
      const CanvasPoint p = to_canvas(e.motion.x, e.motion.y);
      const bool inside = p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1;
      if (inside || hover_) dirty_ = true;  // the brush outline follows the pointer
      hover_ = inside ? std::optional<CanvasPoint>(p) : std::nullopt;
      if (mouse_drawing_) pointer_move(p);
      break;
    }
    case SDL_MOUSEBUTTONUP:
      if (mouse_drawing_) {
        pointer_up();
        mouse_drawing_ = false;
      }
      break;
    case SDL_KEYDOWN: {
      KeyChord chord;
      chord.ctrl = (e.key.keysym.mod & KMOD_CTRL) != 0;
      chord.shift = (e.key.keysym.mod & KMOD_SHIFT) != 0;
      chord.alt = (e.key.keysym.mod & KMOD_ALT) != 0;
      chord.key = lower(SDL_GetKeyName(e.key.keysym.sym));
      // `[` and `]` are shifted on some layouts: the brush keys work with shift too.
      if (chord.shift && (chord.key == "[" || chord.key == "]")) chord.shift = false;
      press(chord, e.key.repeat != 0);
      break;
    }
    case SDL_DROPFILE: {
      const std::string path = e.drop.file;
      SDL_free(e.drop.file);
      load_checkpoint(path, "loaded");
      break;
    }
    case SDL_RENDER_TARGETS_RESET:
    case SDL_RENDER_DEVICE_RESET:
      canvas_texture_.reset();
      model_texture_.reset();
      dirty_ = true;
      break;
    default:
      break;
  }
}

// Plays script events until a wait, or one event that changed the canvas (so that each change
// is predicted and drawn, as with a real mouse). Pointer, key and drop events are posted as SDL
// events and handled at once by handle(): a script takes the same path as a user, coordinate
// conversion included.
void DrawApp::step_replay() {
  while (replay_next_ < replay_.size() && Clock::now() >= replay_wait_until_) {
    const ReplayEvent& e = replay_[replay_next_++];
    const uint64_t before = canvas_.version();
    SDL_Event ev{};
    const Uint32 window = SDL_GetWindowID(window_);
    // Canvas fractions to window coordinates (points), as SDL reports the pointer.
    const int wx =
        static_cast<int>(std::lround((canvas_rect_.x + e.x * canvas_rect_.w) / pixel_ratio_));
    const int wy =
        static_cast<int>(std::lround((canvas_rect_.y + e.y * canvas_rect_.h) / pixel_ratio_));
    switch (e.kind) {
      case ReplayEvent::Kind::kDown:
      case ReplayEvent::Kind::kRightDown:
      case ReplayEvent::Kind::kUp:
      case ReplayEvent::Kind::kRightUp: {
        const bool down =
            e.kind == ReplayEvent::Kind::kDown || e.kind == ReplayEvent::Kind::kRightDown;
        const bool right =
            e.kind == ReplayEvent::Kind::kRightDown || e.kind == ReplayEvent::Kind::kRightUp;
        ev.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
        ev.button.windowID = window;
        ev.button.button = right ? SDL_BUTTON_RIGHT : SDL_BUTTON_LEFT;
        ev.button.state = down ? SDL_PRESSED : SDL_RELEASED;
        ev.button.clicks = 1;
        if (down) {
          ev.button.x = wx;
          ev.button.y = wy;
        }
        break;
      }
      case ReplayEvent::Kind::kMove:
        ev.type = SDL_MOUSEMOTION;
        ev.motion.windowID = window;
        ev.motion.x = wx;
        ev.motion.y = wy;
        break;
      case ReplayEvent::Kind::kKey:
        ev.type = SDL_KEYDOWN;
        ev.key.windowID = window;
        ev.key.state = SDL_PRESSED;
        ev.key.keysym.sym = SDL_GetKeyFromName(e.key.key.c_str());
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(ev.key.keysym.sym);
        ev.key.keysym.mod =
            static_cast<Uint16>((e.key.ctrl ? KMOD_LCTRL : 0) | (e.key.shift ? KMOD_LSHIFT : 0) |
                                (e.key.alt ? KMOD_LALT : 0));
        break;
      case ReplayEvent::Kind::kDrop:
        ev.type = SDL_DROPFILE;
        ev.drop.windowID = window;
        ev.drop.file = SDL_strdup(e.path.c_str());
        break;
      case ReplayEvent::Kind::kWait:
        replay_wait_until_ = Clock::now() + std::chrono::milliseconds(e.wait_ms);
        break;
      case ReplayEvent::Kind::kPrint:
        if (recognizer_.update(canvas_)) latencies_.push_back(recognizer_.latency_ms());
        std::cout << prediction_line() << std::endl;
        break;
    }
    if (ev.type != 0) {
      SDL_PushEvent(&ev);
      while (!quit_ && SDL_PollEvent(&ev) != 0) handle(ev);
    }
    if (canvas_.version() != before || quit_) return;
  }
}

std::string DrawApp::prediction_line() const {
  const auto& p = recognizer_.prediction();
  char buf[64];
  if (p) {
    std::snprintf(buf, sizeof buf, "prediction=%d confidence=%.4f", p->digit, p->confidence);
  } else {
    std::snprintf(buf, sizeof buf, "prediction=none confidence=0");
  }
  return buf;
}

void DrawApp::fill(const SDL_Rect& r, SDL_Color c) {
  SDL_SetRenderDrawColor(renderer_, c.r, c.g, c.b, c.a);
  SDL_RenderFillRect(renderer_, &r);
}

void DrawApp::text(TTF_Font* font, const std::string& s, int x, int y, SDL_Color color, Align align,
                   int wrap) {
  if (s.empty()) return;
  SDL_Surface* surface = wrap > 0 ? TTF_RenderUTF8_Blended_Wrapped(font, s.c_str(), color, wrap)
                                  : TTF_RenderUTF8_Blended(font, s.c_str(), color);
  if (surface == nullptr) return;
  Texture t(SDL_CreateTextureFromSurface(renderer_, surface));
  SDL_Rect r{x, y, surface->w, surface->h};
  if (align == Align::kRight) r.x -= surface->w;
  if (align == Align::kCentre) r.x -= surface->w / 2;
  SDL_FreeSurface(surface);
  if (t) SDL_RenderCopy(renderer_, t.get(), nullptr, &r);
}

void DrawApp::draw_canvas() {
  const int side = static_cast<int>(canvas_.side());
  if (!canvas_texture_) {
    canvas_texture_.reset(SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888,
                                            SDL_TEXTUREACCESS_STREAMING, side, side));
    SDL_SetTextureScaleMode(canvas_texture_.get(), SDL_ScaleModeLinear);
    texture_version_ = ~0ULL;
  }
  if (texture_version_ != canvas_.version() && canvas_texture_) {
    void* pixels = nullptr;
    int pitch = 0;
    if (SDL_LockTexture(canvas_texture_.get(), nullptr, &pixels, &pitch) == 0) {
      const uint8_t* grey = canvas_.pixels().data();
      for (int y = 0; y < side; ++y) {
        auto* row = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(pixels) + y * pitch);
        for (int x = 0; x < side; ++x) {
          const uint32_t v = grey[y * side + x];
          row[x] = 0xFF000000u | v << 16 | v << 8 | v;
        }
      }
      SDL_UnlockTexture(canvas_texture_.get());
      texture_version_ = canvas_.version();
    }
  }
  SDL_RenderCopy(renderer_, canvas_texture_.get(), nullptr, &canvas_rect_);

  if (model_view_ && recognizer_.prediction()) {
    // The 28x28 input over the canvas, one cell per input pixel, in blue as the original did.
    if (!model_texture_) {
      model_texture_.reset(SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888,
                                             SDL_TEXTUREACCESS_STREAMING, kImageSide, kImageSide));
      SDL_SetTextureBlendMode(model_texture_.get(), SDL_BLENDMODE_BLEND);
      SDL_SetTextureScaleMode(model_texture_.get(), SDL_ScaleModeNearest);
    }
    std::vector<uint32_t> cells(kPixels);
    const auto& in = recognizer_.input();
    for (int64_t i = 0; i < kPixels; ++i) {
      const uint32_t a = in[i] * 200 / 255;
      cells[i] = a << 24 | 0x3070FFu;
    }
    SDL_UpdateTexture(model_texture_.get(), nullptr, cells.data(), kImageSide * 4);
    SDL_RenderCopy(renderer_, model_texture_.get(), nullptr, &canvas_rect_);
  }
  if (grid_) {
    SDL_SetRenderDrawColor(renderer_, kGridLine.r, kGridLine.g, kGridLine.b, 255);
    for (int i = 1; i < kImageSide; ++i) {
      const int x = canvas_rect_.x + i * canvas_rect_.w / kImageSide;
      const int y = canvas_rect_.y + i * canvas_rect_.h / kImageSide;
      SDL_RenderDrawLine(renderer_, x, canvas_rect_.y, x, canvas_rect_.y + canvas_rect_.h - 1);
      SDL_RenderDrawLine(renderer_, canvas_rect_.x, y, canvas_rect_.x + canvas_rect_.w - 1, y);
    }
  }
  if (hover_ && !help_) {
    // The brush's outline under the pointer.
    const double r = canvas_.brush_pixels() * canvas_rect_.w / canvas_.side();
    const double cx = canvas_rect_.x + hover_->x * canvas_rect_.w;
    const double cy = canvas_rect_.y + hover_->y * canvas_rect_.h;
    std::vector<SDL_Point> ring;
    for (int k = 0; k <= 48; ++k) {
      const double a = k * 2 * M_PI / 48;
      ring.push_back(
          {static_cast<int>(cx + r * std::cos(a)), static_cast<int>(cy + r * std::sin(a))});
    }
    SDL_SetRenderDrawColor(renderer_, 120, 160, 255, 200);
    SDL_RenderDrawLines(renderer_, ring.data(), static_cast<int>(ring.size()));
  }
  if (!canvas_.has_ink() && model_error_.empty() && !help_) {
    text(font_.get(), "draw a digit here", canvas_rect_.x + canvas_rect_.w / 2,
         canvas_rect_.y + canvas_rect_.h / 2 - px(10), kDimText, Align::kCentre);
  }
  if (!model_error_.empty()) {
    const SDL_Rect box{canvas_rect_.x + px(24), canvas_rect_.y + canvas_rect_.h / 2 - px(70),
                       canvas_rect_.w - px(48), px(140)};
    fill(box, {60, 20, 20, 230});
    text(font_.get(), model_error_, box.x + px(12), box.y + px(12), kError, Align::kLeft,
         box.w - px(24));
  }
}

void DrawApp::draw_panel() {
  const int x = panel_rect_.x, w = panel_rect_.w;
  int y = panel_rect_.y;
  const auto& p = recognizer_.prediction();
  // The answer, large, with its confidence.
  if (p) {
    text(big_.get(), std::to_string(p->digit), x, y - px(12), kPanelText);
    text(font_.get(), percent(p->confidence), x + px(72), y + px(34), kTopBar);
    text(small_.get(), "confidence", x + px(72), y + px(56), kDimText);
  } else {
    text(big_.get(), "-", x + px(8), y - px(12), kDimText);
    text(small_.get(), recognizer_.loaded() ? "draw a digit" : "no model", x + px(72), y + px(44),
         kDimText);
  }
  y += px(112);
  // One bar per digit.
  const int row = px(23), label_w = px(18), value_w = px(58);
  const int bar_w = w - label_w - value_w - px(8);
  for (int d = 0; d < kClasses; ++d) {
    const double prob = p ? p->probabilities[d] : 0.0;
    text(font_.get(), std::to_string(d), x, y, kPanelText);
    fill({x + label_w, y + px(3), bar_w, row - px(8)}, {48, 50, 54, 255});
    const int len = static_cast<int>(std::lround(prob * bar_w));
    if (len > 0)
      fill({x + label_w, y + px(3), len, row - px(8)}, p && d == p->digit ? kTopBar : kBar);
    text(small_.get(), p ? percent(prob) : "", x + w, y + px(2), kDimText, Align::kRight);
    y += row;
  }
  y += px(8);
  char buf[96];
  if (p) {
    std::snprintf(buf, sizeof buf, "prediction %.2f ms", recognizer_.latency_ms());
    text(small_.get(), buf, x, y, kDimText);
  }
  y += px(24);
  if (recognizer_.loaded()) {
    const auto& info = recognizer_.info();
    text(font_.get(), info.name, x, y, kPanelText);
    y += px(20);
    std::snprintf(buf, sizeof buf, "%s, epoch %lld", info.arch.c_str(),
                  static_cast<long long>(info.epoch));
    text(small_.get(), buf, x, y, kDimText);
    y += px(17);
    text(small_.get(),
         std::isnan(info.val_acc) ? std::string("val acc not recorded")
                                  : "val acc " + percent(info.val_acc, 2),
         x, y, kDimText);
  } else {
    text(small_.get(), "no checkpoint loaded", x, y, kError);
  }
  y += px(22);
  std::snprintf(buf, sizeof buf, "brush %.0f px   [ ]", canvas_.brush_pixels());
  text(small_.get(), buf, x, y, kDimText);

  fill(clear_button_, kButton);
  text(font_.get(), "Clear", clear_button_.x + clear_button_.w / 2, clear_button_.y + px(6),
       kPanelText, Align::kCentre);
  text(small_.get(), "H: help", x + w, clear_button_.y + px(8), kDimText, Align::kRight);
}

void DrawApp::draw_help() {
  const SDL_Rect box{canvas_rect_.x + px(16), canvas_rect_.y + px(16), canvas_rect_.w - px(32),
                     canvas_rect_.h - px(32)};
  fill(box, {20, 22, 26, 235});
  int y = box.y + px(14);
  text(font_.get(), "digit-draw keys", box.x + px(16), y, kPanelText);
  y += px(32);
  for (const auto& line : help_lines()) {
    text(small_.get(), line.keys, box.x + px(16), y, kTopBar);
    text(small_.get(), line.action, box.x + px(16) + px(150), y, kPanelText, Align::kLeft,
         box.w - px(182));
    y += px(24);
  }
  y += px(8);
  text(small_.get(), "Teach rows go to " + options_.teach_file, box.x + px(16), y, kDimText,
       Align::kLeft, box.w - px(32));
}

void DrawApp::draw_message() {
  if (message_.text.empty() || Clock::now() >= message_.until) return;
  const SDL_Rect box{canvas_rect_.x, canvas_rect_.y + canvas_rect_.h - px(34), canvas_rect_.w,
                     px(34)};
  fill(box, {0, 0, 0, 190});
  text(small_.get(), message_.text, box.x + px(10), box.y + px(8),
       message_.error ? kError : kPanelText, Align::kLeft, box.w - px(20));
}

void DrawApp::render() {
  SDL_SetRenderDrawColor(renderer_, kBackground.r, kBackground.g, kBackground.b, 255);
  SDL_RenderClear(renderer_);
  draw_canvas();
  draw_panel();
  if (help_) draw_help();
  draw_message();
  SDL_RenderPresent(renderer_);
  dirty_ = false;
}

bool DrawApp::save_screenshot(const std::string& path) {
  int w = 0, h = 0;
  SDL_GetRendererOutputSize(renderer_, &w, &h);
  // Drawn again without presenting: read-back must come before the buffers swap.
  SDL_SetRenderDrawColor(renderer_, kBackground.r, kBackground.g, kBackground.b, 255);
  SDL_RenderClear(renderer_);
  draw_canvas();
  draw_panel();
  if (help_) draw_help();
  draw_message();
  SDL_Surface* shot = SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24);
  std::string error;
  if (shot == nullptr || SDL_RenderReadPixels(renderer_, nullptr, SDL_PIXELFORMAT_RGB24,
                                              shot->pixels, shot->pitch) != 0) {
    error = path + ": cannot read the window's pixels: " + SDL_GetError();
  } else if (lower(std::filesystem::path(path).extension().string()) == ".png") {
    error = write_png(path, static_cast<const uint8_t*>(shot->pixels), w, h, shot->pitch);
  } else if (SDL_SaveBMP(shot, path.c_str()) != 0) {
    error = path + ": cannot write: " + SDL_GetError();
  }
  if (shot != nullptr) SDL_FreeSurface(shot);
  SDL_RenderPresent(renderer_);
  if (!error.empty()) std::cerr << kProgram << ": " << error << "\n";
  return error.empty();
}

int DrawApp::run() {
  if (auto code = start()) return *code;
  auto next_watch = Clock::now() + std::chrono::milliseconds(kWatchMs);
  bool replay_done = replay_.empty();
  while (!quit_) {
    // Sleep until an event, the next watch of the checkpoint file, a message to clear or the
    // end of a replay wait: no spinning when idle.
    const auto now = Clock::now();
    auto wake = next_watch;
    if (!message_.text.empty() && message_.until > now) wake = std::min(wake, message_.until);
    if (replay_next_ < replay_.size()) wake = std::min(wake, replay_wait_until_);
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, static_cast<int>(std::max<int64_t>(0, timeout))) != 0) {
      handle(e);
      while (!quit_ && SDL_PollEvent(&e) != 0) handle(e);
    }
    if (!message_.text.empty() && Clock::now() >= message_.until) {
      message_.text.clear();
      dirty_ = true;
    }
    if (Clock::now() >= next_watch) {
      if (recognizer_.file_changed())
        load_checkpoint(recognizer_.path(), "reloaded new version of");
      next_watch = Clock::now() + std::chrono::milliseconds(kWatchMs);
    }
    step_replay();
    if (recognizer_.update(canvas_)) {
      latencies_.push_back(recognizer_.latency_ms());
      dirty_ = true;
    }
    if (dirty_) render();
    if (!replay_done && replay_next_ >= replay_.size() && Clock::now() >= replay_wait_until_) {
      replay_done = true;
      if (options_.print_prediction) std::cout << prediction_line() << std::endl;
      if (!options_.screenshot.empty() && !save_screenshot(options_.screenshot)) {
        return cli::kExitFailure;
      }
      if (options_.exit_after_replay) break;
    }
  }
  if (options_.timings) {
    std::fprintf(
        stderr, "predictions=%zu latency_ms_median=%.3f latency_ms_max=%.3f\n", latencies_.size(),
        median(latencies_),
        latencies_.empty() ? 0.0 : *std::max_element(latencies_.begin(), latencies_.end()));
  }
  // A prediction was asked for but no model could make one: say why, exit 2.
  if (options_.print_prediction && !recognizer_.loaded()) {
    return cli::fail(kProgram, "no prediction: no checkpoint could be loaded (see above)");
  }
  return cli::kExitOk;
}

}  // namespace

int run_draw_app(const DrawOptions& options) {
  // Before main(): the dynamic loader and LibTorch's static initialisers.
  if (options.timings) std::fprintf(stderr, "main_ms=%.0f\n", process_age_ms());
  configure_runtime(options.threads);
  DrawApp app(options);
  return app.run();
}

}  // namespace digits::draw
