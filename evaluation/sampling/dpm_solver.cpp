#include "evaluation/sampling/dpm_solver.h"

#include "common/user_error.h"
#include "evaluation/sampling/data_prediction.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace scorch::evaluation {
namespace {

// The reference switches to a first-order last step below this many steps,
// where the second-order extrapolation over one long step is unstable.
constexpr std::int64_t kLowerOrderFinalBelow = 10;

std::vector<double> time_grid(const models::Sde& sde, const DpmSolverSettings& settings) {
  if (settings.steps < 1) throw UserError("DPM-Solver++ needs at least one step (sampler.dpm_solver.steps)");
  if (!(settings.eps > 0.0 && settings.eps < sde.T())) throw UserError("sampling eps must lie in (0, T)");
  const double start = schedule_point(sde, sde.T()).log_snr, end = schedule_point(sde, settings.eps).log_snr;
  std::vector<double> times(static_cast<std::size_t>(settings.steps + 1));
  times.front() = sde.T();
  times.back() = settings.eps;  // exact ends; the inverse is used only inside
  for (std::int64_t i = 1; i < settings.steps; ++i) {
    const double lambda = start + (end - start) * static_cast<double>(i) / static_cast<double>(settings.steps);
    times[static_cast<std::size_t>(i)] = time_of_log_snr(sde, lambda);
  }
  return times;
}

}  // namespace

at::Tensor dpm_solver_time_grid(const models::Sde& sde, const DpmSolverSettings& settings) {
  return at::tensor(time_grid(sde, settings), at::kDouble);
}

std::int64_t dpm_solver_function_evaluations(const DpmSolverSettings& settings) {
  return settings.steps + (settings.denoise ? 1 : 0);
}

at::Tensor dpm_solver_sample(const models::Sde& sde, const models::ScoreFunction& score,
                             const DpmSolverSettings& settings, const at::Tensor& x_T) {
  const std::vector<double> times = time_grid(sde, settings);
  torch::NoGradGuard no_grad;
  at::Tensor x = x_T;
  at::Tensor previous_prediction;
  double previous_h = 0.0;
  for (std::int64_t i = 1; i <= settings.steps; ++i) {
    const SchedulePoint from = schedule_point(sde, times[static_cast<std::size_t>(i - 1)]);
    const SchedulePoint to = schedule_point(sde, times[static_cast<std::size_t>(i)]);
    const double h = 0.5 * (to.log_snr - from.log_snr);
    const at::Tensor prediction = data_prediction(sde, score, x, from.t);
    const bool first_order =
        !previous_prediction.defined() || (i == settings.steps && settings.steps < kLowerOrderFinalBelow);
    at::Tensor direction = prediction;
    if (!first_order) {
      const double r = previous_h / h;
      direction = (1.0 + 0.5 / r) * prediction - (0.5 / r) * previous_prediction;
    }
    x = (to.sigma / from.sigma) * x - to.a * std::expm1(-h) * direction;
    previous_prediction = prediction;
    previous_h = h;
  }
  if (settings.denoise) x = data_prediction(sde, score, x, settings.eps);
  return x;
}

}  // namespace scorch::evaluation
