// A trained network as an ONNX model, for ONNX Runtime (Node, browsers, Python, C#...).
//
// The graph is the network's frozen form (ConvStack, inference.h) with the checkpoint's input
// normalisation in front and a softmax behind (docs/export.md):
//   input   image          float32 [N, 1, 28, 28]: pixel / 255, 0 background, 1 full ink (MNIST's
//                          and Kaggle's layout, rows top to bottom); N is dynamic (dim_param "N")
//   output  logits         float32 [N, 10]
//   output  probabilities  float32 [N, 10]: Softmax(logits), what digit-predict --probabilities
//                          writes
// Nodes: Sub and Div (the normalisation), then per convolution Conv, MaxPool 2x2 where the
// network pools, Relu; then Flatten, Gemm (the linear layer) and Softmax (an ensemble's graph:
// below). The model's metadata_props name the architecture, the normalisation, the input
// convention, the source checkpoint and the digits version. Built with ONNX's own protobuf classes
// and checked by ONNX's checker and shape inference before it is written; only where the build
// found ONNX (Debian's libonnx-dev): elsewhere every call here returns an Error saying so.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "digits/checkpoint/checkpoint.h"
#include "digits/core/error.h"

namespace digits {

// The opsets export_onnx can target: from 13 (which gave Softmax its per-axis meaning) to the
// newest the ONNX library of the build knows (17 for Debian 12's ONNX 1.12). The default is 17,
// which onnxruntime-node and onnxruntime-web run.
inline constexpr int64_t kOnnxMinOpset = 13;
inline constexpr int64_t kOnnxDefaultOpset = 17;

struct OnnxOptions {
  int64_t opset = kOnnxDefaultOpset;
  std::string source_checkpoint;  // recorded in the metadata (source.checkpoint); may be ""
};

// A graph input or output: its name, element type and dimensions ("N" for the batch).
struct OnnxValue {
  std::string name;
  std::string type;               // "float32"
  std::vector<std::string> dims;  // e.g. {"N", "1", "28", "28"}
};

// What an ONNX file holds, as digit-export reports it.
struct OnnxModelInfo {
  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
  int64_t bytes = 0;  // the file's size
  std::string producer;
  std::vector<std::pair<std::string, int64_t>> ops;  // op type, nodes of it; in order of first use
  std::vector<OnnxValue> inputs, outputs;
  std::map<std::string, std::string> metadata;  // metadata_props
};

// Whether this build can export (it found ONNX when configured).
bool onnx_export_available();
// The newest opset the build's ONNX library knows; 0 when it has none.
int64_t onnx_max_opset();

// Writes `checkpoint`'s network as an ONNX model to `path`, atomically (temporary file beside it,
// renamed over it): a failure leaves any previous file there as it was. The model is checked
// (onnx::checker, then strict shape inference) before anything is written. Errors name the path
// and what was wrong: an opset out of range, a network that fails the check, an unwritable path.
Result<OnnxModelInfo> export_onnx(const Checkpoint& checkpoint, const std::string& path,
                                  const OnnxOptions& options = {});
// Several networks as one model that averages them, as digit-predict does with an ensemble: each
// member's nodes named "mK." (K from 1), each one's Softmax, then Sum, Div (the mean) as
// `probabilities` and Log of that as `logits`. Metadata: `members`, and each member's keys
// (model.arch, norm.mean, ...) as "member.K.*". One member gives export_onnx(member) exactly.
Result<OnnxModelInfo> export_onnx(const std::vector<Checkpoint>& members, const std::string& path,
                                  const OnnxOptions& options = {});

// Reads the ONNX model at `path`, runs ONNX's checker on it and describes it. A missing,
// truncated or foreign file is an Error naming the path.
Result<OnnxModelInfo> inspect_onnx(const std::string& path);

// "[N, 1, 28, 28]".
std::string format_dims(const std::vector<std::string>& dims);

}  // namespace digits
