// digit-train: trains a digit CNN on Kaggle-format CSVs, writes checkpoints, resumes exactly.
// All the work is in the library (digits/trainer.h); this file is options and printing.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/checkpoint.h"
#include "digits/dataset.h"
#include "digits/model.h"
#include "digits/options.h"
#include "digits/runtime.h"
#include "digits/trainer.h"
#include "options_cli.h"

namespace {

constexpr const char* kProgram = "digit-train";

// The first of the usual data files that exists, or "".
std::string default_data_path() {
  for (const char* candidate : {"data/train.csv", "data/train.csv.gz", "data/mnist-default.csv"}) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return "";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using digits::cli::fail;
  digits::TrainConfig c;  // defaults
  int threads = 0;
  std::string resume_path;
  bool fine_tune = false;
  int64_t stop_after = -1;
  bool quiet = false;

  CLI::App app{
      "Trains a convolutional network to read handwritten digits from Kaggle \"Digit "
      "Recognizer\" CSV files (train format: label,pixel0,...,pixel783; .csv or .csv.gz).\n"
      "Writes DIR/last.pt every epoch, DIR/best.pt when validation accuracy improves, and one "
      "row per epoch to DIR/metrics.csv. Ctrl-C finishes the current batch, saves DIR/last.pt "
      "and tells how to resume.",
      kProgram};
  app.get_formatter()->column_width(34);

  digits::cli::TrainOptions options(app);  // every option of the table (digits/options.h)
  app.add_option("--stop-after", stop_after,
                 "End this invocation after N epochs, saving as on Ctrl-C (--epochs stays the "
                 "run's total)")
      ->check(CLI::PositiveNumber);
  app.add_option("--resume", resume_path,
                 "Continue the run saved in this checkpoint (e.g. checkpoints/last.pt) exactly. "
                 "Options not given are taken from it; options given must match it");
  app.add_flag("--fine-tune", fine_tune,
               "With --resume: start a new run from the checkpoint's weights, allowing other "
               "data and options (same architecture)");
  app.add_option("--threads", threads, "CPU threads (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "No progress bar; only the per-epoch lines");

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  if (fine_tune && resume_path.empty()) return fail(kProgram, "--fine-tune needs --resume");

  digits::configure_runtime(threads);

  // Resuming: the run's stored options, and the command line changes only what it names (the
  // trainer refuses changes to the run's identity unless fine-tuning).
  std::optional<digits::Checkpoint> checkpoint;
  if (!resume_path.empty()) {
    auto loaded = digits::load_checkpoint(resume_path);
    if (!loaded) return fail(kProgram, loaded.error().message);
    auto stored = digits::decode_options(loaded->train_options);
    if (!stored) return fail(kProgram, resume_path + ": " + stored.error().message);
    c = stored.value();
    // The run goes on in the checkpoint's folder unless told otherwise.
    c.checkpoint_dir = std::filesystem::path(resume_path).parent_path().lexically_normal().string();
    if (c.checkpoint_dir.empty()) c.checkpoint_dir = ".";
    checkpoint = std::move(loaded.value());
  }
  if (auto st = options.apply(c); !st) return fail(kProgram, st.error().message);
  if (c.data_paths.empty()) {
    const std::string found = default_data_path();
    if (found.empty()) {
      return fail(kProgram,
                  "no training data: pass --data PATH (Kaggle's train.csv), or run ./setup.sh "
                  "to fetch the embedded default (data/mnist-default.csv)");
    }
    c.data_paths.push_back(found);
  }

  digits::CsvOptions csv;
  csv.limit = c.limit;
  const auto t0 = std::chrono::steady_clock::now();
  auto data = digits::load_kaggle_csvs(c.data_paths, csv);
  if (!data) return fail(kProgram, data.error().message);
  if (auto st = digits::require_labels(*data, join(c.data_paths, ", ")); !st) {
    return fail(kProgram, st.error().message);
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "loaded %lld rows from %s in %.2f s\n", static_cast<long long>(data->size()),
               join(c.data_paths, ", ").c_str(), load_s);

  auto trainer = checkpoint
                     ? digits::Trainer::resume(
                           std::move(*checkpoint), c, std::move(data.value()),
                           fine_tune ? digits::ResumeMode::kFineTune : digits::ResumeMode::kExact)
                     : digits::Trainer::start(c, std::move(data.value()));
  if (!trainer) {
    return fail(kProgram, (resume_path.empty() ? "" : resume_path + ": ") +
                              trainer.error().message +
                              (resume_path.empty() || fine_tune
                                   ? ""
                                   : " (add --fine-tune to start a new run from its weights)"));
  }
  auto& t = *trainer.value();
  std::fprintf(stderr,
               "%s %s: model %s (%lld parameters), %lld training and %lld validation images, "
               "epoch %lld of %lld, %d threads on %s; checkpoints in %s/\n",
               checkpoint ? (fine_tune ? "fine-tuning" : "resuming") : "training",
               resume_path.empty() ? "from scratch" : resume_path.c_str(),
               describe(c.model).c_str(), static_cast<long long>(digits::parameter_count(*t.net())),
               static_cast<long long>(t.train_size()), static_cast<long long>(t.val_size()),
               static_cast<long long>(t.epochs_done() + 1), static_cast<long long>(c.epochs),
               digits::runtime_threads(), c.device.c_str(), c.checkpoint_dir.c_str());

  digits::cli::StopSignal::install();
  digits::cli::Progress progress(digits::cli::stderr_is_terminal() && !quiet, quiet ? 2.0 : 0.25);
  digits::TrainHooks hooks;
  hooks.stop = digits::cli::StopSignal::flag();
  hooks.stop_after_epochs = stop_after;
  hooks.on_batch = [&](const digits::BatchProgress& p) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld  batch %lld/%lld  loss %.4f  %.0f img/s  ETA %s",
                  static_cast<long long>(p.epoch), static_cast<long long>(p.epochs),
                  static_cast<long long>(p.batch), static_cast<long long>(p.batches), p.loss,
                  p.images_per_s, digits::cli::format_duration(p.eta_seconds).c_str());
    progress.update(static_cast<double>(p.batch) / static_cast<double>(p.batches), line);
  };
  hooks.on_epoch = [&](const digits::EpochReport& r) {
    progress.finish();
    std::printf("%s%s\n", digits::format_epoch_report(r).c_str(), r.best ? "  (best)" : "");
    std::fflush(stdout);
  };

