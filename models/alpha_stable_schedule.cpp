#include "models/alpha_stable_schedule.h"

#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {

AlphaStableSchedule::AlphaStableSchedule(double alpha, std::int64_t steps) : alpha_(alpha), steps_(steps) {
  if (!(alpha > 0.0 && alpha <= 2.0)) throw UserError(fmt::format("the α-stable chain needs 0 < α ≤ 2 (got {})", alpha));
  if (steps < 2) throw UserError(fmt::format("the α-stable chain needs at least 2 steps (got {})", steps));
  // Nichol & Dhariwal's cosine ᾱ with offset s = 0.008, normalised so ᾱ_0 = 1.
  constexpr double kOffset = 0.008;
  const at::Tensor t = at::arange(steps, at::kDouble);
  const at::Tensor cosine = at::pow(at::cos((t / static_cast<double>(steps) + kOffset) / (1.0 + kOffset) * M_PI / 2.0), 2);
  const at::Tensor alpha_bar = cosine / cosine[0];
  const at::Tensor previous = at::cat({alpha_bar.slice(0, 0, 1), alpha_bar.slice(0, 0, steps - 1)});
  const at::Tensor keep = alpha_bar / previous;  // 1 − β_t
  gammas_ = at::pow(keep, 1.0 / alpha);
  sigmas_ = at::pow(1.0 - keep, 1.0 / alpha);  // (1 − γ_t^α)^{1/α}
  bar_gammas_ = at::cumprod(gammas_, 0);
  bar_sigmas_ = at::pow(1.0 - at::pow(bar_gammas_, alpha), 1.0 / alpha);
}

double AlphaStableSchedule::gamma(std::int64_t t) const { return gammas_[t].item<double>(); }
double AlphaStableSchedule::sigma(std::int64_t t) const { return sigmas_[t].item<double>(); }
double AlphaStableSchedule::cumulative_gamma(std::int64_t t) const { return bar_gammas_[t].item<double>(); }
double AlphaStableSchedule::cumulative_sigma(std::int64_t t) const { return bar_sigmas_[t].item<double>(); }

}  // namespace scorch::models
