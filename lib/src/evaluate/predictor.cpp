#include "digits/evaluate/predictor.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace digits {

namespace {
constexpr int64_t kTtaShifts[][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
}  // namespace

Result<Predictor> Predictor::load(const std::vector<std::string>& checkpoint_paths,
                                  torch::Device device) {
  auto loaded = load_member_files(checkpoint_paths, device);
  if (!loaded) return loaded.error();
  for (auto& c : loaded->members) c.optimizer_state.reset();  // prediction never needs it
  Predictor p = from_checkpoints(std::move(loaded->members), device);
  p.paths_ = std::move(loaded->names);
  return p;
}

Predictor Predictor::from_checkpoints(std::vector<Checkpoint> members, torch::Device device) {
  Predictor p;
  p.device_ = device;
  p.members_ = std::move(members);
  for (auto& m : p.members_) {
    m.net->to(device);
    m.net->eval();
    p.nets_.emplace_back(*m.net);
  }
  p.paths_.resize(p.members_.size());
  return p;
}

torch::Tensor shift_images(const torch::Tensor& images, int64_t dy, int64_t dx) {
  const int64_t h = images.size(-2), w = images.size(-1);
  auto out = torch::zeros_like(images);
  const int64_t y0 = std::max<int64_t>(0, dy), y1 = std::min(h, h + dy);
  const int64_t x0 = std::max<int64_t>(0, dx), x1 = std::min(w, w + dx);
  out.slice(-2, y0, y1)
      .slice(-1, x0, x1)
      .copy_(images.slice(-2, y0 - dy, y1 - dy).slice(-1, x0 - dx, x1 - dx));
  return out;
}

torch::Tensor Predictor::probabilities(const torch::Tensor& images, bool tta,
                                       int64_t batch_size) const {
  return probabilities(images, tta, batch_size, nullptr);
}

torch::Tensor Predictor::probabilities(
    const torch::Tensor& images, bool tta, int64_t batch_size,
    const std::function<void(int64_t, int64_t)>& on_batch) const {
  const int64_t n = images.size(0);
  const int64_t views = tta ? static_cast<int64_t>(std::size(kTtaShifts)) : 1;
  // Made outside InferenceMode so that callers may change the result in place.
  auto total = torch::zeros({n, kClasses}, torch::kFloat);
  c10::InferenceMode guard;
  const auto unit = images.scalar_type() == torch::kUInt8 ? Normalization::to_unit(images)
                                                          : images.to(torch::kFloat);
  for (int64_t i = 0; i < n; i += batch_size) {
    const auto chunk = unit.slice(0, i, std::min(n, i + batch_size)).to(device_);
    auto sum = torch::zeros({chunk.size(0), kClasses}, chunk.options());
    for (int64_t v = 0; v < views; ++v) {
      const auto view = v == 0 ? chunk : shift_images(chunk, kTtaShifts[v][0], kTtaShifts[v][1]);
      for (size_t k = 0; k < members_.size(); ++k) {
        const auto x = members_[k].normalization.apply(view.unsqueeze(1));
        sum += torch::softmax(nets_[k].forward(x), 1);
      }
    }
    total.slice(0, i, i + chunk.size(0)).copy_(sum.to(torch::kCPU));
    if (on_batch) on_batch(i + chunk.size(0), n);
  }
  return total.div_(static_cast<double>(views * static_cast<int64_t>(members_.size())));
}

std::vector<torch::Tensor> Predictor::member_probabilities(
    const torch::Tensor& images, bool tta, int64_t batch_size,
    const std::function<void(size_t, int64_t, int64_t)>& on_batch) const {
  std::vector<torch::Tensor> out;
  for (size_t k = 0; k < members_.size(); ++k) {
    const auto single = from_checkpoints({members_[k]}, device_);
    out.push_back(single.probabilities(images, tta, batch_size, [&](int64_t done, int64_t total) {
      if (on_batch) on_batch(k, done, total);
    }));
  }
  return out;
}

Prediction Predictor::predict(const torch::Tensor& image) const {
  Prediction p;
  if (!device_.is_cpu()) {
    const auto probs = probabilities(image.reshape({1, kImageSide, kImageSide})).contiguous();
    std::copy_n(probs.data_ptr<float>(), kClasses, p.probabilities.begin());
  } else {
    // probabilities() for one image without its batch bookkeeping: the drawing app's hot path.
    c10::InferenceMode guard;
    const bool bytes = image.scalar_type() == torch::kUInt8;
    const auto pixels = (bytes ? image : image.to(torch::kFloat)).reshape({kPixels}).contiguous();
    std::array<float, kPixels> in;
    std::array<float, kClasses> logits;
    for (size_t k = 0; k < members_.size(); ++k) {
      // The arithmetic of probabilities(), in float.
      const Normalization& norm = members_[k].normalization;
      if (bytes) {
        const uint8_t* v = pixels.data_ptr<uint8_t>();
        for (int64_t i = 0; i < kPixels; ++i) in[i] = norm.of_pixel(v[i]);
      } else {
        const float* v = pixels.data_ptr<float>();
        for (int64_t i = 0; i < kPixels; ++i) in[i] = norm.of_unit(v[i]);
      }
      nets_[k].forward_one(in.data(), logits.data());
      // Softmax, shifted by the largest logit so that exp cannot overflow.
      const float top = *std::max_element(logits.begin(), logits.end());
      float sum = 0.f;
      for (auto& v : logits) sum += (v = std::exp(v - top));
      for (int64_t c = 0; c < kClasses; ++c) p.probabilities[c] += logits[c] / sum;
    }
    for (auto& v : p.probabilities) v /= static_cast<float>(members_.size());
  }
  for (int k = 0; k < kClasses; ++k) {
    if (p.probabilities[k] > p.probabilities[p.digit]) p.digit = k;
  }
  p.confidence = p.probabilities[p.digit];
  return p;
}

}  // namespace digits
