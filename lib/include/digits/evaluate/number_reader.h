// Reading a written number from its pen strokes: the digits, each with its ten probabilities and
// the strokes that form it, one confidence for the number, or "no number" when the ink is not
// digits. A number of one digit is read as a pen digit always was (render_pen_digit).
//
// How (docs/numbers.md has the figures behind each choice):
//  1. The strokes are put in order of their horizontal centre (any writing order: a delayed bar
//     of a 5 or stem of a 4 lands beside the rest of its digit), and the digit height H of the
//     line is estimated from the tall strokes.
//  2. Every run of up to `max_strokes` consecutive strokes is a candidate digit: it is drawn and
//     prepared as a pen digit and read by the network (one batch for all candidates), and
//     measured: its width and height in H, and the widest empty gap between its strokes.
//  3. A dynamic programme chooses the segmentation into candidates that maximises the sum of
//     each digit's log-probability of its best class, a bonus per digit, and penalties for what
//     digits in a line rarely are: a gap inside one digit, a digit much wider than H or much
//     shorter, and two neighbours covering the same columns or whose strokes cross.
//  4. The chosen digits are read again as pen digits at full size, which is how a one-digit
//     number reads exactly as render_pen_digit and the network read it before. The number's
//     confidence is the product of its digits' confidences. When a digit's confidence is under
//     `min_confidence` (a lower bar among sure digits), or a digit is far from the shape of one
//     (wider than `reject_wide` H, or more ink or turning than a digit has), or its 1s lean
//     apart or two of them meet end to end at an angle (the straight strokes of a letter), the
//     ink is "no number" (NumberReading::why says which).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "digits/core/image.h"
#include "digits/evaluate/predictor.h"
#include "digits/ink/ink.h"
#include "digits/ink/pen.h"

