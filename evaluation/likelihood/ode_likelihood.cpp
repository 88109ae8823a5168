#include "evaluation/likelihood/ode_likelihood.h"

#include "common/name_table.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <functional>

namespace scorch::evaluation {
namespace {

at::Tensor gradient_of(const at::Tensor& output, const at::Tensor& input) {
  return torch::autograd::grad({output}, {input}, {}, /*retain_graph=*/true)[0];
}

// Rows of the copied batch per network pass of the exact divergence.
constexpr std::int64_t kExactRowsPerPass = 512;

struct DriftAndDivergence {
  at::Tensor drift, divergence;
};

// f̃ and its exact divergence Σ_d ∂f̃_d/∂x_d per sample. The network runs on
// copies of the batch, copy j for dimension d₀ + j, and one backward pass
// with the one-hot cotangents e_{d₀+j} gives ∂f̃_d/∂x_d for every d of the
// chunk at once. Samples do not interact, so this equals one backward pass
// per dimension, at a fraction of the passes (and their overhead).
DriftAndDivergence exact_drift_and_divergence(const std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>& f,
                                              const at::Tensor& x, const at::Tensor& t) {
  const std::int64_t batch = x.size(0), dim = x.numel() / batch;
  const std::int64_t chunk = std::max<std::int64_t>(1, kExactRowsPerPass / batch);
  std::vector<std::int64_t> copied_shape(x.sizes().begin(), x.sizes().end());
  at::Tensor divergence = at::zeros({batch}, x.options());
  at::Tensor drift;
  for (std::int64_t first = 0; first < dim; first += chunk) {
    const std::int64_t n = std::min(chunk, dim - first);
    copied_shape[0] = n * batch;
    const at::Tensor copies = x.detach().reshape({1, batch, dim}).expand({n, batch, dim}).reshape(copied_shape).clone().requires_grad_(true);
    const at::Tensor output = f(copies, t.repeat({n})).reshape({n, batch, dim});
    if (!drift.defined()) drift = output[0].detach();
    // Row j of the chunk is e_{first + j}; built per chunk, as a D × D identity would not fit for large images.
    const at::Tensor rows = at::arange(n, x.options().dtype(at::kLong));
    const at::Tensor one_hot =
        at::zeros({n, dim}, x.options()).scatter_(1, (rows + first).unsqueeze(1), 1.0)
            .unsqueeze(1)
            .expand({n, batch, dim});
    const at::Tensor jacobian_rows = torch::autograd::grad({output}, {copies}, {one_hot})[0].reshape({n, batch, dim});
    divergence = divergence + (jacobian_rows * one_hot).sum(at::IntArrayRef{0, 2});
  }
  return {drift, divergence};
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
    at::Tensor f, divergence;
    if (settings.divergence == DivergenceMethod::exact) {
      const DriftAndDivergence exact = exact_drift_and_divergence(
          [&](const at::Tensor& x_copies, const at::Tensor& t_copies) {
            return sde.probability_flow_drift(x_copies, t_copies, score);
          },
          xt, t);
      f = exact.drift;
      divergence = exact.divergence;
    } else {
      f = sde.probability_flow_drift(xt, t, score);
      divergence = hutchinson_divergence(f, xt, probe_batch.index_select(0, rows.to(x.device())));
    }
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
