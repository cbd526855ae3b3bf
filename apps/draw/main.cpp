// digit-draw: draw a digit with the mouse and watch the network read it, live. Set-up, then a
// loop of: wait for input, handle it, predict, draw the frame from the state; then clean-up (the
// destructors, in reverse order). The state and its commands are in app.h, SDL events and
// replay scripts in input.h, drawing in view.h (sizes and colours in theme.h), SDL itself in
// platform.h; the canvas, the preparation, the prediction, the keys and replay scripts are in the
// digits_draw library.
#include <cstdio>

#include "app.h"
#include "cli.h"
#include "digits/core/runtime.h"
#include "input.h"
#include "options.h"
#include "platform.h"
#include "theme.h"
#include "view.h"

namespace {

using namespace digits::draw;

int run(const DrawOptions& options) {
  // Before main(): the dynamic loader and LibTorch's static initialisers.
  if (options.timings) std::fprintf(stderr, "main_ms=%.0f\n", process_age_ms());
  digits::configure_runtime(options.threads);

  Platform platform(kTheme);
  if (auto code = platform.init(options.scale, options.font)) return *code;
  App app(options);
  View view(platform, kTheme);
  Input input(app, view, platform);
  if (!options.replay.empty()) {
    if (auto code = input.load_replay(options.replay)) return *code;
  }
  if (auto code = platform.open_window()) return *code;
  const CanvasSize size = view.relayout();
  app.fit_canvas(size.width, size.height);
  const auto draw_frame = [&] {
    view.render(app.state());
    platform.present();
    app.drawn();
  };

  // The first frame before the checkpoint loads, so that the window appears at once.
  app.show_loading();
  draw_frame();
  if (options.timings) std::fprintf(stderr, "first_frame_ms=%.0f\n", process_age_ms());
  app.load_first_checkpoint();
  if (options.timings) std::fprintf(stderr, "model_ready_ms=%.0f\n", process_age_ms());

  // A replay that was asked for is done once its events are (at once when it has none).
  bool replay_done = options.replay.empty();
  while (!app.quitting()) {
    // Sleeps until an event, the next check of the checkpoint file, a message to clear or the
    // end of a replay wait: no spinning when idle.
    input.wait(app.next_wake());
    app.tick();
    input.step_replay();
    if (app.predict()) app.touch();
    if (app.dirty()) draw_frame();
    if (!replay_done && input.replay_finished()) {
      replay_done = true;
      if (options.print_prediction) app.print_prediction();
      if (!options.screenshot.empty()) {
        view.render(app.state());
        if (!platform.save_screenshot(options.screenshot)) return digits::cli::kExitFailure;
      }
      if (options.exit_after_replay) break;
    }
  }
  return app.finish();
}

}  // namespace

int main(int argc, char** argv) {
  DrawOptions options;
  if (auto code = parse_options(argc, argv, &options)) return *code;
  return run(options);
}