namespace digits {

struct NumberReaderOptions {
  int64_t max_strokes = 4;        // the most strokes one digit may have
  int64_t max_ink_strokes = 200;  // more strokes than this is "no number" without reading
  // Candidates are drawn as pen digits (pen.h) on a canvas of this side: smaller is faster
  // (docs/numbers.md measures both); the digits chosen are read again at `final_side` (0: not),
  // so that what is reported of each is what render_pen_digit's default style gives.
  int64_t render_side = 112;
  int64_t final_side = kAppCanvasSide;
  // The decoder's weights: a candidate digit scores the weighted sum of its features (its
  // log-probability, a bonus per digit, the penalties' measures, its class and whether it has
  // several strokes), two neighbours that of theirs (overlap, crossing, spacing, and how sure the
  // network is of the two as one digit). Learnt on
  // numbers composed from the training writers of UCI's pen digits by bench/number_tune.cpp, a
  // structured perceptron over this decoder (docs/numbers.md: the command and its table).
  double log_prob_weight = 2.804;  // times the log-probability of the candidate's best class
  double digit_bonus = 1.895;      // added per digit read
  double gap_penalty = 3.541;      // per H of empty columns inside one digit beyond gap_free
  double gap_free = 0.1;
  double wide_penalty = 1.688;  // per H of width beyond `wide`
  double wide = 1.0;
  double short_penalty = 5.922;  // per H of height below `short_height`
  double short_height = 0.45;
  double low_penalty = 1.689;  // per H of height below `low_height`
  double low_height = 0.75;
  double many_penalty = 0.692;  // a digit of three strokes or more
  // Per class read, and per class read from two strokes or more.
  std::array<double, kClasses> class_bias{-0.529, -0.442, -0.169, 0.608, 1.496,
                                          -0.197, -0.192, -0.834, 1.147, 0.758};
  std::array<double, kClasses> multi_stroke_bias{0.486, -0.043, -0.366, -0.196, -0.416,
                                                 0.869, -0.813, 0.628,  -0.668, -0.194};
  double overlap_penalty = 0.751;  // times the share of the narrower neighbour's columns covered
  double cross_penalty = 0.043;    // when a stroke of one digit crosses a stroke of its neighbour
  double spacing_weight = 1.014;   // times the space between neighbours in H, within [-1, 1]
  double merge_penalty = 0.002;    // times the network's confidence in the two as one digit
  // "No number": a digit read with less confidence than this (the lowest bar at which the
  // shipped model still reads 93% of a set of letters as no number: each step down reads more
  // numbers of writers it never saw; docs/numbers.md has what each bar buys), wider than
  // reject_wide H, with more ink than reject_ink H or strokes turning more than reject_turning
  // full turns (a scribble). The width and turning bounds are beyond what 99.9% of the training
  // writers' digits reach, the ink bound beyond the most any of them reached in numbers of
  // writers a model never saw (10.4 H; letters are no number without it).
  double min_confidence = 0.2;
  // ... but a digit whose neighbours in the number are all read with at least `sure_confidence`
  // is doubted only under `among_sure_share` of that bar: ink among a writer's clear digits is
  // most likely an unfamiliar digit of theirs, while a letter cut into pieces is rarely sure of
  // all its pieces but one. 0.15 at the bar of 0.2: halfway to the 0.1 of equal probabilities,
  // which the network learnt for what is not a digit (docs/numbers.md has what it buys).
  double among_sure_share = 0.75;
  double sure_confidence = 0.9;
  double reject_wide = 2.5;
  double reject_ink = 12.0;
  double reject_turning = 3.5;
  // Two digits read as 1 whose leans differ by more than this many degrees: a writer's 1s lean
  // alike, the straight strokes of a V, W, M, N or X do not (docs/numbers.md).
  double reject_lean = 45;
  // Two neighbouring 1s whose strokes meet end to end (ends within corner_distance H) and lean
  // more than reject_corner_lean degrees apart: a corner of a V, W, M or N, where a writer's
  // two 1s stand side by side (docs/numbers.md).
  double corner_distance = 0.1;
  double reject_corner_lean = 15;
};

// A candidate digit: consecutive strokes in centre order [first, first + count).
struct DigitCandidate {
  size_t first = 0, count = 0;
  std::array<float, kClasses> probabilities{};
  int digit = 0;
  float confidence = 0.f;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // its box, in the ink's units
  double gap = 0;      // the widest empty run of columns between its strokes, in H
  double ink = 0;      // the length of its strokes, in H
  double turning = 0;  // how far its strokes turn, in full turns (a circle is 1)
  double lean = 0;     // its ink's long axis from upright, in degrees, + when the top is right
};

// What the network and the geometry say of every candidate, before any weight is applied: what
// decode_number() chooses from (tuning re-decodes one set under many weights).
struct NumberCandidates {
  std::vector<size_t> order;  // stroke indices in centre order
  double height = 0;          // H, the line's digit height in the ink's units
  std::vector<DigitCandidate> candidates;
  // candidates[index[first][count - 1]]; -1 where a run is not a candidate
  std::vector<std::vector<int64_t>> index;
  // crosses[a][b]: whether the strokes at positions a and b of `order` cross each other
  std::vector<std::vector<char>> crosses;
  // ends_apart[a][b]: the least distance, in H, between an end of the stroke at position a of
  // `order` and an end of the one at b. Both are measured for strokes that two neighbouring
  // candidates can hold (positions under 2 max_strokes apart); farther ones are 0 and infinity.
  std::vector<std::vector<double>> ends_apart;
};

struct ReadDigit {
  int digit = 0;
  float confidence = 0.f;
  std::array<float, kClasses> probabilities{};
  std::vector<size_t> strokes;  // indices into the strokes read, ascending
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double ink = 0, turning = 0, lean = 0;  // as DigitCandidate has them
  // The least distance, in H, between an end of its strokes and an end of the next digit's
  // (infinity for the last digit).
  double ends_to_next = std::numeric_limits<double>::infinity();
};

// Why ink reads as no number: the first of these that holds, in this order.
enum class NoNumber {
  kNumber,          // it is a number
  kNoInk,           // no strokes with a point
  kTooManyStrokes,  // more strokes than max_ink_strokes (none of them read)
  kOnesLeanApart,   // two 1s lean more than reject_lean apart
  kCorner,          // two neighbouring 1s meet end to end at an angle
  kTooWide,         // a digit wider than reject_wide H
  kTooMuchInk,      // a digit with more ink than reject_ink H
  kTooMuchTurning,  // a digit whose strokes turn more than reject_turning
  kDoubted,         // a digit read with less confidence than its bar (min_confidence, lower
                    // among sure digits)
};
// "number", "no-ink", "too-many-strokes", "ones-lean-apart", "corner", "too-wide",
// "too-much-ink", "too-much-turning", "doubted".
const char* no_number_name(NoNumber why);

struct NumberReading {
  bool number = false;            // false: no ink, or ink that is not a number
  std::vector<ReadDigit> digits;  // the best reading (also when it is not a number), left to right
  double confidence = 0;          // the product of the digits' confidences; 0 when no number
  double height = 0;              // the line's digit height H, in the ink's units
  NoNumber why = NoNumber::kNoInk;
  // The digit `why` is about (the first of two 1s; the least sure digit when doubted), or -1.
  int64_t why_digit = -1;
  // "2024", or "none".
  std::string text() const;
  // Why it is no number, for programs: no_number_name(why), then ":N" for the Nth digit where
  // the reason is about one ("doubted:3", "corner:1", "no-ink"); "" for a number.
  std::string why_code() const;
  // The same for people: "digit 3 doubtful", "1s leaning apart", ...; "" for a number.
  std::string why_text() const;
};

// What the network read of candidates already seen, by their strokes' points: a drawing app
// re-reading its canvas after each stroke reads only the candidates the new stroke is in. Keep
// one per predictor (it does not know which predictor filled it); clear() after a model change.
struct CandidateCache {
  static constexpr size_t kMaxEntries = 1 << 14;  // then it starts again empty
  std::unordered_map<uint64_t, std::array<float, kClasses>> probabilities;
  void clear() { probabilities.clear(); }
};

// The candidates of `strokes` (y down, any units; empty strokes are ignored), through `cache`
// when one is given.
NumberCandidates number_candidates(const Predictor& predictor,
                                   const std::vector<InkStroke>& strokes,
                                   const NumberReaderOptions& options = {},
                                   CandidateCache* cache = nullptr);
// The best segmentation of `c` under `options`' weights, and whether it is a number.
NumberReading decode_number(const NumberCandidates& c, const NumberReaderOptions& options = {});
// Both: the number written in `strokes`.
NumberReading read_number(const Predictor& predictor, const std::vector<InkStroke>& strokes,
                          const NumberReaderOptions& options = {}, CandidateCache* cache = nullptr);

// The weights above as one vector, and back: what tuning adjusts. Each weight multiplies the
// feature of the same place in segmentation_features (a penalty enters negated).
std::vector<double> weight_vector(const NumberReaderOptions& o);
void set_weight_vector(NumberReaderOptions& o, const std::vector<double>& w);

// The features of a segmentation of `c` into runs (first, count) of its centre order, which
// cover it left to right: the sum of each digit's and each pair of neighbours' features. Its dot
// product with weight_vector is the score decode_number maximises.
std::vector<double> segmentation_features(const NumberCandidates& c,
                                          const std::vector<std::pair<size_t, size_t>>& runs,
                                          const NumberReaderOptions& o);

// Levenshtein distance between two digit strings: what digit accuracy counts.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace digits
