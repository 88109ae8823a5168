#pragma once
// Probability-flow ODE integration in LibTorch on the tensor's own device:
// adaptive Dormand–Prince RK45 and fixed-step Euler and Heun. The adaptive
// solver controls the error of each sample separately (its own time and step
// size, RMS error norm as scipy's solve_ivp), so a sample's path does not
// depend on the other samples in its batch; the drift is evaluated on the
// still-active samples together, one call per stage.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>
#include <functional>

namespace scorch::evaluation {

// dx/dt = drift(x, t) with one time per example (t float64 [B]).
using OdeDrift = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)>;

// The same with the rows of the starting batch that x holds (int64 [B']): the
// adaptive solver evaluates only the samples still under way, and a drift with
// per-sample state (e.g. fixed Hutchinson probes) needs to know which.
using IndexedOdeDrift =
    std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t, const at::Tensor& rows)>;

enum class OdeMethod { rk45, euler, heun };
OdeMethod parse_ode_method(const std::string& name);
std::string to_string(OdeMethod method);
std::vector<std::string> ode_method_names();

struct OdeSettings {
  OdeMethod method = OdeMethod::rk45;
  double rtol = 1e-5;
  double atol = 1e-5;
  std::int64_t steps = 1000;  // euler / heun
};

struct OdeSolution {
  at::Tensor x;    // at t_end
  at::Tensor nfe;  // int64 [B]: drift evaluations each sample needed
};

// Integrates from t_start to t_end (either direction). Gradients are off
// unless the drift turns them on for itself.
OdeSolution solve_ode(const OdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                      const OdeSettings& settings);
OdeSolution solve_ode(const IndexedOdeDrift& drift, const at::Tensor& x_start, double t_start, double t_end,
                      const OdeSettings& settings);

}  // namespace scorch::evaluation
