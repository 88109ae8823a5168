#include "evaluation/sampling/ode_solver.h"

#include "common/name_table.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <array>
#include <cmath>

namespace scorch::evaluation {
namespace {

const std::vector<Named<OdeMethod>>& ode_method_table() {
  static const std::vector<Named<OdeMethod>> table = {
      {OdeMethod::rk45, "rk45"}, {OdeMethod::euler, "euler"}, {OdeMethod::heun, "heun"}};
  return table;
}

}  // namespace

OdeMethod parse_ode_method(const std::string& name) { return row_named(ode_method_table(), name, "ODE method").value; }
std::string to_string(OdeMethod method) { return row_of(ode_method_table(), method).name; }
std::vector<std::string> ode_method_names() { return table_names(ode_method_table()); }

namespace {

// Dormand–Prince 5(4) tableau.
constexpr std::array<double, 7> kC = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
const std::array<std::array<double, 6>, 7> kA = {{
    {0, 0, 0, 0, 0, 0},
    {1.0 / 5, 0, 0, 0, 0, 0},
    {3.0 / 40, 9.0 / 40, 0, 0, 0, 0},
    {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0},
    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
}};
// Fifth-order weights minus the embedded fourth-order ones.
constexpr std::array<double, 7> kError = {35.0 / 384 - 5179.0 / 57600, 0.0, 500.0 / 1113 - 7571.0 / 16695,
                                          125.0 / 192 - 393.0 / 640, -2187.0 / 6784 + 92097.0 / 339200,
                                          11.0 / 84 - 187.0 / 2100, -1.0 / 40};

at::Tensor rms_per_example(const at::Tensor& x) { return x.reshape({x.size(0), -1}).square().mean(1).sqrt(); }

at::Tensor expand_like(const at::Tensor& per_example, const at::Tensor& x) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  return per_example.to(x.scalar_type()).reshape(shape);
}

OdeSolution solve_fixed(const IndexedOdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                        const OdeSettings& s) {
  if (s.steps < 1) throw UserError("fixed-step ODE solvers need at least one step");
  const std::int64_t batch = x_start.size(0);
  const double h = (t_end - t_start) / static_cast<double>(s.steps);
  at::Tensor x = x_start;
  const at::Tensor rows = at::arange(batch, at::kLong);
  std::int64_t evaluations = 0;
  for (std::int64_t i = 0; i < s.steps; ++i) {
    const at::Tensor t = at::full({batch}, t_start + static_cast<double>(i) * h, at::kDouble);
    const at::Tensor k1 = drift(x, t, rows);
    ++evaluations;
    if (s.method == OdeMethod::euler) {
      x = x + h * k1;
    } else {
      const at::Tensor k2 = drift(x + h * k1, t + h, rows);
      ++evaluations;
      x = x + 0.5 * h * (k1 + k2);
    }
  }
  return {x, at::full({batch}, evaluations, at::kLong)};
}

OdeSolution solve_rk45(const IndexedOdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                       const OdeSettings& s) {
  const std::int64_t batch = x_start.size(0);
  const double direction = t_end >= t_start ? 1.0 : -1.0;
  const double span = std::abs(t_end - t_start);
  at::Tensor x = x_start.clone();
  at::Tensor t = at::full({batch}, t_start, at::kDouble);
  at::Tensor nfe = at::zeros({batch}, at::kLong);
  at::Tensor k_first = drift(x, t, at::arange(batch, at::kLong));  // FSAL: the last stage of a step is the next step's first
  nfe += 1;
  // Initial step per example, as scipy's first estimate: 0.01 ‖x‖/‖f‖ in the tolerance scale.
  const at::Tensor scale = s.atol + s.rtol * x.abs();
  const at::Tensor d0 = rms_per_example(x / scale), d1 = rms_per_example(k_first / scale);
  at::Tensor h = at::where((d0 < 1e-5) | (d1 < 1e-5), at::full_like(d0, 1e-6), 0.01 * d0 / d1).to(at::kDouble);
  h = at::clamp_max(h, span);
  at::Tensor active = at::ones({batch}, at::kBool);

  while (active.any().item<bool>()) {
    const at::Tensor index = active.nonzero().squeeze(1);
    const at::Tensor xa = x.index_select(0, index), ta = t.index_select(0, index);
    const at::Tensor remaining = (t_end - ta) * direction;
    const at::Tensor ha = at::minimum(h.index_select(0, index), remaining);
    std::array<at::Tensor, 7> k;
    k[0] = k_first.index_select(0, index);
    for (int stage = 1; stage < 7; ++stage) {
      at::Tensor increment = at::zeros_like(xa);
      for (int j = 0; j < stage; ++j) {
        if (kA[stage][j] != 0.0) increment = increment + kA[stage][j] * k[j];
      }
      k[stage] = drift(xa + expand_like(direction * ha, xa) * increment, ta + direction * kC[stage] * ha, index);
    }
    const at::Tensor x_new = xa + expand_like(direction * ha, xa) *
                                      (kA[6][0] * k[0] + kA[6][2] * k[2] + kA[6][3] * k[3] + kA[6][4] * k[4] + kA[6][5] * k[5]);
    at::Tensor error = at::zeros_like(xa);
    for (int j = 0; j < 7; ++j) {
      if (kError[j] != 0.0) error = error + kError[j] * k[j];
    }
    error = expand_like(ha, xa) * error;
    const at::Tensor tolerance = s.atol + s.rtol * at::maximum(xa.abs(), x_new.abs());
    const at::Tensor error_norm = rms_per_example(error / tolerance).to(at::kDouble);
    nfe.index_add_(0, index, at::full({index.size(0)}, 6, at::kLong));

    const at::Tensor accepted = error_norm <= 1.0;
    const at::Tensor factor = at::clamp(0.9 * at::pow(error_norm.clamp_min(1e-10), -0.2), 0.2, 10.0);
    const at::Tensor accepted_index = index.masked_select(accepted);
    if (accepted_index.numel() > 0) {
      x.index_copy_(0, accepted_index, x_new.index_select(0, accepted.nonzero().squeeze(1)));
      k_first.index_copy_(0, accepted_index, k[6].index_select(0, accepted.nonzero().squeeze(1)));
      const at::Tensor t_new = ta + direction * ha;
      t.index_copy_(0, accepted_index, t_new.masked_select(accepted));
    }
    h.index_copy_(0, index, ha * at::where(accepted, at::minimum(factor, at::full_like(factor, 10.0)),
                                           at::minimum(factor, at::full_like(factor, 1.0))));
    if ((h.index_select(0, index) < 1e-12 * span).any().item<bool>()) {
      throw UserError("the ODE solver's step size fell below 1e-12 of the interval: the drift is too stiff "
                      "(loosen rtol/atol or raise eps)");
    }
    active = (t_end - t) * direction > 1e-12 * span;
  }
  return {x, nfe};
}

}  // namespace

OdeSolution solve_ode(const OdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                      const OdeSettings& settings) {
  return solve_ode([&drift](const at::Tensor& x, const at::Tensor& t, const at::Tensor&) { return drift(x, t); },
                   x_start, t_start, t_end, settings);
}

OdeSolution solve_ode(const IndexedOdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                      const OdeSettings& settings) {
  torch::NoGradGuard no_grad;
  if (settings.method == OdeMethod::rk45) return solve_rk45(drift, x_start, t_start, t_end, settings);
  return solve_fixed(drift, x_start, t_start, t_end, settings);
}

}  // namespace scorch::evaluation
