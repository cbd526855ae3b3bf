// The drawing canvas: strokes of an anti-aliased round brush on a grey raster, with
// erasing, undo and a change counter. No SDL and no LibTorch: the app draws it, tests drive it.
//
// Positions are in canvas heights from the top-left corner (y 0..1 down, x 0..width/height: 0..1
// on a square canvas) and the brush radius is a fraction of the height too, so the same strokes
// can be rasterised at any resolution (a resized or HiDPI window re-renders them sharp), and a
// wide canvas, with room for a number, draws a digit as a square one does. Ink is composited with
// max (erasing with min), so a stroke never darkens where its own segments overlap, and drawing
// segment by segment gives exactly the raster that re-rendering the whole history gives.
//
// It is in the core library, not the drawing app's, because pen digits (pen.h) are drawn with
// this brush for training and scoring: the network learns from what the app will show it.
#pragma once

#include <cstdint>
#include <vector>

#include "digits/ink/ink.h"
#include "digits/ink/preprocess.h"

namespace digits {

struct CanvasPoint {
  float x = 0.f;  // 0 left edge .. width/height right edge
  float y = 0.f;  // 0 top edge .. 1 bottom edge
};

// A pointer at (x, y) pixels from the canvas's top-left corner, on a canvas `height` pixels high,
// as a canvas point: how the app turns the positions SDL reports into strokes, and how pen.h
// places the points of a pen digit, so that both give the canvas the same numbers.
inline CanvasPoint canvas_point(double x, double y, double height) {
  return {static_cast<float>(x / height), static_cast<float>(y / height)};
}

// One press-drag-release of a mouse button, or a Clear (which undo can take back too).
struct Stroke {
  enum class Kind { kInk, kErase, kClear };
  Kind kind = Kind::kInk;
  float radius = 0.f;  // fraction of the height
  std::vector<CanvasPoint> points;
};

class Canvas {
 public:
  static constexpr float kDefaultRadius = 0.032f;  // 14 px on a 448 px canvas
  static constexpr float kMinRadius = 0.008f;
  static constexpr float kMaxRadius = 0.12f;
  static constexpr float kRadiusStep = 1.25f;  // `[` and `]` multiply or divide by this
  static constexpr float kEraseFactor = 2.0f;  // the eraser is twice the brush

  // A square canvas, and one `width` by `height` pixels (each at least 8).
  explicit Canvas(int64_t side = 448) : Canvas(side, side) {}
  Canvas(int64_t width, int64_t height);

  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  // width * height grey bytes, row-major; 0 background, 255 ink.
  const std::vector<uint8_t>& pixels() const { return pixels_; }
  GreyView view() const { return {pixels_.data(), width_, height_}; }
  // Increases with every change of the raster (drawing, erasing, clear, undo, resize).
  uint64_t version() const { return version_; }
  bool has_ink() const;

  // A stroke starts with a dot under the pointer and follows it in straight segments, so fast
  // movements leave no gaps. `erase` clears instead of inking (the right button).
  void begin_stroke(CanvasPoint p, bool erase = false);
  void extend_stroke(CanvasPoint p);
  void end_stroke();
  bool stroking() const { return stroking_; }

  // Clears the drawing (undoable). Does nothing on an empty history.
  void clear();
  // Takes back the last stroke or clear; false when there is nothing to undo.
  bool undo();
  size_t undo_depth() const { return history_.size(); }
  const std::vector<Stroke>& history() const { return history_; }

  float brush_radius() const { return radius_; }
  void set_brush_radius(float radius);  // clamped to [kMinRadius, kMaxRadius]
  void grow_brush() { set_brush_radius(radius_ * kRadiusStep); }
  void shrink_brush() { set_brush_radius(radius_ / kRadiusStep); }
  // The radius in raster pixels of the current brush (what the cursor outline shows).
  float brush_pixels() const { return radius_ * static_cast<float>(height_); }

  // Re-renders the whole history at a new resolution (each side >= 8). Points keep their place
  // in canvas heights: a narrower canvas cuts off what lies beyond its right edge (undo history
  // keeps it; a wider one shows it again).
  void resize(int64_t width, int64_t height);

 private:
  void render_history();
  void stamp_segment(CanvasPoint a, CanvasPoint b, float radius, Stroke::Kind kind);

  int64_t width_, height_;
  std::vector<uint8_t> pixels_;
  std::vector<Stroke> history_;
  float radius_ = kDefaultRadius;
  bool stroking_ = false;
  uint64_t version_ = 0;
};

// The ink on `canvas` as strokes, in canvas pixels (y down), for the number reader: the ink strokes
// since the last clear, in the order drawn, without the points an eraser has since wiped (a stroke
// cut by the eraser becomes its remaining pieces).
std::vector<InkStroke> ink_strokes(const Canvas& canvas);

}  // namespace digits
