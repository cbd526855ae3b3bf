#include "nn/kernels/conv2d.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#ifdef DIGITS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace digits::detail {

torch::Tensor conv2d_reference(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                               int64_t padding) {
  return torch::conv2d(x, weight, {}, stride, padding);
}

#ifdef DIGITS_HAVE_ONEDNN

namespace {

using dnnl::memory;
using Dims = memory::dims;
constexpr auto kF32 = memory::data_type::f32;
constexpr auto kChannelsLast = at::MemoryFormat::ChannelsLast;

const dnnl::engine& engine() {
  static const dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

Dims dims_of(at::IntArrayRef v) { return Dims(v.begin(), v.end()); }

// A tensor's memory as it lies: its sizes and strides (OIHW, or OHWI for channels-last weights).
memory::desc as_it_lies(const torch::Tensor& t) {
  return memory::desc(dims_of(t.sizes()), kF32, dims_of(t.strides()));
}

memory::desc nhwc(const Dims& dims) { return memory::desc(dims, kF32, memory::format_tag::nhwc); }

memory wrap(const memory::desc& desc, const torch::Tensor& t) {
  return memory(desc, engine(), t.data_ptr());
}

dnnl::stream& stream() {
  thread_local dnnl::stream cpu(engine());
  return cpu;
}

// Runs `p` on `args` with a scratchpad of its own, so that calls from several threads (the
// trainer's data-parallel replicas) never share one.
void run(const dnnl::primitive& p, const memory::desc& scratchpad,
         std::unordered_map<int, memory> args) {
  torch::Tensor scratch;
  if (scratchpad.get_size() > 0) {
    scratch = torch::empty({static_cast<int64_t>(scratchpad.get_size())}, torch::kUInt8);
    args.emplace(DNNL_ARG_SCRATCHPAD, wrap(scratchpad, scratch));
  }
  p.execute(stream(), args);
  stream().wait();
}

// Memory of layout `desc`: `same` itself when it has that layout, else a new buffer (returned
// beside it, to keep it alive).
std::pair<memory, torch::Tensor> memory_in(const memory& same, const memory::desc& desc) {
  if (same.get_desc() == desc) return {same, {}};
  auto buffer = torch::empty({static_cast<int64_t>(desc.get_size())}, torch::kUInt8);
  return {wrap(desc, buffer), buffer};
}

// `from` in the layout `to`: `from` itself when they agree, else a new buffer filled by `reorder`.
std::pair<memory, torch::Tensor> in_layout(memory from, const memory::desc& to,
                                           const dnnl::reorder& reorder) {
  auto [out, buffer] = memory_in(from, to);
  if (buffer.defined()) {
    reorder.execute(stream(), from, out);
    stream().wait();
  }
  return {out, buffer};
}

// One shape's primitives: made on its first call, then kept.
struct Primitives {
  Dims src, dst;
  memory::desc weights;  // the weight tensor as it lies
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  dnnl::reorder forward_weights;  // as it lies -> forward_pd.weights_desc()
  dnnl::convolution_backward_data::primitive_desc data_pd;
  dnnl::convolution_backward_data backward_data;
  dnnl::reorder data_weights;  // as it lies -> data_pd.weights_desc()
  dnnl::convolution_backward_weights::primitive_desc weights_pd;
  dnnl::convolution_backward_weights backward_weights;
  dnnl::reorder weights_gradient;  // weights_pd.diff_weights_desc() -> as it lies

  Primitives(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t padding)
      : src(dims_of(x.sizes())), weights(as_it_lies(w)) {
    const int64_t side_h = (x.size(2) + 2 * padding - w.size(2)) / stride + 1;
    const int64_t side_w = (x.size(3) + 2 * padding - w.size(3)) / stride + 1;
    dst = {x.size(0), w.size(0), side_h, side_w};
    const Dims strides = {stride, stride}, pad = {padding, padding};
    const memory::desc any(dims_of(w.sizes()), kF32, memory::format_tag::any);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const auto direct = dnnl::algorithm::convolution_direct;
    forward_pd = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct, nhwc(src), any,
                                        nhwc(dst), strides, pad, pad),
        attr, engine());
    forward = dnnl::convolution_forward(forward_pd);
    forward_weights = reorder(weights, forward_pd.weights_desc());
    data_pd = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(direct, nhwc(src), any, nhwc(dst), strides, pad, pad),
        attr, engine(), forward_pd);
    backward_data = dnnl::convolution_backward_data(data_pd);
    data_weights = reorder(weights, data_pd.weights_desc());
    weights_pd = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(direct, nhwc(src), any, nhwc(dst), strides, pad,
                                                 pad),
        attr, engine(), forward_pd);
    backward_weights = dnnl::convolution_backward_weights(weights_pd);
    weights_gradient = reorder(weights_pd.diff_weights_desc(), weights);
  }

  static dnnl::reorder reorder(const memory::desc& from, const memory::desc& to) {
    return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
  }
};

// Everything that decides a shape's primitives, the thread count among them: oneDNN divides
// the work for the threads it has when the primitive is made.
std::vector<int64_t> key_of(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                            int64_t padding) {
  std::vector<int64_t> key(x.sizes().begin(), x.sizes().end());
  key.insert(key.end(), w.sizes().begin(), w.sizes().end());
  key.insert(key.end(), w.strides().begin(), w.strides().end());
  key.insert(key.end(), {stride, padding, at::get_num_threads()});
  return key;
}

