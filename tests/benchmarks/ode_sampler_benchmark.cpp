// Cost of the probability-flow ODE sampler: for a small preset (random
// weights: the cost of a network call does not depend on training) and the
// adaptive RK45 at two tolerances plus fixed-step Heun, one batch from the
// prior to eps, reporting NFE, wall time per batch, and the ratio of solver
// overhead (everything but the network calls) to network time, measured in
// the same run.
// Usage: scorch_ode_benchmark [SOURCE_DIR] [BATCH] [PRESET]   (OMP_NUM_THREADS applies)
#include "common/config.h"
#include "common/random_stream.h"
#include "evaluation/sampling/ode_solver.h"
#include "launch/config_schema.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <string>

namespace {
using namespace scorch;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
  const std::string source = argc > 1 ? argv[1] : ".";
  const std::int64_t batch = argc > 2 ? std::stoll(argv[2]) : 16;
  const std::string preset = argc > 3 ? argv[3] : "unet_small_28x28x1";
  const Config config = launch::load_config(source + "/configs/" + preset + ".yaml", {});
  at::manual_seed(0);
  const models::ModelBundle bundle = models::make_model_bundle(config);
  const std::shared_ptr<const models::Sde> sde = bundle.process.shared_sde();
  if (!sde) {
    fmt::print(stderr, "{} is not an SDE model\n", preset);
    return 1;
  }
  const auto& model = bundle.model;
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> shape = model->input_shape();
  shape.insert(shape.begin(), batch);
  at::Generator generator = make_generator({0, RandomPurpose::test, 0}, 0);
  const at::Tensor prior = at::randn(shape, generator, at::kFloat) * sde->prior_std();
  model->score(prior, at::full({batch}, 0.5, at::kDouble));  // warm-up

  fmt::print("ODE sampler, {} ({} parameters), batch {}, {} thread(s)\n", preset, model->parameter_count(), batch,
             at::get_num_threads());
  fmt::print("{:<22} {:>9} {:>9} {:>12} {:>12} {:>16}\n", "solver", "mean NFE", "max NFE", "s / batch",
             "net s", "overhead / net");
  struct Case {
    std::string name;
    evaluation::OdeSettings settings;
  };
  evaluation::OdeSettings loose, tight, heun;
  loose.rtol = loose.atol = 1e-3;
  tight.rtol = tight.atol = 1e-5;
  heun.method = evaluation::OdeMethod::heun;
  heun.steps = 50;
  for (const Case& c : {Case{"rk45 rtol=atol=1e-3", loose}, Case{"rk45 rtol=atol=1e-5", tight}, Case{"heun 50 steps", heun}}) {
    double network_seconds = 0.0;
    const evaluation::OdeDrift drift = [&](const at::Tensor& x, const at::Tensor& t) {
      const auto start = Clock::now();
      const at::Tensor score = model->score(x, t);
      network_seconds += seconds_since(start);
      return sde->probability_flow_drift(x, t, [&](const at::Tensor&, const at::Tensor&) { return score; });
    };
    const auto start = Clock::now();
    const evaluation::OdeSolution solution = evaluation::solve_ode(drift, prior, sde->T(), 1e-3, c.settings);
    const double total = seconds_since(start);
    const at::Tensor nfe = solution.nfe.to(at::kDouble);
    fmt::print("{:<22} {:>9.1f} {:>9.0f} {:>12.2f} {:>12.2f} {:>16.3f}\n", c.name, nfe.mean().item<double>(),
               nfe.max().item<double>(), total, network_seconds, (total - network_seconds) / network_seconds);
  }
  return 0;
}
