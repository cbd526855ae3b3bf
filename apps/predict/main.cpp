// digit-predict: runs trained checkpoints (one, or several as an ensemble) over Kaggle CSVs and
// UNIPEN pen-digit files. Test format: writes the Kaggle submission. Labelled data: prints
// accuracy, per-class precision and recall and the confusion matrix, per file and per writer of
// pen digits, and draws the misread digits on a contact sheet. The work is in the library
// (data.h, predictor.h, metrics.h, submission.h, contact_sheet.h); this file is options and
// printing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/checkpoint.h"
#include "digits/contact_sheet.h"
#include "digits/data.h"
#include "digits/holdout.h"
#include "digits/metrics.h"
#include "digits/output_file.h"
#include "digits/plot.h"
#include "digits/predictor.h"
#include "digits/runtime.h"
#include "digits/submission.h"

namespace {

constexpr const char* kProgram = "digit-predict";
constexpr const char* kDefaultSubmission = "submission.csv";

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// "W:S" (writer W's sample S) as the pair; nullopt when it is not two numbers.
std::optional<std::pair<int64_t, int64_t>> parse_sample_key(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    size_t a = 0, b = 0;
    const int64_t w = std::stoll(text.substr(0, colon), &a);
    const int64_t n = std::stoll(text.substr(colon + 1), &b);
    if (a != colon || b != text.size() - colon - 1 || w < 0 || n < 0) return std::nullopt;
    return std::pair{w, n};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string describe(const digits::Checkpoint& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s, epoch %lld, val_acc %.4f", describe(c.model).c_str(),
                static_cast<long long>(c.progress.epoch), c.progress.last_val_acc);
  return buf;
}

// Each file's accuracy when there are several, and each pen writer's: real handwriting is
// judged writer by writer.
void print_by_file_and_writer(const std::vector<std::string>& files,
                              const digits::RowOrigin& origin, const torch::Tensor& labels,
                              const torch::Tensor& predicted) {
  const auto by_file = digits::confusion_by(origin.file, labels, predicted);
  for (const auto& [f, cm] : by_file) {
    const auto in_file = origin.file.eq(f).nonzero().reshape({-1});
    const auto writers = origin.writer.index_select(0, in_file);
    const bool pen = writers.ge(0).any().item<bool>();
    if (by_file.size() == 1 && !pen) continue;
    std::printf("\nfile=%s %s\n", files[static_cast<size_t>(f)].c_str(),
                digits::format_accuracy_line(cm).c_str());
    if (!pen) continue;
    const auto scores = digits::confusion_by(writers, labels.index_select(0, in_file),
                                             predicted.index_select(0, in_file));
    double worst = 1.0;
    for (const auto& [w, wcm] : scores) {
      std::printf("writer=%lld %s\n", static_cast<long long>(w),
                  digits::format_accuracy_line(wcm).c_str());
      worst = std::min(worst, wcm.accuracy());
    }
    std::printf("writers=%zu worst_writer_accuracy=%.6f\n", scores.size(), worst);
  }
}

int run(int argc, char** argv) {
  using digits::cli::fail;
  std::vector<std::string> checkpoints, csvs, excludes;
  std::string out, probabilities_out, misread_png, confusion_png;
  bool tta = false, holdout = false, quiet = false;
  int64_t batch_size = 1000, limit = -1, holdout_seed = -1;
  double val_fraction = 0.1;
  int threads = 0;
  std::string device_name = "cpu";

  CLI::App app{
      "Predicts handwritten digits with trained checkpoints.\n"
      "On a Kaggle test-format CSV (pixel0,...,pixel783) it writes the submission file "
      "(ImageId,Label; ImageId counts rows from 1). On labelled data, a train-format CSV "
      "(label,pixel0,...) or a UNIPEN file of pen strokes (each digit drawn as digit-draw "
      "draws it), it prints accuracy=F, per-class precision and recall and the 10x10 "
      "confusion matrix on stdout, then each file's and each pen writer's accuracy; --out "
      "still writes the predictions, --misread-png draws the misread digits. Several "
      "--checkpoint options form an ensemble: their class probabilities are averaged (each "
      "member's own accuracy is printed too).\n"
      "Real handwriting, e.g. UCI's pen digits of 14 writers:\n"
      "  digit-predict --data pendigits-orig.tes.gz --misread-png misread.png\n"
      "Held-out accuracy: --holdout scores only the rows the checkpoint's training run held out "
      "for validation (the same stratified split digit-train made), e.g.\n"
      "  digit-predict --checkpoint checkpoints/best.pt --csv data/train.csv --holdout\n"
      "--holdout-seed S scores the rows a `digit-train --seed S` (or --split-seed S) run with "
      "--val-fraction F holds out, for checkpoints from elsewhere.",
      kProgram};
  app.get_formatter()->column_width(30);
  app.add_option("--checkpoint", checkpoints,
                 "Checkpoint to predict with; repeat for an ensemble (an ensemble file, written by "
                 "digit-export --ensemble, adds all its members). Default: "
                 "the newer of checkpoints/best.pt and checkpoints/pretrained.pt");
  app.add_option("--data,--csv", csvs,
                 "Kaggle CSV (.csv or .csv.gz, test or train format) or UNIPEN pen-digit file "
                 "(plain or .gz); repeat to join labelled files, or test-format CSVs, in order "
                 "(as digit-train --data does)")
      ->required();
  app.add_option("--misread-png", misread_png,
                 "Labelled data: draw every misread digit, as the network saw it, on a contact "
                 "sheet here (PNG; captions TRUE>READ), atomically");
  app.add_option("--confusion-png", confusion_png,
                 "Labelled data: also draw the confusion matrix as a heat map here (PNG, through "
                 "gnuplot), atomically");
  app.add_option("--exclude", excludes,
                 "Leave out pen digit W:S (writer W's sample S, in every UNIPEN file), e.g. the "
                 "broken samples a corpus documents; repeat for more")
      ->type_name("W:S");
  app.add_option("--out", out,
                 "Write predictions (ImageId,Label) here, atomically. Default for test-format "
                 "input: submission.csv; none for labelled input");
  app.add_option("--probabilities", probabilities_out,
                 "Also write each image's class probabilities here, atomically: "
                 "ImageId,Label,p0,...,p9 (the ensemble's mean, with --tta the views' mean)");
  app.add_flag("--tta", tta,
               "Test-time augmentation: also predict each image shifted one pixel up, down, "
               "left and right, and average the five (5x the work)");
  app.add_flag("--holdout", holdout,
               "Score only the rows the checkpoints' training run held out for validation (its "
               "--val-fraction, --split-seed/--seed and --limit, read from the checkpoint); the "
               "--data files must be that run's --data");
  auto* seed_opt = app.add_option("--holdout-seed", holdout_seed,
                                  "Score only the rows a digit-train run with this "
                                  "--seed (or --split-seed) and --val-fraction held out")
                       ->check(CLI::NonNegativeNumber);
  auto* fraction_opt = app.add_option("--val-fraction", val_fraction,
                                      "With --holdout-seed: the run's hold-out share")
                           ->check(CLI::Range(0.0, 0.9))
                           ->capture_default_str();
  auto* limit_opt =
      app.add_option("--limit", limit,
                     "Use only the first N rows (with --holdout-seed: the run's --limit)")
          ->check(CLI::PositiveNumber);
  app.add_option("--batch-size", batch_size, "Images per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--device", device_name, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "No progress line");
  app.get_option("--holdout")->excludes(seed_opt)->excludes(limit_opt);
  fraction_opt->needs(seed_opt);

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  digits::cli::ignore_sigpipe();
  std::vector<std::pair<int64_t, int64_t>> excluded;
  for (const auto& text : excludes) {
    const auto key = parse_sample_key(text);
    if (!key) {
      return fail(kProgram, "--exclude " + text + ": expected WRITER:SAMPLE, e.g. 10:157");
    }
    excluded.push_back(*key);
  }

  digits::configure_runtime(threads);
  auto device = digits::parse_device(device_name);
  if (!device) return fail(kProgram, device.error().message);

  if (checkpoints.empty()) {
    const std::string found = digits::default_checkpoint();
    if (found.empty()) {
      return fail(kProgram,
                  "no checkpoint: pass --checkpoint PATH, or train one with digit-train "
                  "(checkpoints/best.pt)");
    }
    checkpoints.push_back(found);
  }
  // Outputs never destroy inputs, nor each other: checked before any work, and again for the
  // default submission.csv once it is known to be needed.
  std::vector<std::string> inputs = csvs;
  inputs.insert(inputs.end(), checkpoints.begin(), checkpoints.end());
  auto check_outputs = [&]() -> digits::Status {
    if (!out.empty()) DIGITS_RETURN_IF_ERROR(digits::check_output(out, "--out", inputs));
    if (!misread_png.empty()) {
      DIGITS_RETURN_IF_ERROR(digits::check_output(misread_png, "--misread-png", inputs));
    }
    if (!confusion_png.empty()) {
      DIGITS_RETURN_IF_ERROR(digits::check_output(confusion_png, "--confusion-png", inputs));
      if (confusion_png == misread_png) {
        return digits::Error{"--confusion-png " + confusion_png + ": is also --misread-png"};
      }
    }
    if (!probabilities_out.empty()) {
      std::vector<std::string> taken = inputs;
      if (!out.empty() && !digits::is_stdout(out)) taken.push_back(out);
      DIGITS_RETURN_IF_ERROR(digits::check_output(probabilities_out, "--probabilities", taken));
      if (probabilities_out == out && !digits::is_stdout(out)) {
        return digits::Error{"--probabilities " + probabilities_out + ": is also --out"};
      }
    }
    return {};
  };
  if (auto st = check_outputs(); !st) return fail(kProgram, st.error().message);
  auto predictor = digits::Predictor::load(checkpoints, *device);
  if (!predictor) return fail(kProgram, predictor.error().message);
  const auto& members = predictor->members();
  const auto& member_paths = predictor->paths();  // an ensemble file's members as FILE#i
  for (size_t i = 0; i < members.size(); ++i) {
    std::fprintf(stderr, "%s: %s\n", member_paths[i].c_str(), describe(members[i]).c_str());
  }

  // Which rows to score: all, or a training run's held-out split.
  std::optional<digits::Holdout> split;
  if (holdout) {
    auto common = digits::common_holdout(members, member_paths);
    if (!common) return fail(kProgram, common.error().message);
    split = *common;
  } else if (seed_opt->count() > 0) {
    split = digits::Holdout{val_fraction, static_cast<uint64_t>(holdout_seed),
                            digits::DataOptions(limit)};
  }

  const std::string data_name = join(csvs, " + ");
  const auto t0 = std::chrono::steady_clock::now();
  auto data = digits::load_data(csvs, split ? split->data : digits::DataOptions(limit));
  if (!data) return fail(kProgram, data.error().message);
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

  // The rows to score, with their origins: all, or the hold-out, less the --exclude'd.
  digits::Dataset scored = *data;
  torch::Tensor image_ids;  // rows of the files, counted from 1 like ImageId; undefined: all
  if (split) {
    if (auto st = digits::require_labels(*data, data_name); !st) {
      return fail(kProgram, st.error().message);
    }
    if (holdout) {
      auto same = digits::check_training_data(members[0], member_paths[0], *data, data_name);
      if (!same) return fail(kProgram, same.error().message);
    }
    const auto rows = digits::holdout_rows(*data, *split);
    scored = digits::subset(*data, rows);
    image_ids = rows + 1;
    std::fprintf(
        stderr, "scoring the %lld held-out rows (val-fraction %g, split seed %llu) of %lld\n",
        static_cast<long long>(rows.numel()), split->val_fraction,
        static_cast<unsigned long long>(split->seed), static_cast<long long>(data->size()));
  }
  if (!excluded.empty()) {
    const digits::RowOrigin& origin = scored.origin;
    if (!origin.defined()) {
      return fail(kProgram, "--exclude: " + data_name + " has no pen digits (UNIPEN files)");
    }
    auto keep = torch::ones({scored.size()}, torch::kBool);
    for (const auto& [w, n] : excluded) {
      const auto hit = origin.writer.eq(w).logical_and(origin.sample.eq(n));
      if (hit.any().item<bool>() == false) {
        std::fprintf(stderr, "--exclude %lld:%lld: no such pen digit in %s\n",
                     static_cast<long long>(w), static_cast<long long>(n), data_name.c_str());
      }
      keep.logical_and_(hit.logical_not());
    }
    const auto kept = keep.nonzero().reshape({-1});
    if (!image_ids.defined()) image_ids = torch::arange(1, scored.size() + 1, torch::kInt64);
    std::fprintf(stderr, "left out %lld rows (--exclude)\n",
                 static_cast<long long>(scored.size() - kept.numel()));
    scored = digits::subset(scored, kept);
    image_ids = image_ids.index_select(0, kept);
  }
  const torch::Tensor images = scored.images, labels = scored.labels;
  const digits::RowOrigin origin = scored.origin;
  if (images.size(0) == 0) return fail(kProgram, data_name + ": no rows to predict");

  // Each member on its own (its accuracy is worth seeing), then their mean: the ensemble.
  const int64_t n = images.size(0);
  const int64_t views = tta ? 5 : 1;
  const auto m = static_cast<int64_t>(members.size());
  std::fprintf(stderr, "predicting %lld images with %lld checkpoint%s%s, %d thread%s on %s\n",
               static_cast<long long>(n), static_cast<long long>(m), m > 1 ? "s" : "",
               tta ? " and 5 shifted views each (--tta)" : "", digits::runtime_threads(),
               digits::runtime_threads() == 1 ? "" : "s", device_name.c_str());
  digits::cli::Progress progress(digits::cli::stderr_is_terminal() && !quiet, quiet ? 2.0 : 0.25);
  const double work = static_cast<double>(n * m * views);  // images through a network
  const auto start = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> member_probs;
  for (int64_t k = 0; k < m; ++k) {
    const auto single = digits::Predictor::from_checkpoints({members[k]}, *device);
    member_probs.push_back(
        single.probabilities(images, tta, batch_size, [&](int64_t done, int64_t total) {
          const double fraction =
              (static_cast<double>(k) + static_cast<double>(done) / static_cast<double>(total)) /
              static_cast<double>(m);
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          const double rate = fraction * work / std::max(seconds, 1e-9);
          char line[200];
          std::snprintf(line, sizeof line,
                        "checkpoint %lld/%lld  images %lld/%lld  %.0f img/s  ETA %s",
                        static_cast<long long>(k + 1), static_cast<long long>(m),
                        static_cast<long long>(done), static_cast<long long>(total), rate,
                        digits::cli::format_duration(seconds / fraction - seconds).c_str());
          progress.update(fraction, line);
        }));
  }
  progress.finish();
  const auto probs = torch::stack(member_probs).mean(0);
  const auto predicted = probs.argmax(1);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "predicted %lld images in %.2f s (%.0f images/s per checkpoint and view)\n",
               static_cast<long long>(n), seconds, work / std::max(seconds, 1e-9));

