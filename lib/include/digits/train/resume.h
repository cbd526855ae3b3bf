// How an invocation of digit-train finds its run: a new one, or the one a checkpoint belongs to
// (resumed exactly, or fine-tuned as a new run from its weights), and which folder it may use.
#pragma once

#include <optional>
#include <string>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"
#include "digits/train/options.h"
#include "digits/train/trainer.h"

namespace digits {

// A checkpoint to go on from, with the options of its run.
struct Resumption {
  Checkpoint checkpoint;
  // The run's stored options: the command line then changes only what it names. The run goes on
  // in the checkpoint's folder; a fine-tune is a new run and never writes over its source, so it
  // goes to FOLDER/fine-tuned/. The world size is left at 1 for this invocation to set.
  TrainConfig config;
  ResumeMode mode = ResumeMode::kExact;
};

// Reads `checkpoint_path` for --resume (and --fine-tune when `fine_tune`). An Error names the
// file: unreadable, an ensemble file, options that no longer read.
Result<Resumption> read_resumption(const std::string& checkpoint_path, bool fine_tune);

// How the run may use `config.checkpoint_dir`: an exact resume in the checkpoint's own folder
// continues it; elsewhere a run is new there, and `force` sets an earlier run's files aside.
FolderUse folder_use(const TrainConfig& config, const std::optional<Resumption>& resumed,
                     const std::string& checkpoint_path, bool force);

// The training data when --data is not given: the first of data/train.csv, data/train.csv.gz and
// data/mnist-default.csv (what ./setup.sh fetches) that exists; an Error saying what to do when
// none does.
Result<std::string> default_training_data();

}  // namespace digits
