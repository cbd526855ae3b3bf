#include "input.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>

#include "cli.h"

namespace digits::draw {

KeyChord chord_for(const SDL_Keysym& key) {
  KeyChord chord;
  chord.ctrl = (key.mod & KMOD_CTRL) != 0;
  chord.shift = (key.mod & KMOD_SHIFT) != 0;
  chord.alt = (key.mod & KMOD_ALT) != 0;
  chord.key = SDL_GetKeyName(key.sym);
  std::transform(chord.key.begin(), chord.key.end(), chord.key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // `[` and `]` are shifted on some layouts: the brush keys work with shift too.
  if (chord.shift && (chord.key == "[" || chord.key == "]")) chord.shift = false;
  return chord;
}

std::optional<SDL_Event> to_sdl_event(const ReplayEvent& e, const Layout& layout, Uint32 window) {
  SDL_Event ev{};
  // Canvas points to window coordinates (points), as SDL reports the pointer.
  const SDL_Point at = layout.to_window({e.x, e.y});
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
        ev.button.x = at.x;
        ev.button.y = at.y;
      }
      return ev;
    }
    case ReplayEvent::Kind::kMove:
      ev.type = SDL_MOUSEMOTION;
      ev.motion.windowID = window;
      ev.motion.x = at.x;
      ev.motion.y = at.y;
      return ev;
    case ReplayEvent::Kind::kKey:
      ev.type = SDL_KEYDOWN;
      ev.key.windowID = window;
      ev.key.state = SDL_PRESSED;
      ev.key.keysym.sym = SDL_GetKeyFromName(e.key.key.c_str());
      ev.key.keysym.scancode = SDL_GetScancodeFromKey(ev.key.keysym.sym);
      ev.key.keysym.mod =
          static_cast<Uint16>((e.key.ctrl ? KMOD_LCTRL : 0) | (e.key.shift ? KMOD_LSHIFT : 0) |
                              (e.key.alt ? KMOD_LALT : 0));
      return ev;
    case ReplayEvent::Kind::kDrop:
      ev.type = SDL_DROPFILE;
      ev.drop.windowID = window;
      ev.drop.file = SDL_strdup(e.path.c_str());  // handle() frees it, as SDL's own
      return ev;
    case ReplayEvent::Kind::kWait:
    case ReplayEvent::Kind::kPrint:
      break;
  }
  return std::nullopt;
}

std::optional<int> Input::load_replay(const std::string& path) {
  auto events = digits::load_replay(path);
  if (!events) return cli::fail(kProgram, events.error());
  for (const auto& e : *events) {
    if (e.kind == ReplayEvent::Kind::kKey &&
        SDL_GetKeyFromName(e.key.key.c_str()) == SDLK_UNKNOWN) {
      return cli::fail(kProgram, path + ":" + std::to_string(e.line) + ": unknown key '" +
                                     e.key.key +
                                     "' (expected an SDL key name: c, g, [, f1, backspace, ...)");
    }
  }
  replay_ = std::move(*events);
  return std::nullopt;
}

bool Input::replay_finished() const {
  return replay_next_ >= replay_.size() && Clock::now() >= replay_wait_until_;
}

void Input::wait(Clock::time_point wake) {
  const auto now = Clock::now();
  if (replay_next_ < replay_.size()) wake = std::min(wake, replay_wait_until_);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
  SDL_Event e;
  if (SDL_WaitEventTimeout(&e, static_cast<int>(std::max<int64_t>(0, timeout))) != 0) {
    handle(e);
    handle_pending();
  }
}

void Input::handle_pending() {
  SDL_Event e;
  while (!app_.quitting() && SDL_PollEvent(&e) != 0) handle(e);
}

void Input::handle(const SDL_Event& e) {
  const Layout& layout = view_.layout();
  switch (e.type) {
    case SDL_QUIT:
      app_.quit();
      break;
    case SDL_WINDOWEVENT:
      if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
        const CanvasSize size = view_.relayout();
        app_.fit_canvas(size.width, size.height);
      }
      if (e.window.event == SDL_WINDOWEVENT_LEAVE) app_.hover(std::nullopt);
      app_.touch();
      break;
    case SDL_MOUSEBUTTONDOWN:
      if (e.button.button == SDL_BUTTON_LEFT && layout.in_clear_button(e.button.x, e.button.y)) {
        app_.run_command({Command::kClear});
      } else if (e.button.button == SDL_BUTTON_LEFT || e.button.button == SDL_BUTTON_RIGHT) {
        const CanvasPoint p = layout.to_canvas(e.button.x, e.button.y);
        if (layout.on_canvas(p)) {
          app_.pointer_down(p, e.button.button == SDL_BUTTON_RIGHT);
          mouse_drawing_ = true;
        }
      }
      break;
    case SDL_MOUSEMOTION: {
      const CanvasPoint p = layout.to_canvas(e.motion.x, e.motion.y);
      app_.hover(layout.on_canvas(p) ? std::optional<CanvasPoint>(p) : std::nullopt);
      if (mouse_drawing_) app_.pointer_move(p);
      break;
    }
    case SDL_MOUSEBUTTONUP:
      if (mouse_drawing_) {
        app_.pointer_up();
        mouse_drawing_ = false;
      }
      break;
    case SDL_KEYDOWN:
      app_.press(chord_for(e.key.keysym), e.key.repeat != 0);
      break;
    case SDL_DROPFILE: {
      const std::string path = e.drop.file;
      SDL_free(e.drop.file);
      app_.load_checkpoint(path, "loaded");
      break;
    }
    case SDL_RENDER_TARGETS_RESET:
    case SDL_RENDER_DEVICE_RESET:
      view_.reset_textures();
      app_.touch();
      break;
    default:
      break;
  }
}

void Input::step_replay() {
  while (replay_next_ < replay_.size() && Clock::now() >= replay_wait_until_) {
    const ReplayEvent& e = replay_[replay_next_++];
    const uint64_t before = app_.state().canvas.version();
    if (e.kind == ReplayEvent::Kind::kWait) {
      replay_wait_until_ = Clock::now() + std::chrono::milliseconds(e.wait_ms);
    } else if (e.kind == ReplayEvent::Kind::kPrint) {
      app_.print_prediction();
    } else if (auto ev = to_sdl_event(e, view_.layout(), platform_.window_id())) {
      SDL_PushEvent(&*ev);
      handle_pending();
    }
    if (app_.state().canvas.version() != before || app_.quitting()) return;
  }
}

}  // namespace digits::draw
