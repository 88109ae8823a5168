#include "trainer/gradient_sync.h"

#include "common/communicator.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace scorch::trainer {

GradientSynchronizer::GradientSynchronizer(std::vector<at::Tensor> parameters, Communicator& communicator,
                                           std::int64_t bucket_bytes)
    : parameters_(std::move(parameters)), communicator_(communicator) {
  std::int64_t filled = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const at::Tensor& p = parameters_[i];
    const at::Tensor& first = buckets_.empty() ? p : parameters_[buckets_.back().front()];
    const bool same_type = first.scalar_type() == p.scalar_type() && first.device() == p.device();
    if (buckets_.empty() || filled >= bucket_bytes || !same_type) {
      buckets_.emplace_back();
      filled = 0;
    }
    buckets_.back().push_back(i);
    filled += p.numel() * static_cast<std::int64_t>(p.element_size());
  }
}

void GradientSynchronizer::for_each_bucket(bool gradients, bool broadcast) {
  torch::NoGradGuard no_grad;
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    for (std::size_t i : bucket) {
      at::Tensor source = gradients ? parameters_[i].grad() : parameters_[i];
      if (gradients && !source.defined()) {
        // A parameter unused on this rank still takes part, with a zero gradient.
        parameters_[i].mutable_grad() = at::zeros_like(parameters_[i]);
        source = parameters_[i].grad();
      }
      pieces.push_back(source.reshape({-1}));
    }
    at::Tensor flat = at::cat(pieces);
    if (broadcast) {
      communicator_.broadcast(flat, 0);
    } else {
      communicator_.all_reduce_sum(flat);
    }
    std::int64_t offset = 0;
    for (std::size_t i : bucket) {
      at::Tensor target = gradients ? parameters_[i].grad() : parameters_[i];
      target.copy_(flat.narrow(0, offset, target.numel()).view_as(target));
      offset += target.numel();
    }
  }
}

void GradientSynchronizer::sum_gradients() {
  if (communicator_.world_size() > 1) for_each_bucket(/*gradients=*/true, /*broadcast=*/false);
}

void GradientSynchronizer::broadcast_parameters() {
  if (communicator_.world_size() > 1) for_each_bucket(/*gradients=*/false, /*broadcast=*/true);
}

double parameter_checksum(const std::vector<at::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  double checksum = 0.0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor t = tensors[i].detach().to(at::kDouble);
    checksum += static_cast<double>(i + 1) * (t.sum().item<double>() + 0.5 * t.square().sum().item<double>());
  }
  return checksum;
}

void require_same_on_all_ranks(Communicator& communicator, double value, const std::string& what) {
  if (communicator.world_size() == 1) return;
  at::Tensor extremes = at::tensor({value, -value}, at::kDouble).to(communicator.device());
  communicator.all_reduce_max(extremes);
  extremes = extremes.cpu();
  const double largest = extremes[0].item<double>(), smallest = -extremes[1].item<double>();
  if (largest != smallest) throw UserError(what + " differs across ranks");
}

}  // namespace scorch::trainer
