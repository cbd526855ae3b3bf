// Damaged checkpoints: the library refuses every kind (cut, random bytes, another archive, a newer
// format, weights that do not fit, tensor data shorter than its tensor, a broken ensemble) with
// one message naming the file, never a crash; digit-train --resume and digit-predict refuse them
// with exit code 2, and digit-draw shows the problem and keeps running (each kind through one of
// the three, dealt in turn). Checkpoints whose metadata was edited: edited_metadata_test.cpp.
//
// DIGITS_TEST_SMALL=1 (set by .ci/sanitize) cuts the flipped-bytes loop from 300 trials to 50.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/model.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::expect_clean_error;
using testing::good_checkpoint_bytes;
using testing::kaggle_header;
using testing::kaggle_row;
using testing::kDraw;
using testing::kPredict;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::sample_csv;
using testing::small_tests;
using testing::TempDir;
using testing::tiny_run_on;
using testing::write_file;

// ---------------------------------------------------------------------------------------------
// Damaged files: the library refuses them with a message naming the file, and so do the programs.

// A checkpoint archive written by hand: `meta` as given, weights of `weights_model`.
std::string crafted_checkpoint(const std::string& dir, int64_t format, const std::string& meta,
                               const ModelConfig& weights_model) {
  torch::serialize::OutputArchive archive;
  archive.write("digits.format", c10::IValue(format));
  archive.write("digits.meta", c10::IValue(meta));
  torch::serialize::OutputArchive weights;
  make_model(weights_model).value()->save(weights);
  archive.write("model", weights);
  const std::string path = dir + "/crafted.pt";
  archive.save_to(path);
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

// An ensemble file written by hand: `count` in digits.members, and a member archive (a valid
// one's metadata, weights of `weights_model`) for each of `members`, named member.1, member.2...
std::string crafted_ensemble(const std::string& dir, int64_t count, const std::string& meta,
                             const std::vector<ModelConfig>& members) {
  torch::serialize::OutputArchive archive;
  archive.write("digits.format", c10::IValue(kEnsembleFormatVersion));
  archive.write("digits.members", c10::IValue(count));
  for (size_t i = 0; i < members.size(); ++i) {
    torch::serialize::OutputArchive member;
    member.write("digits.format", c10::IValue(kEnsembleFormatVersion));
    member.write("digits.meta", c10::IValue(meta));
    torch::serialize::OutputArchive weights;
    make_model(members[i]).value()->save(weights);
    member.write("model", weights);
    archive.write("member." + std::to_string(i + 1), member);
  }
  const std::string path = dir + "/crafted.pt";
  archive.save_to(path);
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

// `good` (a checkpoint or an ensemble file) written again with the data entry of its largest
// tensor cut to `keep` of its bytes: a valid zip, every CRC right, the tensor longer than its data.
std::string with_short_tensor_data(const std::string& good, double keep) {
  std::istringstream in(good);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  std::string largest;
  size_t largest_size = 0;
  for (const auto& name : reader.getAllRecords()) {
    if (name.rfind("data/", 0) != 0) continue;
    const size_t size = std::get<1>(reader.getRecord(name));
    if (size > largest_size) {
      largest = name;
      largest_size = size;
    }
  }
  EXPECT_GT(largest_size, 0u) << "no tensor data";
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&out](const void* p, size_t n) {
    out.append(static_cast<const char*>(p), n);
    return n;
  });
  for (const auto& name : reader.getAllRecords()) {
    if (name == "version" || name == ".data/version") continue;  // the writer adds its own
    auto [data, size] = reader.getRecord(name);
    if (name == largest) size = static_cast<size_t>(static_cast<double>(size) * keep);
    writer.writeRecord(name, data.get(), size);
  }
  writer.writeEndOfFile();
  return out;
}

