#include "digits/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "adamw.h"
#include "codec.h"
#include "data_parallel.h"
#include "digits/data.h"
#include "digits/distributed.h"
#include "digits/output_file.h"
#include "digits/random.h"
#include "digits/runtime.h"
#include "metrics_log.h"
#include "run_folder.h"

namespace digits {

namespace {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

// Evaluation batches: larger ones cost memory and saved no time (docs/results/code-notes.md).
constexpr int64_t kEvalBatch = 256;
constexpr uint64_t kOrderStream = 0x0badc0de;  // distinguishes batch-order from batch randomness

// The steps of an epoch of `n` images: full global batches, then what is left over in a smaller
// last one, unless that leaves a rank fewer than two images (batch norm cannot train on one, and
// a rank with none would average a NaN loss in): those join the last full batch instead.
int64_t epoch_batches(int64_t n, int64_t global_batch, int64_t ranks) {
  const int64_t full = n / global_batch, left = n % global_batch;
  return full > 0 && left < 2 * ranks ? full : full + (left > 0);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, DigitNetImpl& net) {
  switch (c.optimizer) {
    case Optimizer::kSgd:
      return std::make_unique<torch::optim::SGD>(net.parameters(),
                                                 torch::optim::SGDOptions(c.lr)
                                                     .momentum(c.momentum)
                                                     .nesterov(c.momentum > 0)
                                                     .weight_decay(c.weight_decay));
    case Optimizer::kAdam:
      return std::make_unique<torch::optim::Adam>(
          net.parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
    case Optimizer::kAdamW:
      break;
  }
  return std::make_unique<detail::FusedAdamW>(
      net.parameters(), torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
}

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            double label_smoothing) {
  return F::cross_entropy(logits, labels,
                          F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
}

torch::Tensor mixed_training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const MixedBatch& batch, double label_smoothing) {
  return training_loss(logits, labels, label_smoothing) * batch.weight +
         training_loss(logits, labels.index_select(0, batch.partner), label_smoothing) *
             (1 - batch.weight);
}

std::string format_epoch_report(const EpochReport& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch=%lld train_loss=%.4f val_loss=%.4f val_acc=%.4f lr=%.6g images_per_s=%.0f "
                "seconds=%.1f",
                static_cast<long long>(r.epoch), r.train_loss, r.val_loss, r.val_acc, r.lr,
                r.images_per_s, r.seconds);
  return buf;
}

struct Trainer::State {
  TrainConfig config;
  torch::Device device{torch::kCPU};
  Dataset train, val;  // on `device`
  Normalization norm;
  DataIdentity data;
  RunProgress progress;
  DigitNet net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::optional<detail::RunLock> lock;
  std::string set_aside;               // where an earlier run's files went
  std::unique_ptr<WorkerGroup> group;  // null: one process, the single-process path

  int64_t rank() const { return group ? group->rank() : 0; }
  int64_t world_size() const { return group ? group->size() : 1; }
  // Rank 0 writes the run's files; the other ranks only train.
  bool writes_files() const { return rank() == 0; }

  std::string path(const std::string& name) const {
    return (std::filesystem::path(config.checkpoint_dir) / name).string();
  }
  detail::MetricsLog metrics() const { return detail::MetricsLog(path("metrics.csv")); }

  torch::Tensor prepare(const torch::Tensor& images_u8, bool train_mode) const {
    auto x = Normalization::to_unit(images_u8.unsqueeze(1));
    if (train_mode && config.augment.enabled) x = augment(x, config.augment);
    return norm.apply_(x);
  }

  Status save(const char* name) const {
    if (!writes_files()) return {};
    Checkpoint c;
    c.model = config.model;
    c.normalization = norm;
    c.progress = progress;
    c.data = data;
    c.train_options = encode_options(config);
    c.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    c.net = net;
    return save_checkpoint(path(name), c, optimizer.get());
  }

