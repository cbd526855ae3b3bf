// digits-number-tune: how the number reader's weights were chosen (docs/numbers.md).
//
// Composes numbers (ink/compose.h) from the digits of a UNIPEN file in two writer folds (the
// writers in the first and the second half of the file's writer numbers), reads every candidate
// once, then learns the decoder's weights by a structured perceptron on one fold and scores them
// on the other, and learns them on both for the library's defaults. Never given the test writers.
// It also says why numbers read as no number, what the letters of --letters read as, and what
// each bound of "no number" buys (--sweep-bar, --sweep-ink, --sweep-corner).
//
//   digits-number-tune --checkpoint checkpoints/pretrained.pt
//       --pen ../shared/pen/pendigits-orig.tra.gz --count 1000 --learn 5
//   digits-number-tune --pen data/pen/pendigits-orig.tra.gz --count 2000 --min-digits 1
//       --max-digits 12 --letters letters.inkml --sweep-bar
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "digits/core/random.h"
#include "digits/evaluate/number_reader.h"
#include "digits/evaluate/predictor.h"
#include "digits/ink/compose.h"
#include "digits/ink/inkml.h"
#include "digits/ink/unipen.h"
#include "number_folds.h"

using digits::NumberCandidates;
using digits::NumberReaderOptions;
using number_tune::Fold;
using number_tune::read_runs;
using number_tune::Score;
using number_tune::score;
using number_tune::truth_runs;
using number_tune::why_none;

