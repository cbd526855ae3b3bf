// digits-bench: how fast the library loads, trains and predicts.
//
//   BM_CsvLoad              load_kaggle_csv on $DIGITS_BENCH_CSV (Kaggle's train.csv)
//   BM_TrainStep/ARCH/B     one optimizer step on a batch of B real digits, as the trainer does it
//   BM_Infer/ARCH/1         Predictor::predict on one image, as the drawing app does it
//   BM_Preprocess           a drawn canvas to the network's 28x28 input
//   BM_ReadNumber/D/WHO     a written number of D digits read from its strokes, as digit-draw
//                           (WHO draw: all of it; draw-reread: after one more stroke) or
//                           digit-predict --ink (WHO predict) reads it
//
// `--threads=N` sets LibTorch's thread count (default: one per core, as digit-train does).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "digits/core/runtime.h"
#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "digits/evaluate/number_reader.h"
#include "digits/evaluate/predictor.h"
#include "digits/ink/inkml.h"
#include "digits/ink/preprocess.h"
#include "digits/nn/model.h"
#include "digits/train/trainer.h"

namespace {

using digits::kImageSide;
constexpr int64_t kSampleRows = 3000;  // tests/fixtures/mnist-3000.csv.gz
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A rate per wall-clock second. Google Benchmark's own rates divide by the main thread's CPU
// time unless UseRealTime(), which renames the benchmark (".../real_time"); the loader and
// LibTorch work on several threads, so wall-clock time is the honest divisor.
benchmark::Counter per_wall_second(int64_t per_iteration, const benchmark::State& state,
                                   double seconds) {
  return benchmark::Counter(static_cast<double>(per_iteration) *
                            static_cast<double>(state.iterations()) / seconds);
}

// The bundled real digits, loaded once.
const digits::Dataset& sample() {
  static const digits::Dataset data = [] {
    auto d = digits::load_kaggle_csv(DIGITS_BENCH_SAMPLE);
    if (!d) {
      std::fprintf(stderr, "digits-bench: %s\n", d.error().message.c_str());
      std::exit(2);
    }
    return d.value();
  }();
  return data;
}

digits::ModelConfig config_for(const std::string& arch) {
  digits::ModelConfig c;
  if (arch == "seed") c.arch = digits::Arch::kSeed;  // "default" keeps ModelConfig's defaults
  return c;
}

void BM_CsvLoad(benchmark::State& state) {
  const char* path = std::getenv("DIGITS_BENCH_CSV");
  if (path == nullptr || *path == '\0') {
    state.SkipWithError("set DIGITS_BENCH_CSV to Kaggle's train.csv to run this benchmark");
    return;
  }
  std::error_code ec;
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  int64_t rows = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    auto data = digits::load_kaggle_csv(path);
    if (!data) {
      state.SkipWithError(data.error().message.c_str());
      return;
    }
    rows = data->size();
    benchmark::DoNotOptimize(data->images.data_ptr());
  }
  const double seconds = seconds_since(start);
  state.counters["rows"] = static_cast<double>(rows);
  if (!ec) state.counters["bytes_per_second"] = per_wall_second(bytes, state, seconds);
}

// One training step as Trainer::run takes it: gather a batch of uint8 images, convert and
// normalise, forward, cross-entropy, backward, optimizer step. The seed model uses SGD with
// momentum like the PyTorch peer; the default model the trainer's default optimizer (AdamW).
void BM_TrainStep(benchmark::State& state, const std::string& arch, int64_t batch) {
  const auto& data = sample();
  torch::manual_seed(0);
  auto net = digits::make_model(config_for(arch)).value();
  net->train();
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (arch == "seed") {
    optimizer = std::make_unique<torch::optim::SGD>(net->parameters(),
                                                    torch::optim::SGDOptions(0.05).momentum(0.9));
  } else {
    optimizer = digits::make_optimizer(digits::TrainConfig{}, *net);  // AdamW, lr 3e-3, wd 1e-4
  }
  const digits::Normalization norm{0.13, 0.31};  // MNIST's, close to what the trainer measures
  const auto order = torch::randperm(kSampleRows, torch::kInt64);
  int64_t start = 0;
  const auto began = Clock::now();
  for (auto _ : state) {
    if (start + batch > kSampleRows) start = 0;
    const auto index = order.slice(0, start, start + batch);
    start += batch;
    auto x = digits::Normalization::to_unit(data.images.index_select(0, index).unsqueeze(1));
    norm.apply_(x);
    const auto y = data.labels.index_select(0, index);
    optimizer->zero_grad();
    const auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
    loss.backward();
    optimizer->step();
    benchmark::DoNotOptimize(loss.item<float>());  // waits for the step, as the trainer does
  }
  state.counters["items_per_second"] = per_wall_second(batch, state, seconds_since(began));
}

