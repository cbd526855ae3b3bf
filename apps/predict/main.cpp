// digit-predict: runs trained checkpoints (one, or several as an ensemble) over Kaggle CSVs and
// UNIPEN pen-digit files, and the written numbers of ink files (ink.cpp). Test format: writes
// the Kaggle submission. Labelled data: prints accuracy, per-class precision and recall and the
// confusion matrix, per file and per writer of pen digits, and draws the misread digits on a
// contact sheet. The work is in the library
// (data/, evaluate/, report/); this file is options and printing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/checkpoint/checkpoint.h"
#include "digits/core/runtime.h"
#include "digits/core/text.h"
#include "digits/data/training_data.h"
#include "digits/evaluate/holdout.h"
#include "digits/evaluate/metrics.h"
#include "digits/evaluate/predictor.h"
#include "digits/evaluate/selection.h"
#include "digits/evaluate/submission.h"
#include "digits/io/output_file.h"
#include "digits/report/contact_sheet.h"
#include "digits/report/plot.h"
#include "ink.h"
#include "options.h"

namespace {

constexpr const char* kDefaultSubmission = "submission.csv";

int run(int argc, char** argv) {
  using digits::cli::fail;
  CLI::App app{"", kProgram};
  PredictOptions o;
  add_predict_options(app, o);
  auto &checkpoints = o.checkpoints, &csvs = o.csvs;
  auto &out = o.out, &probabilities_out = o.probabilities_out, &misread_png = o.misread_png,
       &confusion_png = o.confusion_png;
  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  digits::cli::ignore_sigpipe();
  if (csvs.empty() && o.inks.empty()) {
    return fail(kProgram,
                "--data is required: give --data FILE to read digits, or --ink FILE to read "
                "written numbers");
  }
  std::vector<digits::SampleKey> excluded;
  for (const auto& text : o.excludes) {
    const auto key = digits::parse_sample_key(text);
    if (!key) {
      return fail(kProgram, "--exclude " + text + ": expected WRITER:SAMPLE, e.g. 10:157");
    }
    excluded.push_back(*key);
  }

  digits::configure_runtime(o.threads);
  auto device = digits::parse_device(o.device_name);
  if (!device) return fail(kProgram, device.error());

  if (checkpoints.empty()) {
    const auto chosen = digits::choose_model();
    if (chosen.path.empty()) {
      return fail(kProgram,
                  "no checkpoint: pass --checkpoint PATH, or train one with digit-train "
                  "(checkpoints/best.pt)");
    }
    std::fprintf(stderr, "%s\n", chosen.note.c_str());
    checkpoints.push_back(chosen.path);
  }
  // Outputs never destroy inputs, nor each other: checked before any work, and again for the
  // default submission.csv once it is known to be needed.
  std::vector<std::string> inputs = csvs;
  inputs.insert(inputs.end(), o.inks.begin(), o.inks.end());
  inputs.insert(inputs.end(), checkpoints.begin(), checkpoints.end());
  auto check_outputs = [&] {
    return digits::check_outputs({{"--out", out},
                                  {"--misread-png", misread_png},
                                  {"--confusion-png", confusion_png},
                                  {"--probabilities", probabilities_out}},
                                 inputs);
  };
  if (auto st = check_outputs(); !st) return fail(kProgram, st.error());
  auto predictor = digits::Predictor::load(checkpoints, *device);
  if (!predictor) return fail(kProgram, predictor.error());
  const auto& members = predictor->members();
  const auto& member_paths = predictor->paths();  // an ensemble file's members as FILE#i
  for (size_t i = 0; i < members.size(); ++i) {
    std::fprintf(stderr, "%s: %s\n", member_paths[i].c_str(), describe(members[i]).c_str());
  }
  if (!o.inks.empty()) return predict_ink(o, *predictor, excluded);

  // Which rows to score: all, or a training run's held-out split.
  std::optional<digits::Holdout> split;
  if (o.holdout) {
    auto common = digits::common_holdout(members, member_paths);
    if (!common) return fail(kProgram, common.error());
    split = *common;
  } else if (app.get_option("--holdout-seed")->count() > 0) {
    split = digits::Holdout{o.val_fraction, static_cast<uint64_t>(o.holdout_seed),
                            digits::DataOptions(o.limit)};
  }

  const std::string data_name = digits::join(csvs, " + ");
  const auto t0 = std::chrono::steady_clock::now();
  auto data = digits::load_data(csvs, split ? split->data : digits::DataOptions(o.limit));
  if (!data) return fail(kProgram, data.error());
  std::fprintf(stderr, "loaded %lld rows from %s in %.2f s\n", static_cast<long long>(data->size()),
               data_name.c_str(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  // Pictures of a score need the labels.
  for (const auto& [option, path] :
       {std::pair<const char*, const std::string&>{"--misread-png", misread_png},
        {"--confusion-png", confusion_png}}) {
    if (path.empty()) continue;
    if (auto st = digits::require_labels(*data, data_name); !st) {
      return fail(kProgram, std::string(option) + " needs labels: " + st.error().message);
    }
  }
  if (o.holdout && data->has_labels()) {
    auto same = digits::check_training_data(members[0], member_paths[0], *data, data_name);
    if (!same) return fail(kProgram, same.error());
  }
  auto selected = digits::select_rows(*data, data_name, split, excluded);
  if (!selected) return fail(kProgram, selected.error());
  for (const auto& note : selected->notes) std::fprintf(stderr, "%s\n", note.c_str());
  const torch::Tensor images = selected->data.images, labels = selected->data.labels;
  const torch::Tensor image_ids = selected->image_ids;
  if (images.size(0) == 0) return fail(kProgram, data_name + ": no rows to predict");

  // Each member on its own (its accuracy is worth seeing), then their mean: the ensemble.
  const int64_t n = images.size(0), views = o.tta ? 5 : 1;
  const auto m = static_cast<int64_t>(members.size());
  std::fprintf(stderr, "predicting %lld images with %lld checkpoint%s%s, %d thread%s on %s\n",
               static_cast<long long>(n), static_cast<long long>(m), m > 1 ? "s" : "",
               o.tta ? " and 5 shifted views each (--tta)" : "", digits::runtime_threads(),
               digits::runtime_threads() == 1 ? "" : "s", o.device_name.c_str());
  digits::cli::Progress progress(digits::cli::stderr_is_terminal() && !o.quiet,
                                 o.quiet ? 2.0 : 0.25);
  const double work = static_cast<double>(n * m * views);  // images through a network
  const auto start = std::chrono::steady_clock::now();
  const auto member_probs = predictor->member_probabilities(
      images, o.tta, o.batch_size, [&](size_t k, int64_t done, int64_t total) {
        const double fraction = (static_cast<double>(k) + static_cast<double>(done) / total) / m;
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char line[200];
        std::snprintf(line, sizeof line,
                      "checkpoint %zu/%lld  images %lld/%lld  %.0f img/s  ETA %s", k + 1,
                      static_cast<long long>(m), static_cast<long long>(done),
                      static_cast<long long>(total), fraction * work / std::max(seconds, 1e-9),
                      digits::cli::format_duration(seconds / fraction - seconds).c_str());
        progress.update(fraction, line);
      });
  progress.finish();
  const auto probs = torch::stack(member_probs).mean(0);
  const auto predicted = probs.argmax(1);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "predicted %lld images in %.2f s (%.0f images/s per checkpoint and view)\n",
               static_cast<long long>(n), seconds, work / std::max(seconds, 1e-9));

  if (labels.defined()) {
    for (int64_t k = 0; m > 1 && k < m; ++k) {
      const auto cm = digits::ConfusionMatrix::of(labels, member_probs[k].argmax(1));
      std::printf("member=%s %s\n", member_paths[k].c_str(),
                  digits::format_accuracy_line(cm).c_str());
    }
    const auto cm = digits::ConfusionMatrix::of(labels, predicted);
    std::printf("%s\n\n%s\n%s", digits::format_accuracy_line(cm).c_str(),
                digits::format_class_table(cm).c_str(),
                digits::format_confusion_matrix(cm).c_str());
    if (selected->data.origin.defined()) {
      std::fputs(
          digits::format_by_file_and_writer(csvs, selected->data.origin, labels, predicted).c_str(),
          stdout);
    }
    std::fflush(stdout);
    if (!confusion_png.empty()) {
      char title[160];
      std::snprintf(title, sizeof title, "accuracy %.2f%% (%lld of %lld)", 100 * cm.accuracy(),
                    static_cast<long long>(cm.correct()), static_cast<long long>(cm.total()));
      const std::string what =
          (csvs.size() == 1 ? csvs[0] : std::to_string(csvs.size()) + " files");
      if (auto st = digits::plot_confusion(cm, confusion_png, what + ": " + title); !st) {
        return fail(kProgram, st.error());
      }
      std::fprintf(stderr, "drew the confusion matrix on %s\n", confusion_png.c_str());
    }
    if (!misread_png.empty()) {
      const auto order = digits::misread_order(labels, predicted);
      auto st = digits::write_contact_sheet(misread_png, images.index_select(0, order),
                                            labels.index_select(0, order),
                                            predicted.index_select(0, order));
      if (!st) return fail(kProgram, st.error());
      std::fprintf(stderr, "drew the %lld misread digits on %s\n",
                   static_cast<long long>(order.numel()), misread_png.c_str());
    }
  } else if (out.empty()) {
    out = kDefaultSubmission;
    if (auto st = check_outputs(); !st) return fail(kProgram, st.error());
  }
  if (!out.empty()) {
    if (auto st = digits::write_submission(out, predicted, image_ids); !st) {
      return fail(kProgram, st.error());
    }
    std::fprintf(stderr, "wrote %lld predictions (ImageId,Label) to %s\n",
                 static_cast<long long>(n), out.c_str());
  }
  if (!probabilities_out.empty()) {
    if (auto st = digits::write_probabilities(probabilities_out, probs, image_ids); !st) {
      return fail(kProgram, st.error());
    }
    std::fprintf(stderr, "wrote %lld rows of class probabilities (ImageId,Label,p0..p9) to %s\n",
                 static_cast<long long>(n), probabilities_out.c_str());
  }
  return digits::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return digits::cli::run_main(kProgram, run, argc, argv); }
