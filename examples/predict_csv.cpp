// Reads a Kaggle Digit Recognizer CSV, predicts every row with a checkpoint, prints the first
// predictions and, when the file has labels, the accuracy. A consumer of the installed package:
// examples/CMakeLists.txt builds it with find_package(digits).
//
//   predict-csv FILE.csv [CHECKPOINT.pt]     (default: the model installed with digits)
#include <digits/checkpoint/checkpoint.h>
#include <digits/core/runtime.h>
#include <digits/data/kaggle_csv.h>
#include <digits/evaluate/predictor.h>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::string(argv[1]) == "--help") {
    std::cerr << "usage: predict-csv FILE.csv [CHECKPOINT.pt]\n"
                 "Predicts every row of a Kaggle CSV (train or test format) with a checkpoint\n"
                 "(default: " DIGITS_MODEL ").\n";
    return argc == 2 ? 0 : 2;
  }
  digits::configure_runtime(0);  // one LibTorch thread per core, denormals flushed

  // Every fallible call returns a Result: a value, or an Error whose message names the file.
  const std::string checkpoint = argc == 3 ? argv[2] : DIGITS_MODEL;
  auto predictor = digits::Predictor::load({checkpoint});
  if (!predictor) {
    std::cerr << "predict-csv: " << predictor.error().message << "\n";
    return 1;
  }
  auto data = digits::load_kaggle_csv(argv[1]);
  if (!data) {
    std::cerr << "predict-csv: " << data.error().message << "\n";
    return 1;
  }

  // Class probabilities [N, 10] for the uint8 images [N, 28, 28], in batches of 1,000.
  const torch::Tensor probabilities = predictor->probabilities(data->images);
  const torch::Tensor digit = probabilities.argmax(1);
  const torch::Tensor confidence = std::get<0>(probabilities.max(1));

  std::cout << "row,digit,confidence\n";
  for (int64_t i = 0; i < std::min<int64_t>(data->size(), 10); ++i) {
    std::printf("%lld,%lld,%.4f\n", static_cast<long long>(i + 1),
                static_cast<long long>(digit[i].item<int64_t>()), confidence[i].item<double>());
  }
  if (data->has_labels()) {
    const int64_t right = digit.eq(data->labels).sum().item<int64_t>();
    std::printf("accuracy=%.4f (%lld of %lld rows)\n", double(right) / double(data->size()),
                static_cast<long long>(right), static_cast<long long>(data->size()));
  }
  return 0;
}
