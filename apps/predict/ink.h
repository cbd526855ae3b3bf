// digit-predict --ink: the written numbers of ink files (or numbers composed from their digits),
// one line each, then their score where they are labelled.
#pragma once

// The name in every message of digit-predict.
inline constexpr const char* kProgram = "digit-predict";

#include <vector>

#include "digits/evaluate/predictor.h"
#include "digits/evaluate/selection.h"
#include "options.h"

// Reads, prints and scores; returns the exit code.
// `excluded`: pen digits --compose leaves out.
int predict_ink(const PredictOptions& o, const digits::Predictor& predictor,
                const std::vector<digits::SampleKey>& excluded);
