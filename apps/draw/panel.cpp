// The side panel (the reading, a bar per digit, the model), the help overlay and the message
// line: the parts of the view drawn in text.
#include <cstdio>
#include <optional>
#include <string>

#include "view.h"

namespace digits::draw {

namespace {

std::string percent(double fraction, int decimals = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, fraction * 100.0);
  return buf;
}

}  // namespace

void View::draw_panel(const AppState& state) {
  const Theme& t = theme_;
  const Fonts& f = platform_.fonts();
  const Recognizer& recognizer = state.recognizer;
  const int x = layout_.panel.x, w = layout_.panel.w;
  int y = layout_.panel.y;
  const auto& number = recognizer.number();
  const bool several = number && number->digits.size() > 1;
  // With several digits, the bars show the probabilities (the alternatives) of the digit that
  // made the ink no number, else of the least sure digit.
  std::optional<Prediction> doubtful;
  size_t doubtful_at = 0;
  if (several) {
    for (size_t i = 0; i < number->digits.size(); ++i) {
      if (i == 0 || number->digits[i].confidence < number->digits[doubtful_at].confidence) {
        doubtful_at = i;
      }
    }
    if (!number->number && number->why_digit >= 0 &&
        static_cast<size_t>(number->why_digit) < number->digits.size()) {
      doubtful_at = static_cast<size_t>(number->why_digit);
    }
    const ReadDigit& d = number->digits[doubtful_at];
    doubtful = Prediction{d.probabilities, d.digit, d.confidence};
  }
  const auto& p = several ? doubtful : recognizer.prediction();
  // The answer, large, with its confidence.
  const int answer_x = x + px(t.answer_text_x);
  if (several) {
    const std::string read = number->number ? number->text() : "?";
    // Large while it fits beside its confidence and label (two digits of the big font).
    const bool large = read.size() <= 2;
    text(large ? f.big.get() : f.text.get(), read, x,
         large ? y - px(t.answer_raise) : y + px(t.confidence_top), t.text);
    const int right = x + w;
    text(f.text.get(), number->number ? percent(number->confidence) : "no number", right,
         y + px(t.confidence_top), number->number ? t.top_bar : t.error_text, Align::kRight);
    // Why it is no number ("digit 3 doubtful"), else which digit the bars are of.
    char line[96];
    std::snprintf(line, sizeof line, "bars: digit %zu of %zu", doubtful_at + 1,
                  number->digits.size());
    text(f.small.get(), number->number ? std::string(line) : number->why_text(), right,
         y + px(t.confidence_label_top), t.dim_text, Align::kRight);
  } else if (p) {
    text(f.big.get(), std::to_string(p->digit), x, y - px(t.answer_raise), t.text);
    text(f.text.get(), percent(p->confidence), answer_x, y + px(t.confidence_top), t.top_bar);
    text(f.small.get(), "confidence", answer_x, y + px(t.confidence_label_top), t.dim_text);
  } else {
    text(f.big.get(), "-", x + px(t.dash_indent), y - px(t.answer_raise), t.dim_text);
    text(f.small.get(), recognizer.loaded() ? "draw a digit" : "no model", answer_x,
         y + px(t.no_answer_label_top), t.dim_text);
  }
  y += px(t.answer_height);
  // One bar per digit.
  const int row = px(t.bar_row), label_w = px(t.bar_label_width);
  const int bar_w = w - label_w - px(t.bar_value_width) - px(t.bar_value_gap);
  for (int d = 0; d < kClasses; ++d) {
    const double prob = p ? p->probabilities[d] : 0.0;
    text(f.text.get(), std::to_string(d), x, y, t.text);
    const SDL_Rect track{x + label_w, y + px(t.bar_top), bar_w, row - px(t.bar_trim)};
    fill(track, t.bar_track);
    const int len = static_cast<int>(std::lround(prob * bar_w));
    if (len > 0) fill({track.x, track.y, len, track.h}, p && d == p->digit ? t.top_bar : t.bar);
    text(f.small.get(), p ? percent(prob) : "", x + w, y + px(t.bar_value_top), t.dim_text,
         Align::kRight);
    y += row;
  }
  y += px(t.after_bars);
  char buf[96];
  if (p) {
    std::snprintf(buf, sizeof buf, "prediction %.2f ms", recognizer.latency_ms());
    text(f.small.get(), buf, x, y, t.dim_text);
  }
  y += px(t.latency_height);
  if (recognizer.loaded()) {
    const auto& info = recognizer.info();
    text(f.text.get(), info.name, x, y, t.text);
    y += px(t.model_name_height);
    std::snprintf(buf, sizeof buf, "%s, epoch %lld", info.arch.c_str(),
                  static_cast<long long>(info.epoch));
    text(f.small.get(), buf, x, y, t.dim_text);
    y += px(t.small_line_height);
    // Its recorded figure and the data it was measured on: models of other data do not compare.
    text(f.small.get(),
         (std::isnan(info.val_acc) ? std::string("val acc not recorded")
                                   : "val acc " + percent(info.val_acc, 2)) +
             (info.data.empty() ? "" : " on " + info.data),
         x, y, t.dim_text, Align::kLeft, w);
  } else {
    text(f.small.get(), "no checkpoint loaded", x, y, t.error_text);
  }
  y += px(t.model_info_height);
  std::snprintf(buf, sizeof buf, "brush %.0f px   [ ]", state.canvas.brush_pixels());
  text(f.small.get(), buf, x, y, t.dim_text);

  const SDL_Rect& button = layout_.clear_button;
  fill(button, t.button);
  text(f.text.get(), "Clear", button.x + button.w / 2, button.y + px(t.button_text_top), t.text,
       Align::kCentre);
  text(f.small.get(), "H: help", x + w, button.y + px(t.help_hint_top), t.dim_text, Align::kRight);
}

void View::draw_help(const AppState& state) {
  const Theme& t = theme_;
  const Fonts& f = platform_.fonts();
  const SDL_Rect& area = layout_.canvas;
  const SDL_Rect box{area.x + px(t.help_inset), area.y + px(t.help_inset),
                     area.w - px(2 * t.help_inset), area.h - px(2 * t.help_inset)};
  fill(box, t.help_box);
  const int x = box.x + px(t.help_padding);
  int y = box.y + px(t.help_title_top);
  text(f.text.get(), "digit-draw keys", x, y, t.text);
  y += px(t.help_title_height);
  for (const auto& line : help_lines()) {
    text(f.small.get(), line.keys, x, y, t.top_bar);
    text(f.small.get(), line.action, x + px(t.help_keys_width), y, t.text, Align::kLeft,
         box.w - px(2 * t.help_padding + t.help_keys_width));
    y += px(t.help_line_height);
  }
  y += px(t.help_gap);
  text(f.small.get(), "Teach rows go to " + state.teach_file, x, y, t.dim_text, Align::kLeft,
       box.w - px(2 * t.help_padding));
}

void View::draw_message(const AppState& state) {
  const Message& m = state.message;
  if (m.text.empty() || Clock::now() >= m.until) return;
  const SDL_Rect& area = layout_.canvas;
  const int h = px(theme_.message_height), pad = px(theme_.message_padding);
  const SDL_Rect box{area.x, area.y + area.h - h, area.w, h};
  fill(box, theme_.message_box);
  text(platform_.fonts().small.get(), m.text, box.x + pad, box.y + px(theme_.message_text_top),
       m.error ? theme_.error_text : theme_.text, Align::kLeft,
       box.w - px(2 * theme_.message_padding));
}

}  // namespace digits::draw
