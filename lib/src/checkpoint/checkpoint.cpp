#include "digits/checkpoint/checkpoint.h"

#include <torch/optim/optimizer.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "checkpoint/archive.h"

namespace digits {

using detail::first_line;
using detail::kMembersKey;
using detail::OpenedFile;

std::string new_run_id() {
  std::random_device source;
  const uint64_t id = (static_cast<uint64_t>(source()) << 32) ^ source();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

bool is_run_id(const std::string& s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                       const torch::optim::Optimizer* optimizer) {
  if (!checkpoint.net) return Error{path + ": no network to save"};
  torch::serialize::OutputArchive archive;
  try {
    detail::write_network(archive, checkpoint, kCheckpointFormatVersion);
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optim;
      optimizer->save(optim);
      archive.write("optimizer", optim);
    }
    if (checkpoint.rng_state.defined()) archive.write("rng", checkpoint.rng_state);
  } catch (const std::exception& e) {
    return Error{path + ": cannot serialise checkpoint: " + first_line(e.what())};
  }
  return detail::save_archive(path, archive);
}

Result<Checkpoint> load_checkpoint(const std::string& path, torch::Device device) {
  return detail::read_opened(path, device, [&](OpenedFile& f) -> Result<Checkpoint> {
    if (f.format == kEnsembleFormatVersion) {
      c10::IValue count;
      const std::string n = f.archive.try_read(kMembersKey, count) && count.isInt()
                                ? std::to_string(count.toInt()) + " networks"
                                : "networks";
      return Error{path + ": an ensemble file (" + n +
                   "): it predicts (digit-predict, digit-draw, digit-export --onnx) but has no "
                   "single network to resume or fine-tune; pass one of its members' checkpoints"};
    }
    return detail::read_checkpoint(path, f, device);
  });
}

std::string describe(const Checkpoint& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s, epoch %lld, val_acc %.4f", describe(c.model).c_str(),
                static_cast<long long>(c.progress.epoch), c.progress.last_val_acc);
  return buf;
}

}  // namespace digits
