// digit-export: writes a trained checkpoint as an ONNX model, for ONNX Runtime in Node, a browser
// or anywhere else (docs/export.md). The work is in the library (onnx_export.h); this file is
// options and printing.
#include <cstdio>
#include <string>

#include "cli.h"
#include "digits/checkpoint.h"
#include "digits/onnx_export.h"
#include "digits/output_file.h"

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
  std::string checkpoint_path, onnx_path;
  int64_t opset = digits::kOnnxDefaultOpset;

  CLI::App app{
      "Writes a trained checkpoint as an ONNX model (atomically), checked by ONNX's checker and "
      "shape inference first, and prints what it wrote.\n"
      "The model's input is `image`, float32 [N, 1, 28, 28] with N any batch size: pixel / 255, "
      "0 the background and 1 full ink, rows top to bottom (Kaggle's CSV pixels divided by 255; "
      "drawings prepared as MNIST's digits, as digit-draw does). The checkpoint's normalisation "
      "happens inside the graph. Outputs: `logits` and `probabilities` (their softmax), float32 "
      "[N, 10]. Every architecture (seed, bncnn, bnpool) exports. Run it with onnxruntime-node:\n"
      "  digit-export --onnx digits.onnx\n"
      "  node tools/onnx-predict.js --model digits.onnx --csv data/test.csv --probabilities p.csv\n"
      "(the same file as digit-predict --probabilities; docs/export.md has the browser page).",
      kProgram};
  app.get_formatter()->column_width(30);
  app.add_option("--checkpoint", checkpoint_path,
                 "Checkpoint to export. Default: the newer of checkpoints/best.pt and "
                 "checkpoints/pretrained.pt");
  app.add_option("--onnx", onnx_path, "Write the ONNX model here (e.g. digits.onnx)")->required();
  app.add_option("--opset", opset, "ONNX opset of the default domain")
      ->check(CLI::Range(digits::kOnnxMinOpset, int64_t{99}))
      ->capture_default_str();

  if (auto code = digits::cli::parse(app, argc, argv)) return *code;
  digits::cli::ignore_sigpipe();
  if (digits::onnx_export_available() && opset > digits::onnx_max_opset()) {
    return fail(kProgram, "--opset " + std::to_string(opset) + ": this build's ONNX knows opsets " +
                              std::to_string(digits::kOnnxMinOpset) + ".." +
                              std::to_string(digits::onnx_max_opset()));
  }
  if (checkpoint_path.empty()) {
    checkpoint_path = digits::default_checkpoint();
    if (checkpoint_path.empty()) {
      return fail(kProgram,
                  "no checkpoint: pass --checkpoint PATH, or train one with digit-train "
                  "(checkpoints/best.pt)");
    }
  }
  if (digits::is_stdout(onnx_path)) {
    return fail(kProgram, "--onnx " + onnx_path + ": an ONNX model is binary; name a file");
  }
  if (auto st = digits::check_output(onnx_path, "--onnx", {checkpoint_path}); !st) {
    return fail(kProgram, st.error().message);
  }
  auto checkpoint = digits::load_checkpoint(checkpoint_path);
  if (!checkpoint) return fail(kProgram, checkpoint.error().message);

  digits::OnnxOptions options;
  options.opset = opset;
  options.source_checkpoint = checkpoint_path;
  auto info = digits::export_onnx(*checkpoint, onnx_path, options);
  if (!info) return fail(kProgram, info.error().message, digits::cli::kExitFailure);

  const auto& norm = checkpoint->normalization;
  std::printf("wrote %s: %lld bytes, ONNX IR %lld, opset %lld, producer %s\n", onnx_path.c_str(),
              static_cast<long long>(info->bytes), static_cast<long long>(info->ir_version),
              static_cast<long long>(info->opset), info->producer.c_str());
  std::printf("from %s: %s, epoch %lld, normalisation (x - %.6g) / %.6g in the graph\n",
              checkpoint_path.c_str(), describe(checkpoint->model).c_str(),
              static_cast<long long>(checkpoint->progress.epoch), norm.mean, norm.std);
  for (const auto& v : info->inputs) print_value("input", v);
  for (const auto& v : info->outputs) print_value("output", v);
  std::printf("ops: %s\n", join_ops(*info).c_str());
  std::printf("checked by ONNX's checker and shape inference\n");
  return digits::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return digits::cli::run_main(kProgram, run, argc, argv); }
