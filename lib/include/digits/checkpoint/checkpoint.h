// One checkpoint file: everything needed to use a model or to resume its training exactly.
//
// Format (version 1): a LibTorch serialization archive (a zip file, as torch::save writes) with
//   digits.format   int      the format version; files from a newer version are refused
//   digits.meta     string   "key=value" lines, listed below
//   model           archive  the network's parameters and buffers (Module::save)
//   optimizer       archive  the optimizer's state (Optimizer::save), absent in exported models
//   rng             tensor   the CPU generator's state when the checkpoint was taken
// Keys of digits.meta:
//   torch_version                 LibTorch that wrote it, e.g. 1.13.0
//   model.arch, model.width, model.dropout           see model.h
//   norm.mean, norm.std           input = (pixel / 255 - mean) / std
//   epoch                         completed epochs
//   batch_in_epoch                batches done in the epoch under way (0 at an epoch's end)
//   global_step                   optimizer steps since the run began
//   best_val_acc, last_val_acc    validation accuracy, best so far and latest (nan when none)
//   epoch_loss_sum, epoch_samples partial training loss of the epoch under way
//   data.rows, data.fingerprint   the training data's size and digest (dataset.h fingerprint)
//   train.*                       the options of the run that wrote it (see options.h)
// An ensemble file (format 2, save_ensemble) holds several trained networks for prediction:
//   digits.format   int      2
//   digits.members  int      N >= 2
//   member.1 .. member.N  archives, each with a member's digits.meta and model as above (no
//                         optimizer, no rng): what predicting needs, not what resuming needs
// Writes are atomic: a temporary file beside the target is written, flushed to disk, then
// renamed over the target, so a crash leaves either the old or the new file, never half of one.
// Loading verifies the zip itself (structure and every entry's CRC-32) before LibTorch parses
// it, and each weight's shape against the architecture the metadata names, so a damaged or
// foreign file is an error naming it, never a crash (docs/reliability.md).
#pragma once

#include <torch/serialize/input-archive.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "digits/core/error.h"
#include "digits/nn/model.h"
#include "digits/train/run_state.h"

namespace torch::optim {
class Optimizer;
}

namespace digits {

inline constexpr int64_t kCheckpointFormatVersion = 1;
// Ensemble files; plain checkpoints stay at version 1, which builds before ensembles read.
inline constexpr int64_t kEnsembleFormatVersion = 2;

struct Checkpoint {
  int64_t format_version = kCheckpointFormatVersion;
  std::string torch_version;  // filled in on save
  ModelConfig model;
  Normalization normalization;

  RunProgress progress;  // how far the run that wrote it got
  DataIdentity data;     // what that run trained on
  // Which run wrote it: 16 hex digits drawn when the run began, kept by an exact resume ("" in
  // files from before runs had one). A run's folder holds one run's files (docs/training.md).
  std::string run_id;
  // The run's options as stored under "train." (options.h encode_options; decode_options
  // reads them back, checked). Loading checks them.
  std::map<std::string, std::string> train_options;
  // uint8; undefined when not saved, or when this LibTorch cannot use it (resume is then not
  // bit-exact).
  torch::Tensor rng_state;

  DigitNet net;  // on load: rebuilt from `model` with the stored weights, in eval mode
  // On load: the optimizer's saved state, for Optimizer::load; null when the file has none.
  std::shared_ptr<torch::serialize::InputArchive> optimizer_state;
};

// A new run's identity (Checkpoint::run_id): 16 hex digits from the system's random source.
std::string new_run_id();
// Whether `s` is one: 16 digits of 0-9a-f.
bool is_run_id(const std::string& s);

// Writes `checkpoint` (with `checkpoint.net`'s weights and, when given, the optimizer's state)
// atomically to `path`. Fails with a message naming the path on any I/O problem (full disk,
// unwritable directory), leaving a previous file at `path` untouched.
Status save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                       const torch::optim::Optimizer* optimizer = nullptr);

// Reads a checkpoint and rebuilds its network on `device`. Truncated, empty, foreign and
// newer-format files give an Error naming the path and what is wrong; so does an ensemble file,
// which has no one network to resume or export alone (load_members reads it).
Result<Checkpoint> load_checkpoint(const std::string& path,
                                   torch::Device device = torch::Device(torch::kCPU));

// Writes `members` as one file for prediction, atomically: an ensemble file for two or more, a
// plain checkpoint for one; either way without optimizer or generator state (a model to use, about
// a third of a training checkpoint's size). Members keep their metadata (options, data identity,
// progress), so a hold-out check still knows the rows their runs held out. More networks than the
// reader takes (1000) is an Error, and nothing is written.
Status save_ensemble(const std::string& path, const std::vector<Checkpoint>& members);

// The networks of a checkpoint file: one for a checkpoint, every member for an ensemble file. The
// same checks as load_checkpoint, with errors naming the member ("PATH: member 2 of 3: ...").
Result<std::vector<Checkpoint>> load_members(const std::string& path,
                                             torch::Device device = torch::Device(torch::kCPU));

// "bncnn width 32, epoch 30, val_acc 0.9962": what a program says of a checkpoint it loaded.
std::string describe(const Checkpoint& c);

// How the `index`th (from 0) member of the ensemble file `path` is named: "PATH#2" for the second.
std::string member_path(const std::string& path, size_t index);

// The networks of several files, in order (load_members of each), with the name programs print
// for each: the file's path for a checkpoint, member_path(file, i) for an ensemble file's members.
struct NamedMembers {
  std::vector<Checkpoint> members;
  std::vector<std::string> names;
};
Result<NamedMembers> load_member_files(const std::vector<std::string>& paths,
                                       torch::Device device = torch::Device(torch::kCPU));

// The model a program uses when not told, and why (docs/draw.md, "Which model"). The shipped
// model (`dir`/pretrained.pt, else the installed one) unless `dir`/best.pt records that it is at
// least as good: trained on the same data as a member of the shipped model (its data identity)
// with a best validation accuracy at least that member's. A best.pt of other data was never
// measured against the shipped model, so it is not used silently: the note says that it is
// there and how to use it. Where only one of them exists, that one.
struct ModelChoice {
  std::string path;  // "" when there is no model at all
  std::string note;  // one line for the user: which model, why, and what else there is
};
ModelChoice choose_model(const std::string& dir = "checkpoints");

// choose_model(dir).path.
std::string default_checkpoint(const std::string& dir = "checkpoints");

// The checkpoint files in `dir` a user may switch between (*.pt, and best.pt of its runs/*/
// folders), the shipped model first, then by name.
std::vector<std::string> models_in(const std::string& dir = "checkpoints");

// "bncnn width 32, 30 epochs, val_acc 0.9962, trained on data/train.csv + 1 more": what a
// checkpoint file records, for a list of models; an ensemble file's first member speaks for it.
std::string model_summary(const std::vector<Checkpoint>& members);

// The shipped model that `cmake --install` put beside this program: PREFIX/share/digits/
// pretrained.pt for a program in PREFIX/bin; "" when the program is not installed that way.
std::string installed_model();

}  // namespace digits
