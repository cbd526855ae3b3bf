// digit-train: trains a digit CNN on Kaggle-format CSVs, writes checkpoints, resumes exactly.
// All the work is in the library (digits/trainer.h); this file is options and printing.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "digits/checkpoint.h"
#include "digits/data.h"
#include "digits/distributed.h"
#include "digits/model.h"
#include "digits/options.h"
#include "digits/output_file.h"
#include "digits/plot.h"
#include "digits/runtime.h"
#include "digits/tensorboard.h"
#include "digits/trainer.h"
#include "launcher.h"
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

// What the program is doing, for the one line an exception (out of memory) ends it with.
const char* g_doing = "starting";

// Whether two paths name the same existing folder.
bool same_folder(const std::string& a, const std::string& b) {
  const auto ia = digits::file_id(a.empty() ? "." : a), ib = digits::file_id(b.empty() ? "." : b);
  return ia && ib && *ia == *ib;
}

// "20261201-153000": the local time, as the names of set-aside folders have it.
std::string local_time_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &local);
  return buf;
}

// What a run shows besides its lines: DIR/metrics.png redrawn from DIR/metrics.csv after every
// epoch (gnuplot), and with --tensorboard, TensorBoard's event files in TB/RUN/. Both are views
// of the run, not its state: one that cannot be drawn or written is said once, and training
// goes on.
class RunViews {
 public:
  explicit RunViews(const digits::TrainConfig& c)
      : dir_(c.checkpoint_dir),
        name_(std::filesystem::absolute(c.checkpoint_dir).lexically_normal().filename().string()) {
    if (name_.empty()) {
      name_ =
          std::filesystem::absolute(c.checkpoint_dir).lexically_normal().parent_path().filename();
    }
    if (!c.tensorboard_dir.empty()) run_dir_ = c.tensorboard_dir + "/" + name_;
  }
  const std::string& tensorboard_run() const { return run_dir_; }

  // At the start: a new run moves the events of an earlier one in TB/RUN to TB/RUN/`aside`, as
  // the trainer does with DIR's files; a resumed run sends the epochs metrics.csv already holds
  // (TensorBoard drops its own later steps when a run's steps go back, so a redone epoch is not
  // shown twice) and draws the chart of them.
  digits::Status open(bool resumed, std::string aside) {
    const auto rows = digits::read_metrics_log(dir_ + "/metrics.csv");
    if (run_dir_.empty()) {
      if (resumed && rows && !rows->empty()) draw();
      return {};
    }
    if (!resumed) {
      if (aside.empty()) aside = "previous-" + local_time_stamp();
      DIGITS_RETURN_IF_ERROR(set_aside_events(aside));
    }
    auto w = digits::EventWriter::open(run_dir_);
    if (!w) return w.error();
    events_ = std::move(w.value());
    if (resumed && rows) {
      for (const auto& r : rows.value()) write(r);
      if (!rows->empty()) draw();
    }
    return {};
  }

  void epoch(const digits::EpochReport& r) {
    write(r);
    draw();
  }

 private:
  void draw() {
    if (chart_failed_) return;
    const std::string title = "digit-train: " + dir_ + "/metrics.csv";
    if (auto st = digits::plot_metrics(dir_ + "/metrics.csv", dir_ + "/metrics.png", title); !st) {
      std::fprintf(stderr, "%s: warning: %s; training goes on without the chart\n", kProgram,
                   st.error().message.c_str());
      chart_failed_ = true;
    }
  }

  void write(const digits::EpochReport& r) {
    if (!events_ || events_failed_) return;
    auto st = events_->add_scalars(r.epoch, {{"loss/train", r.train_loss},
                                             {"loss/validation", r.val_loss},
                                             {"accuracy/validation", r.val_acc},
                                             {"learning_rate", r.lr},
                                             {"images_per_second", r.images_per_s}});
    if (!st) {
      std::fprintf(stderr, "%s: warning: %s; training goes on without TensorBoard\n", kProgram,
                   st.error().message.c_str());
      events_failed_ = true;
    }
  }

  digits::Status set_aside_events(const std::string& aside) {
    std::error_code ec;
    if (!std::filesystem::is_directory(run_dir_, ec)) return {};
    const std::string to = run_dir_ + "/" + aside;
    for (const auto& e : std::filesystem::directory_iterator(run_dir_, ec)) {
      if (e.path().filename().string().rfind("events.out.tfevents.", 0) != 0) continue;
      std::filesystem::create_directories(to, ec);
      std::filesystem::rename(e.path(), to + "/" + e.path().filename().string(), ec);
      if (ec)
        return digits::Error{e.path().string() + ": cannot move it to " + to + ": " + ec.message()};
    }
    return {};
  }

  std::string dir_, name_, run_dir_;
  std::unique_ptr<digits::EventWriter> events_;
  bool chart_failed_ = false, events_failed_ = false;
};