  // Validates options and data, splits, and moves both parts to the device.
  Status init(const TrainConfig& options, const Dataset& d) {
    DIGITS_RETURN_IF_ERROR(check_options(options));
    DIGITS_RETURN_IF_ERROR(make_model(options.model));
    auto parsed_device = parse_device(options.device);
    DIGITS_RETURN_IF_ERROR(parsed_device);
    DIGITS_RETURN_IF_ERROR(require_labels(d, "the training data"));
    config = options;
    if (options.distributed.world_size > 1) {
      auto joined = WorkerGroup::join(options.distributed);
      DIGITS_RETURN_IF_ERROR(joined);
      group = std::move(joined.value());
    }
    // The run's own files are never one of its data files.
    for (const auto& name : detail::run_files()) {
      DIGITS_RETURN_IF_ERROR(check_output(path(name), "--checkpoint-dir", options.data_paths));
    }
    device = *parsed_device;
    data = {d.size(), fingerprint(d)};
    if (group) DIGITS_RETURN_IF_ERROR(same_run_as_rank0());
    const auto split = split_rows(d, options.val_fraction, options.split_seed());
    if (split.train.numel() < options.batch_size * world_size()) {
      return Error{"only " + std::to_string(split.train.numel()) +
                   " training rows after the validation split, fewer than --batch-size " +
                   std::to_string(options.batch_size) +
                   (group ? " times --world-size " + std::to_string(world_size()) : "")};
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
  Status claim_folder(FolderUse use) {
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

  // The best validation accuracy DIR/best.pt records, when it is of this run (its options and
  // data): an exact resume from an older last.pt must not replace it with a worse one.
  double best_on_disk() const {
    auto best = load_checkpoint(path("best.pt"));
    if (!best || best->data != data) return std::nan("");
    auto options = decode_options(best->train_options);
    if (!options || !option_differences(*options, config).empty()) return std::nan("");
    return best->progress.best_val_acc;
  }

  // --- Data parallelism (data_parallel.h; none of it runs in one process) ---

  // Seed of batch b's augmentation and dropout: rank 0's is the single-process one, and every
  // other rank draws its own numbers for its own images.
  uint64_t batch_seed(int64_t epoch, int64_t b) const {
    const uint64_t seed = mix_seed(config.seed, epoch, b);
    return rank() == 0 ? seed : mix_seed(seed, static_cast<uint64_t>(rank()));
  }

  torch::Tensor shard(const torch::Tensor& index) const {
    return detail::shard(index, rank(), world_size());
  }

  Result<detail::StepTotals> reduce_gradients(double loss, double share, bool stop, int64_t step) {
    return detail::reduce_gradients(*group, *net, loss, share, stop, step);
  }
  Result<bool> sync_with_rank0(bool adopt, bool stop, const std::string& when) {
    return detail::sync_with_rank0(*group, *net, adopt, stop, when);
  }
  Status same_run_as_rank0() { return detail::same_run_as_rank0(*group, config, data); }

  // Loss and accuracy on the validation rows, each rank evaluating its share of them.
  Result<Evaluation> evaluate_sharded(Trainer& trainer) {
    const int64_t n = val.size(), r = rank(), w = world_size();
    const auto rows = torch::arange(n * r / w, n * (r + 1) / w, torch::kInt64).to(device);
    const Dataset part = subset(val, rows);
    const auto mine = trainer.evaluate(part);
    const double count = static_cast<double>(part.size());
    const double loss = count > 0 ? mine.loss * count : 0.0;
    const double correct = count > 0 ? std::round(mine.accuracy * count) : 0.0;
    auto sums = torch::tensor({loss, correct, count}, torch::kDouble);
    DIGITS_RETURN_IF_ERROR(group->sum(sums, "the validation allreduce"));
    const double total = sums[2].item<double>();
    if (total == 0) return Evaluation{std::nan(""), std::nan("")};
    return Evaluation{sums[0].item<double>() / total, sums[1].item<double>() / total};
  }
};

Trainer::Trainer(std::unique_ptr<State> state) : s_(std::move(state)) {}
Trainer::~Trainer() = default;

Result<std::unique_ptr<Trainer>> Trainer::start(const TrainConfig& config, Dataset data,
                                                FolderUse folder) {
  auto s = std::make_unique<State>();
  DIGITS_RETURN_IF_ERROR(s->init(config, data));
  DIGITS_RETURN_IF_ERROR(s->claim_folder(folder));
  s->norm = measure_normalization(s->train.images.to(torch::kCPU));
  torch::manual_seed(config.seed);
  auto net = make_model(config.model);
  DIGITS_RETURN_IF_ERROR(net);
  s->net = *net;
  s->net->to(s->device);
  s->net->train();
  if (s->group) DIGITS_RETURN_IF_ERROR(s->sync_with_rank0(true, false, "at the start"));
  s->optimizer = make_optimizer(config, *s->net);
  if (s->writes_files()) s->metrics().remove();  // a new run starts a new log
  return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
}

Result<std::unique_ptr<Trainer>> Trainer::resume(Checkpoint ckpt, const TrainConfig& config,
                                                 Dataset data, ResumeMode mode, FolderUse folder) {
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
    if (s->group) DIGITS_RETURN_IF_ERROR(s->sync_with_rank0(true, false, "at the start"));
    if (s->writes_files()) s->metrics().remove();
    return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
  }
  if (folder != FolderUse::kContinue) DIGITS_RETURN_IF_ERROR(s->claim_folder(folder));

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
    return Error{"options differ from the checkpoint's run: " + diffs};
  }
  if (s->data != ckpt.data) {
    return Error{"the data differs from the data the checkpoint was trained on (" +
                 std::to_string(s->data.rows) + " rows here, " + std::to_string(ckpt.data.rows) +
                 " there, or the same count with other contents)"};
  }
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
  if (s->group) DIGITS_RETURN_IF_ERROR(s->sync_with_rank0(false, false, "on resuming"));
  if (folder == FolderUse::kContinue && s->writes_files()) {
    const double on_disk = s->best_on_disk();
    double& best = s->progress.best_val_acc;
    if (!std::isnan(on_disk) && (std::isnan(best) || on_disk > best)) best = on_disk;
  }
  return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
}

Trainer::Evaluation Trainer::evaluate(const Dataset& data) {
  torch::NoGradGuard no_grad;
  s_->net->eval();
  double loss = 0;
  int64_t correct = 0;
  const int64_t n = data.size();
  for (int64_t i = 0; i < n; i += kEvalBatch) {
    const auto images = data.images.slice(0, i, std::min(n, i + kEvalBatch)).to(s_->device);
    const auto labels = data.labels.slice(0, i, std::min(n, i + kEvalBatch)).to(s_->device);
    const auto logits = s_->net->forward(s_->prepare(images, false));
    loss += F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  }
  s_->net->train();
  if (n == 0) return {std::nan(""), std::nan("")};
  return {loss / n, static_cast<double>(correct) / n};
}

Result<TrainResult> Trainer::run(const TrainHooks& hooks) {
  State& s = *s_;
  RunProgress& p = s.progress;
  const TrainConfig& c = s.config;
  const int64_t n = s.train.size();
  // --batch-size is per rank: a step trains on the global batch of all ranks.
  const int64_t global_batch = c.batch_size * s.world_size();
  const int64_t batches = epoch_batches(n, global_batch, s.world_size());
  const int64_t total_steps = c.epochs * batches;
  const int64_t report_every = std::max<int64_t>(1, batches / 100);
  const auto run_start = Clock::now();
  const int64_t steps_at_start = p.global_step;
  int64_t epochs_this_call = 0;
  auto stopped = [&] { return hooks.stop != nullptr && hooks.stop->load(); };
  // What DIR/last.pt holds, for the message of a run that diverged.
  std::string saved;
  if (p.epoch > 0 || p.batch_in_epoch > 0) {
    saved = "epoch " + std::to_string(p.epoch);
    if (p.batch_in_epoch > 0) saved += ", batch " + std::to_string(p.batch_in_epoch);
  }
  auto diverged = [&](int64_t batch, const std::string& what) {
    return Error{"training diverged at epoch " + std::to_string(p.epoch + 1) + ", batch " +
                 std::to_string(batch) + " (" + what + "); nothing of it was saved: " +
                 (saved.empty()
                      ? std::string("no checkpoint had been written yet")
                      : s.path("last.pt") + " keeps the last good state (" + saved + ")") +
                 "; try a lower --lr than " + detail::format_real(c.lr)};
  };
  auto result = [&](StopReason why) {
    return TrainResult{why, p.epoch, p.best_val_acc, s.path("last.pt")};
  };

  while (p.epoch < c.epochs) {
    const auto epoch_start = Clock::now();
    double train_seconds = 0;
    int64_t images_this_call = 0;
    const auto order =
        torch::tensor(seeded_permutation(n, mix_seed(c.seed, kOrderStream, p.epoch)), torch::kInt64)
            .to(s.device);
    double lr = 0;
    for (int64_t b = p.batch_in_epoch; b < batches; ++b) {
      const auto batch_start = Clock::now();
      torch::manual_seed(s.batch_seed(p.epoch, b));  // augmentation and dropout of batch b
      auto index = order.slice(0, b * global_batch, b + 1 == batches ? n : (b + 1) * global_batch);
      const int64_t bs = index.numel();  // of all ranks
      if (s.group) index = s.shard(index);
      auto x = s.prepare(s.train.images.index_select(0, index), true);
      const auto y = s.train.labels.index_select(0, index);
      // Drawn after augmentation and only when on, so runs without it draw what they always did.
      MixedBatch mixed;
      if (c.mixup > 0) {
        mixed = mixup(x, c.mixup);
        x = mixed.images;
      }
      lr = scheduled_lr(c.schedule, c.lr, p.global_step, total_steps);
      for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);
      s.optimizer->zero_grad();
      const auto logits = s.net->forward(x);
      const auto loss = c.mixup > 0 ? mixed_training_loss(logits, y, mixed, c.label_smoothing)
                                    : training_loss(logits, y, c.label_smoothing);
      loss.backward();
      double batch_loss = 0;
      bool interrupted = false;
      if (s.group) {
        const double share = static_cast<double>(index.numel()) / static_cast<double>(bs);
        auto totals = s.reduce_gradients(loss.item<double>(), share, stopped(), p.global_step);
        DIGITS_RETURN_IF_ERROR(totals);
        batch_loss = totals->loss;
        interrupted = totals->stop;
      }
      s.optimizer->step();

      if (!s.group) batch_loss = loss.item<double>();
      if (!std::isfinite(batch_loss)) {
        return diverged(b + 1, "the loss is " + detail::format_real(batch_loss));
      }
      p.epoch_loss_sum += batch_loss * static_cast<double>(bs);
      p.epoch_samples += bs;
      p.global_step += 1;
      p.batch_in_epoch = b + 1;
      images_this_call += bs;
      train_seconds += seconds_since(batch_start);

      if (!s.group) interrupted = stopped();
      if (hooks.on_batch && ((b + 1) % report_every == 0 || b + 1 == batches || interrupted)) {
        const double per_step =
            seconds_since(run_start) / static_cast<double>(p.global_step - steps_at_start);
        hooks.on_batch({p.epoch + 1, c.epochs, b + 1, batches,
                        p.epoch_loss_sum / static_cast<double>(p.epoch_samples),
                        images_this_call / std::max(1e-9, train_seconds),
                        per_step * static_cast<double>(total_steps - p.global_step)});
      }
      if (interrupted) {
        if (auto bad = first_non_finite(*s.net); !bad.empty()) {
          return diverged(b + 1, bad + " is no longer finite");
        }
        DIGITS_RETURN_IF_ERROR(s.save("last.pt"));
        return result(StopReason::kInterrupted);
      }
    }

    if (auto bad = first_non_finite(*s.net); !bad.empty()) {
      return diverged(batches, bad + " is no longer finite");
    }
    // All ranks agree on stopping here, and again hold rank 0's weights and buffers.
    bool stop_now = false;
    if (s.group) {
      auto agreed =
          s.sync_with_rank0(false, stopped(), "after epoch " + std::to_string(p.epoch + 1));
      DIGITS_RETURN_IF_ERROR(agreed);
      stop_now = *agreed;
    }
    Evaluation val{std::nan(""), std::nan("")};
    if (s.val.size() > 0 && s.group) {
      auto sharded = s.evaluate_sharded(*this);
      DIGITS_RETURN_IF_ERROR(sharded);
      val = *sharded;
    } else if (s.val.size() > 0) {
      val = evaluate(s.val);
    }
    EpochReport report{
        p.epoch + 1,
        p.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, p.epoch_samples)),
        val.loss,
        val.accuracy,
        lr,
        images_this_call / std::max(1e-9, train_seconds),
        seconds_since(epoch_start),
        false};
    p.epoch += 1;
    p.batch_in_epoch = 0;
    p.epoch_loss_sum = 0;
    p.epoch_samples = 0;
    p.last_val_acc = val.accuracy;
    report.best =
        !std::isnan(val.accuracy) && (std::isnan(p.best_val_acc) || val.accuracy > p.best_val_acc);
    // The row goes first: a kill before last.pt is saved makes resume redo this epoch, and
    // resume drops rows past the checkpoint's epoch, so the log never misses or repeats one.
    if (s.writes_files()) DIGITS_RETURN_IF_ERROR(s.metrics().append(report));
    if (report.best) {
      p.best_val_acc = val.accuracy;
      DIGITS_RETURN_IF_ERROR(s.save("best.pt"));
    }
    DIGITS_RETURN_IF_ERROR(s.save("last.pt"));
    saved = "epoch " + std::to_string(p.epoch);
    if (hooks.on_epoch) hooks.on_epoch(report);
    epochs_this_call += 1;
    if (s.group ? stop_now : stopped()) return result(StopReason::kInterrupted);
    if (hooks.stop_after_epochs >= 0 && epochs_this_call >= hooks.stop_after_epochs &&
        p.epoch < c.epochs) {
      return result(StopReason::kStopAfter);
    }
  }
  return result(StopReason::kFinished);
}

const TrainConfig& Trainer::config() const { return s_->config; }
int64_t Trainer::epochs_done() const { return s_->progress.epoch; }
int64_t Trainer::train_size() const { return s_->train.size(); }
int64_t Trainer::val_size() const { return s_->val.size(); }
DigitNet Trainer::net() const { return s_->net; }
const std::string& Trainer::set_aside_folder() const { return s_->set_aside; }

}  // namespace digits
