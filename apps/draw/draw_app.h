// digit-draw's window: SDL2 input and drawing around the library's Canvas and Recognizer. The
// state worth testing lives in the library (canvas.h, recognizer.h, keys.h, replay.h); this is
// the thin shell that turns SDL events into calls and the state into pixels.
#pragma once

#include <string>

namespace digits::draw {

inline constexpr const char* kDefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr const char* kDefaultTeachFile = "data/my-digits.csv";

struct DrawOptions {
  std::string checkpoint;  // "" for the newest of checkpoints/best.pt, checkpoints/pretrained.pt
  std::string replay;      // a script of input events (replay.h)
  bool print_prediction = false;
  std::string screenshot;  // .bmp, or .png
  bool exit_after_replay = false;
  std::string font = kDefaultFont;
  std::string teach_file = kDefaultTeachFile;
  double scale = 0.0;  // UI scale; 0 picks it from the display (HiDPI)
  int threads = 1;
  bool timings = false;  // start-up and latency figures on stderr
};

// Runs the app until the window closes (or the replay ends with exit_after_replay). Returns the
// process exit code: 0, 1 (no display), 2 (bad replay script, font, or with --print-prediction
// a checkpoint that did not load).
int run_draw_app(const DrawOptions& options);

}  // namespace digits::draw
