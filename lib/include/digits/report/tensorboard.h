// TensorBoard's scalar event files, so that `tensorboard --logdir DIR` shows training live.
// The files are TensorFlow's TFRecord framing (length, masked CRC-32C of the length, the record,
// its masked CRC-32C) around Event protocol buffers (lib/proto/tensorboard_event.proto), written
// with protobuf. One folder is one run in TensorBoard; every writer adds a new file to it, which
// TensorBoard merges (and where a resumed run goes back in steps, it drops the later ones).
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "digits/core/error.h"

namespace digits {

// Whether this build writes event files (it needs protobuf's compiler, Debian: protobuf-compiler).
bool tensorboard_compiled_in();

// CRC-32C (Castagnoli), and the "masked" form TFRecord stores.
uint32_t crc32c(const void* data, size_t size);
uint32_t masked_crc32c(const void* data, size_t size);

class EventWriter {
 public:
  // Creates the folder `run_dir` if needed and a new file in it,
  // events.out.tfevents.<unix seconds>.<host>.<pid>, starting with the file-version event.
  static Result<std::unique_ptr<EventWriter>> open(const std::string& run_dir);

  // One event at `step` holding the named scalars (non-finite values are left out), flushed so
  // that a running TensorBoard sees it.
  Status add_scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);

  const std::string& path() const { return path_; }

 private:
  EventWriter(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  Status write_record(const std::string& bytes);
  std::string path_;
  std::ofstream out_;
};

// One scalar of an event file, as read back.
struct ScalarEvent {
  int64_t step = 0;
  double wall_time = 0;
  std::string tag;
  float value = 0;
};

// The scalars of one event file, every record's framing and CRCs checked; an Error names the
// file, the record's offset and what was wrong.
Result<std::vector<ScalarEvent>> read_scalar_events(const std::string& path);

}  // namespace digits
