// Tests of digits/checkpoint/checkpoint.h: round trip of everything a checkpoint holds, and atomic
// saves.
#include "digits/checkpoint/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "checkpoint/archive.h"
#include "test_util.h"

namespace digits {
namespace {

using testing::TempDir;

// A checkpoint of a small default network after one AdamW step (so the optimizer has state).
struct Sample {
  Checkpoint checkpoint;
  std::unique_ptr<torch::optim::AdamW> optimizer;
};

Sample make_sample() {
  torch::manual_seed(3);
  Sample s;
  s.checkpoint.model.width = 8;
  s.checkpoint.model.dropout = 0.25;
  s.checkpoint.net = make_model(s.checkpoint.model).value();
  s.optimizer = std::make_unique<torch::optim::AdamW>(s.checkpoint.net->parameters(),
                                                      torch::optim::AdamWOptions(1e-3));
  s.checkpoint.net->train();
  auto loss = s.checkpoint.net->forward(torch::randn({4, 1, 28, 28})).sum();
  loss.backward();
  s.optimizer->step();
  auto& c = s.checkpoint;
  c.normalization = {0.1307, 0.3081};
  c.progress.epoch = 3;
  c.progress.batch_in_epoch = 17;
  c.progress.global_step = 1234;
  c.progress.best_val_acc = 0.987;
  c.progress.last_val_acc = 0.981;
  c.progress.epoch_loss_sum = 12.5;
  c.progress.epoch_samples = 1088;
  c.data.rows = 42000;
  c.data.fingerprint = 0xfedcba9876543210ULL;
  c.train_options = {{"lr", "0.003"}, {"data.0", "data/train.csv"}, {"seed", "9"}};
  c.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  return s;
}

TEST(Checkpoint, RoundTripKeepsWeightsOptimizerStateAndMetadata) {
  TempDir dir;
  Sample s = make_sample();
  const std::string path = dir.file("c.pt");
  ASSERT_TRUE(save_checkpoint(path, s.checkpoint, s.optimizer.get()));

  auto loaded = load_checkpoint(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const Checkpoint& a = s.checkpoint;
  const Checkpoint& b = *loaded;
  EXPECT_EQ(b.format_version, kCheckpointFormatVersion);
  EXPECT_FALSE(b.torch_version.empty());
  EXPECT_EQ(b.model, a.model);
  EXPECT_EQ(b.normalization.mean, a.normalization.mean);
  EXPECT_EQ(b.normalization.std, a.normalization.std);
  EXPECT_EQ(b.progress.epoch, 3);
  EXPECT_EQ(b.progress.batch_in_epoch, 17);
  EXPECT_EQ(b.progress.global_step, 1234);
  EXPECT_EQ(b.progress.best_val_acc, a.progress.best_val_acc);
  EXPECT_EQ(b.progress.last_val_acc, a.progress.last_val_acc);
  EXPECT_EQ(b.progress.epoch_loss_sum, a.progress.epoch_loss_sum);
  EXPECT_EQ(b.progress.epoch_samples, a.progress.epoch_samples);
  EXPECT_EQ(b.data.rows, a.data.rows);
  EXPECT_EQ(b.data.fingerprint, a.data.fingerprint);
  EXPECT_EQ(b.train_options, a.train_options);
  ASSERT_TRUE(b.rng_state.defined());
  EXPECT_TRUE(torch::equal(b.rng_state, a.rng_state));

  // Weights and buffers (batch-norm running statistics) are equal.
  const auto pa = a.net->named_parameters();
  const auto pb = b.net->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  const auto ba = a.net->named_buffers();
  const auto bb = b.net->named_buffers();
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
  EXPECT_FALSE(b.net->is_training());  // loaded networks are ready for inference

  // The optimizer state loads into a fresh optimizer and equals the saved one.
  ASSERT_NE(b.optimizer_state, nullptr);
  torch::optim::AdamW restored(b.net->parameters(), torch::optim::AdamWOptions(1e-3));
  restored.load(*b.optimizer_state);
  const auto& sa = s.optimizer->state();
  const auto& sb = restored.state();
  ASSERT_EQ(sa.size(), sb.size());
  ASSERT_FALSE(sa.empty());
  for (size_t i = 0; i < a.net->parameters().size(); ++i) {
    const auto key_a = s.optimizer->param_groups()[0].params()[i].unsafeGetTensorImpl();
    const auto key_b = restored.param_groups()[0].params()[i].unsafeGetTensorImpl();
    const auto& xa =
        static_cast<const torch::optim::AdamWParamState&>(*sa.at(c10::guts::to_string(key_a)));
    const auto& xb =
        static_cast<const torch::optim::AdamWParamState&>(*sb.at(c10::guts::to_string(key_b)));
    EXPECT_EQ(xa.step(), xb.step());
    EXPECT_TRUE(torch::equal(xa.exp_avg(), xb.exp_avg()));
    EXPECT_TRUE(torch::equal(xa.exp_avg_sq(), xb.exp_avg_sq()));
  }
}

TEST(Checkpoint, RebuildsTheArchitectureFromTheFileAlone) {
  TempDir dir;
  for (const auto& arch : architectures()) {
    Checkpoint c;
    c.model.arch = arch.value;
    c.model.width = 8;
    c.net = make_model(c.model).value();
    const std::string path = dir.file(std::string(arch.name) + ".pt");
    ASSERT_TRUE(save_checkpoint(path, c));
    auto loaded = load_checkpoint(path);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->model.arch, arch.value);
    EXPECT_EQ(loaded->optimizer_state, nullptr);
    c.net->eval();
    const auto x = torch::randn({2, 1, 28, 28});
    EXPECT_TRUE(torch::allclose(c.net->forward(x), loaded->net->forward(x)));
  }
}

// Same weights and buffers, name by name.
void expect_same_network(const DigitNet& a, const DigitNet& b) {
  const auto pb = b->named_parameters();
  ASSERT_EQ(a->named_parameters().size(), pb.size());
  for (const auto& item : a->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  }
  const auto bb = b->named_buffers();
  for (const auto& item : a->named_buffers()) {
    EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
  }
}

TEST(Checkpoint, AnEnsembleFileKeepsEveryMemberWithoutTrainingState) {
  TempDir dir;
  Sample first = make_sample();
  Checkpoint second;
  second.model = {Arch::kSeed, 4, 0.0};
  second.net = make_model(second.model).value();
  second.normalization = {0.5, 0.25};
  second.train_options = {{"seed", "2"}};
  second.data.fingerprint = 77;
  const std::string path = dir.file("ensemble.pt");
  ASSERT_TRUE(save_ensemble(path, {first.checkpoint, second}));

  auto members = load_members(path);
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_EQ(members->size(), 2u);
  const Checkpoint& a = (*members)[0];
  const Checkpoint& b = (*members)[1];
  EXPECT_EQ(a.format_version, kEnsembleFormatVersion);
  EXPECT_EQ(a.model, first.checkpoint.model);
  EXPECT_EQ(a.train_options, first.checkpoint.train_options);
  EXPECT_EQ(a.data.fingerprint, first.checkpoint.data.fingerprint);
  EXPECT_EQ(a.progress.epoch, 3);
  EXPECT_EQ(b.model, second.model);
  EXPECT_EQ(b.normalization.mean, 0.5);
  EXPECT_EQ(b.train_options, second.train_options);
  EXPECT_EQ(b.data.fingerprint, 77u);
  expect_same_network(a.net, first.checkpoint.net);
  expect_same_network(b.net, second.net);
  for (const auto& m : *members) {
    EXPECT_EQ(m.optimizer_state, nullptr);
    EXPECT_FALSE(m.rng_state.defined());
  }

  // No single network to resume: load_checkpoint says what the file is.
  auto single = load_checkpoint(path);
  ASSERT_FALSE(single);
  EXPECT_EQ(single.error().message.rfind(path + ": an ensemble file (2 networks)", 0), 0u)
      << single.error().message;
}

TEST(Checkpoint, AnEnsembleOfOneIsACheckpointForPredictionOnly) {
  TempDir dir;
  Sample s = make_sample();
  ASSERT_TRUE(save_checkpoint(dir.file("training.pt"), s.checkpoint, s.optimizer.get()));
  ASSERT_TRUE(save_ensemble(dir.file("model.pt"), {s.checkpoint}));
  auto plain = load_checkpoint(dir.file("model.pt"));
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->format_version, kCheckpointFormatVersion);
  EXPECT_EQ(plain->optimizer_state, nullptr);
  EXPECT_FALSE(plain->rng_state.defined());
  EXPECT_EQ(plain->train_options, s.checkpoint.train_options);
  expect_same_network(plain->net, s.checkpoint.net);
  // AdamW keeps two moments per weight: without them the file is about a third of the size.
  EXPECT_LT(std::filesystem::file_size(dir.file("model.pt")) * 2,
            std::filesystem::file_size(dir.file("training.pt")));
  auto members = load_members(dir.file("model.pt"));
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_EQ(members->size(), 1u);
  EXPECT_FALSE(save_ensemble(dir.file("none.pt"), {}));
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.pt")));
}

// An ensemble file holds at most what its reader takes (kMaxEnsembleMembers, one constant for
// both): more members are refused before a byte is written, never a file every program refuses.
TEST(Checkpoint, AnEnsembleOfMoreMembersThanTheReaderTakesIsRefusedBeforeWriting) {
  TempDir dir;
  Sample s = make_sample();
  const std::vector<Checkpoint> many(detail::kMaxEnsembleMembers + 1, s.checkpoint);
  const std::string path = dir.file("many.pt");
  const Status st = save_ensemble(path, many);
  ASSERT_FALSE(st) << "wrote an ensemble of " << many.size();
  EXPECT_EQ(st.error().message.rfind(path + ": ", 0), 0u) << st.error().message;
  EXPECT_NE(st.error().message.find("at most " + std::to_string(detail::kMaxEnsembleMembers)),
            std::string::npos)
      << st.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "left a temporary file";
}

TEST(Checkpoint, AFailedSaveLeavesThePreviousFileIntact) {
  TempDir dir;
  Sample s = make_sample();
  const std::string path = dir.file("last.pt");
  ASSERT_TRUE(save_checkpoint(path, s.checkpoint));
  const std::string before = testing::read_file(path);

  // The temporary file cannot be created: a directory stands where it would go.
  std::filesystem::create_directory(path + ".tmp." + std::to_string(::getpid()));
  Checkpoint changed = make_sample().checkpoint;
  changed.progress.epoch = 99;
  const Status st = save_checkpoint(path, changed);
  EXPECT_FALSE(st);
  EXPECT_NE(st.error().message.find("last.pt"), std::string::npos) << st.error().message;
  EXPECT_EQ(testing::read_file(path), before);
  auto loaded = load_checkpoint(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->progress.epoch, 3);
}

TEST(Checkpoint, SavingIntoAMissingDirectoryIsAnError) {
  TempDir dir;
  Sample s = make_sample();
  const Status st = save_checkpoint(dir.file("no/such/dir/c.pt"), s.checkpoint);
  EXPECT_FALSE(st);
  EXPECT_NE(st.error().message.find("c.pt"), std::string::npos);
}

TEST(Checkpoint, NonCheckpointsAreClearErrors) {
  TempDir dir;
  testing::write_file(dir.file("empty.pt"), "");
  testing::write_file(dir.file("text.pt"), "label,pixel0\n1,2\n");
  Sample s = make_sample();
  ASSERT_TRUE(save_checkpoint(dir.file("good.pt"), s.checkpoint));
  const std::string good = testing::read_file(dir.file("good.pt"));
  testing::write_file(dir.file("cut.pt"), good.substr(0, good.size() / 2));
  for (const char* name : {"empty.pt", "text.pt", "cut.pt", "missing.pt"}) {
    auto r = load_checkpoint(dir.file(name));
    ASSERT_FALSE(r) << name << " loaded";
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace digits
