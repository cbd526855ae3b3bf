#include "digits/draw/keys.h"

#include <algorithm>
#include <cctype>

namespace digits {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string KeyChord::to_string() const {
  std::string s;
  if (ctrl) s += "ctrl+";
  if (shift) s += "shift+";
  if (alt) s += "alt+";
  return s + key;
}

Result<KeyChord> parse_key_chord(const std::string& text) {
  KeyChord chord;
  std::string rest = lower(text);
  // The key itself may be "+" (as in "ctrl++"), so only split on a '+' that has text after it.
  for (size_t plus = rest.find('+'); plus != std::string::npos && plus + 1 < rest.size();
       plus = rest.find('+')) {
    const std::string mod = rest.substr(0, plus);
    if (mod == "ctrl" || mod == "control") {
      chord.ctrl = true;
    } else if (mod == "shift") {
      chord.shift = true;
    } else if (mod == "alt") {
      chord.alt = true;
    } else {
      return Error{"unknown modifier '" + mod + "' in key '" + text +
                   "' (expected ctrl+, shift+ or alt+)"};
    }
    rest = rest.substr(plus + 1);
  }
  if (rest.empty()) return Error{"key '" + text + "' has no key name"};
  chord.key = rest;
  return chord;
}

std::optional<BoundCommand> command_for(const KeyChord& c) {
  const std::string& k = c.key;
  if (c.alt) return std::nullopt;
  if (c.ctrl) {
    if (k == "z") return BoundCommand{Command::kUndo};
    if (k.size() == 1 && k[0] >= '0' && k[0] <= '9')
      return BoundCommand{Command::kTeach, k[0] - '0'};
    if (k.size() == 8 && k.rfind("keypad ", 0) == 0 && k[7] >= '0' && k[7] <= '9') {
      return BoundCommand{Command::kTeach, k[7] - '0'};
    }
    return std::nullopt;
  }
  if (k == "c" || k == "backspace" || k == "delete") return BoundCommand{Command::kClear};
  if (k == "g") return BoundCommand{Command::kToggleGrid};
  if (k == "m") return BoundCommand{Command::kToggleModelView};
  if (k == "h" || k == "f1") return BoundCommand{Command::kToggleHelp};
  if (k == "r") return BoundCommand{Command::kReload};
  if (k == "n") return BoundCommand{Command::kNextModel};
  if (k == "[") return BoundCommand{Command::kBrushSmaller};
  if (k == "]") return BoundCommand{Command::kBrushBigger};
  if (k == "escape") return BoundCommand{Command::kQuit};
  return std::nullopt;
}

const std::vector<HelpLine>& help_lines() {
  static const std::vector<HelpLine> lines = {
      {"left button", "draw"},
      {"right button", "erase"},
      {"[  ]", "smaller / bigger brush"},
      {"C, Backspace, Delete", "clear (the Clear button too)"},
      {"Ctrl+Z", "undo the last stroke or clear"},
      {"Ctrl+0 .. Ctrl+9", "teach: save the drawing with that label"},
      {"G", "grid of the 28x28 input cells"},
      {"M", "model view: the 28x28 image the network sees"},
      {"R", "reload the checkpoint"},
      {"N", "next model in checkpoints/ (the panel shows its figures)"},
      {"drop a .pt file", "load that checkpoint"},
      {"H, F1", "this help"},
      {"Esc", "quit"},
  };
  return lines;
}

}  // namespace digits
