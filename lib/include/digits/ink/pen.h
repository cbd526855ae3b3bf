// Pen digits drawn the way the drawing app draws a user's strokes: the same canvas, brush and
// MNIST preparation, so that training and scoring on pen digits see what the app will show the
// network. A test replays pen_replay()'s script into digit-draw and compares the 28x28 input it
// saves (Ctrl+digit) with render_pen_digit()'s.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "digits/ink/canvas.h"
#include "digits/ink/ink.h"
#include "digits/ink/preprocess.h"
#include "digits/ink/unipen.h"

namespace digits {

// The height of the drawing app's canvas at its default window size (1280 x 560 points at scale 1:
// a canvas 972 x 528); a digit is drawn as on a square canvas of this side (positions and the
// brush are in canvas heights).
inline constexpr int64_t kAppCanvasSide = 528;

// How a pen digit is put on the canvas.
struct PenStyle {
  int64_t canvas_side = kAppCanvasSide;
  float brush_radius = Canvas::kDefaultRadius;  // a fraction of the side, as the canvas has it
  // The digit's longer side as a fraction of the canvas side: people fill about this much of a
  // square box (UCI's writers filled 50-80% of theirs).
  double fill = 0.6;

  bool operator==(const PenStyle& o) const {
    return canvas_side == o.canvas_side && brush_radius == o.brush_radius && fill == o.fill;
  }
};

// The digit's strokes as a pointer would give them: scaled, keeping the aspect ratio, so that its
// longer side is `fill` of the canvas, centred, y turned downwards, each point on the whole pixel
// a pointer reports there (canvas_point), repeats dropped. Coordinates are canvas fractions.
std::vector<std::vector<CanvasPoint>> pen_strokes(const PenDigit& digit, const PenStyle& style);

// Draws the digit on `canvas` stroke by stroke as the app does with a pointer (begin_stroke,
// extend_stroke, end_stroke) with the style's brush; the canvas keeps its own side.
void draw_pen_digit(Canvas& canvas, const PenDigit& digit, const PenStyle& style);

// The network's input: the digit drawn on a fresh canvas of the style's side, then prepared as
// the app prepares its canvas (prepare_digit).
DigitPixels render_pen_digit(const PenDigit& digit, const PenStyle& style = {});

// The strokes `which` of y-down ink (InkSample's), in that order, as a pen digit: what
// render_pen_digit draws of a part of a written number. UNIPEN ink read by parse_unipen_ink
// gives back parse_unipen's digit, so a one-digit number renders as the pen digit it is.
PenDigit pen_digit_of(const std::vector<InkStroke>& strokes, const std::vector<size_t>& which);

// The digit's strokes bent by a smooth random displacement, as another writer might have drawn
// it: every point moves by a sum of three random plane waves (at most 1.5 cycles across the
// digit) whose root-mean-square is `strength` of the digit's longer side, and each stroke of a
// digit of several strokes also moves as a whole by half that, so that strokes meet or cross
// elsewhere. The pen keeps its width, unlike an elastic distortion of the drawn pixels. The same
// seed bends the same way (its numbers come from mt19937_64, which the standard fully specifies);
// strength 0 returns the digit unchanged.
PenDigit warp_pen_digit(const PenDigit& digit, double strength, uint64_t seed);

// The digit slanted by `degrees` (positive: its top moved right), about its box's middle height:
// each point moves sideways in proportion to its height, as a writer's slant moves it.
PenDigit slant_pen_digit(const PenDigit& digit, double degrees);

// A replay script (replay.h) that draws the digit in digit-draw with its default brush: one
// down, moves and up per stroke, at the same canvas points.
std::string pen_replay(const PenDigit& digit, const PenStyle& style = {});

}  // namespace digits
