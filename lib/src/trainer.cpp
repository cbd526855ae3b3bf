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
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "digits/random.h"
#include "digits/runtime.h"

namespace digits {

namespace {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

constexpr double kPi = 3.14159265358979323846;
// Evaluation batches. At 1000 the activations took 250-300 MB more (peak RSS of a 1-epoch run on
// train.csv: default model 584 against 329 MB, seed 634 against 337 MB) and no less time.
constexpr int64_t kEvalBatch = 256;
constexpr double kOneCycleWarmup = 0.3;  // share of steps spent rising to the peak
constexpr double kOneCycleStartDiv = 25.0;
constexpr double kOneCycleFinalDiv = 1e4;
// Beyond this Beta(alpha, alpha) is a spike at 0.5: every image half another, no trace of mixup's
// usual mostly-one-image blends.
constexpr double kMaxMixupAlpha = 10.0;
constexpr uint64_t kOrderStream = 0x0badc0de;  // distinguishes batch-order from batch randomness

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

Status validate(const TrainConfig& c) {
  if (c.data_paths.empty()) return Error{"no training data given (--data PATH)"};
  if (c.epochs < 1) return Error{"--epochs must be at least 1"};
  if (c.batch_size < 2) return Error{"--batch-size must be at least 2 (batch norm needs 2)"};
  if (!(c.lr > 0)) return Error{"--lr must be positive"};
  if (!(c.val_fraction >= 0 && c.val_fraction < 1))
    return Error{"--val-fraction must be in [0, 1)"};
  if (c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw") {
    return Error{"unknown optimizer '" + c.optimizer + "'; use sgd, adam or adamw"};
  }
  if (c.schedule != "onecycle" && c.schedule != "cosine" && c.schedule != "constant") {
    return Error{"unknown schedule '" + c.schedule + "'; use onecycle, cosine or constant"};
  }
  if (c.weight_decay < 0 || c.momentum < 0 || c.momentum >= 1) {
    return Error{"--weight-decay must be >= 0 and --momentum in [0, 1)"};
  }
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1)) {
    return Error{"--label-smoothing must be in [0, 1)"};
  }
  if (!(c.mixup >= 0 && c.mixup <= kMaxMixupAlpha)) {
    return Error{"--mixup must be in [0, " + fmt(kMaxMixupAlpha) + "] (0: off)"};
  }
  if (!(c.augment.elastic_px >= 0) || !(c.augment.elastic_sigma > 0)) {
    return Error{"--elastic must be >= 0 and --elastic-sigma positive"};
  }
  return {};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, DigitNetImpl& net) {
  if (c.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(net.parameters(), torch::optim::SGDOptions(c.lr)
                                                                     .momentum(c.momentum)
                                                                     .nesterov(c.momentum > 0)
                                                                     .weight_decay(c.weight_decay));
  }
  if (c.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        net.parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      net.parameters(), torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
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

// A smooth random displacement field [B, 2, 28, 28] in pixels: uniform noise blurred by a
// Gaussian of `sigma` pixels (separably), scaled so that each image's displacement vectors
// have root-mean-square length `rms_px`.
torch::Tensor elastic_field(int64_t b, double rms_px, double sigma, const torch::TensorOptions& o) {
  const int64_t radius = std::max<int64_t>(1, std::llround(3 * sigma));
  const auto t = torch::arange(-radius, radius + 1, o);
  auto kernel = torch::exp(-t.pow(2) / (2 * sigma * sigma));
  kernel = kernel / kernel.sum();
  auto field = torch::rand({b, 2, kImageSide, kImageSide}, o) * 2 - 1;
  const auto along_x = kernel.view({1, 1, 1, -1}).repeat({2, 1, 1, 1});
  const auto along_y = kernel.view({1, 1, -1, 1}).repeat({2, 1, 1, 1});
  field = F::conv2d(field, along_x, F::Conv2dFuncOptions().padding({0, radius}).groups(2));
  field = F::conv2d(field, along_y, F::Conv2dFuncOptions().padding({radius, 0}).groups(2));
  const auto rms = field.pow(2).sum(1, true).mean({2, 3}, true).sqrt().clamp_min(1e-12);
  return field * (rms_px / rms);
}

}  // namespace

torch::Tensor augment(const torch::Tensor& x, const AugmentConfig& a) {
  const int64_t b = x.size(0);
  auto uniform = [&](double half_width) {
    return (torch::rand({b}, x.options()) * 2 - 1) * half_width;
  };
  const auto angle = uniform(a.rotation_deg * kPi / 180.0);
  const auto inv_scale = 1.0 / (1.0 + uniform(a.scale));
  const auto tx = uniform(a.shift_px * 2.0 / kImageSide);  // grid coordinates span 2 units
  const auto ty = uniform(a.shift_px * 2.0 / kImageSide);
  const auto c = torch::cos(angle) * inv_scale, s = torch::sin(angle) * inv_scale;
  const auto theta = torch::stack({c, -s, tx, s, c, ty}, 1).view({b, 2, 3});
  auto grid = F::affine_grid(theta, {b, 1, kImageSide, kImageSide}, false);
  if (a.elastic_px > 0) {
    // grid is [B, 28, 28, (x, y)] in grid units; the field is [B, (x, y), 28, 28] in pixels.
    const auto field = elastic_field(b, a.elastic_px, a.elastic_sigma, x.options());
    grid = grid + field.permute({0, 2, 3, 1}) * (2.0 / kImageSide);
  }
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kZeros)
                            .align_corners(false));
}