// One image through Predictor::predict: what the drawing app does after each stroke. Counter
// `process_cpu_us`: CPU time per image of every thread in the process (Google Benchmark's CPU
// column counts the main thread only, which hides the OpenMP workers at --threads=2).
void BM_Infer(benchmark::State& state, const std::string& arch) {
  torch::manual_seed(0);
  digits::Checkpoint checkpoint;
  checkpoint.model = config_for(arch);
  checkpoint.normalization = {0.13, 0.31};
  checkpoint.net = digits::make_model(checkpoint.model).value();
  std::vector<digits::Checkpoint> members;
  members.push_back(std::move(checkpoint));
  const auto predictor = digits::Predictor::from_checkpoints(std::move(members));
  const auto image = sample().images[0].clone();
  const auto start = Clock::now();
  const std::clock_t cpu_start = std::clock();  // all threads of the process
  for (auto _ : state) {
    auto p = predictor.predict(image);
    benchmark::DoNotOptimize(p.digit);
  }
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  state.counters["items_per_second"] = per_wall_second(1, state, seconds_since(start));
  state.counters["process_cpu_us"] = cpu_seconds * 1e6 / static_cast<double>(state.iterations());
}

// A drawn digit on the drawing app's 448x448 canvas (a real digit scaled up 16x, moved off
// centre) to the network's 28x28 input: what the app does after each stroke, before predicting.
void BM_Preprocess(benchmark::State& state) {
  constexpr int64_t kCanvas = 448, kScale = 16, kLeft = 40, kTop = 8;
  std::vector<uint8_t> canvas(kCanvas * kCanvas, 0);
  const auto digit = sample().images[0].contiguous();
  const uint8_t* src = digit.data_ptr<uint8_t>();
  for (int64_t y = 0; y < kImageSide * kScale && kTop + y < kCanvas; ++y) {
    for (int64_t x = 0; x < kImageSide * kScale && kLeft + x < kCanvas; ++x) {
      canvas[(kTop + y) * kCanvas + kLeft + x] = src[(y / kScale) * kImageSide + x / kScale];
    }
  }
  const digits::GreyView view{canvas.data(), kCanvas, kCanvas};
  const auto start = Clock::now();
  for (auto _ : state) {
    auto input = digits::prepare_drawing(view);
    benchmark::DoNotOptimize(input.data_ptr());
  }
  state.counters["items_per_second"] = per_wall_second(1, state, seconds_since(start));
}

// A written number of `digits` digits read from its strokes by the shipped model: the composed
// numbers of tests/fixtures/ink/numbers-uci.inkml side by side, cut to that many digits. With
// `final_read` the chosen digits are read again at full size, as digit-predict --ink does;
// without, as the drawing app re-reads its canvas.
// `cached`: the drawing app's re-read after a stroke, through a CandidateCache in which every
// candidate but those of the last stroke (moved a little each time) is already read.
void BM_ReadNumber(benchmark::State& state, size_t digits, bool final_read, bool cached) {
  auto predictor = digits::Predictor::load({DIGITS_BENCH_MODEL});
  auto samples = digits::load_inkml(DIGITS_BENCH_INK);
  if (!predictor || !samples) {
    state.SkipWithError("no shipped model or ink fixture");
    return;
  }
  std::vector<digits::InkStroke> ink;
  size_t have = 0;
  double offset = 0;
  for (const auto& s : *samples) {
    double right = offset;
    for (const auto& part : s.parts) {
      if (have == digits) break;
      for (size_t k : part.strokes) {
        digits::InkStroke stroke = s.strokes[k];
        for (auto& p : stroke) p.x += offset, right = std::max(right, p.x);
        ink.push_back(std::move(stroke));
      }
      ++have;
    }
    offset = right + 100;
  }
  digits::NumberReaderOptions options;
  if (!final_read) options.final_side = 0;
  digits::CandidateCache cache;
  if (cached) digits::read_number(*predictor, ink, options, &cache);
  double nudge = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    if (cached) {
      nudge += 1e-3;
      for (auto& p : ink.back()) p.x += nudge;
    }
    auto r = digits::read_number(*predictor, ink, options, cached ? &cache : nullptr);
    benchmark::DoNotOptimize(r.confidence);
  }
  state.counters["digits"] = static_cast<double>(have);
  state.counters["items_per_second"] = per_wall_second(1, state, seconds_since(start));
}

void register_all() {
  benchmark::RegisterBenchmark("BM_CsvLoad", BM_CsvLoad)->Unit(benchmark::kMillisecond);
  for (const char* arch : {"seed", "default"}) {
    for (int64_t batch : {64, 256}) {
      const std::string name = std::string("BM_TrainStep/") + arch + "/" + std::to_string(batch);
      benchmark::RegisterBenchmark(name.c_str(), BM_TrainStep, std::string(arch), batch)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (const char* arch : {"seed", "default"}) {
    const std::string name = std::string("BM_Infer/") + arch + "/1";
    benchmark::RegisterBenchmark(name.c_str(), BM_Infer, std::string(arch))
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("BM_Preprocess", BM_Preprocess)->Unit(benchmark::kMicrosecond);
  for (size_t digits : {1, 10}) {
    for (const char* who : {"draw", "draw-reread", "predict"}) {
      const std::string name = "BM_ReadNumber/" + std::to_string(digits) + "/" + who;
      const bool predict = std::string(who) == "predict",
                 reread = std::string(who) == "draw-reread";
      benchmark::RegisterBenchmark(name.c_str(), BM_ReadNumber, digits, predict, reread)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  digits::configure_runtime(threads);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  benchmark::AddCustomContext("torch_threads", std::to_string(digits::runtime_threads()));
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
