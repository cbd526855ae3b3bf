// The folds of digits-number-tune (number_tune.cpp): composed numbers with their candidates read
// once, and what a set of reader options makes of them: the exact, digit and no-number rates,
// the truth's and a reading's segmentation as runs of the centre order, and why numbers read as
// no number.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "digits/evaluate/number_reader.h"
#include "digits/ink/ink.h"

namespace number_tune {

struct Fold {
  std::vector<digits::InkSample> numbers;
  std::vector<digits::NumberCandidates> candidates;
};

struct Score {
  double exact = 0, digits = 0, rejected = 0;
};

using Runs = std::vector<std::pair<size_t, size_t>>;

// The truth's digits as runs (first, count) of the centre order; empty where they are not runs.
Runs truth_runs(const digits::InkSample& s, const digits::NumberCandidates& c);

// A reading's digits as runs of the centre order.
Runs read_runs(const digits::NumberReading& r, const digits::NumberCandidates& c);

// The share of `fold`'s numbers read exactly, of its digits (edit distance; a number read as
// none counts all its digits wrong), and of numbers read as no number.
Score score(const Fold& fold, const digits::NumberReaderOptions& o);

// Prints why the numbers of `fold` read as no number (NumberReading::why): a digit doubted (cut
// where the truth cuts and read right, cut right but read wrong, or cut otherwise), or another
// reason (each by name).
void why_none(const Fold& fold, const digits::NumberReaderOptions& o);

}  // namespace number_tune
