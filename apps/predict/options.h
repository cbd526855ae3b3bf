// digit-predict's options: what it reads, what it writes, how it predicts.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

// A digit read with less confidence makes the ink "no number": NumberReaderOptions' bar (ink.cpp
// checks that the two agree; this file stays free of LibTorch's headers).
inline constexpr double kDefaultMinConfidence = 0.2;

struct PredictOptions {
  std::vector<std::string> checkpoints, csvs, excludes;
  std::vector<std::string> inks;  // --ink: read written numbers from these files
  int64_t compose = 0;            // --compose N: numbers composed from the --ink digits
  uint64_t compose_seed = 1;
  double min_confidence = kDefaultMinConfidence;  // --min-confidence
  std::string out, probabilities_out, misread_png, confusion_png;
  bool tta = false, holdout = false, quiet = false;
  int64_t batch_size = 1000, limit = -1;
  uint64_t holdout_seed = 0;  // digit-train's --seed range, read as digit-train reads it
  double val_fraction = 0.1;
  int threads = 0;
  std::string device_name = "cpu";
};

// `app` with digit-predict's description and options, which fill `o` when it parses.
void add_predict_options(CLI::App& app, PredictOptions& o);