// The metadata a valid checkpoint of `model` carries, as its loader reads it back.
std::string meta_of(const std::string& dir, const ModelConfig& model) {
  write_file(dir + "/meta-source.pt", good_checkpoint_bytes(dir, model));
  torch::serialize::InputArchive in;
  in.load_from(dir + "/meta-source.pt");
  c10::IValue meta;
  EXPECT_TRUE(in.try_read("digits.meta", meta));
  fs::remove(dir + "/meta-source.pt");
  return meta.toStringRef();
}

struct BadCheckpoint {
  std::string name;
  std::function<std::string(const std::string& dir)> bytes;  // the file's contents
  std::string needle;                                        // part of the expected message
  // A damaged ensemble file: `digit-train --resume` refuses every ensemble file before reading
  // its members, with this message.
  bool ensemble = false;
  // Which program meets it (kinds are dealt to the three in turn; see InTheProgramWhoseTurnItIs).
  int turn = 0;
};

constexpr const char* kResumeRefusesEnsembles = "an ensemble file";

std::vector<BadCheckpoint> bad_checkpoints() {
  std::vector<BadCheckpoint> kinds = {
      {"zero_bytes", [](const std::string&) { return std::string(); }, "empty"},
      {"truncated",
       [](const std::string& d) {
         const std::string good = good_checkpoint_bytes(d);
         return good.substr(0, good.size() / 2);
       },
       "truncated"},
      {"random_bytes",
       [](const std::string&) {
         std::mt19937 rng(11);
         std::string b(20000, '\0');
         for (char& c : b) c = static_cast<char>(rng());
         return b;
       },
       "not a readable checkpoint"},
      {"csv_file",
       [](const std::string&) { return kaggle_header(true) + "\n" + kaggle_row(1, 0) + "\n"; },
       "not a readable checkpoint"},
      {"plain_tensor_archive",
       [](const std::string& d) {
         torch::save(torch::ones({3, 3}), d + "/tensor.pt");
         std::string b = read_file(d + "/tensor.pt");
         fs::remove(d + "/tensor.pt");
         return b;
       },
       "not a digits checkpoint"},
      {"newer_format",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_checkpoint(d, kEnsembleFormatVersion + 1, meta_of(d, m), m);
       },
       "newer"},
      {"weights_of_another_width",
       [](const std::string& d) {
         // The metadata says width 4; the weights are those of width 6: same names, other shapes.
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta_of(d, {Arch::kBnCnn, 4, 0.1}),
                                   {Arch::kBnCnn, 6, 0.1});
       },
       "do not fit"},
      {"weights_of_another_architecture",
       [](const std::string& d) {
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta_of(d, {Arch::kBnCnn, 4, 0.1}),
                                   {Arch::kSeed, 32, 0.0});
       },
       "do not fit"},
      {"unknown_architecture",
       [](const std::string& d) {
         std::string meta = meta_of(d, {Arch::kBnCnn, 4, 0.1});
         meta.replace(meta.find("model.arch=bncnn"), 16, "model.arch=resnet9");
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta, {Arch::kBnCnn, 4, 0.1});
       },
       "resnet9"},
      {"metadata_missing_a_key",
       [](const std::string& d) {
         std::string meta = meta_of(d, {Arch::kBnCnn, 4, 0.1});
         const auto at = meta.find("norm.std=");
         meta.erase(at, meta.find('\n', at) + 1 - at);
         return crafted_checkpoint(d, kCheckpointFormatVersion, meta, {Arch::kBnCnn, 4, 0.1});
       },
       "norm.std"},
      // LibTorch trusts the size a tensor declares: it read past a shorter entry (a crash, or
      // garbage weights). Sizes are checked before a byte is read.
      {"tensor_data_shorter_than_its_tensor",
       [](const std::string& d) { return with_short_tensor_data(good_checkpoint_bytes(d), 0.5); },
       "shorter than its tensor"},
      {"tensor_data_empty",
       [](const std::string& d) { return with_short_tensor_data(good_checkpoint_bytes(d), 0); },
       "shorter than its tensor"},
      {"ensemble_member_tensor_data_shorter_than_its_tensor",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return with_short_tensor_data(crafted_ensemble(d, 2, meta_of(d, m), {m, m}), 0.75);
       },
       "shorter than its tensor"},
      {"ensemble_without_a_count",
       [](const std::string& d) {
         torch::serialize::OutputArchive archive;  // digits.format 2 and nothing else
         archive.write("digits.format", c10::IValue(kEnsembleFormatVersion));
         archive.save_to(d + "/crafted.pt");
         std::string bytes = read_file(d + "/crafted.pt");
         fs::remove(d + "/crafted.pt");
         return bytes;
       },
       "without digits.members", true},
      {"ensemble_of_one",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 1, meta_of(d, m), {m});
       },
       "digits.members=1", true},
      {"ensemble_missing_a_member",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 3, meta_of(d, m), {m, m});
       },
       "member 3 of 3 is missing", true},
      {"ensemble_member_of_another_width",
       [](const std::string& d) {
         const ModelConfig m{Arch::kBnCnn, 4, 0.1};
         return crafted_ensemble(d, 2, meta_of(d, m), {m, {Arch::kBnCnn, 6, 0.1}});
       },
       "member 2 of 2: weights do not fit", true},
  };
  for (size_t i = 0; i < kinds.size(); ++i) kinds[i].turn = static_cast<int>(i % 3);
  return kinds;
}

