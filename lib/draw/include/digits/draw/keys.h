// The drawing app's keyboard commands: one table that the app, its help overlay, replay scripts
// and the tests share. Keys are named as SDL names them, in lower case ("c", "backspace", "[",
// "f1"), with "ctrl+", "shift+" and "alt+" in front for modifiers ("ctrl+z", "ctrl+7").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "digits/core/error.h"

namespace digits {

struct KeyChord {
  bool ctrl = false;
  bool shift = false;
  bool alt = false;
  std::string key;  // SDL's key name in lower case

  bool operator==(const KeyChord& o) const {
    return ctrl == o.ctrl && shift == o.shift && alt == o.alt && key == o.key;
  }
  std::string to_string() const;  // "ctrl+z"
};

// "ctrl+z" -> {ctrl, "z"}; case-insensitive; errors on an empty key or an unknown modifier.
Result<KeyChord> parse_key_chord(const std::string& text);

enum class Command {
  kClear,
  kUndo,
  kToggleGrid,
  kToggleModelView,
  kToggleHelp,
  kReload,
  kNextModel,  // the next checkpoint in checkpoints/
  kBrushSmaller,
  kBrushBigger,
  kTeach,  // with a digit: save the drawing with that label
  kQuit,
};

struct BoundCommand {
  Command command;
  int digit = -1;  // kTeach only: the label 0..9
};

// What a key does in the app; nothing for keys without a command.
std::optional<BoundCommand> command_for(const KeyChord& chord);

// Lines of the help overlay and docs/draw.md: keys (as a user reads them) and what they do.
struct HelpLine {
  std::string keys;
  std::string action;
};
const std::vector<HelpLine>& help_lines();

}  // namespace digits