torch::Tensor training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            double label_smoothing) {
  return F::cross_entropy(logits, labels,
                          F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
}

MixedBatch mixup(const torch::Tensor& images, double alpha) {
  const auto gammas = torch::_standard_gamma(torch::full({2}, alpha, torch::kDouble));
  const double a = gammas[0].item<double>(), b = gammas[1].item<double>();
  MixedBatch m;
  // Both draws can underflow to 0 for a tiny alpha: the batch is then left as it is.
  m.weight = a + b > 0 ? a / (a + b) : 1.0;
  m.partner = torch::randperm(images.size(0), torch::kInt64).to(images.device());
  m.images = images * m.weight + images.index_select(0, m.partner) * (1 - m.weight);
  return m;
}

torch::Tensor mixed_training_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const MixedBatch& batch, double label_smoothing) {
  return training_loss(logits, labels, label_smoothing) * batch.weight +
         training_loss(logits, labels.index_select(0, batch.partner), label_smoothing) *
             (1 - batch.weight);
}

double scheduled_lr(const std::string& schedule, double peak, int64_t step, int64_t total_steps) {
  const double t = total_steps > 1 ? static_cast<double>(step) / (total_steps - 1) : 1.0;
  auto cosine = [](double from, double to, double u) {
    return to + (from - to) * 0.5 * (1 + std::cos(kPi * std::clamp(u, 0.0, 1.0)));
  };
  if (schedule == "constant") return peak;
  if (schedule == "cosine") return cosine(peak, 0.0, t);
  const double start = peak / kOneCycleStartDiv, end = start / kOneCycleFinalDiv;
  if (t < kOneCycleWarmup) return cosine(start, peak, t / kOneCycleWarmup);
  return cosine(peak, end, (t - kOneCycleWarmup) / (1 - kOneCycleWarmup));
}

