// digit-draw's input: SDL events (mouse, keys, dropped files, the window) into the app's calls,
// and replay scripts, whose events are posted as SDL events and handled by the same code: a
// script takes the same path as a user, coordinate conversion included.
#pragma once

#include <SDL.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "app.h"
#include "digits/draw/keys.h"
#include "digits/draw/replay.h"
#include "platform.h"
#include "view.h"

namespace digits::draw {

// A key press as the app's key table names it ("ctrl+z", "[").
KeyChord chord_for(const SDL_Keysym& key);

// A replay event as the SDL event a user's input would be, in a window laid out as `layout`;
// none for `wait` and `print`, which are not input.
std::optional<SDL_Event> to_sdl_event(const ReplayEvent& e, const Layout& layout, Uint32 window);

class Input {
 public:
  Input(App& app, View& view, Platform& platform) : app_(app), view_(view), platform_(platform) {}

  // Reads a replay script and checks its keys against SDL's key names. nullopt, or exit code 2
  // after a message on stderr naming the file and line.
  std::optional<int> load_replay(const std::string& path);
  bool has_replay() const { return !replay_.empty(); }
  // Whether the script has played to its end and its last wait is over.
  bool replay_finished() const;

  // Sleeps until an event or `wake` (or the end of a replay wait, if sooner), then handles every
  // pending event.
  void wait(Clock::time_point wake);
  void handle(const SDL_Event& e);
  // Plays script events until a wait, or one event that changed the canvas (so that each change
  // is predicted and drawn, as with a real mouse).
  void step_replay();

 private:
  void handle_pending();

  App& app_;
  View& view_;
  Platform& platform_;
  bool mouse_drawing_ = false;
  std::vector<ReplayEvent> replay_;
  size_t replay_next_ = 0;
  Clock::time_point replay_wait_until_{};
};

}  // namespace digits::draw
