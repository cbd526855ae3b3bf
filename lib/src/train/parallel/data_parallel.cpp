#include "train/parallel/data_parallel.h"

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace digits::detail {

torch::Tensor shard(const torch::Tensor& rows, int64_t rank, int64_t world) {
  const int64_t m = rows.numel();
  return rows.slice(0, m * rank / world, m * (rank + 1) / world);
}

Result<StepTotals> reduce_gradients(WorkerGroup& group, torch::nn::Module& net, double local_loss,
                                    double share, bool stop, int64_t step) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (const auto& p : net.parameters()) {
    parts.push_back(p.grad().defined() ? p.grad().reshape(-1).to(torch::kCPU, torch::kFloat)
                                       : torch::zeros({p.numel()}, torch::kFloat));
  }
  parts.push_back(torch::tensor({local_loss, stop ? 1.0 : 0.0}, torch::kFloat));
  auto flat = torch::cat(parts);
  const int64_t grads = flat.numel() - 2;
  flat.slice(0, 0, grads + 1).mul_(share);
  DIGITS_RETURN_IF_ERROR(
      group.sum(flat, "the gradient allreduce of step " + std::to_string(step + 1)));
  int64_t at = 0;
  for (auto& p : net.parameters()) {
    const auto part = flat.slice(0, at, at + p.numel()).view_as(p).to(p.device(), p.dtype());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(part);
    } else {
      p.mutable_grad() = part.clone();
    }
    at += p.numel();
  }
  return StepTotals{flat[grads].item<double>(), flat[grads + 1].item<double>() > 0};
}

Result<bool> sync_with_rank0(WorkerGroup& group, torch::nn::Module& net, bool adopt, bool stop,
                             const std::string& when) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, buffers;
  for (const auto& p : net.parameters()) params.push_back(p);
  for (const auto& b : net.buffers()) {
    if (b.is_floating_point()) buffers.push_back(b);
  }
  std::vector<torch::Tensor> parts;
  int64_t weights = 0;
  for (const auto& p : params) {
    parts.push_back(p.reshape(-1).to(torch::kCPU, torch::kFloat));
    weights += p.numel();
  }
  for (const auto& b : buffers) parts.push_back(b.reshape(-1).to(torch::kCPU, torch::kFloat));
  auto flat = torch::cat(parts);
  const auto mine = flat.slice(0, 0, weights).clone();
  DIGITS_RETURN_IF_ERROR(group.broadcast(flat, "sharing rank 0's weights " + when));
  const bool differs = !adopt && !flat.slice(0, 0, weights).equal(mine);
  int64_t at = adopt ? 0 : weights;
  for (auto& t : adopt ? params : std::vector<torch::Tensor>{}) {
    t.copy_(flat.slice(0, at, at + t.numel()).view_as(t));
    at += t.numel();
  }
  for (auto& t : buffers) {
    t.copy_(flat.slice(0, at, at + t.numel()).view_as(t));
    at += t.numel();
  }
  auto flags = torch::tensor({differs ? 1.0 : 0.0, stop ? 1.0 : 0.0}, torch::kDouble);
  DIGITS_RETURN_IF_ERROR(group.sum(flags, "comparing the ranks' weights " + when));
  if (flags[0].item<double>() > 0) {
    return Error{std::to_string(static_cast<int64_t>(flags[0].item<double>())) +
                 " rank(s) hold other weights than rank 0 " + when +
                 (differs ? ", this one among them" : "") +
                 " (with --resume: is it the same checkpoint on every machine?)"};
  }
  return flags[1].item<double>() > 0;
}

