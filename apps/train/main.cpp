// digit-train: trains a digit CNN on Kaggle-format CSVs, writes checkpoints, resumes exactly.
// All the work is in the library (digits/trainer.h); this file is options and printing.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "digits/core/runtime.h"
#include "digits/core/text.h"
#include "digits/data/training_data.h"
#include "digits/nn/model.h"
#include "digits/report/run_views.h"
#include "digits/train/distributed.h"
#include "digits/train/options.h"
#include "digits/train/resume.h"
#include "digits/train/trainer.h"
#include "launcher.h"
#include "options_cli.h"

namespace {

// What the program is doing, for the one line an exception (out of memory) ends it with.
digits::cli::Doing g_doing{"starting", " (try a smaller --batch-size or --limit)",
                           "; saved checkpoints are intact"};

// "4 threads", or "2 processes of 1 thread" in a distributed run.
std::string threads_text(int64_t world_size) {
  std::string threads = std::to_string(digits::runtime_threads()) +
                        (digits::runtime_threads() == 1 ? " thread" : " threads");
  if (world_size == 1) return threads;
  return std::to_string(world_size) + " processes of " + threads;
}

// A rank other than 0: trains in step with the others, silently; the exit code says how it
// ended, as rank 0's does.
int run_worker(digits::Trainer& t, const std::string& me, int64_t stop_after) {
  digits::cli::StopSignal::install();
  digits::TrainHooks hooks;
  hooks.stop = digits::cli::StopSignal::flag();
  hooks.stop_after_epochs = stop_after;
  g_doing.now = "training";
  auto result = t.run(hooks);
  if (!result) return digits::cli::fail(me, result.error());
  if (result->reason != digits::StopReason::kInterrupted) return digits::cli::kExitOk;
  return digits::cli::StopSignal::exit_code() ? digits::cli::StopSignal::exit_code()
                                              : digits::cli::kExitSigint;
}

int run(int argc, char** argv) {
  using digits::cli::fail;
  digits::TrainConfig c;  // defaults
  int threads = 0;
  std::string resume_path;
  bool fine_tune = false;
  bool force = false;
  int64_t stop_after = -1;
  bool quiet = false;

  CLI::App app{
      "Trains a convolutional network to read handwritten digits from Kaggle \"Digit "
      "Recognizer\" CSV files (train format: label,pixel0,...,pixel783; .csv or .csv.gz).\n"
      "Writes DIR/last.pt every epoch, DIR/best.pt when validation accuracy improves, one "
      "row per epoch to DIR/metrics.csv and its chart to DIR/metrics.png (gnuplot). Ctrl-C "
      "finishes the current batch, saves DIR/last.pt "
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
               "data and options (same architecture), in DIR/fine-tuned/ of the checkpoint's "
               "folder unless --checkpoint-dir says otherwise");
  app.add_flag("--force", force,
               "Start a new run in a --checkpoint-dir that holds another run's files: they are "
               "moved to DIR/previous-<time>/ first, never deleted");
  app.add_option("--threads", threads, "CPU threads (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_flag("--quiet,-q", quiet, "No progress bar; only the per-epoch lines");

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  if (fine_tune && resume_path.empty()) return fail(kProgram, "--fine-tune needs --resume");
  {
    // The local launcher starts the workers, which run this program with the rest of argv.
    digits::TrainConfig launch;
    if (auto st = options.apply(launch); !st) return fail(kProgram, st.error());
    if (launch.distributed.nproc_per_node > 1 || launch.distributed.nnodes > 1) {
      return launch_workers(launch.distributed, argc, argv);
    }
  }

  threads = digits::worker_threads(threads);  // a distributed run's workers share the cores
  digits::configure_runtime(threads);

  // Resuming: the run's stored options, and the command line changes only what it names (the
  // trainer refuses changes to the run's identity unless fine-tuning).
  std::optional<digits::Resumption> resumed;
  if (!resume_path.empty()) {
    auto r = digits::read_resumption(resume_path, fine_tune);
    if (!r) return fail(kProgram, r.error());
    resumed = std::move(r.value());
    c = resumed->config;
  }
  if (auto st = digits::read_worker_environment(c); !st) return fail(kProgram, st.error());
  if (auto st = options.apply(c); !st) return fail(kProgram, st.error());
  // Rank 0 of a distributed run speaks for it; the other ranks say only what goes wrong.
  const bool speaks = c.distributed.rank == 0;
  const std::string me = c.distributed.world_size > 1
                             ? std::string(kProgram) + " rank " + std::to_string(c.distributed.rank)
                             : kProgram;
  const auto folder = digits::folder_use(c, resumed, resume_path, force);
  if (c.data_paths.empty()) {
    auto found = digits::default_training_data();
    if (!found) return fail(kProgram, found.error());
    c.data_paths.push_back(*found);
  }
  const std::string data_names = digits::join(c.data_paths, ", ");

  // What the run shows besides its lines; its events folder is checked before any work.
  digits::RunViews views(c.checkpoint_dir, c.tensorboard_dir, [](const std::string& warning) {
    std::fprintf(stderr, "%s: warning: %s\n", kProgram, warning.c_str());
  });
  if (auto st = views.check(c.data_paths); !st) {
    return fail(kProgram, "--tensorboard " + c.tensorboard_dir + ": " + st.error().message);
  }

  g_doing.now = "loading the data";
  const auto t0 = std::chrono::steady_clock::now();
  auto data = digits::load_data(c.data_paths, digits::data_options(c));
  if (!data) return fail(kProgram, data.error());
  if (auto st = digits::require_labels(*data, data_names); !st) return fail(kProgram, st.error());
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (speaks) {
    const int64_t others = data->labels.eq(digits::kNotDigit).sum().item<int64_t>();
    const std::string not_digits =
        others == 0 ? ""
                    : " (" + std::to_string(others) + " of them not digits, always trained on)";
    std::fprintf(stderr, "loaded %lld rows from %s in %.2f s%s\n",
                 static_cast<long long>(data->size()), data_names.c_str(), load_s,
                 not_digits.c_str());
  }

  g_doing.now = "setting up the run";
  auto trainer = resumed ? digits::Trainer::resume(std::move(resumed->checkpoint), c,
                                                   std::move(data.value()), resumed->mode, folder)
                         : digits::Trainer::start(c, std::move(data.value()), folder);
  if (!trainer) {
    const auto& e = trainer.error();
    return fail(me,
                digits::Error{(resume_path.empty() ? "" : resume_path + ": ") + e.message, e.kind});
  }
  auto& t = *trainer.value();
  if (!speaks) return run_worker(t, me, stop_after);
  if (!t.set_aside_folder().empty()) {
    std::fprintf(stderr, "moved the earlier run's files in %s to %s/\n", c.checkpoint_dir.c_str(),
                 t.set_aside_folder().c_str());
  }
  // A finished run resumed has no next epoch: say so rather than "epoch 31 of 30".
  const std::string at =
      t.epochs_done() >= c.epochs
          ? "all " + std::to_string(c.epochs) +
                " epochs already done, nothing left to train (--fine-tune --epochs N trains "
                "on from its weights)"
          : "epoch " + std::to_string(t.epochs_done() + 1) + " of " + std::to_string(c.epochs);
  std::fprintf(stderr,
               "%s %s: model %s (%lld parameters), %lld training and %lld validation images, "
               "%s, %s on %s; checkpoints in %s/\n",
               resumed ? (fine_tune ? "fine-tuning" : "resuming") : "training",
               resume_path.empty() ? "from scratch" : resume_path.c_str(),
               describe(c.model).c_str(), static_cast<long long>(digits::parameter_count(*t.net())),
               static_cast<long long>(t.train_size()), static_cast<long long>(t.val_size()),
               at.c_str(), threads_text(c.distributed.world_size).c_str(), c.device.c_str(),
               c.checkpoint_dir.c_str());

  const std::string aside = t.set_aside_folder().empty()
                                ? ""
                                : std::filesystem::path(t.set_aside_folder()).filename().string();
  if (auto st = views.open(resumed && !fine_tune, aside); !st) {
    return fail(kProgram, "--tensorboard " + c.tensorboard_dir + ": " + st.error().message);
  }
  if (!views.tensorboard_run().empty()) {
    std::fprintf(stderr, "TensorBoard events in %s/ (tensorboard --logdir %s)\n",
                 views.tensorboard_run().c_str(), c.tensorboard_dir.c_str());
  }

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
    views.epoch(r);
  };

  g_doing.now = "training";
  auto result = t.run(hooks);
  progress.finish();
  if (!result) return fail(me, result.error());

  const std::string last = result->last_checkpoint;
  // The launcher's own command when it started this worker ("digit-train --nproc-per-node 2").
  const char* launched_as = std::getenv(kLaunchCommandVariable);
  const std::string again = std::string(launched_as ? launched_as : kProgram) + " --resume " +
                            last + (threads > 0 ? " --threads " + std::to_string(threads) : "");
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

}  // namespace

int main(int argc, char** argv) {
  return digits::cli::run_main(kProgram, run, argc, argv, &g_doing);
}