std::map<std::string, std::string> TrainConfig::to_options() const {
  std::map<std::string, std::string> o = {
      {"limit", std::to_string(limit)},
      {"val-fraction", fmt(val_fraction)},
      {"seed", std::to_string(seed)},
      {"split-seed", std::to_string(validation_seed)},
      {"model", model.arch},
      {"width", std::to_string(model.width)},
      {"dropout", fmt(model.dropout)},
      {"optimizer", optimizer},
      {"lr", fmt(lr)},
      {"momentum", fmt(momentum)},
      {"weight-decay", fmt(weight_decay)},
      {"label-smoothing", fmt(label_smoothing)},
      {"mixup", fmt(mixup)},
      {"schedule", schedule},
      {"epochs", std::to_string(epochs)},
      {"batch-size", std::to_string(batch_size)},
      {"augment", augment.enabled ? "1" : "0"},
      {"rotation", fmt(augment.rotation_deg)},
      {"scale", fmt(augment.scale)},
      {"shift", fmt(augment.shift_px)},
      {"elastic", fmt(augment.elastic_px)},
      {"elastic-sigma", fmt(augment.elastic_sigma)},
  };
  for (size_t i = 0; i < data_paths.size(); ++i) o["data." + std::to_string(i)] = data_paths[i];
  return o;
}

