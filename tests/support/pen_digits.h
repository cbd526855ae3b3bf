// Pen digits for the tests of UNIPEN reading, pen rendering and pen data: a small UCI-style file,
// and synthetic files of ten distinct shapes by several writers.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace digits::testing {

// A UCI-style file: two digits, the second of two strokes.
inline const char* const kTwoDigits =
    ".INCLUDE        dene.doc\n"
    "\n"
    ".LEXICON \"0\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\"\n"
    ".HIERARCHY      DIGIT\n"
    "\n"
    ".SEGMENT DIGIT    0 ? \"1\"\n"
    ".COMMENT 1 12  224\n"
    ".PEN_DOWN\n"
    " 250  400\n"
    " 250  300\n"
    " 250  100\n"
    ".PEN_UP\n"
    ".DT 100\n"
    "\n"
    ".SEGMENT DIGIT    1-2 ? \"4\"\n"
    ".COMMENT 4 3   7\n"
    ".PEN_DOWN\n"
    " 200  400\n"
    " 150  250\n"
    " 300  250\n"
    ".PEN_UP\n"
    ".PEN_DOWN\n"
    " 260  350\n"
    " 260  100\n"
    ".PEN_UP\n";

// The ten digits' shapes as polylines in a 100x100 box, y upwards as in UNIPEN; "|" starts a new
// stroke.
inline const std::vector<std::vector<std::vector<double>>>& pen_shapes() {
  static const std::vector<std::vector<std::vector<double>>> s = {
      {{50, 100, 15, 80, 10, 50, 15, 20, 50, 0, 85, 20, 90, 50, 85, 80, 50, 100}},
      {{50, 100, 50, 0}},
      {{10, 80, 50, 100, 90, 80, 10, 0, 90, 0}},
      {{10, 100, 90, 100, 40, 55, 90, 30, 50, 0, 10, 10}},
      {{60, 100, 10, 40, 90, 40}, {70, 70, 70, 0}},
      {{90, 100, 20, 100, 15, 55, 80, 50, 85, 10, 10, 0}},
      {{80, 100, 20, 50, 20, 10, 80, 10, 80, 45, 20, 45}},
      {{10, 100, 90, 100, 40, 0}},
      {{50, 50, 15, 80, 50, 100, 85, 80, 50, 50, 15, 20, 50, 0, 85, 20, 50, 50}},
      {{80, 60, 20, 60, 20, 100, 80, 100, 80, 60, 80, 0}},
  };
  return s;
}

// `per_class` jittered copies of each shape by `writers` writers, in UCI's layout (segment,
// comment, strokes), with the points subdivided so that strokes have tablet-like density.
inline std::string synthetic_unipen(int per_class, int writers, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-5, 5), slant(-0.3, 0.3), size(0.6, 1.4);
  std::string text = ".LEXICON \"0\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\"\n";
  int stroke_number = 0, sample = 0;
  for (int k = 0; k < per_class; ++k) {
    for (int label = 0; label < 10; ++label) {
      const int writer = 1 + (k * 10 + label) % writers;
      const double s = size(rng), sl = slant(rng);
      const auto& strokes = pen_shapes()[label];
      const int first = stroke_number;
      stroke_number += static_cast<int>(strokes.size());
      text += ".SEGMENT DIGIT " + std::to_string(first) +
              (strokes.size() > 1 ? "-" + std::to_string(stroke_number - 1) : "") + " ? \"" +
              std::to_string(label) + "\"\n";
      text += ".COMMENT " + std::to_string(label) + " " + std::to_string(writer) + " " +
              std::to_string(++sample) + "\n";
      for (const auto& poly : strokes) {
        text += ".PEN_DOWN\n";
        for (size_t i = 0; i + 3 < poly.size() + 2; i += 2) {
          const double x0 = poly[i], y0 = poly[i + 1];
          const double x1 = i + 3 < poly.size() ? poly[i + 2] : x0;
          const double y1 = i + 3 < poly.size() ? poly[i + 3] : y0;
          const double dx = jitter(rng), dy = jitter(rng);
          for (int t = 0; t < 4; ++t) {
            const double x = x0 + (x1 - x0) * t / 4 + dx, y = y0 + (y1 - y0) * t / 4 + dy;
            text += " " + std::to_string(std::lround(100 + s * (x + sl * y))) + " " +
                    std::to_string(std::lround(100 + s * y)) + "\n";
            if (i + 3 >= poly.size()) break;
          }
        }
        text += ".PEN_UP\n";
      }
    }
  }
  return text;
}

}  // namespace digits::testing