void PrintTo(const BadCheckpoint& b, std::ostream* os) { *os << b.name; }

class CheckpointRefuses : public ::testing::TestWithParam<BadCheckpoint> {};

TEST_P(CheckpointRefuses, InTheLibraryWithAMessageNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, GetParam().bytes(dir.path()));
  // load_members reads what load_checkpoint reads, and ensemble files besides.
  auto loaded = load_members(path);
  ASSERT_FALSE(loaded) << "loaded";
  if (!GetParam().ensemble) {
    auto checkpoint = load_checkpoint(path);
    ASSERT_FALSE(checkpoint) << "loaded";
    EXPECT_EQ(checkpoint.error().message, loaded.error().message);
  }
  const std::string& m = loaded.error().message;
  EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find(GetParam().needle), std::string::npos) << m;
}

void refused_by_train_resume(const BadCheckpoint& bad) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  const std::string bytes = bad.bytes(dir.path());
  write_file(path, bytes);
  write_file(dir.file("data.csv"), sample_csv(24));
  std::vector<std::string> argv = tiny_run_on(dir.file("data.csv"), dir.path());
  argv.insert(argv.end(), {"--resume", path});
  expect_clean_error(run(argv, dir.file("log")),
                     {path, bad.ensemble ? kResumeRefusesEnsembles : bad.needle});
  EXPECT_EQ(read_file(path), bytes) << "the bad file was changed";
}

void refused_by_predict(const BadCheckpoint& bad) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, bad.bytes(dir.path()));
  write_file(dir.file("test.csv"), kaggle_header(false) + "\n" + kaggle_row(-1, 0) + "\n");
  const Outcome o = run(command(kPredict, "--threads 1 --quiet",
                                {"--checkpoint", path, "--csv", dir.file("test.csv"), "--out",
                                 dir.file("submission.csv")}),
                        dir.file("log"));
  expect_clean_error(o, {path, bad.needle}, "digit-predict");
  EXPECT_FALSE(fs::exists(dir.file("submission.csv")));
}

// digit-draw shows the problem in its window and keeps running: the replay plays to its end,
// the program exits 0, and stderr has the message naming the file.
void shown_by_draw(const BadCheckpoint& bad) {
  TempDir dir;
  const std::string path = dir.file("bad.pt");
  write_file(path, bad.bytes(dir.path()));
  write_file(dir.file("stroke.replay"), "down 0.5 0.2\nmove 0.5 0.5\nmove 0.5 0.8\nup\nwait 50\n");
  ::setenv("SDL_VIDEODRIVER", "dummy", 1);
  ::setenv("SDL_AUDIODRIVER", "dummy", 1);
  const Outcome o = run(command(kDraw, "--exit-after-replay --threads 1",
                                {"--checkpoint", path, "--replay", dir.file("stroke.replay"),
                                 "--teach-file", dir.file("teach.csv")}),
                        dir.file("log"));
  ASSERT_TRUE(o.exited) << o.describe();
  EXPECT_EQ(o.code, 0) << o.describe();
  EXPECT_NE(o.err.find("digit-draw: " + path + ": "), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find(bad.needle), std::string::npos) << o.describe();
}