Result<TrainConfig> TrainConfig::from_options(const std::map<std::string, std::string>& o) {
  TrainConfig c;
  std::string bad;
  auto num = [&](const std::string& key, double fallback) {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0') bad = key + "=" + it->second;
    return v;
  };
  auto str = [&](const std::string& key, const std::string& fallback) {
    auto it = o.find(key);
    return it == o.end() ? fallback : it->second;
  };
  for (size_t i = 0; o.count("data." + std::to_string(i)); ++i) {
    c.data_paths.push_back(o.at("data." + std::to_string(i)));
  }
  c.limit = static_cast<int64_t>(num("limit", c.limit));
  c.val_fraction = num("val-fraction", c.val_fraction);
  c.seed = static_cast<uint64_t>(std::strtoull(str("seed", "1").c_str(), nullptr, 10));
  c.validation_seed = static_cast<int64_t>(num("split-seed", c.validation_seed));
  c.model.arch = str("model", c.model.arch);
  c.model.width = static_cast<int64_t>(num("width", c.model.width));
  c.model.dropout = num("dropout", c.model.dropout);
  c.optimizer = str("optimizer", c.optimizer);
  c.lr = num("lr", c.lr);
  c.momentum = num("momentum", c.momentum);
  c.weight_decay = num("weight-decay", c.weight_decay);
  // Checkpoints written before label smoothing existed have no key: it was off.
  c.label_smoothing = num("label-smoothing", c.label_smoothing);
  c.mixup = num("mixup", c.mixup);  // likewise: absent in checkpoints older than mixup
  c.schedule = str("schedule", c.schedule);
  c.epochs = static_cast<int64_t>(num("epochs", c.epochs));
  c.batch_size = static_cast<int64_t>(num("batch-size", c.batch_size));
  c.augment.enabled = str("augment", "1") == "1";
  c.augment.rotation_deg = num("rotation", c.augment.rotation_deg);
  c.augment.scale = num("scale", c.augment.scale);
  c.augment.shift_px = num("shift", c.augment.shift_px);
  // Checkpoints written before elastic distortion existed have no key: it was off.
  c.augment.elastic_px = num("elastic", c.augment.elastic_px);
  c.augment.elastic_sigma = num("elastic-sigma", c.augment.elastic_sigma);
  if (!bad.empty()) return Error{"stored training option " + bad + " is not a number"};
  const auto known = c.to_options();
  for (const auto& [k, v] : o) {
    if (!known.count(k)) return Error{"unknown stored training option '" + k + "'"};
  }
  return c;
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
  DigitNet net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t data_rows = 0;
  uint64_t data_fingerprint = 0;

  int64_t epoch = 0;  // completed
  int64_t batch_in_epoch = 0;
  int64_t global_step = 0;
  double best_val_acc = std::numeric_limits<double>::quiet_NaN();
  double last_val_acc = std::numeric_limits<double>::quiet_NaN();
  double epoch_loss_sum = 0;
  int64_t epoch_samples = 0;

  std::string path(const std::string& name) const {
    return (std::filesystem::path(config.checkpoint_dir) / name).string();
  }

  torch::Tensor prepare(const torch::Tensor& images_u8, bool train_mode) const {
    auto x = images_u8.to(torch::kFloat).unsqueeze(1).mul_(1.0 / 255.0);
    if (train_mode && config.augment.enabled) x = augment(x, config.augment);
    return x.sub_(norm.mean).div_(norm.std);
  }

  Status save(const char* name) const {
    Checkpoint c;
    c.model = config.model;
    c.normalization = norm;
    c.epoch = epoch;
    c.batch_in_epoch = batch_in_epoch;
    c.global_step = global_step;
    c.best_val_acc = best_val_acc;
    c.last_val_acc = last_val_acc;
    c.epoch_loss_sum = epoch_loss_sum;
    c.epoch_samples = epoch_samples;
    c.data_rows = data_rows;
    c.data_fingerprint = data_fingerprint;
    c.train_options = config.to_options();
    c.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    c.net = net;
    return save_checkpoint(path(name), c, optimizer.get());
  }

  // Keeps metrics.csv's header and the rows of epochs up to `epoch`: a run killed after logging
  // an epoch but before saving it redoes that epoch on resume, and must not log it twice.
  Status trim_metrics(int64_t epoch) const {
    const std::string file = path("metrics.csv");
    std::ifstream in(file);
    if (!in) return {};  // nothing logged yet
    std::string kept, line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (!header && std::strtoll(line.c_str(), nullptr, 10) > epoch) continue;
      kept += line + '\n';
      header = false;
    }
    return detail::write_file_atomically(file, kept, "metrics");
  }

  Status append_metrics(const EpochReport& r) const {
    const std::string file = path("metrics.csv");
    const bool fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
    std::ofstream out(file, std::ios::app);
    if (fresh) out << "epoch,train_loss,val_loss,val_acc,lr,images_per_s,seconds\n";
    out << r.epoch << ',' << fmt(r.train_loss) << ',' << fmt(r.val_loss) << ',' << fmt(r.val_acc)
        << ',' << fmt(r.lr) << ',' << fmt(r.images_per_s) << ',' << fmt(r.seconds) << '\n';
    out.flush();
    if (!out) return Error{file + ": cannot append metrics"};
    return {};
  }

  // Validates options and data, splits, and moves both parts to the device.
  Status init(const TrainConfig& options, const Dataset& data) {
    if (auto st = validate(options); !st) return st;
    if (auto st = make_model(options.model); !st) return st.error();
    auto parsed_device = parse_device(options.device);
    if (!parsed_device) return parsed_device.error();
    if (!data.has_labels()) {
      return Error{
          "the training data is in Kaggle test format (no labels); training needs "
          "train format (label,pixel0,...)"};
    }
    config = options;
    device = *parsed_device;
    data_rows = data.size();
    data_fingerprint = fingerprint(data);
    const auto split = stratified_split(data.labels, options.val_fraction, options.split_seed());
    if (split.train.numel() < options.batch_size) {
      return Error{"only " + std::to_string(split.train.numel()) +
                   " training rows after the validation split, fewer than --batch-size " +
                   std::to_string(options.batch_size)};
    }
    auto to_device = [&](Dataset d) {
      d.images = d.images.to(device);
      d.labels = d.labels.to(device);
      return d;
    };
    train = to_device(subset(data, split.train));
    if (split.val.numel() > 0) val = to_device(subset(data, split.val));
    std::error_code ec;
    std::filesystem::create_directories(options.checkpoint_dir, ec);
    if (ec) return Error{options.checkpoint_dir + ": cannot create directory: " + ec.message()};
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
};

Trainer::Trainer(std::unique_ptr<State> state) : s_(std::move(state)) {}
Trainer::~Trainer() = default;

Result<std::unique_ptr<Trainer>> Trainer::start(const TrainConfig& config, Dataset data) {
  auto s = std::make_unique<State>();
  if (auto st = s->init(config, data); !st) return st.error();
  s->norm = measure_normalization(s->train.images.to(torch::kCPU));
  torch::manual_seed(config.seed);
  auto net = make_model(config.model);
  if (!net) return net.error();
  s->net = *net;
  s->net->to(s->device);
  s->net->train();
  s->optimizer = make_optimizer(config, *s->net);

  std::error_code ec;
  std::filesystem::remove(s->path("metrics.csv"), ec);  // a new run starts a new log
  return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
}

