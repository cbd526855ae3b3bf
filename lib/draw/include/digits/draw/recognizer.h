// What the drawing app knows about its model: the loaded checkpoint, the latest prediction of the
// canvas (redone only when the drawing changed), the checkpoint file it watches for a newer
// version, and the teaching rows it saves. No SDL: tests drive it with a Canvas.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "digits/core/error.h"
#include "digits/evaluate/number_reader.h"
#include "digits/evaluate/predictor.h"
#include "digits/ink/canvas.h"
#include "digits/ink/preprocess.h"

namespace digits {

// The panel's description of a checkpoint.
struct CheckpointInfo {
  std::string path;
  std::string name;  // file name, e.g. best.pt
  std::string arch;  // e.g. "bncnn width 32"
  int64_t epoch = 0;
  double val_acc = 0.0;  // best validation accuracy it records (NaN when none)
  std::string data;      // what its run trained on: "train.csv + 1 more"
};

class Recognizer {
 public:
  // Loads the checkpoint at `path` and watches it. On failure the error names the file and what
  // is wrong; a model loaded before stays in use (and its file watched), and without one the
  // failed file is watched so that a good file written there later is picked up.
  Status load(const std::string& path);
  // Loads the watched file again (R, or after file_changed()).
  Status reload() { return load(path_); }
  bool loaded() const { return predictor_ != nullptr; }
  const CheckpointInfo& info() const { return info_; }
  // The file that load() was last asked for, loaded or not.
  const std::string& path() const { return path_; }

  // Prepares the canvas and predicts, when its version or the model changed since the last call;
  // returns whether it did. A canvas without ink has no prediction. It reads the canvas as a
  // written number too (number()).
  bool update(const Canvas& canvas);
  // Forgets the last prediction so that the next update() predicts again.
  void invalidate() { predicted_version_.reset(); }
  const std::optional<Prediction>& prediction() const { return prediction_; }
  // The canvas read as a number (evaluate/number_reader.h), in canvas pixels; none before ink. A
  // number of one digit is the prediction above, exactly: the same digit, probabilities and
  // confidence (and never "no number", as the one digit never was).
  const std::optional<NumberReading>& number() const { return number_; }
  // The 28x28 image the network saw last (all zeros before the first prediction).
  const DigitPixels& input() const { return input_; }
  // Milliseconds the last update() took: preparation and network.
  double latency_ms() const { return latency_ms_; }
  int64_t predictions() const { return predictions_; }

  // Whether the watched file is now another file than at the last load attempt (its inode, size
  // or modification time differ, or it appeared), as after a training run renamed a new best.pt
  // over it. False while the file is missing.
  bool file_changed() const;

  // Appends the canvas's prepared 28x28 digit with `label` to `csv_path` in Kaggle train format
  // (header when the file is new, folders created). An empty canvas is an error.
  Status teach(const Canvas& canvas, int label, const std::string& csv_path) const;

 private:
  struct FileStamp {
    dev_t device = 0;
    ino_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const {
      return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  static std::optional<FileStamp> stamp(const std::string& path);

  std::shared_ptr<Predictor> predictor_;
  CheckpointInfo info_;
  std::string path_;
  std::optional<FileStamp> attempted_stamp_;  // the watched file when last loaded
  std::optional<uint64_t> predicted_version_;
  std::optional<Prediction> prediction_;
  std::optional<NumberReading> number_;
  CandidateCache candidates_;  // what the network read of candidate digits, for the next stroke
  DigitPixels input_{};
  double latency_ms_ = 0.0;
  int64_t predictions_ = 0;
};

}  // namespace digits
