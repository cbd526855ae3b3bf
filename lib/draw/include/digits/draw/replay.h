// Replay scripts: the drawing app's input events as text, so that it can be driven and tested
// without a screen (digit-draw --replay FILE).
//
// One event per line; blank lines and lines starting with '#' are ignored:
//   down X Y     left button pressed at (X, Y): starts a stroke
//   move X Y     the pointer moved to (X, Y): extends the stroke while a button is held
//   up           left button released
//   rdown X Y    right button pressed at (X, Y): starts erasing
//   rup          right button released
//   key NAME     a key press, named as SDL names keys, with modifiers: c, g, [, f1, ctrl+z, ctrl+7
//   wait MS      pause MS milliseconds (0..600000)
//   print        print the current prediction line (as --print-prediction does at the end)
//   drop PATH    a file dropped on the window (a checkpoint to load); PATH is the rest of the line
// X and Y are in canvas heights from the top-left corner: Y 0..1, X 0 to the canvas's width over
// its height (1 on a square canvas, the only kind before the canvas grew wide: such scripts play
// as they always did, in the left square of a wide one), and at most kMaxReplayX.
#pragma once

#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/draw/keys.h"

namespace digits {

// The largest X a script may give: room for a canvas four times as wide as it is high.
constexpr float kMaxReplayX = 4.f;

struct ReplayEvent {
  enum class Kind { kDown, kMove, kUp, kRightDown, kRightUp, kKey, kWait, kPrint, kDrop };
  Kind kind = Kind::kMove;
  float x = 0.f, y = 0.f;  // down, move, rdown
  KeyChord key;            // key
  int wait_ms = 0;         // wait
  std::string path;        // drop
  int line = 0;            // 1-based line in the script
};

// Parses a script; `name` (the file) starts every error message: "name:LINE: what was wrong".
Result<std::vector<ReplayEvent>> parse_replay(const std::string& text, const std::string& name);

// Reads and parses a script file.
Result<std::vector<ReplayEvent>> load_replay(const std::string& path);

}  // namespace digits
