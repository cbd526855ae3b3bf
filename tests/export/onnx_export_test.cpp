// Tests of digits/export/onnx_export.h and digit-export: every architecture exports a model that
// ONNX's checker accepts, with the documented input, outputs and metadata; bad paths are errors
// naming them; and ONNX Runtime (onnxruntime-node, through tools/onnx-predict.js) reads 1,000 real
// digits as digit-predict does: the same labels, every probability within 1e-5. Without node or
// onnxruntime-node the parity tests skip, saying what to install.
#include "digits/export/onnx_export.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/nn/inference.h"
#include "digits/nn/model.h"
#include "programs.h"
#include "test_util.h"

namespace digits {
namespace {

namespace fs = std::filesystem;
using testing::command;
using testing::kExport;
using testing::kPredict;
using testing::Outcome;
using testing::read_file;
using testing::run;
using testing::TempDir;
using testing::write_file;

constexpr int64_t kParityRows = 1000;      // rows of tests/fixtures/mnist-3000.csv.gz compared
constexpr double kParityTolerance = 1e-5;  // largest |p_onnx - p_libtorch| allowed
constexpr Normalization kNorm{0.1307, 0.3081};

const std::string kSourceDir = fs::path(DIGITS_TEST_DATA_DIR).parent_path().parent_path();
const std::string kOnnxPredict = kSourceDir + "/tools/onnx-predict.js";

// A network of `arch` with weights from `seed` and batch norm statistics far from their initial
// 0/1 (as after training), so that the folding the export relies on is really exercised.
Checkpoint random_checkpoint(Arch arch, uint64_t seed) {
  torch::manual_seed(seed);
  Checkpoint c;
  c.model.arch = arch;
  c.model.width = 8;
  c.normalization = kNorm;
  auto net = make_model(c.model);
  EXPECT_TRUE(net) << net.error().message;
  if (!net) return c;
  torch::NoGradGuard no_grad;
  for (auto& b : (*net)->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0.0, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.3, 3.0);
  }
  for (auto& p : (*net)->named_parameters()) {
    if (p.value().dim() == 1 && p.key().find("fc") == std::string::npos) {
      p.value().uniform_(-1.5, 1.5);  // negative scales too: pooling after a sign flip
    }
  }
  (*net)->eval();
  c.net = *net;
  return c;
}

int64_t count_of(const OnnxModelInfo& info, const std::string& op) {
  for (const auto& [name, count] : info.ops) {
    if (name == op) return count;
  }
  return 0;
}

TEST(OnnxExport, EveryArchitectureWritesACheckedModelWithTheDocumentedInterface) {
  for (const Arch arch : {Arch::kSeed, Arch::kBnCnn, Arch::kBnPool}) {
    SCOPED_TRACE(std::string(name_of(arch)));
    TempDir dir;
    const Checkpoint c = random_checkpoint(arch, 7);
    OnnxOptions options;
    options.source_checkpoint = "some/where.pt";
    auto written = export_onnx(c, dir.file("m.onnx"), options);
    if (!onnx_export_available()) {
      ASSERT_FALSE(written);
      EXPECT_NE(written.error().message.find("ONNX export was not compiled in"), std::string::npos)
          << written.error().message;
      EXPECT_NE(written.error().message.find("libonnx-dev"), std::string::npos);
      EXPECT_FALSE(fs::exists(dir.file("m.onnx")));
      continue;
    }
    ASSERT_TRUE(written) << written.error().message;
    auto info = inspect_onnx(dir.file("m.onnx"));  // ONNX's checker, on the file as written
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->bytes, static_cast<int64_t>(fs::file_size(dir.file("m.onnx"))));
    EXPECT_EQ(info->bytes, written->bytes);
    EXPECT_EQ(info->opset, kOnnxDefaultOpset);
    EXPECT_EQ(info->producer.rfind("digits ", 0), 0u) << info->producer;

    ASSERT_EQ(info->inputs.size(), 1u);
    EXPECT_EQ(info->inputs[0].name, "image");
    EXPECT_EQ(info->inputs[0].type, "float32");
    EXPECT_EQ(format_dims(info->inputs[0].dims), "[N, 1, 28, 28]");
    ASSERT_EQ(info->outputs.size(), 2u);
    EXPECT_EQ(info->outputs[0].name, "logits");
    EXPECT_EQ(info->outputs[1].name, "probabilities");
    for (const auto& o : info->outputs) EXPECT_EQ(format_dims(o.dims), "[N, 10]");

    const ConvStack stack = c.net->conv_stack();
    const auto pools = std::count_if(stack.convs.begin(), stack.convs.end(),
                                     [](const ConvStack::Conv& v) { return v.pool; });
    EXPECT_EQ(count_of(*info, "Conv"), static_cast<int64_t>(stack.convs.size()));
    EXPECT_EQ(count_of(*info, "Relu"), static_cast<int64_t>(stack.convs.size()));
    EXPECT_EQ(count_of(*info, "MaxPool"), pools);
    EXPECT_EQ(count_of(*info, "Gemm"), 1);
    EXPECT_EQ(count_of(*info, "Softmax"), 1);

    EXPECT_EQ(info->metadata["model.arch"], name_of(arch));
    EXPECT_EQ(info->metadata["source.checkpoint"], "some/where.pt");
    EXPECT_EQ(std::stod(info->metadata["norm.mean"]), kNorm.mean);  // exactly: 17 digits
    EXPECT_EQ(std::stod(info->metadata["norm.std"]), kNorm.std);
    EXPECT_NE(info->metadata["input"].find("0 = background, 1 = full ink"), std::string::npos);
    EXPECT_FALSE(info->metadata["digits.version"].empty());
  }
}