  if (labels.defined()) {
    if (m > 1) {
      for (int64_t k = 0; k < m; ++k) {
        const auto cm = digits::ConfusionMatrix::of(labels, member_probs[k].argmax(1));
        std::printf("member=%s %s\n", member_paths[k].c_str(),
                    digits::format_accuracy_line(cm).c_str());
      }
    }
    const auto cm = digits::ConfusionMatrix::of(labels, predicted);
    std::printf("%s\n\n%s\n%s", digits::format_accuracy_line(cm).c_str(),
                digits::format_class_table(cm).c_str(),
                digits::format_confusion_matrix(cm).c_str());
    if (origin.defined()) print_by_file_and_writer(csvs, origin, labels, predicted);
    std::fflush(stdout);
    if (!confusion_png.empty()) {
      char title[160];
      std::snprintf(title, sizeof title, "accuracy %.2f%% (%lld of %lld)", 100 * cm.accuracy(),
                    static_cast<long long>(cm.correct()), static_cast<long long>(cm.total()));
      const std::string what =
          (csvs.size() == 1 ? csvs[0] : std::to_string(csvs.size()) + " files");
      if (auto st = digits::plot_confusion(cm, confusion_png, what + ": " + title); !st) {
        return fail(kProgram, st.error().message, digits::cli::kExitFailure);
      }
      std::fprintf(stderr, "drew the confusion matrix on %s\n", confusion_png.c_str());
    }
    if (!misread_png.empty()) {
      // Sorted by true label, then by what was read: confusions of one kind side by side.
      const auto wrong = predicted.ne(labels).nonzero().reshape({-1});
      const auto key = labels.index_select(0, wrong) * 10 + predicted.index_select(0, wrong);
      const auto order = wrong.index_select(
          0, std::get<1>(key.sort(c10::optional<bool>(true), /*dim=*/0, /*descending=*/false)));
      auto st = digits::write_contact_sheet(misread_png, images.index_select(0, order),
                                            labels.index_select(0, order),
                                            predicted.index_select(0, order));
      if (!st) return fail(kProgram, st.error().message, digits::cli::kExitFailure);
      std::fprintf(stderr, "drew the %lld misread digits on %s\n",
                   static_cast<long long>(order.numel()), misread_png.c_str());
    }
  } else if (out.empty()) {
    out = kDefaultSubmission;
    if (auto st = check_outputs(); !st) return fail(kProgram, st.error().message);
  }
  if (!out.empty()) {
    if (auto st = digits::write_submission(out, predicted, image_ids); !st) {
      return fail(kProgram, st.error().message, digits::cli::kExitFailure);
    }
    std::fprintf(stderr, "wrote %lld predictions (ImageId,Label) to %s\n",
                 static_cast<long long>(n), out.c_str());
  }
  if (!probabilities_out.empty()) {
    if (auto st = digits::write_probabilities(probabilities_out, probs, image_ids); !st) {
      return fail(kProgram, st.error().message, digits::cli::kExitFailure);
    }
    std::fprintf(stderr, "wrote %lld rows of class probabilities (ImageId,Label,p0..p9) to %s\n",
                 static_cast<long long>(n), probabilities_out.c_str());
  }
  return digits::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return digits::cli::run_main(kProgram, run, argc, argv); }
