#include "app.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli.h"

namespace digits::draw {

namespace {

constexpr auto kWatchEvery = std::chrono::milliseconds(500);   // checks of the checkpoint file
constexpr auto kMessageFor = std::chrono::milliseconds(4000);  // how long a message stays

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2.0;
}

}  // namespace

App::App(const DrawOptions& options) : options_(options) { state_.teach_file = options.teach_file; }

void App::show_loading() {
  state_.model_error = "loading the checkpoint...";
  dirty_ = true;
}

void App::load_first_checkpoint() {
  const ModelChoice chosen = options_.checkpoint.empty() ? choose_model("checkpoints")
                                                         : ModelChoice{options_.checkpoint, ""};
  const std::string& path = chosen.path;
  if (path.empty()) {
    state_.model_error =
        "No checkpoint: neither checkpoints/best.pt nor checkpoints/pretrained.pt exists, nor an "
        "installed model. "
        "Train one with digit-train, pass --checkpoint FILE, or drop a .pt file here.";
    std::cerr << kProgram << ": " << state_.model_error << "\n";
  } else {
    load_checkpoint(path, "loaded");
    // Which model and why, where the programs chose it: never silently another than expected.
    if (!chosen.note.empty() && state_.recognizer.loaded()) {
      std::cerr << kProgram << ": " << chosen.note << "\n";
      say(chosen.note);
    }
  }
  next_watch_ = Clock::now() + kWatchEvery;
}

void App::load_checkpoint(const std::string& path, const std::string& why) {
  Recognizer& recognizer = state_.recognizer;
  const auto t0 = Clock::now();
  Status s = recognizer.load(path);
  if (!s) {
    if (recognizer.loaded()) {
      say(s.error().message + " (keeping " + recognizer.info().name + ")", true);
    } else {
      state_.model_error = "Cannot use the checkpoint: " + s.error().message +
                           ". Train one with digit-train, or drop a .pt file here.";
    }
    std::cerr << kProgram << ": " << s.error().message << "\n";
    dirty_ = true;
    return;
  }
  state_.model_error.clear();
  std::cerr << kProgram << ": " << why << " " << path << "\n";
  // One throw-away prediction: LibTorch's first forward pass sets up its kernels (tens of ms).
  recognizer.update(Canvas(32));
  recognizer.invalidate();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.0f ms)", ms);
  say(why + " " + recognizer.info().name + buf);
  dirty_ = true;
}

void App::say(std::string text, bool error) {
  state_.message = {std::move(text), error, Clock::now() + kMessageFor};
  dirty_ = true;
}

void App::pointer_down(CanvasPoint p, bool erase) {
  state_.canvas.begin_stroke(p, erase);
  dirty_ = true;
}

void App::pointer_move(CanvasPoint p) {
  if (state_.canvas.stroking()) state_.canvas.extend_stroke(p);
  dirty_ = true;
}

void App::pointer_up() { state_.canvas.end_stroke(); }

void App::hover(std::optional<CanvasPoint> p) {
  if (p || state_.hover) dirty_ = true;  // the brush outline follows the pointer
  state_.hover = p;
}

void App::fit_canvas(int64_t width, int64_t height) {
  state_.canvas.resize(width, height);
  dirty_ = true;
}

void App::press(const KeyChord& chord, bool repeat) {
  const auto c = command_for(chord);
  if (!c) return;
  // Holding a key repeats only what is harmless to repeat.
  if (repeat && c->command != Command::kUndo && c->command != Command::kBrushBigger &&
      c->command != Command::kBrushSmaller) {
    return;
  }
  run_command(*c);
}