// digit-train --resume and digit-predict refuse a damaged checkpoint with exit code 2 and the
// library's message; digit-draw shows it and keeps running. The library test above meets every
// kind and the programs share its loader, so each kind goes to one program, dealt in turn: each
// program meets a third of the kinds (the suite starts 17 programs, not 51).
TEST_P(CheckpointRefuses, InTheProgramWhoseTurnItIs) {
  switch (GetParam().turn) {
    case 0:
      refused_by_train_resume(GetParam());
      break;
    case 1:
      refused_by_predict(GetParam());
      break;
    default:
      if (!fs::exists(kDraw)) GTEST_SKIP() << "digit-draw is not built (DIGITS_BUILD_DRAW=OFF)";
      shown_by_draw(GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Damaged, CheckpointRefuses, ::testing::ValuesIn(bad_checkpoints()),
                         [](const auto& info) { return info.param.name; });

TEST(CheckpointRefuses, EveryTruncationOfAGoodFile) {
  TempDir dir;
  const std::string good = good_checkpoint_bytes(dir.path());
  const std::string path = dir.file("cut.pt");
  // Every 1/64 of the file, and each of the last 64 bytes (the zip directory lives there).
  std::vector<size_t> cuts;
  for (size_t k = 0; k < 64; ++k) cuts.push_back(good.size() * k / 64);
  for (size_t k = 1; k <= 64; ++k) cuts.push_back(good.size() - k);
  for (size_t n : cuts) {
    write_file(path, good.substr(0, n));
    auto loaded = load_checkpoint(path);
    ASSERT_FALSE(loaded) << "a checkpoint cut to " << n << " of " << good.size() << " bytes loaded";
    EXPECT_EQ(loaded.error().message.rfind(path + ": ", 0), 0u) << loaded.error().message;
  }
}

TEST(CheckpointRefuses, FlippedBytesNeverCrash) {
  // Each load either succeeds (a byte the format does not check) or fails with a message naming
  // the file; it never throws or crashes. A loaded network must still run.
  TempDir dir;
  const std::string good = good_checkpoint_bytes(dir.path());
  const std::string path = dir.file("flipped.pt");
  std::mt19937 rng(5);
  const int trials = small_tests() ? 50 : 300;
  for (int t = 0; t < trials; ++t) {
    std::string bytes = good;
    const size_t at = rng() % bytes.size();
    bytes[at] = static_cast<char>(bytes[at] ^ (1 + rng() % 255));
    write_file(path, bytes);
    auto loaded = load_checkpoint(path);
    if (loaded) {
      torch::NoGradGuard no_grad;
      EXPECT_EQ(loaded->net->forward(torch::zeros({1, 1, 28, 28})).sizes(),
                torch::IntArrayRef({1, 10}))
          << "byte " << at;
    } else {
      EXPECT_EQ(loaded.error().message.rfind(path + ": ", 0), 0u) << loaded.error().message;
    }
  }
}

TEST(CheckpointRefuses, DirectoriesAndUnreadableFiles) {
  TempDir dir;
  fs::create_directory(dir.file("folder.pt"));
  auto loaded = load_checkpoint(dir.file("folder.pt"));
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("is a directory"), std::string::npos);

  write_file(dir.file("locked.pt"), good_checkpoint_bytes(dir.path()));
  ::chmod(dir.file("locked.pt").c_str(), 0);
  if (::access(dir.file("locked.pt").c_str(), R_OK) == 0) {
    GTEST_SKIP() << "running as root: chmod 0 does not stop reading";
  }
  loaded = load_checkpoint(dir.file("locked.pt"));
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("Permission denied"), std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace digits
