#include "models/diffusion_process.h"

#include "models/noise_family.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <stdexcept>

namespace scorch::models {

std::string to_string(Conditioning conditioning) {
  switch (conditioning) {
    case Conditioning::time: return "time";
    case Conditioning::noise_level: return "noise_level";
    case Conditioning::chain_time: return "chain_time";
  }
  return "?";
}

DiffusionProcess::DiffusionProcess(std::shared_ptr<const Sde> sde) : sde_(std::move(sde)) {
  if (!sde_) throw std::logic_error("DiffusionProcess: null SDE");
}

DiffusionProcess::DiffusionProcess(at::Tensor noise_levels, std::shared_ptr<const NoiseFamily> family)
    : noise_levels_(noise_levels.to(at::kDouble).contiguous()), family_(std::move(family)) {
  if (!family_ || noise_levels_.dim() != 1 || noise_levels_.numel() == 0) {
    throw std::logic_error("DiffusionProcess: a noise-level ladder needs levels [L] and a noise family");
  }
}

DiffusionProcess::DiffusionProcess(AlphaStableChainSpec chain) : chain_(chain) {}

Conditioning DiffusionProcess::conditioning() const {
  if (sde_) return Conditioning::time;
  if (chain_) return Conditioning::chain_time;
  return Conditioning::noise_level;
}

std::vector<double> DiffusionProcess::noise_level_values() const {
  if (!has_noise_levels()) return {};
  return {noise_levels_.data_ptr<double>(), noise_levels_.data_ptr<double>() + noise_levels_.numel()};
}

bool DiffusionProcess::variance_exploding() const {
  if (sde_) return sde_->variance_exploding();
  return has_noise_levels();
}

at::Tensor DiffusionProcess::noise_std(const at::Tensor& conditioning) const {
  const at::Tensor c = conditioning.to(at::kDouble).reshape({-1});
  if (sde_) return sde_->marginal_std(c);
  if (has_noise_levels()) return c;
  throw std::logic_error("the α-stable chain has no per-example noise std");
}

std::string DiffusionProcess::describe() const {
  if (sde_) return fmt::format("the {} SDE", sde_->name());
  if (chain_) return fmt::format("the α-stable chain (α {:g}, {} steps)", chain_->alpha, chain_->steps);
  return fmt::format("{} noise levels ({} noise)", noise_levels_.numel(), family_->name());
}

}  // namespace scorch::models
