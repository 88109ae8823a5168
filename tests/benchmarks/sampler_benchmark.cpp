// The samplers against the exact score of a Gaussian mixture: for D = 2 and
// D = 64, the 10:1 two-mode mixture (components of variance 0.2 at ±1.5 in
// every coordinate) under the VP and VE SDEs. Each deterministic sampler
// starts from the same prior draws as the exact probability-flow ODE endpoint
// (RK45 at rtol = atol = 1e-9, then the Tweedie step); the table gives its
// NFE per image, the mean distance per image to that endpoint, divided by
// √D so that the two dimensions compare, and the wall time for the batch.
// The PC sampler follows another path (it is stochastic), so it has no error.
// Usage: scorch_sampler_benchmark [IMAGES]   (OMP_NUM_THREADS applies)
#include "common/random_stream.h"
#include "evaluation/sampling/ddim_sampler.h"
#include "evaluation/sampling/dpm_solver.h"
#include "evaluation/sampling/edm_sampler.h"
#include "evaluation/sampling/ode_sampler.h"
#include "evaluation/sampling/pc_sampler.h"
#include "evaluation/sampling/prior_latents.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"
#include "models/ve_sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <string>

namespace {
using namespace scorch;
using namespace scorch::evaluation;
using Clock = std::chrono::steady_clock;

models::GaussianMixture two_modes(std::int64_t dim) {
  return {torch::tensor({10.0, 1.0}, at::kDouble),
          at::stack({at::full({dim}, 1.5, at::kDouble), at::full({dim}, -1.5, at::kDouble)}),
          0.2 * at::eye(dim, at::kDouble).unsqueeze(0).repeat({2, 1, 1})};
}

struct Row {
  std::string sampler;
  std::function<at::Tensor(const models::ScoreFunction&)> draw;
  bool deterministic = true;
};

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t images = argc > 1 ? std::stoll(argv[1]) : 200;
  fmt::print("| SDE | D | sampler | NFE | error / √D | seconds |\n|---|---|---|---|---|---|\n");
  for (const std::int64_t dim : {2, 64}) {
    for (const bool ve : {false, true}) {
      std::shared_ptr<const models::Sde> sde;
      if (ve) sde = std::make_shared<models::VeSde>(0.01, 50.0);
      else sde = std::make_shared<models::VpSde>(0.1, 20.0);
      models::AnalyticGmmModel model(two_modes(dim), sde);
      const models::ScoreFunction exact_score = model.as_function();
      const double eps = sde->reference_sampling_eps();
      const std::vector<std::int64_t> indices = index_range(0, images);
      const at::Tensor x_T = prior_latents(*sde, {dim}, 1, indices, at::kDouble);
      OdeSamplerSettings reference;
      reference.ode.rtol = reference.ode.atol = 1e-9;
      reference.eps = eps;
      const at::Tensor exact = ode_sample(*sde, exact_score, reference, x_T).x;

      std::vector<Row> rows;
      for (const std::int64_t steps : {10, 20, 35, 100, 1000}) {
        PcSettings pc;
        pc.steps = steps;
        pc.predictor = reference_predictor(*sde);
        pc.corrector = Corrector::none;
        pc.eps = eps;
        rows.push_back({"pc (" + to_string(pc.predictor) + ")",
                        [=](const models::ScoreFunction& s) { return pc_sample(*sde, s, pc, x_T, 1, indices); }, false});
      }
      for (const double tolerance : {1e-3, 1e-5}) {
        OdeSamplerSettings ode;
        ode.ode.rtol = ode.ode.atol = tolerance;
        ode.eps = eps;
        rows.push_back({fmt::format("ode rk45 {:g}", tolerance),
                        [=](const models::ScoreFunction& s) { return ode_sample(*sde, s, ode, x_T).x; }});
      }
      for (const std::int64_t points : {5, 10, 18, 50}) {
        EdmSettings edm;
        edm.steps = points;
        edm.eps = eps;
        rows.push_back({"edm_heun", [=](const models::ScoreFunction& s) { return edm_sample(*sde, s, edm, x_T, 1, indices); }});
      }
      for (const std::int64_t steps : {9, 19, 34, 99}) {
        DpmSolverSettings dpm;
        dpm.steps = steps;
        dpm.eps = eps;
        rows.push_back({"dpmpp_2m", [=](const models::ScoreFunction& s) { return dpm_solver_sample(*sde, s, dpm, x_T); }});
        DdimSettings ddim;
        ddim.steps = steps;
        ddim.eps = eps;
        rows.push_back({"ddim", [=](const models::ScoreFunction& s) { return ddim_sample(*sde, s, ddim, x_T, 1, indices); }});
      }
      for (const Row& row : rows) {
        std::int64_t calls = 0;
        const models::ScoreFunction counted = [&](const at::Tensor& x, const at::Tensor& t) {
          ++calls;
          return exact_score(x, t);
        };
        const auto start = Clock::now();
        const at::Tensor x = row.draw(counted);
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const std::string error =
            row.deterministic
                ? fmt::format("{:.2e}", (x - exact).norm(2, 1).mean().item<double>() / std::sqrt(static_cast<double>(dim)))
                : "stochastic";
        // RK45 evaluates the still-active images together: calls per batch is the most any image needed.
        fmt::print("| {} | {} | {} | {} | {} | {:.2f} |\n", sde->name(), dim, row.sampler, calls, error, seconds);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
