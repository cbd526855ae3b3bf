#include "digits/draw/recognizer.h"

#include <sys/stat.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "digits/data/dataset.h"
#include "digits/data/kaggle_csv.h"
#include "digits/train/options.h"

namespace digits {

std::optional<Recognizer::FileStamp> Recognizer::stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  FileStamp s;
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.size = static_cast<int64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

Status Recognizer::load(const std::string& path) {
  // Stamped before reading, so a file replaced during the load is seen as changed afterwards.
  const auto before = stamp(path);
  auto p = Predictor::load({path});
  if (!p) {
    if (!loaded()) {
      path_ = path;
      attempted_stamp_ = before;
    }
    return p.error();
  }
  const Checkpoint& c = p->members().front();
  predictor_ = std::make_shared<Predictor>(std::move(p).value());
  path_ = path;
  attempted_stamp_ = before;
  info_ = CheckpointInfo{};
  info_.path = path;
  info_.name = std::filesystem::path(path).filename().string();
  const auto& members = predictor_->members();
  const bool alike = std::all_of(members.begin(), members.end(),
                                 [&](const Checkpoint& m) { return m.model == c.model; });
  // An ensemble file: "3 x bncnn width 32" (or "ensemble of 3" when they differ).
  info_.arch = members.size() == 1 ? describe(c.model)
               : alike             ? std::to_string(members.size()) + " x " + describe(c.model)
                                   : "ensemble of " + std::to_string(members.size());
  info_.epoch = c.progress.epoch;
  info_.val_acc = c.progress.best_val_acc;
  if (auto options = decode_options(c.train_options); options && !options->data_paths.empty()) {
    const auto& paths = options->data_paths;
    info_.data = std::filesystem::path(paths[0]).filename().string() +
                 (paths.size() > 1 ? " + " + std::to_string(paths.size() - 1) + " more" : "");
  }
  candidates_.clear();
  invalidate();
  return {};
}

bool Recognizer::file_changed() const {
  if (path_.empty()) return false;
  const auto now = stamp(path_);
  return now && (!attempted_stamp_ || !(*now == *attempted_stamp_));
}

bool Recognizer::update(const Canvas& canvas) {
  if (predicted_version_ && *predicted_version_ == canvas.version()) return false;
  predicted_version_ = canvas.version();
  const auto start = std::chrono::steady_clock::now();
  input_ = prepare_digit(canvas.view());
  const bool ink = std::any_of(input_.begin(), input_.end(), [](uint8_t v) { return v != 0; });
  if (ink && predictor_) {
    prediction_ = predictor_->predict(to_tensor(input_));
    NumberReaderOptions options;
    options.final_side = 0;  // a digit alone is the prediction; several are read as candidates
    number_ = read_number(*predictor_, ink_strokes(canvas), options, &candidates_);
    if (number_->digits.size() <= 1) {
      // One digit reads as the canvas always read.
      ReadDigit d = number_->digits.empty() ? ReadDigit{} : number_->digits.front();
      d.digit = prediction_->digit, d.confidence = prediction_->confidence;
      d.probabilities = prediction_->probabilities;
      number_->digits = {d};
      number_->number = true;
      number_->confidence = prediction_->confidence;
    }
  } else {
    prediction_.reset();
    number_.reset();
  }
  latency_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ++predictions_;
  return true;
}

Status Recognizer::teach(const Canvas& canvas, int label, const std::string& csv_path) const {
  const DigitPixels digit = prepare_digit(canvas.view());
  if (std::all_of(digit.begin(), digit.end(), [](uint8_t v) { return v == 0; })) {
    return Error{"nothing to save: the canvas is empty"};
  }
  const auto parent = std::filesystem::path(csv_path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Error{parent.string() + ": cannot create folder: " + ec.message()};
  return append_kaggle_row(csv_path, to_tensor(digit), label);
}

}  // namespace digits