// Several networks export as one graph that averages their probabilities, each member's nodes
// and metadata under its own names.
TEST(OnnxExport, AnEnsembleIsOneGraphAveragingItsMembers) {
  if (!onnx_export_available()) GTEST_SKIP() << "ONNX export was not compiled in";
  TempDir dir;
  std::vector<Checkpoint> members = {random_checkpoint(Arch::kBnCnn, 3),
                                     random_checkpoint(Arch::kSeed, 4)};
  members[1].normalization = {0.5, 0.25};
  auto written = export_onnx(members, dir.file("e.onnx"));
  ASSERT_TRUE(written) << written.error().message;
  auto info = inspect_onnx(dir.file("e.onnx"));
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->inputs.size(), 1u);
  EXPECT_EQ(format_dims(info->inputs[0].dims), "[N, 1, 28, 28]");
  ASSERT_EQ(info->outputs.size(), 2u);
  EXPECT_EQ(info->outputs[0].name, "logits");
  EXPECT_EQ(info->outputs[1].name, "probabilities");
  int64_t convs = 0;
  for (const auto& m : members) convs += static_cast<int64_t>(m.net->conv_stack().convs.size());
  EXPECT_EQ(count_of(*info, "Conv"), convs);
  EXPECT_EQ(count_of(*info, "Gemm"), 2);
  EXPECT_EQ(count_of(*info, "Softmax"), 2);
  EXPECT_EQ(count_of(*info, "Sum"), 1);
  EXPECT_EQ(count_of(*info, "Log"), 1);
  EXPECT_EQ(info->metadata["members"], "2");
  EXPECT_EQ(info->metadata["member.1.model.arch"], "bncnn");
  EXPECT_EQ(info->metadata["member.2.model.arch"], "seed");
  EXPECT_EQ(std::stod(info->metadata["member.2.norm.mean"]), 0.5);
  EXPECT_EQ(info->metadata.count("model.arch"), 0u);  // no one architecture to name

  // One member is exactly the single network's model.
  ASSERT_TRUE(export_onnx(std::vector<Checkpoint>{members[0]}, dir.file("one.onnx")));
  ASSERT_TRUE(export_onnx(members[0], dir.file("single.onnx")));
  EXPECT_EQ(testing::read_file(dir.file("one.onnx")), testing::read_file(dir.file("single.onnx")));
}

TEST(OnnxExport, OtherOpsetsInRangeExportAndOthersAreRefused) {
  if (!onnx_export_available()) GTEST_SKIP() << "ONNX export was not compiled in";
  TempDir dir;
  const Checkpoint c = random_checkpoint(Arch::kSeed, 1);
  OnnxOptions options;
  options.opset = kOnnxMinOpset;
  auto ok = export_onnx(c, dir.file("13.onnx"), options);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->opset, kOnnxMinOpset);
  for (const int64_t bad : {kOnnxMinOpset - 1, onnx_max_opset() + 1}) {
    options.opset = bad;
    auto refused = export_onnx(c, dir.file("bad.onnx"), options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find(dir.file("bad.onnx") + ": opset " + std::to_string(bad)),
              std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(fs::exists(dir.file("bad.onnx")));
  }
}

