#include "evaluation/likelihood/ode_likelihood.h"

#include "common/name_table.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::evaluation {
namespace {

at::Tensor gradient_of(const at::Tensor& output, const at::Tensor& input) {
  return torch::autograd::grad({output}, {input}, {}, /*retain_graph=*/true)[0];
}

// ∇·f̃ per sample: Σ_d ∂f̃_d/∂x_d, one backward pass per dimension.
at::Tensor exact_divergence(const at::Tensor& f, const at::Tensor& x) {
  const at::Tensor flat = f.reshape({f.size(0), -1});
  at::Tensor divergence = at::zeros({f.size(0)}, f.options());
  for (std::int64_t d = 0; d < flat.size(1); ++d) {
    divergence = divergence + gradient_of(flat.select(1, d).sum(), x).reshape({f.size(0), -1}).select(1, d);
  }
  return divergence;
}

at::Tensor hutchinson_divergence(const at::Tensor& f, const at::Tensor& x, const at::Tensor& probe) {
  const at::Tensor vjp = gradient_of((f * probe).sum(), x);
  return (vjp * probe).reshape({f.size(0), -1}).sum(1);
}

}  // namespace

namespace {

const std::vector<Named<DivergenceMethod>>& divergence_table() {
  static const std::vector<Named<DivergenceMethod>> table = {
      {DivergenceMethod::rademacher, "rademacher"}, {DivergenceMethod::gaussian, "gaussian"}, {DivergenceMethod::exact, "exact"}};
  return table;
}

}  // namespace

DivergenceMethod parse_divergence_method(const std::string& name) {
  return row_named(divergence_table(), name, "divergence estimator").value;
}
std::string to_string(DivergenceMethod method) { return row_of(divergence_table(), method).name; }
std::vector<std::string> divergence_method_names() { return table_names(divergence_table()); }

at::Tensor divergence_probes(DivergenceMethod method, std::uint64_t seed, std::int64_t repeat,
                             const std::vector<std::int64_t>& indices, const std::vector<std::int64_t>& example_shape) {
  if (method == DivergenceMethod::exact) {
    std::vector<std::int64_t> shape = example_shape;
    shape.insert(shape.begin(), static_cast<std::int64_t>(indices.size()));
    return at::zeros(shape, at::kDouble);
  }
  const RandomKey key{seed, RandomPurpose::divergence_probe, static_cast<std::uint64_t>(repeat)};
  return draw_per_example(key, indices, [&](at::Generator& generator) {
    if (method == DivergenceMethod::gaussian) return at::randn(example_shape, generator, at::kDouble);
    return at::randint(0, 2, example_shape, generator, at::kDouble) * 2.0 - 1.0;
  });
}

OdeLogLikelihood ode_log_likelihood(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x,
                                    const at::Tensor& probes, const LikelihoodSettings& settings) {
  if (!(settings.eps > 0.0 && settings.eps < sde.T())) {
    throw UserError(fmt::format("likelihood eps {} must lie in (0, T = {})", settings.eps, sde.T()));
  }
  const std::int64_t batch = x.size(0);
  const std::int64_t dim = x.numel() / std::max<std::int64_t>(batch, 1);
  const std::vector<std::int64_t> shape(x.sizes().begin(), x.sizes().end());
  const at::Tensor probe_batch = probes.to(x.device(), settings.network_dtype);

  const IndexedOdeDrift drift = [&](const at::Tensor& state, const at::Tensor& t, const at::Tensor& rows) {
    std::vector<std::int64_t> row_shape = shape;
    row_shape[0] = state.size(0);
    torch::AutoGradMode enable_grad(true);
    const at::Tensor xt = state.slice(1, 0, dim).reshape(row_shape).to(settings.network_dtype).detach().requires_grad_(true);
    const at::Tensor f = sde.probability_flow_drift(xt, t, score);
    const at::Tensor divergence = settings.divergence == DivergenceMethod::exact
                                      ? exact_divergence(f, xt)
                                      : hutchinson_divergence(f, xt, probe_batch.index_select(0, rows.to(x.device())));
    return at::cat({f.detach().reshape({state.size(0), dim}).to(at::kDouble),
                    divergence.detach().to(at::kDouble).unsqueeze(1)},
                   1);
  };
  const at::Tensor start = at::cat({x.detach().reshape({batch, dim}).to(at::kDouble),
                                    at::zeros({batch, 1}, x.options().dtype(at::kDouble))},
                                   1);
  const OdeSolution solution = solve_ode(drift, start, settings.eps, sde.T(), settings.ode);
  const at::Tensor latent = solution.x.slice(1, 0, dim).reshape(shape);
  return {sde.prior_log_prob(latent) + solution.x.select(1, dim), latent, solution.nfe.to(at::kDouble)};
}

}  // namespace scorch::evaluation
