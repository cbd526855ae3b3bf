#include "digits/export/onnx_export.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#ifdef DIGITS_HAVE_ONNX
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "digits/core/image.h"
#include "digits/nn/inference.h"
#include "digits/nn/model.h"
#include "io/atomic_file.h"
#endif

#ifndef DIGITS_VERSION
#define DIGITS_VERSION "unknown"
#endif

namespace digits {

std::string format_dims(const std::vector<std::string>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i > 0 ? ", " : "") + dims[i];
  return s + "]";
}

#ifdef DIGITS_HAVE_ONNX

namespace {

constexpr const char* kInput = "image";
constexpr const char* kLogits = "logits";
constexpr const char* kProbabilities = "probabilities";
constexpr const char* kBatch = "N";  // the dynamic batch dimension's dim_param
constexpr const char* kInputConvention =
    "float32 [N, 1, 28, 28], row-major rows top to bottom as in MNIST and Kaggle's CSV: "
    "pixel / 255, 0 = background, 1 = full ink; normalised inside the graph";
constexpr const char* kPreparation =
    "MNIST's: the ink's bounding box scaled into 20x20 keeping its aspect ratio, pasted into "
    "28x28 with its centre of mass at row 14, column 14 (digit-draw's preparation)";

// "0.1307" with every digit a double needs to read back the same.
std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A float32 initializer with `t`'s values, in row-major (NCHW) order whatever its memory format.
void add_initializer(onnx::GraphProto& graph, const std::string& name, const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  onnx::TensorProto* p = graph.add_initializer();
  p->set_name(name);
  p->set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : c.sizes()) p->add_dims(d);
  const float* v = c.data_ptr<float>();
  p->mutable_float_data()->Add(v, v + c.numel());
}

void add_scalar(onnx::GraphProto& graph, const std::string& name, double value) {
  onnx::TensorProto* p = graph.add_initializer();
  p->set_name(name);
  p->set_data_type(onnx::TensorProto::FLOAT);
  p->add_float_data(static_cast<float>(value));  // as the float arithmetic of Normalization
}

onnx::NodeProto* add_node(onnx::GraphProto& graph, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::string& output) {
  onnx::NodeProto* n = graph.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void set_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const int64_t v : values) a->add_ints(v);
}

void set_int(onnx::NodeProto* node, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

// A float32 tensor value with dimensions `dims`: numbers, or a name for a dynamic one.
void describe_value(onnx::ValueInfoProto* v, const std::string& name,
                    const std::vector<std::string>& dims, const std::string& doc) {
  v->set_name(name);
  v->set_doc_string(doc);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d.find_first_not_of("0123456789") == std::string::npos) {
      dim->set_dim_value(std::stoll(d));
    } else {
      dim->set_dim_param(d);
    }
  }
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

// One network's nodes, from the graph's input to `logits` (its names start with `prefix`, "" for a
// single network): normalisation, the ConvStack's layers in InferenceNet::forward's order, the
// linear layer.
void add_network(onnx::GraphProto& g, const Checkpoint& checkpoint, const std::string& prefix,
                 const std::string& logits) {
  const ConvStack stack = checkpoint.net->conv_stack();
  const Normalization& norm = checkpoint.normalization;
  add_scalar(g, prefix + "norm.mean", norm.mean);
  add_scalar(g, prefix + "norm.std", norm.std);
  add_node(g, "Sub", prefix + "normalise.sub", {kInput, prefix + "norm.mean"}, prefix + "centred");
  add_node(g, "Div", prefix + "normalise.div", {prefix + "centred", prefix + "norm.std"},
           prefix + "normalised");

  std::string x = prefix + "normalised";
  for (size_t i = 0; i < stack.convs.size(); ++i) {
    const auto& c = stack.convs[i];
    const std::string layer = prefix + "conv" + std::to_string(i + 1);
    add_initializer(g, layer + ".weight", c.weight);
    add_initializer(g, layer + ".bias", c.bias);
    auto* conv =
        add_node(g, "Conv", layer, {x, layer + ".weight", layer + ".bias"}, layer + ".out");
    set_ints(conv, "kernel_shape", {c.weight.size(2), c.weight.size(3)});
    set_ints(conv, "strides", {c.stride, c.stride});
    set_ints(conv, "pads", {c.padding, c.padding, c.padding, c.padding});
    x = layer + ".out";
    if (c.pool) {
      // torch::max_pool2d(x, 2): 2x2 windows, stride 2, no padding, rounding down.
      auto* pool = add_node(g, "MaxPool", layer + ".pool", {x}, layer + ".pooled");
      set_ints(pool, "kernel_shape", {2, 2});
      set_ints(pool, "strides", {2, 2});
      x = layer + ".pooled";
    }
    add_node(g, "Relu", layer + ".relu", {x}, layer + ".relu");
    x = layer + ".relu";
  }
  set_int(add_node(g, "Flatten", prefix + "flatten", {x}, prefix + "features"), "axis", 1);
  add_initializer(g, prefix + "fc.weight", stack.fc_weight);
  add_initializer(g, prefix + "fc.bias", stack.fc_bias);
  set_int(add_node(g, "Gemm", prefix + "fc",
                   {prefix + "features", prefix + "fc.weight", prefix + "fc.bias"}, logits),
          "transB", 1);
}