int main(int argc, char** argv) {
  CLI::App app{"Learns the number reader's weights on composed numbers, in two writer folds"};
  std::string checkpoint = "checkpoints/pretrained.pt", pen;
  int64_t count = 1000;
  uint64_t seed = 1;
  int epochs = 0;
  double rate = 0.1;
  std::string write_inkml;
  app.add_option("--checkpoint", checkpoint, "The model that reads the candidates");
  app.add_option("--pen", pen, "UNIPEN digits to compose from (the training writers)")->required();
  app.add_option("--count", count, "Numbers per fold");
  app.add_option("--seed", seed, "The composer's seed");
  app.add_option("--learn", epochs, "Learn the weights: epochs of the structured perceptron");
  app.add_option("--rate", rate, "The perceptron's step");
  digits::ComposeOptions compose;
  app.add_option("--min-digits", compose.min_digits, "Digits per number, at least")
      ->capture_default_str();
  app.add_option("--max-digits", compose.max_digits, "Digits per number, at most")
      ->capture_default_str();
  NumberReaderOptions defaults;
  app.add_option("--render-side", defaults.render_side, "Candidates' canvas side (pixels)")
      ->capture_default_str();
  app.add_option("--reject-lean", defaults.reject_lean,
                 "No number when two 1s lean more degrees apart than this")
      ->capture_default_str();
  app.add_option("--min-confidence", defaults.min_confidence,
                 "No number when a digit is read with less confidence")
      ->capture_default_str();
  app.add_option("--among-sure-share", defaults.among_sure_share,
                 "Among digits all read with --sure-confidence, the bar is this share of the bar")
      ->capture_default_str();
  app.add_option("--sure-confidence", defaults.sure_confidence, "See --among-sure-share")
      ->capture_default_str();
  app.add_option("--reject-ink", defaults.reject_ink, "No number: a digit with more ink (H)")
      ->capture_default_str();
  app.add_option("--corner-lean", defaults.reject_corner_lean,
                 "No number: neighbouring 1s meeting end to end leaning more apart (degrees)")
      ->capture_default_str();
  app.add_option("--corner-distance", defaults.corner_distance,
                 "Ends of neighbouring 1s this close (in H) meet")
      ->capture_default_str();
  bool sweep_corner = false, sweep_bar = false, sweep_ink = false;
  app.add_flag("--sweep-ink", sweep_ink, "Report a range of bounds of ink per digit");
  app.add_flag("--sweep-bar", sweep_bar, "Report a range of confidence bars");
  app.add_flag("--sweep-corner", sweep_corner, "Report every corner bound of a grid");
  std::vector<std::string> letters_files;
  app.add_option("--letters", letters_files,
                 "InkML of ink that is not a number (tools/hershey-letters.py): also report the "
                 "share of its samples labelled other than digits that read as no number");
  app.add_option("--write-inkml", write_inkml,
                 "Also write the first fold's numbers here as InkML (test fixtures)");
  CLI11_PARSE(app, argc, argv);

  auto predictor = digits::Predictor::load({checkpoint});
  if (!predictor) return std::fprintf(stderr, "%s\n", predictor.error().message.c_str()), 1;
  auto material = digits::load_unipen(pen);
  if (!material) return std::fprintf(stderr, "%s\n", material.error().message.c_str()), 1;
  std::set<int64_t> writer_set;
  for (const auto& d : *material) writer_set.insert(d.writer);
  const std::vector<int64_t> writers(writer_set.begin(), writer_set.end());
  const size_t half = writers.size() / 2;
  std::vector<Fold> folds(2);
  for (size_t f = 0; f < 2; ++f) {
    const std::vector<int64_t> mine(writers.begin() + (f == 0 ? 0 : half),
                                    f == 0 ? writers.begin() + half : writers.end());
    const auto t0 = std::chrono::steady_clock::now();
    folds[f].numbers = digits::compose_numbers(digits::digits_of_writers(*material, mine), count,
                                               compose, digits::mix_seed(seed, f));
    for (const auto& s : folds[f].numbers) {
      folds[f].candidates.push_back(digits::number_candidates(*predictor, s.strokes, defaults));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "fold %zu: writers %lld-%lld, %lld numbers read in %.1f s\n", f + 1,
                 static_cast<long long>(mine.front()), static_cast<long long>(mine.back()),
                 static_cast<long long>(count), s);
  }
  // Ink that is not a number, read once like the folds.
  Fold letters;
  for (const auto& path : letters_files) {
    auto samples = digits::load_inkml(path);
    if (!samples) return std::fprintf(stderr, "%s\n", samples.error().message.c_str()), 1;
    for (auto& s : *samples) {
      if (s.label.empty() || s.label.find_first_not_of("0123456789") == std::string::npos) continue;
      letters.candidates.push_back(digits::number_candidates(*predictor, s.strokes, defaults));
      letters.numbers.push_back(std::move(s));
    }
  }
  // What the segmentation costs: the numbers whose digits are runs of the centre order (the only
  // segmentations the reader can find), and those read exactly when cut where the truth cuts.
  for (size_t f = 0; f < 2; ++f) {
    size_t runs = 0, oracle = 0;
    for (size_t i = 0; i < folds[f].numbers.size(); ++i) {
      const auto& s = folds[f].numbers[i];
      const auto& c = folds[f].candidates[i];
      std::vector<size_t> part_of(s.strokes.size());
      for (size_t p = 0; p < s.parts.size(); ++p) {
        for (size_t k : s.parts[p].strokes) part_of[k] = p;
      }
      bool contiguous = true, right = true;
      size_t first = 0;
      for (size_t p = 0; p < s.parts.size() && contiguous; ++p) {
        const size_t count = s.parts[p].strokes.size();
        for (size_t k = first; k < first + count; ++k) {
          contiguous = contiguous && k < c.order.size() && part_of[c.order[k]] == p;
        }
        if (contiguous && count <= c.index[first].size()) {
          const auto& d = c.candidates[static_cast<size_t>(c.index[first][count - 1])];
          right = right && d.digit == s.label[p] - '0';
        }
        first += count;
      }
      runs += contiguous;
      oracle += contiguous && right;
    }
    std::printf(
        "fold %zu: digits in runs of the centre order %.4f, read exactly when cut as the "
        "truth %.4f\n",
        f + 1, static_cast<double>(runs) / folds[f].numbers.size(),
        static_cast<double>(oracle) / folds[f].numbers.size());
  }
  if (!write_inkml.empty()) {
    if (auto st = digits::write_inkml(write_inkml, folds[0].numbers); !st) {
      return std::fprintf(stderr, "%s\n", st.error().message.c_str()), 1;
    }
  }
  // How much ink and turning the training writers' digits have, for the scribble bounds.
  {
    std::vector<double> ink, turning;
    for (const Fold& fold : folds) {
      for (size_t i = 0; i < fold.numbers.size(); ++i) {
        const auto& c = fold.candidates[i];
        for (const auto& [first, count] : truth_runs(fold.numbers[i], c)) {
          const auto& d = c.candidates[static_cast<size_t>(c.index[first][count - 1])];
          ink.push_back(d.ink), turning.push_back(d.turning);
        }
      }
    }
    for (auto* v : {&ink, &turning}) {
      std::sort(v->begin(), v->end());
      if (v->empty()) continue;
      auto at = [&](double q) { return (*v)[static_cast<size_t>(q * (v->size() - 1))]; };
      std::printf("%s per digit (%zu digits): median %.2f, 99%% %.2f, 99.9%% %.2f, most %.2f\n",
                  v == &ink ? "ink in H" : "turning in full turns", v->size(), at(0.5), at(0.99),
                  at(0.999), v->back());
    }
  }
  // How far apart the 1s of one number lean, for the lean bound.
  {
    std::vector<double> spread;
    for (const Fold& fold : folds) {
      for (size_t i = 0; i < fold.numbers.size(); ++i) {
        const auto& c = fold.candidates[i];
        const auto runs = truth_runs(fold.numbers[i], c);
        double lo = 0, hi = 0;
        int ones = 0;
        for (size_t p = 0; p < runs.size(); ++p) {
          if (fold.numbers[i].label[p] != '1') continue;
          const auto& [first, count] = runs[p];
          const auto& d = c.candidates[static_cast<size_t>(c.index[first][count - 1])];
          const double lean = d.lean;
          lo = ones == 0 ? lean : std::min(lo, lean), hi = ones == 0 ? lean : std::max(hi, lean);
          ++ones;
        }
        if (ones >= 2) spread.push_back(hi - lo);
      }
    }
    std::sort(spread.begin(), spread.end());
    if (!spread.empty()) {
      auto at = [&](double q) { return spread[static_cast<size_t>(q * (spread.size() - 1))]; };
      std::printf(
          "lean apart of a number's 1s in degrees (%zu numbers): median %.1f, 99%% %.1f, "
          "99.9%% %.1f, most %.1f\n",
          spread.size(), at(0.5), at(0.99), at(0.999), spread.back());
    }
  }
  auto report = [&](const NumberReaderOptions& o) {
    const Score a = score(folds[0], o), b = score(folds[1], o);
    std::printf(
        "bonus %.2f gap %.2f wide %.2f short %.2f below %.2f overlap %.2f cross %.2f min_conf %.2f "
        "| "
        "exact %.4f %.4f digits %.4f %.4f rejected %.4f %.4f",
        o.digit_bonus, o.gap_penalty, o.wide_penalty, o.short_penalty, o.short_height,
        o.overlap_penalty, o.cross_penalty, o.min_confidence, a.exact, b.exact, a.digits, b.digits,
        a.rejected, b.rejected);
    if (!letters.numbers.empty()) {
      std::printf(" | not numbers read as none %.4f of %zu", score(letters, o).rejected,
                  letters.numbers.size());
    }
    std::printf("\n");
    return std::min(a.exact, b.exact);
  };
  report(defaults);
  for (const Fold& fold : folds) why_none(fold, defaults);
  if (sweep_ink) {
    std::printf("the bound of ink per digit (H):\n");
    for (double ink : {6.0, 7.0, 8.0, 10.0, 12.0}) {
      NumberReaderOptions o = defaults;
      o.reject_ink = ink;
      std::printf("ink %4.1f: ", ink);
      report(o);
    }
  }
  if (sweep_bar) {
    std::printf("the confidence bar of no number:\n");
    for (double bar : {0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5}) {
      NumberReaderOptions o = defaults;
      o.min_confidence = bar;
      report(o);
    }
  }
  if (sweep_corner) {
    std::printf("neighbouring 1s meeting end to end (distance in H, leaning apart in degrees):\n");
    for (double distance : {0.05, 0.1, 0.15, 0.2}) {
      for (double lean : {5.0, 10.0, 15.0, 20.0, 30.0}) {
        NumberReaderOptions o = defaults;
        o.corner_distance = distance, o.reject_corner_lean = lean;
        std::printf("distance %.2f lean %4.1f: ", distance, lean);
        report(o);
      }
    }
  }
  // A structured perceptron over the decoder: where it cuts a number otherwise than the truth,
  // the weights move towards the truth's features and away from its own; the average of the
  // weights over every step is the result. Learnt on one fold, scored on the other, then learnt
  // on both for the library's defaults.
  auto learn = [&](const std::vector<const Fold*>& on) {
    NumberReaderOptions o = defaults;
    o.min_confidence = 0;
    std::vector<double> w = digits::weight_vector(o), sum(w.size(), 0.0);
    double steps = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
      for (const Fold* fold : on) {
        for (size_t i = 0; i < fold->numbers.size(); ++i) {
          const auto& c = fold->candidates[i];
          const auto truth = truth_runs(fold->numbers[i], c);
          if (truth.empty()) continue;
          digits::set_weight_vector(o, w);
          const auto read = read_runs(digits::decode_number(c, o), c);
          if (read != truth) {
            const auto ft = digits::segmentation_features(c, truth, o);
            const auto fr = digits::segmentation_features(c, read, o);
            for (size_t k = 0; k < w.size(); ++k) w[k] += rate * (ft[k] - fr[k]);
          }
          for (size_t k = 0; k < w.size(); ++k) sum[k] += w[k];
          ++steps;
        }
      }
    }
    for (double& v : sum) v /= std::max(steps, 1.0);
    NumberReaderOptions learnt = defaults;
    digits::set_weight_vector(learnt, sum);
    return learnt;
  };
  if (epochs > 0) {
    std::printf("learnt on fold 1, scored on fold 2 (and on itself):\n");
    report(learn({&folds[0]}));
    std::printf("learnt on fold 2, scored on fold 1 (and on itself):\n");
    report(learn({&folds[1]}));
    const auto both = learn({&folds[0], &folds[1]});
    std::printf("learnt on both:\n");
    report(both);
    std::printf("weights:");
    for (double v : digits::weight_vector(both)) std::printf(" %.3f", v);
    std::printf("\nthe rejection threshold, with these weights:\n");
    for (double t : {0.3, 0.4, 0.5, 0.6, 0.7}) {
      NumberReaderOptions o = both;
      o.min_confidence = t;
      report(o);
    }
  }
  return 0;
}