// The primitives for this call, made when first seen; null when oneDNN cannot make them.
std::shared_ptr<const Primitives> primitives(const torch::Tensor& x, const torch::Tensor& w,
                                             int64_t stride, int64_t padding) {
  static std::mutex mutex;
  static std::map<std::vector<int64_t>, std::shared_ptr<const Primitives>> made;
  const auto key = key_of(x, w, stride, padding);
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = made.find(key); found != made.end()) return found->second;
  std::shared_ptr<const Primitives> p;
  try {
    p = std::make_shared<const Primitives>(x, w, stride, padding);
  } catch (const dnnl::error&) {
    // this shape or layout is not for oneDNN here: LibTorch's path serves it (and is remembered)
  }
  // Evaluation batches of many sizes could grow the table without end; what is in use stays
  // alive through the callers' shared pointers.
  if (made.size() >= 256) made.clear();
  made.emplace(key, p);
  return p;
}

// Weights the primitives can read as they lie: dense, in some order of their dimensions.
torch::Tensor dense(const torch::Tensor& w) {
  return w.is_non_overlapping_and_dense() ? w : w.contiguous();
}

class OneDnnConv : public torch::autograd::Function<OneDnnConv> {
 public:
  // `p`: the primitives conv2d() found for x and w.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in,
                               const std::shared_ptr<const Primitives>& p, int64_t stride,
                               int64_t padding) {
    const auto x = x_in.contiguous(kChannelsLast);
    const auto w = dense(w_in);
    auto y = torch::empty(p->dst, x.options().memory_format(kChannelsLast));
    const auto [weights, buffer] =
        in_layout(wrap(p->weights, w), p->forward_pd.weights_desc(), p->forward_weights);
    run(p->forward, p->forward_pd.scratchpad_desc(),
        {{DNNL_ARG_SRC, wrap(nhwc(p->src), x)},
         {DNNL_ARG_WEIGHTS, weights},
         {DNNL_ARG_DST, wrap(nhwc(p->dst), y)}});
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const auto p =
        primitives(x, w, ctx->saved_data["stride"].toInt(), ctx->saved_data["padding"].toInt());
    const auto g = grads[0].contiguous(kChannelsLast);
    const memory diff_dst = wrap(nhwc(p->dst), g);
    torch::Tensor grad_x, grad_w;
    if (ctx->needs_input_grad(0)) {
      grad_x = torch::empty(p->src, x.options().memory_format(kChannelsLast));
      const auto [weights, buffer] =
          in_layout(wrap(p->weights, w), p->data_pd.weights_desc(), p->data_weights);
      run(p->backward_data, p->data_pd.scratchpad_desc(),
          {{DNNL_ARG_DIFF_DST, diff_dst},
           {DNNL_ARG_WEIGHTS, weights},
           {DNNL_ARG_DIFF_SRC, wrap(nhwc(p->src), grad_x)}});
    }
    if (ctx->needs_input_grad(1)) {
      grad_w = torch::empty_like(w);  // strides as w's: dense tensors keep their layout
      memory out = wrap(p->weights, grad_w);
      auto [diff_w, buffer] = memory_in(out, p->weights_pd.diff_weights_desc());
      run(p->backward_weights, p->weights_pd.scratchpad_desc(),
          {{DNNL_ARG_SRC, wrap(nhwc(p->src), x)},
           {DNNL_ARG_DIFF_DST, diff_dst},
           {DNNL_ARG_DIFF_WEIGHTS, diff_w}});
      if (buffer.defined()) {
        p->weights_gradient.execute(stream(), diff_w, out);
        stream().wait();
      }
    }
    return {grad_x, grad_w, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

bool fits(const torch::Tensor& x, const torch::Tensor& w) {
  return x.device().is_cpu() && w.device().is_cpu() && x.scalar_type() == torch::kFloat &&
         w.scalar_type() == torch::kFloat && x.layout() == torch::kStrided &&
         w.layout() == torch::kStrided && x.dim() == 4 && w.dim() == 4 && x.size(1) == w.size(1) &&
         x.numel() > 0 && w.numel() > 0;
}

// The primitives for x and w, null when they are not for oneDNN. They depend on x's sizes
// only: its layout is made channels-last in forward.
std::shared_ptr<const Primitives> fast_primitives(const torch::Tensor& x, const torch::Tensor& w,
                                                  int64_t stride, int64_t padding) {
  return fits(x, w) ? primitives(x, dense(w), stride, padding) : nullptr;
}

}  // namespace

bool conv2d_is_fast(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                    int64_t padding) {
  return fast_primitives(x, weight, stride, padding) != nullptr;
}

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                     int64_t padding) {
  if (const auto p = fast_primitives(x, weight, stride, padding)) {
    return OneDnnConv::apply(x, weight, p, stride, padding);
  }
  return conv2d_reference(x, weight, stride, padding);
}

#else  // no oneDNN beside this LibTorch: LibTorch's own convolution

bool conv2d_is_fast(const torch::Tensor&, const torch::Tensor&, int64_t, int64_t) { return false; }

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                     int64_t padding) {
  return conv2d_reference(x, weight, stride, padding);
}

#endif

}  // namespace digits::detail
