// Edited checkpoint metadata: every value is checked where it enters, from a checkpoint as from
// the command line (BadValue in command_line_test.cpp). A checkpoint holding what no run writes
// is refused by digit-predict and digit-train --resume, naming the key. (Damaged files:
// checkpoint_corruption_test.cpp.)
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "digits/checkpoint/checkpoint.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::command;
using testing::expect_exit;
using testing::kPredict;
using testing::kTrain;
using testing::Outcome;
using testing::program_inputs;
using testing::ProgramInputs;
using testing::run;
using testing::TempDir;

// A checkpoint whose metadata holds what no run writes, made with the library's own writer.
struct EditedCheckpoint {
  std::string name, key;
  std::function<void(Checkpoint&)> edit;
};

void PrintTo(const EditedCheckpoint& e, std::ostream* os) { *os << e.name; }

class EditedMetadata : public ::testing::TestWithParam<EditedCheckpoint> {};

TEST_P(EditedMetadata, IsRefusedByTrainAndPredictNamingTheKey) {
  ProgramInputs& in = program_inputs();
  TempDir dir;
  auto c = load_checkpoint(in.checkpoint);
  ASSERT_TRUE(c);
  GetParam().edit(*c);
  const std::string path = dir.file("edited.pt");
  ASSERT_TRUE(save_checkpoint(path, *c));
  const Outcome predict =
      run(command(kPredict, "--threads 1 --quiet", {"--checkpoint", path, "--csv", in.csv}),
          dir.file("predict"));
  expect_exit(predict, 2, {path, GetParam().key});
  const Outcome train =
      run(command(kTrain, "--threads 1 --quiet", {"--resume", path}), dir.file("train"));
  expect_exit(train, 2, {path, GetParam().key});
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, EditedMetadata,
    ::testing::Values(
        EditedCheckpoint{
            "norm_std_inf", "norm.std",
            [](Checkpoint& c) { c.normalization.std = std::numeric_limits<double>::infinity(); }},
        EditedCheckpoint{"lr_1e300", "lr", [](Checkpoint& c) { c.train_options["lr"] = "1e300"; }},
        EditedCheckpoint{"momentum_nan", "momentum",
                         [](Checkpoint& c) { c.train_options["momentum"] = "nan"; }},
        EditedCheckpoint{"negative_epoch", "epoch", [](Checkpoint& c) { c.progress.epoch = -1; }},
        EditedCheckpoint{"accuracy_above_one", "best_val_acc",
                         [](Checkpoint& c) { c.progress.best_val_acc = 1.5; }},
        EditedCheckpoint{"nan_weights", "not finite",
                         [](Checkpoint& c) {
                           torch::NoGradGuard no_grad;
                           c.net->parameters()[0].fill_(std::nan(""));
                         }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace digits
