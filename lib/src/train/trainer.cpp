#include "digits/train/trainer.h"

// The training loop, one process being the reference: each batch one optimizer step, each epoch
// validated, logged and checkpointed. The ranks of a distributed run
// (train/parallel/data_parallel.h) enter it at the same calls.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/text_codec.h"
#include "digits/core/random.h"
#include "digits/train/schedule.h"
#include "train/trainer_state.h"

namespace digits {

namespace {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

// Evaluation batches: larger ones cost memory and saved no time (docs/results/code-notes.md).
constexpr int64_t kEvalBatch = 256;
constexpr uint64_t kOrderStream = 0x0badc0de;  // distinguishes batch-order from batch randomness

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            double label_smoothing, double not_digit_weight) {
  const auto outlier = labels.eq(kNotDigit);
  if (!outlier.any().item<bool>()) {
    return F::cross_entropy(logits, labels,
                            F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
  }
  const auto digit = F::cross_entropy(
      logits, labels.masked_fill(outlier, 0),
      F::CrossEntropyFuncOptions().label_smoothing(label_smoothing).reduction(torch::kNone));
  const auto uniform = -F::log_softmax(logits, F::LogSoftmaxFuncOptions(1)).mean(1);
  return torch::where(outlier, uniform * not_digit_weight, digit).mean();
}

torch::Tensor mixed_training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const MixedBatch& batch, double label_smoothing,
                                  double not_digit_weight) {
  return training_loss(logits, labels, label_smoothing, not_digit_weight) * batch.weight +
         training_loss(logits, labels.index_select(0, batch.partner), label_smoothing,
                       not_digit_weight) *
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

Result<detail::StepTotals> Trainer::State::step(const torch::Tensor& batch, double lr, bool stop) {
  const auto index = ranks->shard(batch);  // one process: all of it
  auto x = prepare(train.images.index_select(0, index), true);
  const auto y = train.labels.index_select(0, index);
  // Drawn after augmentation and only when on, so runs without it draw what they always did.
  MixedBatch mixed;
  if (config.mixup > 0) {
    mixed = mixup(x, config.mixup);
    x = mixed.images;
  }
  for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
  optimizer->zero_grad();
  const auto logits = net->forward(x);
  const auto loss =
      config.mixup > 0
          ? mixed_training_loss(logits, y, mixed, config.label_smoothing, config.not_digit_weight)
          : training_loss(logits, y, config.label_smoothing, config.not_digit_weight);
  loss.backward();
  // One process: the batch's loss. Several: the global batch's gradients and loss.
  const double share = static_cast<double>(index.numel()) / static_cast<double>(batch.numel());
  auto totals =
      ranks->combine_gradients(*net, loss.item<double>(), share, stop, progress.global_step);
  DIGITS_RETURN_IF_ERROR(totals);
  optimizer->step();
  return totals;
}

Result<Trainer::Evaluation> Trainer::State::validate(Trainer& trainer) {
  if (val.size() == 0) return Evaluation{std::nan(""), std::nan("")};
  auto measured = ranks->validate(
      [&trainer](const Dataset& part) {
        const auto e = trainer.evaluate(part);
        return detail::Ranks::Evaluation{e.loss, e.accuracy};
      },
      val);
  DIGITS_RETURN_IF_ERROR(measured);
  return Evaluation{measured->loss, measured->accuracy};
}

Result<TrainResult> Trainer::run(const TrainHooks& hooks) {
  auto result = run_epochs(hooks);
  // The set-up checked the input; what fails while training is the system's (a write, a peer).
  if (!result && result.error().kind == ErrorKind::kBadInput) {
    return Error{result.error().message, ErrorKind::kIo};
  }
  return result;
}

Result<TrainResult> Trainer::run_epochs(const TrainHooks& hooks) {
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
    return Error{
        "training diverged at epoch " + std::to_string(p.epoch + 1) + ", batch " +
            std::to_string(batch) + " (" + what + "); nothing of it was saved: " +
            (saved.empty() ? std::string("no checkpoint had been written yet")
                           : s.path("last.pt") + " keeps the last good state (" + saved + ")") +
            "; try a lower --lr than " + detail::format_real(c.lr),
        ErrorKind::kDiverged};
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
      const auto batch =
          order.slice(0, b * global_batch, b + 1 == batches ? n : (b + 1) * global_batch);
      const int64_t bs = batch.numel();  // of all ranks
      lr = scheduled_lr(c.schedule, c.lr, p.global_step, total_steps);
      auto totals = s.step(batch, lr, stopped());
      DIGITS_RETURN_IF_ERROR(totals);
      const double batch_loss = totals->loss;
      const bool interrupted = totals->stop;
      if (!std::isfinite(batch_loss)) {
        return diverged(b + 1, "the loss is " + detail::format_real(batch_loss));
      }
      p.epoch_loss_sum += batch_loss * static_cast<double>(bs);
      p.epoch_samples += bs;
      p.global_step += 1;
      p.batch_in_epoch = b + 1;
      images_this_call += bs;
      train_seconds += seconds_since(batch_start);

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
    auto agreed = s.ranks->sync_weights(*s.net, false, stopped(),
                                        "after epoch " + std::to_string(p.epoch + 1));
    DIGITS_RETURN_IF_ERROR(agreed);
    const bool stop_now = *agreed;
    auto validated = s.validate(*this);
    DIGITS_RETURN_IF_ERROR(validated);
    const Evaluation val = *validated;
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
    // Ranks stop where they agreed to; one process also heeds a signal that came since.
    if (stop_now || (s.world_size() == 1 && stopped())) return result(StopReason::kInterrupted);
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
