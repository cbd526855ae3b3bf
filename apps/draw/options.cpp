#include "options.h"

#include <string>
#include <vector>

#include "cli.h"
#include "digits/checkpoint/checkpoint.h"
#include "digits/io/output_file.h"

namespace digits::draw {

std::optional<int> parse_options(int argc, char** argv, DrawOptions* options) {
  DrawOptions& o = *options;
  CLI::App app{
      "Draw a digit or a number with the mouse and watch the network read it, live.\n"
      "Left button draws, right button erases; H or F1 shows every key. Each change of the\n"
      "drawing is prepared as MNIST digits were (cropped, fitted to 20x20, centred by mass in\n"
      "28x28) and predicted. Ctrl+0..9 saves the drawing with that label to the teach file,\n"
      "for digit-train --data data/train.csv --data data/my-digits.csv. The checkpoint is\n"
      "reloaded when its file changes (a training run writing best.pt); drop a .pt file on\n"
      "the window to load it.\n"
      "Without a screen: SDL_VIDEODRIVER=dummy digit-draw --replay FILE --exit-after-replay\n"
      "--print-prediction --screenshot shot.png (replay format: docs/draw.md).",
      kProgram};
  app.add_option("--checkpoint", o.checkpoint,
                 "checkpoint to use (default: the shipped checkpoints/pretrained.pt, or "
                 "checkpoints/best.pt where it records reading the shipped model's data at least "
                 "as well; N switches to the next model in checkpoints/)")
      ->check(cli::NonEmpty);
  app.add_option("--replay", o.replay,
                 "play input events from FILE: down X Y, move X Y, up, rdown X Y, rup, key NAME, "
                 "wait MS, print, drop FILE (X, Y in canvas heights: Y 0..1, X 0..width/height)")
      ->check(CLI::ExistingFile);
  app.add_flag("--print-prediction", o.print_prediction,
               "after the replay print 'prediction=D confidence=P' (P a fraction) and the canvas "
               "read as a number, 'number=DIGITS confidence=P canvas=WxH' (then 'why=REASON' "
               "for ink that is no number, as digit-predict --ink says it), on stdout");
  app.add_option("--screenshot", o.screenshot,
                 "after the replay save the window to FILE (.bmp, or .png)")
      ->check(cli::BinaryFile);
  app.add_flag("--exit-after-replay", o.exit_after_replay, "quit when the replay script ends");
  app.add_option("--font", o.font, "TrueType font for all text")->capture_default_str();
  app.add_option("--teach-file", o.teach_file, "CSV that Ctrl+0..9 appends labelled drawings to")
      ->check(cli::NonEmpty)
      ->capture_default_str();
  app.add_option("--scale", o.scale,
                 "UI scale (0: from the display: HiDPI pixel density, DPI, or GDK_SCALE)")
      ->check(cli::Finite)
      ->check(CLI::Range(0.0, 4.0))
      ->capture_default_str();
  app.add_option("--threads", o.threads,
                 "LibTorch threads for prediction (one image is too small to share)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_flag("--timings", o.timings,
               "print start-up time and the median prediction latency on stderr");
  if (auto code = cli::parse(app, argc, argv)) return *code;
  if ((o.print_prediction || !o.screenshot.empty() || o.exit_after_replay) && o.replay.empty()) {
    return cli::fail(kProgram,
                     "--print-prediction, --screenshot and --exit-after-replay need "
                     "--replay FILE");
  }
  // The screenshot never overwrites what the app reads: the checkpoint (or, without one, every
  // model it may choose), the replay, the font; nor the teach file, the app's other output,
  // whether it exists yet or not.
  if (!o.screenshot.empty()) {
    std::vector<std::string> inputs = {o.replay, o.font};
    if (!o.checkpoint.empty()) {
      inputs.push_back(o.checkpoint);
    } else {
      for (const auto& m : models_in()) inputs.push_back(m);
    }
    if (auto st = check_outputs({{"--teach-file", o.teach_file, OutputKind::kText},
                                 {"--screenshot", o.screenshot, OutputKind::kBinary}},
                                inputs);
        !st) {
      return cli::fail(kProgram, st.error());
    }
  }
  return std::nullopt;
}

}  // namespace digits::draw
