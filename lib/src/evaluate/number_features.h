// The features of a candidate digit and of two neighbours, in weight_vector's order
// (number_reader.h): the decoder's score is their dot product with the weights.
#pragma once

#include <cstddef>
#include <vector>

#include "digits/evaluate/number_reader.h"

namespace digits::detail {

// A digit's: its log-probability, 1 (the bonus), the gap, width and height penalties' measures,
// three strokes or more, its class, and its class when of several strokes.
inline constexpr size_t kUnary = 7 + 2 * kClasses;
// Two neighbours': the narrower's columns covered, strokes crossing, the space between them,
// and the network's confidence in the two as one digit.
inline constexpr size_t kPair = 4;

std::vector<double> unary_features(const DigitCandidate& d, double h, const NumberReaderOptions& o);
std::vector<double> pair_features(const NumberCandidates& c, const DigitCandidate& a,
                                  const DigitCandidate& b);
// The dot product of `f` with the weights `w` from `offset` on.
double dot(const std::vector<double>& w, const std::vector<double>& f, size_t offset);

}  // namespace digits::detail
