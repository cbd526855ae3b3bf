// digit-export: writes trained checkpoints as an ONNX model, for ONNX Runtime in Node, a browser
// or anywhere else, or as one ensemble file for digit-predict and digit-draw (docs/export.md).
// The work is in the library (onnx_export.h, checkpoint.h); this file is options and printing.
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli.h"
#include "digits/checkpoint/checkpoint.h"
#include "digits/core/text.h"
#include "digits/export/onnx_export.h"
#include "digits/io/output_file.h"

namespace {

constexpr const char* kProgram = "digit-export";

std::string join_ops(const digits::OnnxModelInfo& info) {
  std::string s;
  int64_t nodes = 0;
  for (const auto& [op, count] : info.ops) {
    s += (s.empty() ? "" : ", ") + op + " x" + std::to_string(count);
    nodes += count;
  }
  return s + " (" + std::to_string(nodes) + " nodes)";
}

void print_value(const char* role, const digits::OnnxValue& v) {
  std::printf("%-6s  %-13s  %s %s\n", role, v.name.c_str(), v.type.c_str(),
              digits::format_dims(v.dims).c_str());
}

int run(int argc, char** argv) {
  using digits::cli::fail;
  std::vector<std::string> checkpoint_paths;
  std::string onnx_path, ensemble_path;
  int64_t opset = digits::kOnnxDefaultOpset;

  CLI::App app{
      "Writes trained checkpoints as an ONNX model, or as one ensemble file for digit-predict "
      "and digit-draw (each atomically), and prints what it wrote.\n"
      "The ONNX model's input is `image`, float32 [N, 1, 28, 28] with N any batch size: pixel / "
      "255, 0 the background and 1 full ink, rows top to bottom (Kaggle's CSV pixels divided by "
      "255; drawings prepared as MNIST's digits, as digit-draw does). The checkpoint's "
      "normalisation happens inside the graph. Outputs: `logits` and `probabilities` (their "
      "softmax), float32 [N, 10]; for several checkpoints (an ensemble) `probabilities` is the "
      "mean of theirs, as digit-predict computes it, and `logits` its log. Checked by ONNX's "
      "checker and shape inference before it is written. Every architecture (seed, bncnn, bnpool) "
      "exports. Run it with onnxruntime-node:\n"
      "  digit-export --onnx digits.onnx\n"
      "  node tools/onnx-predict.js --model digits.onnx --csv data/test.csv --probabilities p.csv\n"
      "(the same file as digit-predict --probabilities; docs/export.md has the browser page).\n"
      "An ensemble file holds the networks of every --checkpoint without their training state:\n"
      "  digit-export --checkpoint a/last.pt --checkpoint b/last.pt --ensemble both.pt",
      kProgram};
  app.get_formatter()->column_width(30);
  app.add_option(
      "--checkpoint", checkpoint_paths,
      "Checkpoint to export; repeat for an ensemble (an ensemble file adds all its "
      "members). Default: the shipped checkpoints/pretrained.pt, or checkpoints/best.pt where it "
      "records reading the shipped model's data at least as well (as digit-predict)");
  auto* onnx = app.add_option("--onnx", onnx_path, "Write the ONNX model here (e.g. digits.onnx)");
  auto* ensemble = app.add_option(
      "--ensemble", ensemble_path,
      "Write the networks as one file here (e.g. checkpoints/pretrained.pt): an ensemble file "
      "for two or more, a checkpoint for one; weights and metadata only, no optimizer state, so "
      "it predicts but does not resume");
  onnx->check(digits::cli::BinaryFile);
  ensemble->check(digits::cli::BinaryFile);
  app.add_option("--opset", opset, "ONNX opset of the default domain")
      ->check(CLI::Range(digits::kOnnxMinOpset, int64_t{99}))
      ->capture_default_str();

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  digits::cli::ignore_sigpipe();
  if (onnx->count() == 0 && ensemble->count() == 0) {
    return fail(kProgram, "nothing to write: pass --onnx FILE, --ensemble FILE or both");
  }
  if (digits::onnx_export_available() && opset > digits::onnx_max_opset()) {
    return fail(kProgram, "--opset " + std::to_string(opset) + ": this build's ONNX knows opsets " +
                              std::to_string(digits::kOnnxMinOpset) + ".." +
                              std::to_string(digits::onnx_max_opset()));
  }
  if (checkpoint_paths.empty()) {
    const digits::ModelChoice choice = digits::choose_model();
    if (choice.path.empty()) {
      return fail(kProgram,
                  "no checkpoint: pass --checkpoint PATH, or train one with digit-train "
                  "(checkpoints/best.pt)");
    }
    std::fprintf(stderr, "%s: %s\n", kProgram, choice.note.c_str());
    checkpoint_paths.push_back(choice.path);
  }
  // Never over a checkpoint read, nor over each other: compared as files (./a.onnx, a link).
  const auto binary = digits::OutputKind::kBinary;
  if (auto st = digits::check_outputs(
          {{"--onnx", onnx_path, binary}, {"--ensemble", ensemble_path, binary}}, checkpoint_paths);
      !st) {
    return fail(kProgram, st.error());
  }
  auto loaded = digits::load_member_files(checkpoint_paths);
  if (!loaded) return fail(kProgram, loaded.error());
  const auto& members = loaded->members;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& c = members[i];
    std::printf("from %s: %s, epoch %lld, normalisation (x - %.6g) / %.6g\n",
                loaded->names[i].c_str(), describe(c.model).c_str(),
                static_cast<long long>(c.progress.epoch), c.normalization.mean,
                c.normalization.std);
  }

  if (!ensemble_path.empty()) {
    if (auto st = digits::save_ensemble(ensemble_path, members); !st) {
      return fail(kProgram, st.error());
    }
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(ensemble_path, ec);
    std::printf(
        "wrote %s: %lld bytes, %s of %zu network%s (weights and metadata, no optimizer "
        "state)\n",
        ensemble_path.c_str(), ec ? -1LL : static_cast<long long>(bytes),
        members.size() == 1 ? "a checkpoint" : "an ensemble file", members.size(),
        members.size() == 1 ? "" : "s");
  }
  if (!onnx_path.empty()) {
    digits::OnnxOptions options;
    options.opset = opset;
    options.source_checkpoint = digits::join(checkpoint_paths, " ");
    auto info = digits::export_onnx(members, onnx_path, options);
    if (!info) return fail(kProgram, info.error());
    std::printf("wrote %s: %lld bytes, ONNX IR %lld, opset %lld, producer %s, %zu network%s%s\n",
                onnx_path.c_str(), static_cast<long long>(info->bytes),
                static_cast<long long>(info->ir_version), static_cast<long long>(info->opset),
                info->producer.c_str(), members.size(), members.size() == 1 ? "" : "s",
                members.size() == 1 ? "" : " averaged");
    for (const auto& v : info->inputs) print_value("input", v);
    for (const auto& v : info->outputs) print_value("output", v);
    std::printf("ops: %s\n", join_ops(*info).c_str());
    std::printf("checked by ONNX's checker and shape inference\n");
  }
  return digits::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return digits::cli::run_main(kProgram, run, argc, argv); }