void App::run_command(const BoundCommand& c) {
  Canvas& canvas = state_.canvas;
  dirty_ = true;
  switch (c.command) {
    case Command::kClear:
      canvas.clear();
      break;
    case Command::kUndo:
      if (!canvas.undo()) say("nothing to undo");
      break;
    case Command::kToggleGrid:
      state_.grid = !state_.grid;
      break;
    case Command::kToggleModelView:
      state_.model_view = !state_.model_view;
      break;
    case Command::kToggleHelp:
      state_.help = !state_.help;
      break;
    case Command::kReload:
      if (state_.recognizer.path().empty()) {
        say("no checkpoint to reload: drop a .pt file here", true);
      } else {
        load_checkpoint(state_.recognizer.path(), "reloaded");
      }
      break;
    case Command::kNextModel: {
      const auto models = models_in("checkpoints");
      if (models.empty()) {
        say("no models in checkpoints/", true);
        break;
      }
      const auto at = std::find(models.begin(), models.end(), state_.recognizer.path());
      const bool last = at == models.end() || at + 1 == models.end();
      load_checkpoint(last ? models.front() : *(at + 1), "switched to");
      break;
    }
    case Command::kBrushSmaller:
      canvas.shrink_brush();
      break;
    case Command::kBrushBigger:
      canvas.grow_brush();
      break;
    case Command::kTeach: {
      Status s = state_.recognizer.teach(canvas, c.digit, options_.teach_file);
      if (s) {
        say("saved as " + std::to_string(c.digit) + " to " + options_.teach_file);
      } else {
        say(s.error().message, true);
        std::cerr << kProgram << ": " << s.error().message << "\n";
      }
      break;
    }
    case Command::kQuit:
      quit_ = true;
      break;
  }
}

Clock::time_point App::next_wake() const {
  const Message& m = state_.message;
  auto wake = next_watch_;
  if (!m.text.empty() && m.until > Clock::now()) wake = std::min(wake, m.until);
  return wake;
}

void App::tick() {
  Message& m = state_.message;
  if (!m.text.empty() && Clock::now() >= m.until) {
    m.text.clear();
    dirty_ = true;
  }
  if (Clock::now() >= next_watch_) {
    if (state_.recognizer.file_changed()) {
      load_checkpoint(state_.recognizer.path(), "reloaded new version of");
    }
    next_watch_ = Clock::now() + kWatchEvery;
  }
}

bool App::predict() {
  if (!state_.recognizer.update(state_.canvas)) return false;
  latencies_.push_back(state_.recognizer.latency_ms());
  return true;
}

void App::print_prediction() {
  predict();
  std::cout << prediction_line() << "\n" << number_line() << std::endl;
}

std::string App::number_line() const {
  const auto& n = state_.recognizer.number();
  char buf[160];
  std::snprintf(buf, sizeof buf, "number=%s confidence=%.4f canvas=%lldx%lld",
                n ? n->text().c_str() : "none", n ? n->confidence : 0.0,
                static_cast<long long>(state_.canvas.width()),
                static_cast<long long>(state_.canvas.height()));
  std::string line = buf;
  // Ink that is no number says why, as digit-predict --ink does (an empty canvas has no reading).
  if (n && !n->number) line += " why=" + n->why_code();
  return line;
}

std::string App::prediction_line() const {
  const auto& p = state_.recognizer.prediction();
  char buf[64];
  if (p) {
    std::snprintf(buf, sizeof buf, "prediction=%d confidence=%.4f", p->digit, p->confidence);
  } else {
    std::snprintf(buf, sizeof buf, "prediction=none confidence=0");
  }
  return buf;
}

int App::finish() const {
  if (options_.timings) {
    std::fprintf(
        stderr, "predictions=%zu latency_ms_median=%.3f latency_ms_max=%.3f\n", latencies_.size(),
        median(latencies_),
        latencies_.empty() ? 0.0 : *std::max_element(latencies_.begin(), latencies_.end()));
  }
  // A prediction was asked for but no model could make one: say why, exit 2.
  if (options_.print_prediction && !state_.recognizer.loaded()) {
    return cli::fail(kProgram, "no prediction: no checkpoint could be loaded (see above)");
  }
  return cli::kExitOk;
}

}  // namespace digits::draw