TEST(OnnxExport, BadPathsAreErrorsNamingThem) {
  if (!onnx_export_available()) GTEST_SKIP() << "ONNX export was not compiled in";
  TempDir dir;
  const Checkpoint c = random_checkpoint(Arch::kSeed, 1);
  write_file(dir.file("a-file"), "x");
  fs::create_directory(dir.file("a-folder"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir.file("missing/m.onnx"), "No such file or directory"},
      {dir.file("a-file/m.onnx"), "Not a directory"},
      {dir.file("a-folder"), "cannot"},
  };
  for (const auto& [path, why] : cases) {
    auto r = export_onnx(c, path);
    ASSERT_FALSE(r) << path;
    const std::string& m = r.error().message;
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
    EXPECT_NE(m.find("ONNX model"), std::string::npos) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
  }
  EXPECT_TRUE(fs::is_directory(dir.file("a-folder")));

  // Reading: nothing there, a truncated model, a file that is no model at all.
  auto missing = inspect_onnx(dir.file("none.onnx"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(dir.file("none.onnx") + ": cannot open"),
            std::string::npos);
  auto good = export_onnx(c, dir.file("m.onnx"));
  ASSERT_TRUE(good) << good.error().message;
  const std::string bytes = read_file(dir.file("m.onnx"));
  write_file(dir.file("cut.onnx"), bytes.substr(0, bytes.size() / 2));
  write_file(dir.file("text.onnx"), "ImageId,Label\n1,7\n");
  for (const std::string name : {"cut.onnx", "text.onnx"}) {
    auto r = inspect_onnx(dir.file(name));
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().message.rfind(dir.file(name) + ": ", 0), 0u) << r.error().message;
  }
}

// --- digit-export, the program ------------------------------------------------------------------