// "bncnn width 32", or "ensemble of 3: bncnn width 32 x 3".
std::string describe_members(const std::vector<Checkpoint>& members) {
  if (members.size() == 1) return describe(members[0].model);
  std::string s = "ensemble of " + std::to_string(members.size()) + ":";
  for (size_t i = 0; i < members.size(); ++i) {
    s += (i == 0 ? " " : ", ") + describe(members[i].model);
  }
  return s;
}

// The networks as one ONNX graph. One network: its nodes and a softmax. Several (an ensemble, as
// digit-predict averages them): each network's nodes under "mK." names, each softmax, their mean
// as `probabilities` and its log as `logits` (so that Softmax(logits) is still `probabilities`).
onnx::ModelProto build_model(const std::vector<Checkpoint>& members, const OnnxOptions& options) {
  const Checkpoint& first = members.front();
  const bool ensemble = members.size() > 1;
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("digits");
  model.set_producer_version(DIGITS_VERSION);
  model.set_doc_string("Handwritten digit recognizer (" + describe_members(members) +
                       "): image [N, 1, 28, 28] -> logits, probabilities [N, 10]");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);

  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name(ensemble ? "digits_ensemble" : "digits_" + std::string(name_of(first.model.arch)));
  describe_value(g.add_input(), kInput, {kBatch, "1", "28", "28"}, kInputConvention);
  describe_value(g.add_output(), kLogits, {kBatch, "10"},
                 ensemble ? "class scores: the log of the members' mean probabilities"
                          : "class scores before the softmax");
  describe_value(g.add_output(), kProbabilities, {kBatch, "10"},
                 ensemble ? "class probabilities: the mean of the members' softmax, digits 0..9"
                          : "class probabilities: Softmax(logits), digits 0..9");

  if (!ensemble) {
    add_network(g, first, "", kLogits);
    set_int(add_node(g, "Softmax", "softmax", {kLogits}, kProbabilities), "axis", 1);
  } else {
    std::vector<std::string> member_probabilities;
    for (size_t k = 0; k < members.size(); ++k) {
      const std::string prefix = "m" + std::to_string(k + 1) + ".";
      add_network(g, members[k], prefix, prefix + "logits");
      set_int(
          add_node(g, "Softmax", prefix + "softmax", {prefix + "logits"}, prefix + "probabilities"),
          "axis", 1);
      member_probabilities.push_back(prefix + "probabilities");
    }
    add_node(g, "Sum", "ensemble.sum", member_probabilities, "ensemble.sum");
    add_scalar(g, "ensemble.members", static_cast<double>(members.size()));
    add_node(g, "Div", "ensemble.mean", {"ensemble.sum", "ensemble.members"}, kProbabilities);
    add_node(g, "Log", "ensemble.log", {kProbabilities}, kLogits);
  }

  add_metadata(model, "digits.version", DIGITS_VERSION);
  add_metadata(model, "model", describe_members(members));
  add_metadata(model, "members", std::to_string(members.size()));
  for (size_t k = 0; k < members.size(); ++k) {
    // A single network's keys have no prefix, as before ensembles; members' are "member.K.".
    const std::string key = ensemble ? "member." + std::to_string(k + 1) + "." : "";
    const Checkpoint& c = members[k];
    add_metadata(model, key + "model.arch", std::string(name_of(c.model.arch)));
    add_metadata(model, key + "model.width", std::to_string(c.model.width));
    add_metadata(model, key + "norm.mean", exact(c.normalization.mean));
    add_metadata(model, key + "norm.std", exact(c.normalization.std));
    add_metadata(model, key + "source.epoch", std::to_string(c.progress.epoch));
    add_metadata(model, key + "source.val_acc", exact(c.progress.last_val_acc));
    add_metadata(model, key + "source.torch_version", c.torch_version);
  }
  add_metadata(model, "normalisation", "(image - norm.mean) / norm.std, inside the graph");
  add_metadata(model, "input", std::string(kInput) + ": " + kInputConvention);
  add_metadata(model, "input.preparation", kPreparation);
  add_metadata(model, "outputs",
               ensemble ? std::string(kProbabilities) + " [N, 10] = the mean of the members' " +
                              "softmax; " + kLogits + " [N, 10] = Log(" + kProbabilities + ")"
                        : std::string(kLogits) + " [N, 10]; " + kProbabilities +
                              " [N, 10] = Softmax(" + kLogits + ")");
  add_metadata(model, "source.checkpoint", options.source_checkpoint);
  return model;
}

