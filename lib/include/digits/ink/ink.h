// The ink of one written unit (a digit, a number, a word) as the readers of pen files give it:
// UNIPEN (unipen.h) and InkML (inkml.h). Torch-free, so that tools and fuzzers can use it alone.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace digits {

// A point of ink in the writer's own units, y growing DOWNWARDS (screen convention); readers of
// y-up formats (UNIPEN) flip y.
struct InkPoint {
  double x = 0;
  double y = 0;
};

// The points of one pen-down stroke, in the order the pen went.
using InkStroke = std::vector<InkPoint>;

// A labelled part of a sample: one symbol (a digit) and the strokes that form it.
struct InkPart {
  std::string label;
  std::vector<size_t> strokes;  // indices into InkSample::strokes, ascending
};

// One written unit and its truth.
struct InkSample {
  std::string label;               // the truth ("2024", "7"); "" when the ink is not labelled
  std::string writer;              // "" when unknown
  std::string where;               // "FILE:LINE" of the element it came from, for messages
  std::vector<InkStroke> strokes;  // in writing order; none is empty
  std::vector<InkPart> parts;      // the per-symbol segmentation when the file gives one
};

}  // namespace digits
