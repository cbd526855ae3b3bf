// Numbers composed from real pen digits: what the number reader (evaluate/number_reader.h) is
// tuned and scored on, since no corpus of written numbers ships with the project. Each number is
// written by ONE writer of the material (the digits of a UNIPEN file such as UCI's
// pendigits-orig.tra), the way people write a line of digits:
//
//   - every digit keeps its writer's strokes, stroke order and natural size; the number as a
//     whole is scaled to a height, and each digit's size also varies by `size_jitter`;
//   - spacing from overlapping (a negative gap, digits touching or crossing) to wide, drawn
//     uniformly from [gap_min, gap_max] of the writer's digit height, an overlap reaching at
//     most `max_overlap` of the narrower digit's width;
//   - a baseline that slopes (up to `slope` per digit height of run) and drifts (a random walk
//     of `drift` of the height per digit), and a slant that changes per number (a shear);
//   - delayed strokes: a digit of several strokes has, with probability `delayed`, its last
//     stroke (the bar of a 5, the cross of a 7, the stem of a 4) written after the next digit.
//
// Writers are never mixed within a number, so material split by writer gives writer-disjoint
// numbers. The same material, options and seed give the same numbers on every machine (the
// numbers come from mt19937_64 with distributions written out, as core/random.h does).
#pragma once

#include <cstdint>
#include <vector>

#include "digits/ink/ink.h"
#include "digits/ink/unipen.h"

namespace digits {

struct ComposeOptions {
  int64_t min_digits = 2;  // digits per number, uniform in [min_digits, max_digits]
  int64_t max_digits = 8;
  double gap_min = -0.15;  // space before a digit, in digit heights (negative: overlapping)
  double gap_max = 0.6;
  // A digit reaches at most this share of the narrower digit's width into its neighbour's
  // columns: overlapping, never one digit inside another (which no reader could tell apart).
  double max_overlap = 0.35;
  double size_jitter = 0.12;  // standard deviation of a digit's relative size change
  double slope = 0.08;        // the baseline's slope, uniform in [-slope, slope]
  double drift = 0.04;        // the baseline's random walk per digit, in digit heights
  double slant = 0.15;        // standard deviation of the number's shear (x per unit of height)
  double delayed = 0.3;       // chance that a digit's last stroke is written after the next digit
};

// `count` numbers from `material` (digits with their writers; a writer of -1 counts as one
// writer). Each sample's label is its digits, `writer` its writer's number, `where` says
// "composed number K", strokes are y-down in tablet units and `parts` name each digit's strokes.
// Writers are drawn uniformly, then each digit uniformly from that writer's digits. Empty when
// the material is empty or count is 0; options are clamped into sense (min_digits >= 1, ...).
std::vector<InkSample> compose_numbers(const std::vector<PenDigit>& material, int64_t count,
                                       const ComposeOptions& options, uint64_t seed);

// The digits of the given writers only (for writer folds).
std::vector<PenDigit> digits_of_writers(const std::vector<PenDigit>& material,
                                        const std::vector<int64_t>& writers);

}  // namespace digits
