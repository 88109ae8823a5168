#include "models/discrete_chain.h"

#include "common/user_error.h"

#include <cmath>

namespace scorch::models {

TimeGrid::TimeGrid(std::int64_t num_steps, double T) : num_steps_(num_steps), T_(T) {
  if (num_steps < 2) throw UserError("a discrete chain needs at least 2 steps");
}

at::Tensor TimeGrid::index_of(const at::Tensor& t) const {
  // The tolerance keeps t_i itself on index i despite rounding in i·T/(N−1).
  const at::Tensor scaled = t.to(at::kDouble) * static_cast<double>(num_steps_ - 1) / T_;
  return at::floor(scaled + 1e-9).clamp(0, static_cast<double>(num_steps_ - 1)).to(at::kLong);
}

at::Tensor TimeGrid::time_of(const at::Tensor& index) const {
  return index.to(at::kDouble) * T_ / static_cast<double>(num_steps_ - 1);
}

at::Tensor smld_sigmas(double sigma_min, double sigma_max, std::int64_t num_steps) {
  return at::exp(at::linspace(std::log(sigma_min), std::log(sigma_max), num_steps, at::kDouble));
}

DdpmChain ddpm_chain(double beta_min, double beta_max, std::int64_t num_steps) {
  const double n = static_cast<double>(num_steps);
  DdpmChain chain;
  chain.betas = at::linspace(beta_min / n, beta_max / n, num_steps, at::kDouble);
  chain.alphas = 1.0 - chain.betas;
  chain.alphas_cumprod = at::cumprod(chain.alphas, 0);
  return chain;
}

}  // namespace scorch::models
