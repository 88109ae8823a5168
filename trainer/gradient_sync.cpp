#include "trainer/gradient_sync.h"

#include "common/communicator.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace scorch::trainer {

GradientSynchronizer::GradientSynchronizer(std::vector<at::Tensor> parameters, Communicator& communicator,
                                           std::int64_t bucket_bytes)
    : parameters_(std::move(parameters)), communicator_(communicator), slots_(parameters_.size()) {
  std::int64_t filled_bytes = 0, filled_elements = 0;
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    const at::Tensor& p = parameters_[i];
    const at::Tensor& first = buckets_.empty() ? p : parameters_[buckets_.back().front()];
    const bool same_type = first.scalar_type() == p.scalar_type() && first.device() == p.device();
    if (buckets_.empty() || filled_bytes >= bucket_bytes || !same_type) {
      buckets_.emplace_back();
      filled_bytes = filled_elements = 0;
    }
    buckets_.back().push_back(i);
    slots_[i] = {buckets_.size() - 1, filled_elements, false};
    filled_bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
    filled_elements += p.numel();
  }
}

GradientSynchronizer::~GradientSynchronizer() {
  // The hooks point at this object; the parameters outlive it.
  for (const auto& [index, handle] : hooks_) parameters_[index].remove_hook(handle);
}

void GradientSynchronizer::register_hooks() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].requires_grad()) continue;
    // The hook sees the gradient before it is accumulated into .grad.
    hooks_.emplace_back(i, parameters_[i].register_hook([this, i](const at::Tensor& fresh) { take_gradient(i, fresh); }));
  }
  hooked_ = true;
}

void GradientSynchronizer::mark_filled(std::size_t index) {
  slots_[index].filled = true;
  --unfilled_[slots_[index].bucket];
}

at::Tensor GradientSynchronizer::slot_view(std::size_t index) const {
  const at::Tensor& p = parameters_[index];
  return buffers_[slots_[index].bucket].narrow(0, slots_[index].offset, p.numel()).view(p.sizes());
}

void GradientSynchronizer::begin_step() {
  if (buffers_.empty()) {
    for (const auto& bucket : buckets_) {
      std::int64_t elements = 0;
      for (std::size_t i : bucket) elements += parameters_[i].numel();
      const at::Tensor& first = parameters_[bucket.front()];
      buffers_.push_back(at::empty({elements}, at::TensorOptions().dtype(first.scalar_type()).device(first.device())));
    }
  }
  for (Slot& slot : slots_) slot.filled = false;
  unfilled_.clear();
  for (const auto& bucket : buckets_) unfilled_.push_back(bucket.size());
  next_bucket_ = 0;
}

void GradientSynchronizer::overlap_next_backward() {
  // A blocking backend would only move its wait into backward (and out of the sync-time figure).
  if (communicator_.world_size() == 1 || !communicator_.has_asynchronous_collectives()) return;
  if (!hooked_) register_hooks();
  begin_step();
  armed_ = true;
}

void GradientSynchronizer::take_gradient(std::size_t index, const at::Tensor& fresh) {
  if (!armed_) return;
  torch::NoGradGuard no_grad;
  Slot& slot = slots_[index];
  at::Tensor target = slot_view(index);
  const at::Tensor& accumulated = parameters_[index].grad();
  if (slot.filled) {
    target.add_(fresh);
  } else if (accumulated.defined()) {
    at::add_out(target, accumulated, fresh);
  } else {
    target.copy_(fresh);
  }
  if (!slot.filled) mark_filled(index);
  start_complete_buckets();
}

void GradientSynchronizer::start_complete_buckets() {
  // Strictly in bucket order, so every rank issues the same sequence of collectives.
  while (next_bucket_ < buckets_.size() && unfilled_[next_bucket_] == 0) {
    communicator_.start_all_reduce_sum(buffers_[next_bucket_]);
    ++next_bucket_;
  }
}

void GradientSynchronizer::sum_gradients() {
  if (communicator_.world_size() == 1) return;
  if (!armed_) begin_step();
  armed_ = false;
  torch::NoGradGuard no_grad;
  for (std::size_t b = next_bucket_; b < buckets_.size(); ++b) {
    for (std::size_t i : buckets_[b]) {
      if (slots_[i].filled) continue;
      // Not produced by an overlapped backward: unused this micro-batch, or no overlap asked for.
      const at::Tensor& gradient = parameters_[i].grad();
      if (gradient.defined()) {
        slot_view(i).copy_(gradient);
      } else {
        slot_view(i).zero_();
      }
      mark_filled(i);
    }
  }
  start_complete_buckets();
  communicator_.wait_for_started();
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].grad().defined()) parameters_[i].mutable_grad() = at::zeros_like(parameters_[i]);
    parameters_[i].mutable_grad().copy_(slot_view(i));
  }
}

void GradientSynchronizer::broadcast_parameters() {
  if (communicator_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    for (std::size_t i : bucket) pieces.push_back(parameters_[i].reshape({-1}));
    at::Tensor flat = at::cat(pieces);
    communicator_.broadcast(flat, 0);
    for (std::size_t i : bucket) {
      parameters_[i].copy_(flat.narrow(0, slots_[i].offset, parameters_[i].numel()).view_as(parameters_[i]));
    }
  }
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
