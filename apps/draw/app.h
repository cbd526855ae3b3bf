// digit-draw's state and what each command does to it, without SDL: input.cpp calls in here for
// mouse, keys, drops and replay scripts alike; view.cpp draws the state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "digits/draw/keys.h"
#include "digits/draw/recognizer.h"
#include "digits/ink/canvas.h"
#include "options.h"

namespace digits::draw {

using Clock = std::chrono::steady_clock;

// A status line at the foot of the canvas until `until`: a checkpoint loaded, a row saved, errors.
struct Message {
  std::string text;
  bool error = false;
  Clock::time_point until{};
};

// What the window shows.
struct AppState {
  Canvas canvas;
  Recognizer recognizer;
  std::string model_error;  // why there is no model, shown over the canvas
  bool grid = false, model_view = false, help = false;
  Message message;
  std::optional<CanvasPoint> hover;  // the pointer, while over the canvas: the brush outline
  std::string teach_file;
};

class App {
 public:
  explicit App(const DrawOptions& options);

  const AppState& state() const { return state_; }

  // The first checkpoint: --checkpoint, else the newest in checkpoints/ (or a message that there
  // is none). Until it has loaded the canvas says so.
  void show_loading();
  void load_first_checkpoint();
  // Loads `path`; `why` starts the message ("loaded", "reloaded").
  void load_checkpoint(const std::string& path, const std::string& why);

  // Input, from the mouse, the keyboard or a replay script.
  void press(const KeyChord& chord, bool repeat);
  void run_command(const BoundCommand& c);
  void pointer_down(CanvasPoint p, bool erase);
  void pointer_move(CanvasPoint p);
  void pointer_up();
  void hover(std::optional<CanvasPoint> p);
  // The canvas's raster size for the window's present size.
  void fit_canvas(int64_t width, int64_t height);
  void quit() { quit_ = true; }
  // Something on screen changed: draw the next frame.
  void touch() { dirty_ = true; }

  // The main loop's steps.
  bool quitting() const { return quit_; }
  // When the next message expires or the checkpoint file is next checked.
  Clock::time_point next_wake() const;
  // Clears an expired message; reloads a checkpoint whose file changed.
  void tick();
  // Predicts the canvas if it or the model changed since the last prediction; returns whether
  // it did.
  bool predict();
  // Predicts if needed and prints the prediction line on stdout (a replay's `print`).
  void print_prediction();
  // "prediction=D confidence=P", or "prediction=none confidence=0".
  std::string prediction_line() const;
  // "number=DIGITS confidence=P canvas=WxH" (number=none confidence=0 without ink or a number):
  // the canvas read as a written number, and the canvas's raster size in pixels.
  std::string number_line() const;
  bool dirty() const { return dirty_; }
  void drawn() { dirty_ = false; }
  // The timings (with --timings) on stderr and the exit code at the end.
  int finish() const;

 private:
  void say(std::string text, bool error = false);

  DrawOptions options_;
  AppState state_;
  std::vector<double> latencies_;
  Clock::time_point next_watch_{};
  bool quit_ = false;
  bool dirty_ = true;
};

}  // namespace digits::draw