TEST(DigitExport, BadCheckpointsAndOutputsAreExitCodesWithMessages) {
  TempDir dir;
  const std::string ck = dir.file("seed.pt");
  ASSERT_TRUE(save_checkpoint(ck, random_checkpoint(Arch::kSeed, 2)));
  const std::string before = read_file(ck);

  // The output may not be the checkpoint it reads (exit 2), nor a folder that is not there.
  Outcome o = run(command(kExport, "--checkpoint", {ck, "--onnx", ck}), dir.file("same"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--onnx"), std::string::npos) << o.describe();
  EXPECT_EQ(read_file(ck), before);

  o = run(command(kExport, "--checkpoint", {dir.file("nope.pt"), "--onnx", dir.file("m.onnx")}),
          dir.file("nope"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("nope.pt"), std::string::npos) << o.describe();

  o = run(command(kExport, "--opset 12 --checkpoint", {ck, "--onnx", dir.file("m.onnx")}),
          dir.file("opset"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--opset"), std::string::npos) << o.describe();

  const std::string in_missing = dir.file("missing/m.onnx");
  o = run(command(kExport, "--checkpoint", {ck, "--onnx", in_missing}), dir.file("missing"));
  EXPECT_EQ(o.code, 1) << o.describe();
  EXPECT_NE(o.err.find("digit-export: " + in_missing + ": "), std::string::npos) << o.describe();
  EXPECT_FALSE(fs::exists(in_missing));
  if (!onnx_export_available()) {
    EXPECT_NE(o.err.find("ONNX export was not compiled in"), std::string::npos) << o.describe();
    return;
  }
  EXPECT_NE(o.err.find("No such file or directory"), std::string::npos) << o.describe();

  // A disk that fills up mid-write (RLIMIT_FSIZE) leaves the previous model as it was.
  const std::string model = dir.file("m.onnx");
  o = run(command(kExport, "--checkpoint", {ck, "--onnx", model}), dir.file("first"));
  ASSERT_EQ(o.code, 0) << o.describe();
  const std::string first = read_file(model);
  testing::ChildOptions full_disk;
  full_disk.max_file_bytes = 1000;
  o = run(command(kExport, "--opset 13 --checkpoint", {ck, "--onnx", model}), dir.file("full"),
          full_disk);
  EXPECT_EQ(o.code, 1) << o.describe();
  EXPECT_NE(o.err.find(model + ": cannot write ONNX model: File too large"), std::string::npos)
      << o.describe();
  EXPECT_EQ(read_file(model), first);

  // Nothing to write is a usage error; --ensemble may not be the checkpoint it reads either.
  o = run(command(kExport, "--checkpoint", {ck}), dir.file("nothing"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--onnx FILE, --ensemble FILE or both"), std::string::npos) << o.describe();
  o = run(command(kExport, "--checkpoint", {ck, "--ensemble", ck}), dir.file("same-ensemble"));
  EXPECT_EQ(o.code, 2) << o.describe();
  EXPECT_NE(o.err.find("--ensemble"), std::string::npos) << o.describe();
  EXPECT_EQ(read_file(ck), before);
}

// --- Parity with ONNX Runtime -------------------------------------------------------------------

// `name` on PATH, or "".
// ONNX Runtime for Node, where ./setup.sh test installs it.
testing::NodeRuntime node_runtime() {
  return testing::node_runtime("onnxruntime-node",
                               "npm install --no-audit --no-fund --onnxruntime-node-install=skip "
                               "onnxruntime-node@1.30.0");
}

// Rows [from, from + count) of the bundled MNIST sample as a Kaggle CSV, with labels or without.
void write_sample_csv(const std::string& path, int64_t from, int64_t count, bool labelled) {
  const Dataset data = testing::mnist_sample(from + count);
  ASSERT_EQ(data.size(), from + count);
  std::string text = testing::kaggle_header(labelled) + "\n";
  for (int64_t i = from; i < from + count; ++i) {
    const auto pixels = data.images[i].reshape({-1}).contiguous();
    const uint8_t* p = pixels.data_ptr<uint8_t>();
    std::string row = labelled ? std::to_string(data.labels[i].item<int64_t>()) : "";
    for (int64_t k = 0; k < kPixels; ++k) {
      if (labelled || k > 0) row += ',';
      row += std::to_string(p[k]);
    }
    text += row + "\n";
  }
  write_file(path, text);
}

struct ProbabilityRows {
  std::string header;
  std::vector<int64_t> ids, labels;
  std::vector<std::array<double, kClasses>> p;
};

ProbabilityRows read_probabilities(const std::string& path) {
  ProbabilityRows rows;
  std::stringstream text(read_file(path));
  std::getline(text, rows.header);
  for (std::string line; std::getline(text, line);) {
    std::stringstream fields(line);
    std::string f;
    std::getline(fields, f, ',');
    rows.ids.push_back(std::stoll(f));
    std::getline(fields, f, ',');
    rows.labels.push_back(std::stoll(f));
    auto& p = rows.p.emplace_back();
    for (int64_t c = 0; c < kClasses; ++c) {
      std::getline(fields, f, ',');
      p[c] = std::stod(f);
    }
  }
  return rows;
}

// Exports `checkpoint` with digit-export, runs digit-predict --probabilities and
// tools/onnx-predict.js on `csv`, and expects the same rows: ids, labels, and probabilities
// within kParityTolerance. Prints the largest difference (docs/export.md quotes it).
void expect_parity(const std::string& checkpoint, const std::string& csv, const TempDir& dir) {
  const testing::NodeRuntime ort = node_runtime();
  if (!ort.missing.empty()) GTEST_SKIP() << "no ONNX Runtime for the parity check: " << ort.missing;
  if (!onnx_export_available()) GTEST_SKIP() << "ONNX export was not compiled in";
  const std::string model = dir.file("model.onnx");
  Outcome o =
      run(command(kExport, "--checkpoint", {checkpoint, "--onnx", model}), dir.file("export"));
  ASSERT_EQ(o.code, 0) << o.describe();
  EXPECT_NE(o.out.find("wrote " + model), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("input   image          float32 [N, 1, 28, 28]"), std::string::npos)
      << o.out;
  auto checked = inspect_onnx(model);
  ASSERT_TRUE(checked) << checked.error().message;

  const std::string want = dir.file("libtorch.csv"), got = dir.file("onnx.csv");
  o = run(command(kPredict, "-q --out /dev/null --csv",
                  {csv, "--checkpoint", checkpoint, "--probabilities", want}),
          dir.file("predict"));
  ASSERT_EQ(o.code, 0) << o.describe();
  o = run({"/usr/bin/env", "NODE_PATH=" + ort.node_modules, ort.node, kOnnxPredict, "--model",
           model, "--csv", csv, "--probabilities", got},
          dir.file("node"));
  ASSERT_EQ(o.code, 0) << o.describe();

  const ProbabilityRows a = read_probabilities(want), b = read_probabilities(got);
  EXPECT_EQ(a.header, "ImageId,Label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9");
  EXPECT_EQ(b.header, a.header);
  ASSERT_EQ(a.ids.size(), static_cast<size_t>(kParityRows));
  ASSERT_EQ(b.ids.size(), a.ids.size());
  // The worst row and class, and the rows read differently: one message each, not thousands.
  double max_diff = 0.0;
  size_t worst_row = 0;
  int64_t worst_class = 0, same_text = 0;
  std::vector<size_t> other_labels;
  std::stringstream lines_a(read_file(want)), lines_b(read_file(got));
  for (std::string la, lb; std::getline(lines_a, la) && std::getline(lines_b, lb);) {
    same_text += la == lb;
  }
  for (size_t i = 0; i < a.ids.size(); ++i) {
    ASSERT_EQ(b.ids[i], a.ids[i]);
    if (b.labels[i] != a.labels[i]) other_labels.push_back(i + 1);
    for (int64_t c = 0; c < kClasses; ++c) {
      const double d = std::abs(a.p[i][c] - b.p[i][c]);
      if (d <= max_diff) continue;
      max_diff = d;
      worst_row = i;
      worst_class = c;
    }
  }
  EXPECT_TRUE(other_labels.empty())
      << other_labels.size() << " rows read differently, first " << other_labels[0];
  EXPECT_LE(max_diff, kParityTolerance)
      << "row " << worst_row + 1 << " p" << worst_class << ": " << a.p[worst_row][worst_class]
      << " by LibTorch, " << b.p[worst_row][worst_class] << " by ONNX Runtime";
  std::printf("parity %s: %zu rows, %zu read differently, max |dp| %.1e, identical rows %lld\n",
              checkpoint.c_str(), a.ids.size(), other_labels.size(), max_diff,
              static_cast<long long>(same_text - 1));
  ::testing::Test::RecordProperty("max_abs_dp", std::to_string(max_diff));
}

TEST(OnnxParity, PretrainedReadsRealDigitsAsDigitPredictDoes) {
  const std::string pretrained = kSourceDir + "/checkpoints/pretrained.pt";
  if (!fs::exists(pretrained)) GTEST_SKIP() << "checkpoints/pretrained.pt is not in this checkout";
  TempDir dir;
  write_sample_csv(dir.file("digits.csv"), 0, kParityRows, /*labelled=*/true);
  expect_parity(pretrained, dir.file("digits.csv"), dir);
}

// An ensemble file of two architectures: digit-export's averaging graph and digit-predict's mean
// agree. digit-export --ensemble wrote the file.
TEST(OnnxParity, AnEnsembleFileReadsAsDigitPredictDoes) {
  TempDir dir;
  ASSERT_TRUE(save_checkpoint(dir.file("a.pt"), random_checkpoint(Arch::kBnCnn, 21)));
  ASSERT_TRUE(save_checkpoint(dir.file("b.pt"), random_checkpoint(Arch::kBnPool, 22)));
  const std::string ensemble = dir.file("ensemble.pt");
  const Outcome o =
      run(command(kExport, "--checkpoint",
                  {dir.file("a.pt"), "--checkpoint", dir.file("b.pt"), "--ensemble", ensemble}),
          dir.file("ensemble"));
  ASSERT_EQ(o.code, 0) << o.describe();
  EXPECT_NE(o.out.find("wrote " + ensemble + ": "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("an ensemble file of 2 networks"), std::string::npos) << o.out;
  write_sample_csv(dir.file("digits.csv"), 0, kParityRows, /*labelled=*/true);
  expect_parity(ensemble, dir.file("digits.csv"), dir);
}

// The other architectures, on the test format (no labels): seed has no batch norm, bnpool pools
// after folded batch norm with negative scales.
TEST(OnnxParity, SeedAndBnPoolReadAsDigitPredictDoes) {
  for (const Arch arch : {Arch::kSeed, Arch::kBnPool}) {
    SCOPED_TRACE(std::string(name_of(arch)));
    TempDir dir;
    const std::string ck = dir.file("net.pt");
    ASSERT_TRUE(save_checkpoint(ck, random_checkpoint(arch, 11)));
    write_sample_csv(dir.file("digits.csv"), kParityRows, kParityRows, /*labelled=*/false);
    expect_parity(ck, dir.file("digits.csv"), dir);
    if (::testing::Test::IsSkipped()) return;
  }
}

}  // namespace
}  // namespace digits
