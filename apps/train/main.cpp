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
#include "digits/runtime.h"
#include "digits/trainer.h"

namespace {

constexpr const char* kProgram = "digit-train";

// The first of the usual data files that exists, or "".
std::string default_data_path() {
  for (const char* candidate : {"data/train.csv", "data/train.csv.gz", "data/mnist-default.csv"}) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return "";
}

std::string architecture_list() {
  std::string s;
  for (const auto& a : digits::architectures()) s += "\n    " + a.name + ": " + a.description;
  return s;
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

  auto* data_opt = app.add_option("--data", c.data_paths,
                                  "Training CSV; repeat to join several files. Default: the "
                                  "first of data/train.csv, data/train.csv.gz, "
                                  "data/mnist-default.csv (or the checkpoint's, with --resume)");
  auto* epochs_opt = app.add_option("--epochs", c.epochs,
                                    "Total epochs of the run; the LR schedule is built on it")
                         ->check(CLI::PositiveNumber)
                         ->capture_default_str();
  auto* dir_opt = app.add_option("--checkpoint-dir", c.checkpoint_dir,
                                 "Where checkpoints and metrics.csv go (with --resume: the "
                                 "checkpoint's folder)")
                      ->capture_default_str();
  auto* model_opt = app.add_option("--model", c.model.arch, "Architecture:" + architecture_list())
                        ->capture_default_str();
  auto* width_opt = app.add_option("--width", c.model.width,
                                   "bncnn, bnpool: channels of the first block (then 2x and 4x)")
                        ->check(CLI::PositiveNumber)
                        ->capture_default_str();
  auto* dropout_opt =
      app.add_option("--dropout", c.model.dropout, "bncnn, bnpool: dropout probability")
          ->check(CLI::Range(0.0, 0.95))
          ->capture_default_str();
  auto* batch_opt = app.add_option("--batch-size", c.batch_size, "Images per training step")
                        ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
                        ->capture_default_str();
  auto* lr_opt = app.add_option("--lr", c.lr, "Peak learning rate")
                     ->check(CLI::PositiveNumber)
                     ->capture_default_str();
  auto* optimizer_opt =
      app.add_option("--optimizer", c.optimizer, "sgd (momentum, Nesterov), adam or adamw")
          ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
          ->capture_default_str();
  auto* momentum_opt = app.add_option("--momentum", c.momentum, "sgd: momentum")
                           ->check(CLI::Range(0.0, 0.999))
                           ->capture_default_str();
  auto* schedule_opt = app.add_option("--schedule", c.schedule,
                                      "LR schedule: onecycle (warm-up then cosine down), "
                                      "cosine, or constant")
                           ->check(CLI::IsMember({"onecycle", "cosine", "constant"}))
                           ->capture_default_str();
  auto* wd_opt = app.add_option("--weight-decay", c.weight_decay, "Weight decay")
                     ->check(CLI::Range(0.0, 1.0))
                     ->capture_default_str();
  auto* smoothing_opt =
      app.add_option("--label-smoothing", c.label_smoothing,
                     "Training targets: 1 - e on the label, e / 10 on every class (0: plain "
                     "cross-entropy)")
          ->check(CLI::Range(0.0, 0.5))
          ->capture_default_str();
  auto* mixup_opt =
      app.add_option("--mixup", c.mixup,
                     "Mixup: blend each training batch with a shuffled copy of itself, weights "
                     "drawn from Beta(a, a), and train towards both labels alike (0: off; 0.2 is "
                     "usual)")
          ->check(CLI::Range(0.0, 10.0))
          ->capture_default_str();
  auto* val_opt = app.add_option("--val-fraction", c.val_fraction,
                                 "Share of rows held out (stratified, seeded) for validation")
                      ->check(CLI::Range(0.0, 0.9))
                      ->capture_default_str();
  auto* seed_opt = app.add_option("--seed", c.seed,
                                  "Seed of the split, initial weights, batch order and "
                                  "augmentation")
                       ->capture_default_str();
  auto* split_seed_opt =
      app.add_option("--split-seed", c.validation_seed,
                     "Seed of the validation split only (default: --seed); give ensemble "
                     "members different --seed and the same --split-seed")
          ->check(CLI::NonNegativeNumber);
  auto* limit_opt = app.add_option("--limit", c.limit, "Use only the first N rows of the data")
                        ->check(CLI::PositiveNumber);
  auto* augment_opt =
      app.add_flag("--augment,!--no-augment", c.augment.enabled,
                   "Random rotation, scale and shift (and --elastic) of each training image "
                   "(default: on)");
  auto* rotation_opt = app.add_option("--rotation", c.augment.rotation_deg,
                                      "Augmentation: largest rotation, degrees")
                           ->check(CLI::Range(0.0, 90.0))
                           ->capture_default_str();
  auto* scale_opt =
      app.add_option("--scale", c.augment.scale, "Augmentation: largest relative change of size")
          ->check(CLI::Range(0.0, 0.5))
          ->capture_default_str();
  auto* shift_opt =
      app.add_option("--shift", c.augment.shift_px, "Augmentation: largest shift, pixels")
          ->check(CLI::Range(0.0, 8.0))
          ->capture_default_str();
  auto* elastic_opt = app.add_option("--elastic", c.augment.elastic_px,
                                     "Augmentation: elastic distortion, the root-mean-square "
                                     "displacement of a pixel in pixels (0: off)")
                          ->check(CLI::Range(0.0, 8.0))
                          ->capture_default_str();
  auto* elastic_sigma_opt =
      app.add_option("--elastic-sigma", c.augment.elastic_sigma,
                     "Augmentation: smoothness of the elastic distortion, pixels")
          ->check(CLI::Range(0.5, 10.0))
          ->capture_default_str();
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
  app.add_option("--device", c.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "No progress bar; only the per-epoch lines");

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  if (fine_tune && resume_path.empty()) return fail(kProgram, "--fine-tune needs --resume");

  digits::configure_runtime(threads);

  // Resuming: the checkpoint's options are the defaults; explicitly given ones are kept (and,
  // unless fine-tuning, must match).
  std::optional<digits::Checkpoint> checkpoint;
  if (!resume_path.empty()) {
    auto loaded = digits::load_checkpoint(resume_path);
    if (!loaded) return fail(kProgram, loaded.error().message);
    auto stored = digits::TrainConfig::from_options(loaded->train_options);
    if (!stored) return fail(kProgram, resume_path + ": " + stored.error().message);
    digits::TrainConfig merged = stored.value();
    const auto given = [](const CLI::Option* o) { return o->count() > 0; };
    if (given(data_opt)) merged.data_paths = c.data_paths;
    if (given(epochs_opt)) merged.epochs = c.epochs;
    if (given(model_opt)) merged.model.arch = c.model.arch;
    if (given(width_opt)) merged.model.width = c.model.width;
    if (given(dropout_opt)) merged.model.dropout = c.model.dropout;
    if (given(batch_opt)) merged.batch_size = c.batch_size;
    if (given(lr_opt)) merged.lr = c.lr;
    if (given(optimizer_opt)) merged.optimizer = c.optimizer;
    if (given(momentum_opt)) merged.momentum = c.momentum;
    if (given(schedule_opt)) merged.schedule = c.schedule;
    if (given(wd_opt)) merged.weight_decay = c.weight_decay;
    if (given(smoothing_opt)) merged.label_smoothing = c.label_smoothing;
    if (given(mixup_opt)) merged.mixup = c.mixup;
    if (given(val_opt)) merged.val_fraction = c.val_fraction;
    if (given(seed_opt)) merged.seed = c.seed;
    if (given(split_seed_opt)) merged.validation_seed = c.validation_seed;
    if (given(limit_opt)) merged.limit = c.limit;
    if (given(augment_opt)) merged.augment.enabled = c.augment.enabled;
    if (given(rotation_opt)) merged.augment.rotation_deg = c.augment.rotation_deg;
    if (given(scale_opt)) merged.augment.scale = c.augment.scale;
    if (given(shift_opt)) merged.augment.shift_px = c.augment.shift_px;
    if (given(elastic_opt)) merged.augment.elastic_px = c.augment.elastic_px;
    if (given(elastic_sigma_opt)) merged.augment.elastic_sigma = c.augment.elastic_sigma;
    // The run goes on in the checkpoint's folder unless told otherwise.
    merged.checkpoint_dir =
        given(dir_opt)
            ? c.checkpoint_dir
            : std::filesystem::path(resume_path).parent_path().lexically_normal().string();
    if (merged.checkpoint_dir.empty()) merged.checkpoint_dir = ".";
    merged.device = c.device;
    c = merged;
    checkpoint = std::move(loaded.value());
  }
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
  if (!data->has_labels()) {
    return fail(kProgram, join(c.data_paths, ", ") +
                              ": is in Kaggle test format (pixel0,...,pixel783, no labels); "
                              "training needs train format (label,pixel0,...,pixel783)");
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
               resume_path.empty() ? "from scratch" : resume_path.c_str(), c.model.arch.c_str(),
               static_cast<long long>(digits::parameter_count(*t.net())),
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