  auto result = t.run(hooks);
  progress.finish();
  if (!result) return fail(kProgram, result.error().message, digits::cli::kExitFailure);

  const std::string last = result->last_checkpoint;
  const std::string again = std::string(kProgram) + " --resume " + last +
                            (threads > 0 ? " --threads " + std::to_string(threads) : "");
  switch (result->reason) {
    case digits::StopReason::kFinished:
      std::fprintf(stderr, "finished %lld epochs; best val_acc=%.4f in %s/best.pt\n",
                   static_cast<long long>(result->epochs_done), result->best_val_acc,
                   c.checkpoint_dir.c_str());
      return digits::cli::kExitOk;
    case digits::StopReason::kStopAfter:
      std::fprintf(stderr, "stopped after epoch %lld of %lld as asked; saved %s\nresume with: %s\n",
                   static_cast<long long>(result->epochs_done), static_cast<long long>(c.epochs),
                   last.c_str(), again.c_str());
      return digits::cli::kExitOk;
    case digits::StopReason::kInterrupted:
      std::fprintf(stderr, "interrupted; saved %s\nresume with: %s\n", last.c_str(), again.c_str());
      return digits::cli::StopSignal::exit_code() ? digits::cli::StopSignal::exit_code()
                                                  : digits::cli::kExitSigint;
  }
  return digits::cli::kExitOk;
}
