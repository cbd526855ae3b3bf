#include "ink.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/evaluate/number_reader.h"
#include "digits/evaluate/number_score.h"
#include "digits/ink/compose.h"
#include "digits/ink/ink_file.h"
#include "digits/ink/unipen.h"
#include "digits/report/number_sheet.h"

namespace {

// The samples to read, and what each one's output line starts with.
struct Samples {
  std::vector<std::string> names;
  std::vector<digits::InkSample> ink;
  void add(std::string name, digits::InkSample sample) {
    names.push_back(std::move(name));
    ink.push_back(std::move(sample));
  }
};

// Each file's samples, or numbers composed from the files' digits.
digits::Result<Samples> samples_of(const PredictOptions& o,
                                   const std::vector<digits::SampleKey>& excluded) {
  Samples out;
  if (o.compose > 0) {
    std::vector<digits::PenDigit> material;
    for (const auto& path : o.inks) {
      auto digits = digits::load_unipen(path);
      if (!digits) {
        return digits::Error{"--compose needs UNIPEN pen digits: " + digits.error().message};
      }
      for (auto& d : *digits) {
        const bool left_out = std::any_of(excluded.begin(), excluded.end(), [&](const auto& k) {
          return k.writer == d.writer && k.sample == d.sample;
        });
        if (!left_out) material.push_back(std::move(d));
      }
    }
    for (auto& s : digits::compose_numbers(material, o.compose, {}, o.compose_seed)) {
      std::string name = "composed:" + s.where.substr(s.where.rfind(' ') + 1);
      out.add(std::move(name), std::move(s));
    }
    return out;
  }
  for (const auto& path : o.inks) {
    auto samples = digits::load_ink(path);
    if (!samples) return samples.error();
    const bool one = samples->size() == 1;
    for (auto& s : *samples) {
      std::string name = one ? path : s.where;  // before `s` is moved from
      out.add(std::move(name), std::move(s));
    }
  }
  return out;
}

}  // namespace

int predict_ink(const PredictOptions& o, const digits::Predictor& predictor,
                const std::vector<digits::SampleKey>& excluded) {
  using digits::cli::fail;
  if (!excluded.empty() && o.compose == 0) {
    return fail(kProgram, "--exclude with --ink needs --compose (it leaves out pen digits)");
  }
  static_assert(digits::NumberReaderOptions{}.min_confidence == kDefaultMinConfidence);
  digits::NumberReaderOptions reader;
  reader.min_confidence = o.min_confidence;
  auto samples = samples_of(o, excluded);
  if (!samples) return fail(kProgram, samples.error());
  const auto& ink = samples->ink;
  const auto n = static_cast<int64_t>(ink.size());
  const bool labelled = std::any_of(ink.begin(), ink.end(), [](const digits::InkSample& s) {
    return digits::is_number_label(s.label);
  });
  if (!o.misread_png.empty() && !labelled) {
    return fail(kProgram, "--misread-png needs labelled ink (truth annotations or labels)");
  }
  std::fprintf(stderr, "reading %lld written number%s%s\n", static_cast<long long>(n),
               n == 1 ? "" : "s", o.compose > 0 ? " composed from the --ink digits" : "");
  digits::cli::Progress progress(digits::cli::stderr_is_terminal() && !o.quiet,
                                 o.quiet ? 2.0 : 0.25);
  std::vector<digits::InkSample> misread_samples;  // for the sheet
  std::vector<digits::NumberReading> readings, misread;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    const digits::InkSample& sample = ink[static_cast<size_t>(i)];
    auto reading = digits::read_number(predictor, sample.strokes, reader);
    std::printf("%s number=%s confidence=%.4f", samples->names[static_cast<size_t>(i)].c_str(),
                reading.text().c_str(), reading.confidence);
    if (!sample.label.empty()) std::printf(" truth=%s", sample.label.c_str());
    if (!reading.number) std::printf(" why=%s", reading.why_code().c_str());
    std::printf("\n");
    if (digits::is_number_label(sample.label) && reading.text() != sample.label) {
      misread_samples.push_back(sample);
      misread.push_back(reading);
    }
    readings.push_back(std::move(reading));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double fraction = static_cast<double>(i + 1) / static_cast<double>(n);
    char line[160];
    std::snprintf(line, sizeof line, "numbers %lld/%lld  %.1f per s  ETA %s",
                  static_cast<long long>(i + 1), static_cast<long long>(n),
                  static_cast<double>(i + 1) / std::max(seconds, 1e-9),
                  digits::cli::format_duration(seconds / fraction - seconds).c_str());
    progress.update(fraction, line);
  }
  progress.finish();
  if (labelled) std::printf("\n%s", digits::format_number_scores(ink, readings).c_str());
  std::fflush(stdout);
  if (!o.misread_png.empty()) {
    if (auto st = digits::write_number_sheet(o.misread_png, misread_samples, misread); !st) {
      return fail(kProgram, st.error());
    }
    std::fprintf(stderr, "drew the %zu misread numbers on %s\n", misread.size(),
                 o.misread_png.c_str());
  }
  return digits::cli::kExitOk;
}