// ONNX's checker, then shape inference in strict mode: the declared outputs [N, 10] must be what
// the layers compute from [N, 1, 28, 28]. The intermediate shapes stay in the model (value_info).
Status check(onnx::ModelProto& model, const std::string& path) {
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type_val=*/true,
                                                                   /*strict_mode_val=*/1));
  } catch (const std::exception& e) {
    return io_error(path + ": the ONNX model fails ONNX's check: " + e.what());
  }
  return {};
}

std::vector<std::string> dims_of(const onnx::ValueInfoProto& v) {
  std::vector<std::string> dims;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    dims.push_back(d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param());
  }
  return dims;
}

std::string type_name(int32_t elem_type) {
  if (elem_type == onnx::TensorProto::FLOAT) return "float32";
  return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem_type));
}

OnnxModelInfo describe_model(const onnx::ModelProto& model, int64_t bytes) {
  OnnxModelInfo info;
  info.ir_version = model.ir_version();
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = o.version();
  }
  info.bytes = bytes;
  info.producer = model.producer_name() + " " + model.producer_version();
  for (const auto& n : model.graph().node()) {
    auto it = info.ops.begin();
    while (it != info.ops.end() && it->first != n.op_type()) ++it;
    if (it == info.ops.end()) {
      info.ops.emplace_back(n.op_type(), 1);
    } else {
      ++it->second;
    }
  }
  // Initializers may be listed as inputs too (IR < 4); they are not what a caller feeds.
  std::vector<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.push_back(t.name());
  for (const auto& v : model.graph().input()) {
    if (std::find(initializers.begin(), initializers.end(), v.name()) != initializers.end()) {
      continue;
    }
    info.inputs.push_back({v.name(), type_name(v.type().tensor_type().elem_type()), dims_of(v)});
  }
  for (const auto& v : model.graph().output()) {
    info.outputs.push_back({v.name(), type_name(v.type().tensor_type().elem_type()), dims_of(v)});
  }
  for (const auto& p : model.metadata_props()) info.metadata[p.key()] = p.value();
  return info;
}

}  // namespace

bool onnx_export_available() { return true; }

int64_t onnx_max_opset() {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  const auto it = ranges.find(onnx::ONNX_DOMAIN);
  return it == ranges.end() ? 0 : it->second.second;
}

Result<OnnxModelInfo> export_onnx(const Checkpoint& checkpoint, const std::string& path,
                                  const OnnxOptions& options) {
  return export_onnx(std::vector<Checkpoint>{checkpoint}, path, options);
}

Result<OnnxModelInfo> export_onnx(const std::vector<Checkpoint>& members, const std::string& path,
                                  const OnnxOptions& options) {
  const int64_t max_opset = onnx_max_opset();
  if (options.opset < kOnnxMinOpset || options.opset > max_opset) {
    return Error{path + ": opset " + std::to_string(options.opset) + " is not in " +
                 std::to_string(kOnnxMinOpset) + ".." + std::to_string(max_opset) +
                 " (the opsets this build's ONNX library knows, from Softmax-13 on)"};
  }
  if (members.empty()) return Error{path + ": no network to export"};
  for (const auto& m : members) {
    if (!m.net) return Error{path + ": the checkpoint has no network to export"};
  }
  onnx::ModelProto model = build_model(members, options);
  DIGITS_RETURN_IF_ERROR(check(model, path));
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return io_error(path + ": cannot serialise the ONNX model (over protobuf's 2 GB limit?)");
  }
  DIGITS_RETURN_IF_ERROR(detail::write_file_atomically(path, bytes, "ONNX model"));
  return describe_model(model, static_cast<int64_t>(bytes.size()));
}

Result<OnnxModelInfo> inspect_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path + ": cannot open the ONNX model");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    return io_error(path + ": not an ONNX model (no ModelProto could be read from its " +
                    std::to_string(bytes.size()) + " bytes)");
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return io_error(path + ": the ONNX model fails ONNX's check: " + e.what());
  }
  return describe_model(model, static_cast<int64_t>(bytes.size()));
}

#else  // !DIGITS_HAVE_ONNX

namespace {
Error not_compiled_in(const std::string& path) {
  return io_error(path +
                  ": ONNX export was not compiled in: this build found no ONNX library (install "
                  "Debian's libonnx-dev and libprotobuf-dev, then configure again with "
                  "-DDIGITS_WITH_ONNX=ON)");
}
}  // namespace

bool onnx_export_available() { return false; }

int64_t onnx_max_opset() { return 0; }

Result<OnnxModelInfo> export_onnx(const Checkpoint&, const std::string& path, const OnnxOptions&) {
  return not_compiled_in(path);
}

Result<OnnxModelInfo> export_onnx(const std::vector<Checkpoint>&, const std::string& path,
                                  const OnnxOptions&) {
  return not_compiled_in(path);
}

Result<OnnxModelInfo> inspect_onnx(const std::string& path) { return not_compiled_in(path); }

#endif  // DIGITS_HAVE_ONNX

}  // namespace digits
