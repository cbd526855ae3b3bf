// digit-draw's look in one place: every size (in points at UI scale 1; the view multiplies them
// by the scale into renderer pixels) and every colour. view.cpp draws with these names only.
#pragma once

#include <SDL.h>

#include <cmath>

namespace digits::draw {

struct Theme {
  // The window and its two areas: the canvas on the left, the side panel on the right.
  // The canvas takes the window's width beside the panel: 1280 x 560 gives 972 x 528, room for
  // 8 digits or more written side by side at a comfortable height.
  int window_width = 1280;
  int window_height = 560;
  int min_window_width = 760;  // the canvas stays at least 452 x 448
  int min_window_height = 480;
  int margin = 16;  // around and between the canvas and the panel
  int panel_width = 260;
  int max_canvas_side = 1024;  // raster cap, in pixels, on very large or dense screens

  // Fonts.
  int text_size = 16;
  int small_text_size = 13;
  int big_text_size = 88;  // the predicted digit

  // Over the canvas.
  int hint_raise = 10;         // "draw a digit here", above the centre
  int error_box_inset = 24;    // the model error's box, left and right of the canvas
  int error_box_height = 140;  // centred on the canvas
  int error_box_padding = 12;
  int digit_box_padding = 4;   // around each digit of a number read
  int digit_label_raise = 22;  // its reading, above its box
  int ring_segments = 48;      // the brush outline

  // The side panel, top to bottom.
  int answer_raise = 12;   // the big digit, above the panel's top
  int dash_indent = 8;     // "-" when there is no prediction
  int answer_text_x = 72;  // the confidence beside the big digit
  int confidence_top = 34;
  int confidence_label_top = 56;
  int no_answer_label_top = 44;  // "draw a digit", "no model"
  int answer_height = 112;       // where the bars start
  int bar_row = 23;              // one row per digit
  int bar_label_width = 18;
  int bar_value_width = 58;
  int bar_value_gap = 8;  // between a bar and its percentage
  int bar_top = 3;        // a bar within its row
  int bar_trim = 8;       // a bar is this much thinner than its row
  int bar_value_top = 2;  // the percentage within its row
  int after_bars = 8;
  int latency_height = 24;     // "prediction 0.31 ms"
  int model_name_height = 20;  // the checkpoint's file name
  int small_line_height = 17;  // its architecture and epoch
  int model_info_height = 22;  // its validation accuracy
  int button_bottom = 36;      // the Clear button's top, above the panel's bottom
  int button_width = 110;
  int button_height = 32;
  int button_text_top = 6;
  int help_hint_top = 8;  // "H: help", beside the button

  // The help overlay.
  int help_inset = 16;  // from the canvas's edges
  int help_padding = 16;
  int help_title_top = 14;
  int help_title_height = 32;
  int help_keys_width = 150;  // the column of keys
  int help_line_height = 24;
  int help_gap = 8;  // before the teach file's line

  // The message line at the foot of the canvas.
  int message_height = 34;
  int message_padding = 10;
  int message_text_top = 8;

  // Colours.
  SDL_Color background{32, 33, 36, 255};
  SDL_Color text{232, 234, 237, 255};
  SDL_Color dim_text{154, 160, 166, 255};
  SDL_Color error_text{242, 139, 130, 255};
  SDL_Color bar{66, 133, 244, 255};
  SDL_Color top_bar{52, 168, 83, 255};  // the predicted digit's bar, its confidence, help keys
  SDL_Color bar_track{48, 50, 54, 255};
  SDL_Color button{60, 64, 67, 255};
  SDL_Color grid_line{70, 70, 70, 255};
  SDL_Color brush_ring{120, 160, 255, 200};
  SDL_Color model_ink{48, 112, 255, 200};  // the 28x28 input over the canvas; alpha at full ink
  SDL_Color digit_box_even{66, 133, 244, 255};  // the boxes of a number's digits, alternating
  SDL_Color digit_box_odd{251, 188, 4, 255};
  SDL_Color error_box{60, 20, 20, 230};
  SDL_Color help_box{20, 22, 26, 235};
  SDL_Color message_box{0, 0, 0, 190};
};

inline constexpr Theme kTheme{};

// A size of `points` at UI scale `scale`, in renderer pixels.
inline int to_pixels(double points, double scale) {
  return static_cast<int>(std::lround(points * scale));
}

}  // namespace digits::draw