Status same_run_as_rank0(WorkerGroup& group, const TrainConfig& config, const DataIdentity& data) {
  std::string identity;
  for (const auto& o : train_options()) {
    if (o.role == OptionRole::kIdentity) identity += o.name + "=" + o.get(config).at(0) + ";";
  }
  const auto mine = torch::tensor({data.rows, static_cast<int64_t>(data.fingerprint),
                                   static_cast<int64_t>(std::hash<std::string>{}(identity))},
                                  torch::kInt64);
  auto theirs = mine.clone();
  DIGITS_RETURN_IF_ERROR(group.broadcast(theirs, "sharing rank 0's options and data"));
  const bool same_data = theirs.slice(0, 0, 2).equal(mine.slice(0, 0, 2));
  const bool same_options = theirs[2].item<int64_t>() == mine[2].item<int64_t>();
  auto differs = torch::tensor({same_data && same_options ? 0.0 : 1.0}, torch::kDouble);
  DIGITS_RETURN_IF_ERROR(group.sum(differs, "comparing the ranks' options and data"));
  if (differs.item<double>() == 0) return {};
  std::string here;
  if (!same_data) here = "this rank's data differs from rank 0's";
  if (!same_options)
    here +=
        std::string(here.empty() ? "this rank's" : ", and its") + " options differ from rank 0's";
  return Error{std::to_string(static_cast<int64_t>(differs.item<double>())) +
               " rank(s) run with other options or data than rank 0" +
               (here.empty() ? "" : " (" + here + ")") +
               "; give every rank the same options and the same --data rows"};
}

namespace {

// Data parallelism: each rank trains on its shard of every global batch; the gradients are
// summed, so that every rank takes the same step as one process on the whole batch would.
class DataParallel final : public Ranks {
 public:
  explicit DataParallel(std::unique_ptr<WorkerGroup> group) : group_(std::move(group)) {}
  int64_t rank() const override { return group_->rank(); }
  int64_t size() const override { return group_->size(); }
  torch::Tensor shard(const torch::Tensor& rows) const override {
    return detail::shard(rows, rank(), size());
  }
  Result<StepTotals> combine_gradients(torch::nn::Module& net, double loss, double share, bool stop,
                                       int64_t step) override {
    return reduce_gradients(*group_, net, loss, share, stop, step);
  }
  Result<bool> sync_weights(torch::nn::Module& net, bool adopt, bool stop,
                            const std::string& when) override {
    return sync_with_rank0(*group_, net, adopt, stop, when);
  }
  Status check_same_run(const TrainConfig& config, const DataIdentity& data) override {
    return same_run_as_rank0(*group_, config, data);
  }
  // Each rank evaluates its consecutive share of the validation rows.
  Result<Evaluation> validate(const std::function<Evaluation(const Dataset&)>& evaluate,
                              const Dataset& val) override {
    const int64_t n = val.size(), r = rank(), w = size();
    const auto rows =
        torch::arange(n * r / w, n * (r + 1) / w, torch::kInt64).to(val.images.device());
    const Dataset part = subset(val, rows);
    const auto mine = evaluate(part);
    const double count = static_cast<double>(part.size());
    const double loss = count > 0 ? mine.loss * count : 0.0;
    const double correct = count > 0 ? std::round(mine.accuracy * count) : 0.0;
    auto sums = torch::tensor({loss, correct, count}, torch::kDouble);
    DIGITS_RETURN_IF_ERROR(group_->sum(sums, "the validation allreduce"));
    const double total = sums[2].item<double>();
    if (total == 0) return Evaluation{std::nan(""), std::nan("")};
    return Evaluation{sums[0].item<double>() / total, sums[1].item<double>() / total};
  }

 private:
  std::unique_ptr<WorkerGroup> group_;
};

}  // namespace

Result<std::unique_ptr<Ranks>> join_ranks(const DistributedConfig& config) {
  if (config.world_size <= 1) return std::unique_ptr<Ranks>(new Ranks());
  auto joined = WorkerGroup::join(config);
  DIGITS_RETURN_IF_ERROR(joined);
  return std::unique_ptr<Ranks>(new DataParallel(std::move(joined.value())));
}

}  // namespace digits::detail
