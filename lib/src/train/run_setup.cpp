// A run's set-up: a new run (Trainer::start) or one resumed from a checkpoint (Trainer::resume),
// with its data checked and split, its folder claimed and its ranks joined.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/text_codec.h"
#include "digits/core/runtime.h"
#include "digits/data/training_data.h"
#include "digits/io/output_file.h"
#include "digits/train/optimizer.h"
#include "train/trainer_state.h"

namespace digits {

namespace {

// What a user who meant to start anew from a checkpoint's weights should add.
constexpr const char* kFineTuneHint = " (add --fine-tune to start a new run from its weights)";

// Mean and standard deviation of pixel / 255 over a uint8 image set, in chunks (no big copy).
Normalization measure_normalization(const torch::Tensor& images) {
  double sum = 0, sum_sq = 0;
  const int64_t n = images.size(0);
  for (int64_t i = 0; i < n; i += 4096) {
    const auto chunk = images.slice(0, i, std::min(n, i + 4096)).to(torch::kFloat).div_(255.0);
    sum += chunk.sum(torch::kDouble).item<double>();
    sum_sq += chunk.pow(2).sum(torch::kDouble).item<double>();
  }
  const double count = static_cast<double>(images.numel());
  const double mean = sum / count;
  return {mean, std::sqrt(std::max(1e-12, sum_sq / count - mean * mean))};
}

// Progress that no run of `config` on `n` training images at `ranks` processes writes (a
// hand-edited checkpoint): an Error naming the key. Its last epoch is --epochs; an epoch has
// epoch_batches() steps, and `epoch_samples` the images of the steps done (after a change of
// --world-size mid-epoch, up to one global batch more).
Status check_progress(const RunProgress& p, const TrainConfig& config, int64_t n, int64_t ranks) {
  const int64_t global_batch = config.batch_size * ranks;
  const int64_t batches = epoch_batches(n, global_batch, ranks);
  const std::string never = " (no run of these options and data writes it)";
  auto key = [](const char* name, int64_t v) {
    return std::string(name) + "=" + std::to_string(v);
  };
  if (p.epoch > config.epochs) {
    return Error{"checkpoint metadata: " + key("epoch", p.epoch) + " is past the run's --epochs " +
                 std::to_string(config.epochs) + never};
  }
  if (p.batch_in_epoch > batches || (p.epoch == config.epochs && p.batch_in_epoch > 0)) {
    return Error{"checkpoint metadata: " + key("batch_in_epoch", p.batch_in_epoch) +
                 " is past the " + std::to_string(batches) + " batches of " +
                 (p.epoch == config.epochs ? "the run's last epoch" : "an epoch") + never};
  }
  const int64_t b = p.batch_in_epoch, samples = p.epoch_samples;
  const bool fits =
      b == 0 ? samples == 0 : samples > (b - 1) * global_batch && samples < (b + 2) * global_batch;
  if (!fits) {
    return Error{"checkpoint metadata: " + key("epoch_samples", samples) + " does not go with " +
                 key("batch_in_epoch", b) + " in batches of " + std::to_string(global_batch) +
                 never};
  }
  return {};
}

}  // namespace

// Validates options and data, splits, and moves both parts to the device.
Status Trainer::State::init(const TrainConfig& options, const Dataset& d) {
  DIGITS_RETURN_IF_ERROR(check_options(options));
  DIGITS_RETURN_IF_ERROR(make_model(options.model));
  auto parsed_device = parse_device(options.device);
  DIGITS_RETURN_IF_ERROR(parsed_device);
  DIGITS_RETURN_IF_ERROR(require_labels(d, "the training data"));
  config = options;
  auto joined = detail::join_ranks(options.distributed);
  DIGITS_RETURN_IF_ERROR(joined);
  ranks = std::move(joined.value());
  // The run's own files are never one of its data files.
  for (const auto& name : detail::run_files()) {
    DIGITS_RETURN_IF_ERROR(
        check_output(path(name), "--checkpoint-dir", options.data_paths, OutputKind::kBinary));
  }
  device = *parsed_device;
  data = {d.size(), fingerprint(d)};
  DIGITS_RETURN_IF_ERROR(ranks->check_same_run(options, data));
  const auto split = split_rows(d, options.val_fraction, options.split_seed());
  if (split.train.numel() < options.batch_size * world_size()) {
    return Error{"only " + std::to_string(split.train.numel()) +
                 " training rows after the validation split, fewer than --batch-size " +
                 std::to_string(options.batch_size) +
                 (world_size() > 1 ? " times --world-size " + std::to_string(world_size()) : "")};
  }
  auto to_device = [&](Dataset part) {
    part.images = part.images.to(device);
    part.labels = part.labels.to(device);
    return part;
  };
  train = to_device(subset(d, split.train));
  if (split.val.numel() > 0) val = to_device(subset(d, split.val));
  if (!writes_files()) return {};
  std::error_code ec;
  std::filesystem::create_directories(options.checkpoint_dir, ec);
  if (ec) return Error{options.checkpoint_dir + ": cannot create directory: " + ec.message()};
  auto taken = detail::RunLock::take(options.checkpoint_dir);
  DIGITS_RETURN_IF_ERROR(taken);
  lock = std::move(taken.value());
  // Find an unwritable folder now, not after the first epoch's work.
  const std::string probe = path(".write-test." + std::to_string(::getpid()));
  {
    std::ofstream test(probe);
    if (!test) {
      return Error{options.checkpoint_dir +
                   ": cannot write checkpoints here: " + std::strerror(errno)};
    }
  }
  std::filesystem::remove(probe, ec);
  return {};
}

// A new run's folder: empty of other runs' files, or those set aside when asked (kSetAside;
// any other use refuses them).
Status Trainer::State::claim_folder(FolderUse use) {
  if (!writes_files()) return {};
  const auto found = detail::run_files_in(config.checkpoint_dir);
  if (found.empty()) return {};
  if (use == FolderUse::kSetAside) {
    auto aside = detail::set_aside(config.checkpoint_dir);
    DIGITS_RETURN_IF_ERROR(aside);
    set_aside = *aside;
    return {};
  }
  std::string files;
  for (const auto& f : found) files += (files.empty() ? "" : ", ") + f;
  return Error{config.checkpoint_dir + ": holds another run's files (" + files +
               "); resume that run with --resume " + path("last.pt") +
               ", give this run another --checkpoint-dir, or pass --force to move them to " +
               config.checkpoint_dir + "/previous-<time>/"};
}

Status Trainer::State::check_folder_is_this_runs() const {
  if (!writes_files()) return {};
  const std::string there = detail::folder_run(config.checkpoint_dir);
  if (there.empty() || there == run_id) return {};
  const std::string of_run = run_id.empty() ? "of no recorded run" : "of run " + run_id;
  return Error{config.checkpoint_dir + ": holds the files of run " + there +
               ", and the checkpoint resumed is " + of_run +
               " (copied from another run's folder?); it is not resumed into them: resume it "
               "where it was written, or give it a --checkpoint-dir of its own"};
}

// The best validation accuracy DIR/best.pt records, when it is of this run (its options and
// data): an exact resume from an older last.pt must not replace it with a worse one.
double Trainer::State::best_on_disk() const {
  auto best = load_checkpoint(path("best.pt"));
  if (!best || best->data != data) return std::nan("");
  if (!best->run_id.empty() && best->run_id != run_id) return std::nan("");
  auto options = decode_options(best->train_options);
  if (!options || !option_differences(*options, config).empty()) return std::nan("");
  return best->progress.best_val_acc;
}

Trainer::Trainer(std::unique_ptr<State> state) : s_(std::move(state)) {}
Trainer::~Trainer() = default;

// The data and checkpoint are taken by value, as trainer.h declares them, so that callers can
// move theirs in; the tensors inside are shared handles either way.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
Result<std::unique_ptr<Trainer>> Trainer::start(const TrainConfig& config, Dataset data,
                                                FolderUse folder) {
  auto s = std::make_unique<State>();
  DIGITS_RETURN_IF_ERROR(s->init(config, data));
  DIGITS_RETURN_IF_ERROR(s->claim_folder(folder));
  s->run_id = new_run_id();
  s->norm = measure_normalization(s->train.images.to(torch::kCPU));
  torch::manual_seed(config.seed);
  auto net = make_model(config.model);
  DIGITS_RETURN_IF_ERROR(net);
  s->net = *net;
  s->net->to(s->device);
  s->net->train();
  DIGITS_RETURN_IF_ERROR(s->ranks->sync_weights(*s->net, true, false, "at the start"));
  s->optimizer = make_optimizer(config, *s->net);
  if (s->writes_files()) s->metrics().remove();  // a new run starts a new log
  DIGITS_RETURN_IF_ERROR(s->mark_folder());
  return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
}

// NOLINTBEGIN(performance-unnecessary-value-param): by value, as start's
Result<std::unique_ptr<Trainer>> Trainer::resume(Checkpoint ckpt, const TrainConfig& config,
                                                 Dataset data, ResumeMode mode, FolderUse folder) {
  // NOLINTEND(performance-unnecessary-value-param)
  auto s = std::make_unique<State>();
  DIGITS_RETURN_IF_ERROR(s->init(config, data));
  if (ckpt.model != config.model) {
    auto model = [](const ModelConfig& m) {
      return describe(m) + ", dropout " + detail::format_real(m.dropout);
    };
    return Error{"the checkpoint holds model " + model(ckpt.model) + ", not the one asked for (" +
                 model(config.model) + ")"};
  }
  s->norm = ckpt.normalization;  // the weights were trained on inputs normalised this way
  s->net = ckpt.net;
  s->net->to(s->device);
  s->net->train();
  s->optimizer = make_optimizer(config, *s->net);
  if (mode == ResumeMode::kFineTune) {
    DIGITS_RETURN_IF_ERROR(s->claim_folder(folder));
    s->run_id = new_run_id();  // a new run from the checkpoint's weights
    DIGITS_RETURN_IF_ERROR(s->ranks->sync_weights(*s->net, true, false, "at the start"));
    if (s->writes_files()) s->metrics().remove();
    DIGITS_RETURN_IF_ERROR(s->mark_folder());
    return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
  }
  s->run_id = ckpt.run_id;
  if (folder == FolderUse::kContinue) {
    DIGITS_RETURN_IF_ERROR(s->check_folder_is_this_runs());
  } else {
    DIGITS_RETURN_IF_ERROR(s->claim_folder(folder));
  }
  // The same run goes on; one from before run identities gets one now.
  if (s->run_id.empty()) s->run_id = new_run_id();

  // Decoded, so that options a checkpoint predates compare as their defaults.
  auto stored = decode_options(ckpt.train_options);
  DIGITS_RETURN_IF_ERROR(stored);
  const int64_t world_there = stored->distributed.world_size, world_here = s->world_size();
  if (world_there != world_here) {
    if (!config.distributed.allow_world_size_change) {
      return Error{"the checkpoint's run trained on " + std::to_string(world_there) +
                   " process(es) (--world-size), this one runs on " + std::to_string(world_here) +
                   "; pass --allow-world-size-change to go on with a global batch of " +
                   std::to_string(world_here) + " x --batch-size (not bit-exact)"};
    }
    stored->distributed.world_size = world_here;
  }
  if (const std::string diffs = option_differences(*stored, config); !diffs.empty()) {
    return Error{"options differ from the checkpoint's run: " + diffs + kFineTuneHint};
  }
  if (s->data != ckpt.data) {
    return Error{"the data differs from the data the checkpoint was trained on (" +
                 std::to_string(s->data.rows) + " rows here, " + std::to_string(ckpt.data.rows) +
                 " there, or the same count with other contents)" + kFineTuneHint};
  }
  DIGITS_RETURN_IF_ERROR(check_progress(ckpt.progress, config, s->train.size(), world_there));
  if (!ckpt.optimizer_state) {
    return Error{
        "the checkpoint has no optimizer state (an exported model); it can only be "
        "fine-tuned"};
  }
  try {
    s->optimizer->load(*ckpt.optimizer_state);
  } catch (const std::exception& e) {
    return Error{std::string("the checkpoint's optimizer state does not fit --optimizer ") +
                 std::string(name_of(config.optimizer)) + ": " + e.what()};
  }
  if (ckpt.rng_state.defined()) {
    auto generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(ckpt.rng_state);
  }
  if (s->writes_files()) DIGITS_RETURN_IF_ERROR(s->metrics().trim_after(ckpt.progress.epoch));
  s->progress = ckpt.progress;
  if (world_there != world_here && s->progress.batch_in_epoch > 0) {
    // Mid-epoch: go on from the first global batch of the new size not yet wholly done.
    s->progress.batch_in_epoch = s->progress.epoch_samples / (config.batch_size * world_here);
  }
  DIGITS_RETURN_IF_ERROR(s->ranks->sync_weights(*s->net, false, false, "on resuming"));
  if (folder == FolderUse::kContinue && s->writes_files()) {
    const double on_disk = s->best_on_disk();
    double& best = s->progress.best_val_acc;
    if (!std::isnan(on_disk) && (std::isnan(best) || on_disk > best)) best = on_disk;
  }
  DIGITS_RETURN_IF_ERROR(s->mark_folder());
  return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
}

}  // namespace digits