Result<std::unique_ptr<Trainer>> Trainer::resume(Checkpoint ckpt, const TrainConfig& config,
                                                 Dataset data, ResumeMode mode) {
  auto s = std::make_unique<State>();
  if (auto st = s->init(config, data); !st) return st.error();
  if (ckpt.model != config.model) {
    return Error{"the checkpoint holds model '" + ckpt.model.arch + "' (width " +
                 std::to_string(ckpt.model.width) + ", dropout " + fmt(ckpt.model.dropout) +
                 "), not the one asked for ('" + config.model.arch + "', width " +
                 std::to_string(config.model.width) + ", dropout " + fmt(config.model.dropout) +
                 ")"};
  }
  s->norm = ckpt.normalization;  // the weights were trained on inputs normalised this way
  s->net = ckpt.net;
  s->net->to(s->device);
  s->net->train();
  s->optimizer = make_optimizer(config, *s->net);
  if (mode == ResumeMode::kFineTune) {
    std::error_code ec;
    std::filesystem::remove(s->path("metrics.csv"), ec);
    return std::unique_ptr<Trainer>(new Trainer(std::move(s)));
  }

  std::string diffs;
  // Read through from_options so that options a checkpoint predates compare as their defaults.
  auto stored_config = TrainConfig::from_options(ckpt.train_options);
  if (!stored_config) return stored_config.error();
  const auto stored = stored_config->to_options();
  for (const auto& [key, value] : config.to_options()) {
    if (key.compare(0, 5, "data.") == 0) continue;  // paths may move; the fingerprint decides
    auto it = stored.find(key);
    if (it == stored.end() || it->second != value) {
      diffs += (diffs.empty() ? "" : ", ") + std::string("--") + key + " " +
               (it == stored.end() ? "(unset)" : it->second) + " there, " + value + " here";
    }
  }
  if (!diffs.empty()) return Error{"options differ from the checkpoint's run: " + diffs};
  if (s->data_fingerprint != ckpt.data_fingerprint) {
    return Error{"the data differs from the data the checkpoint was trained on (" +
                 std::to_string(s->data_rows) + " rows here, " + std::to_string(ckpt.data_rows) +
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
                 config.optimizer + ": " + e.what()};
  }
  if (ckpt.rng_state.defined()) {
    auto generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(ckpt.rng_state);
  }
  if (auto st = s->trim_metrics(ckpt.epoch); !st) return st.error();
  s->epoch = ckpt.epoch;
  s->batch_in_epoch = ckpt.batch_in_epoch;
  s->global_step = ckpt.global_step;
  s->best_val_acc = ckpt.best_val_acc;
  s->last_val_acc = ckpt.last_val_acc;
  s->epoch_loss_sum = ckpt.epoch_loss_sum;
  s->epoch_samples = ckpt.epoch_samples;
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
  const TrainConfig& c = s.config;
  const int64_t n = s.train.size();
  const int64_t batches = (n + c.batch_size - 1) / c.batch_size;
  const int64_t total_steps = c.epochs * batches;
  const int64_t report_every = std::max<int64_t>(1, batches / 100);
  const auto run_start = Clock::now();
  const int64_t steps_at_start = s.global_step;
  int64_t epochs_this_call = 0;
  auto stopped = [&] { return hooks.stop != nullptr && hooks.stop->load(); };
  auto result = [&](StopReason why) {
    return TrainResult{why, s.epoch, s.best_val_acc, s.path("last.pt")};
  };

  while (s.epoch < c.epochs) {
    const auto epoch_start = Clock::now();
    double train_seconds = 0;
    int64_t images_this_call = 0;
    const auto order =
        torch::tensor(seeded_permutation(n, mix_seed(c.seed, kOrderStream, s.epoch)), torch::kInt64)
            .to(s.device);
    double lr = 0;
    for (int64_t b = s.batch_in_epoch; b < batches; ++b) {
      const auto batch_start = Clock::now();
      torch::manual_seed(mix_seed(c.seed, s.epoch, b));  // augmentation and dropout of batch b
      const auto index = order.slice(0, b * c.batch_size, std::min(n, (b + 1) * c.batch_size));
      auto x = s.prepare(s.train.images.index_select(0, index), true);
      const auto y = s.train.labels.index_select(0, index);
      // Drawn after augmentation and only when on, so runs without it draw what they always did.
      MixedBatch mixed;
      if (c.mixup > 0) {
        mixed = mixup(x, c.mixup);
        x = mixed.images;
      }
      lr = scheduled_lr(c.schedule, c.lr, s.global_step, total_steps);
      for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);
      s.optimizer->zero_grad();
      const auto logits = s.net->forward(x);
      const auto loss = c.mixup > 0 ? mixed_training_loss(logits, y, mixed, c.label_smoothing)
                                    : training_loss(logits, y, c.label_smoothing);
      loss.backward();
      s.optimizer->step();

      const int64_t bs = index.numel();
      s.epoch_loss_sum += loss.item<double>() * static_cast<double>(bs);
      s.epoch_samples += bs;
      s.global_step += 1;
      s.batch_in_epoch = b + 1;
      images_this_call += bs;
      train_seconds += seconds_since(batch_start);

      const bool interrupted = stopped();
      if (hooks.on_batch && ((b + 1) % report_every == 0 || b + 1 == batches || interrupted)) {
        const double per_step =
            seconds_since(run_start) / static_cast<double>(s.global_step - steps_at_start);
        hooks.on_batch({s.epoch + 1, c.epochs, b + 1, batches,
                        s.epoch_loss_sum / static_cast<double>(s.epoch_samples),
                        images_this_call / std::max(1e-9, train_seconds),
                        per_step * static_cast<double>(total_steps - s.global_step)});
      }
      if (interrupted) {
        if (auto st = s.save("last.pt"); !st) return st.error();
        return result(StopReason::kInterrupted);
      }
    }

    const auto val = s.val.size() > 0 ? evaluate(s.val) : Evaluation{std::nan(""), std::nan("")};
    EpochReport report{
        s.epoch + 1,
        s.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, s.epoch_samples)),
        val.loss,
        val.accuracy,
        lr,
        images_this_call / std::max(1e-9, train_seconds),
        seconds_since(epoch_start),
        false};
    s.epoch += 1;
    s.batch_in_epoch = 0;
    s.epoch_loss_sum = 0;
    s.epoch_samples = 0;
    s.last_val_acc = val.accuracy;
    report.best =
        !std::isnan(val.accuracy) && (std::isnan(s.best_val_acc) || val.accuracy > s.best_val_acc);
    // The row goes first: a kill before last.pt is saved makes resume redo this epoch, and
    // resume drops rows past the checkpoint's epoch, so the log never misses or repeats one.
    if (auto st = s.append_metrics(report); !st) return st.error();
    if (report.best) {
      s.best_val_acc = val.accuracy;
      if (auto st = s.save("best.pt"); !st) return st.error();
    }
    if (auto st = s.save("last.pt"); !st) return st.error();
    if (hooks.on_epoch) hooks.on_epoch(report);
    epochs_this_call += 1;
    if (stopped()) return result(StopReason::kInterrupted);
    if (hooks.stop_after_epochs >= 0 && epochs_this_call >= hooks.stop_after_epochs &&
        s.epoch < c.epochs) {
      return result(StopReason::kStopAfter);
    }
  }
  return result(StopReason::kFinished);
}

const TrainConfig& Trainer::config() const { return s_->config; }
int64_t Trainer::epochs_done() const { return s_->epoch; }
int64_t Trainer::train_size() const { return s_->train.size(); }
int64_t Trainer::val_size() const { return s_->val.size(); }
DigitNet Trainer::net() const { return s_->net; }

}  // namespace digits
