// digit-draw's command line.
#pragma once

#include <optional>
#include <string>

namespace digits::draw {

inline constexpr const char* kProgram = "digit-draw";
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

// Parses argv into `options`. Returns an exit code when the program should stop now: 0 after
// --help, 2 after a usage error (the message is on stderr).
std::optional<int> parse_options(int argc, char** argv, DrawOptions* options);

}  // namespace digits::draw