// "4 threads", or "2 processes of 1 thread" in a distributed run.
std::string threads_text(int64_t world_size) {
  const std::string threads = std::to_string(digits::runtime_threads()) +
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
  g_doing = "training";
  auto result = t.run(hooks);
  if (!result) return digits::cli::fail(me, result.error().message, digits::cli::kExitFailure);
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
    if (auto st = options.apply(launch); !st) return fail(kProgram, st.error().message);
    if (launch.distributed.nproc_per_node > 1 || launch.distributed.nnodes > 1) {
      return launch_workers(launch.distributed, argc, argv);
    }
  }

  // Workers of a distributed run share the machine's cores unless told otherwise.
  if (const char* local = std::getenv("LOCAL_WORLD_SIZE"); threads == 0 && local != nullptr) {
    const int local_workers = std::max(1, std::atoi(local));
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local_workers);
  }
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
    // The world size is this invocation's (environment, options); the trainer compares it with
    // the checkpoint's.
    c.distributed.world_size = 1;
    // The run goes on in the checkpoint's folder unless told otherwise; a fine-tune is a new run
    // and never writes over its source, so it goes to a folder of its own.
    c.checkpoint_dir = std::filesystem::path(resume_path).parent_path().lexically_normal().string();
    if (c.checkpoint_dir.empty()) c.checkpoint_dir = ".";
    if (fine_tune)
      c.checkpoint_dir = (std::filesystem::path(c.checkpoint_dir) / "fine-tuned").string();
    checkpoint = std::move(loaded.value());
  }
  if (auto st = digits::read_worker_environment(c); !st) return fail(kProgram, st.error().message);
  if (auto st = options.apply(c); !st) return fail(kProgram, st.error().message);
  // Rank 0 of a distributed run speaks for it; the other ranks say only what goes wrong.
  const bool speaks = c.distributed.rank == 0;
  const std::string me = c.distributed.world_size > 1
                             ? std::string(kProgram) + " rank " + std::to_string(c.distributed.rank)
                             : kProgram;
  const bool own_folder =
      checkpoint && !fine_tune &&
      same_folder(std::filesystem::path(resume_path).parent_path().string(), c.checkpoint_dir);
  const auto folder = own_folder ? digits::FolderUse::kContinue
                      : force    ? digits::FolderUse::kSetAside
                                 : digits::FolderUse::kNewRun;
  if (c.data_paths.empty()) {
    const std::string found = default_data_path();
    if (found.empty()) {
      return fail(kProgram,
                  "no training data: pass --data PATH (Kaggle's train.csv), or run ./setup.sh "
                  "to fetch the embedded default (data/mnist-default.csv)");
    }
    c.data_paths.push_back(found);
  }

  g_doing = "loading the data";
  const auto t0 = std::chrono::steady_clock::now();
  auto data = digits::load_data(c.data_paths, digits::data_options(c));
  if (!data) return fail(kProgram, data.error().message);
  if (auto st = digits::require_labels(*data, join(c.data_paths, ", ")); !st) {
    return fail(kProgram, st.error().message);
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (speaks) {
    std::fprintf(stderr, "loaded %lld rows from %s in %.2f s\n",
                 static_cast<long long>(data->size()), join(c.data_paths, ", ").c_str(), load_s);
  }

  g_doing = "setting up the run";
  auto trainer =
      checkpoint
          ? digits::Trainer::resume(
                std::move(*checkpoint), c, std::move(data.value()),
                fine_tune ? digits::ResumeMode::kFineTune : digits::ResumeMode::kExact, folder)
          : digits::Trainer::start(c, std::move(data.value()), folder);
  if (!trainer) {
    const std::string& m = trainer.error().message;
    const bool differs = m.rfind("options differ", 0) == 0 || m.rfind("the data differs", 0) == 0;
    return fail(
        me, (resume_path.empty() ? "" : resume_path + ": ") + m +
                (differs && !fine_tune ? " (add --fine-tune to start a new run from its weights)"
                                       : ""));
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
               checkpoint ? (fine_tune ? "fine-tuning" : "resuming") : "training",
               resume_path.empty() ? "from scratch" : resume_path.c_str(),
               describe(c.model).c_str(), static_cast<long long>(digits::parameter_count(*t.net())),
               static_cast<long long>(t.train_size()), static_cast<long long>(t.val_size()),
               at.c_str(), threads_text(c.distributed.world_size).c_str(), c.device.c_str(),
               c.checkpoint_dir.c_str());

  RunViews views(c);
  const std::string aside = t.set_aside_folder().empty()
                                ? ""
                                : std::filesystem::path(t.set_aside_folder()).filename().string();
  if (auto st = views.open(checkpoint && !fine_tune, aside); !st) {
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

  g_doing = "training";
  auto result = t.run(hooks);
  progress.finish();
  if (!result) return fail(me, result.error().message, digits::cli::kExitFailure);

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
  // The library reports bad input as values; what LibTorch may still throw (out of memory, a
  // device failure) ends the program with one line instead of an abort. Saved files stay.
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    return digits::cli::fail(kProgram,
                             std::string("out of memory while ") + g_doing +
                                 " (try a smaller --batch-size or --limit); saved checkpoints "
                                 "are intact",
                             digits::cli::kExitFailure);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    const bool memory =
        what.find("alloc") != std::string::npos || what.find("out of memory") != std::string::npos;
    return digits::cli::fail(kProgram,
                             std::string(memory ? "out of memory while " : "failed while ") +
                                 g_doing + ": " + what.substr(0, what.find('\n')) +
                                 "; saved checkpoints are intact",
                             digits::cli::kExitFailure);
  } catch (const std::exception& e) {
    return digits::cli::fail(kProgram, std::string("failed while ") + g_doing + ": " + e.what(),
                             digits::cli::kExitFailure);
  }
}
