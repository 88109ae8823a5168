#include "evaluation/sampling/pc_sampler.h"

#include "common/device_copy.h"
#include "common/name_table.h"
#include "common/noise_stream.h"
#include "common/user_error.h"
#include "evaluation/sampling/prior_latents.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace scorch::evaluation {
namespace {

using models::per_example_factor;

at::Tensor per_example_norm(const at::Tensor& x) { return x.reshape({x.size(0), -1}).norm(2, 1); }

}  // namespace

namespace {

const std::vector<Named<Predictor>>& predictor_table() {
  static const std::vector<Named<Predictor>> table = {{Predictor::euler_maruyama, "euler_maruyama"},
                                                   {Predictor::reverse_diffusion, "reverse_diffusion"},
                                                   {Predictor::ancestral, "ancestral"},
                                                   {Predictor::none, "none"}};
  return table;
}

const std::vector<Named<Corrector>>& corrector_table() {
  static const std::vector<Named<Corrector>> table = {{Corrector::langevin, "langevin"}, {Corrector::none, "none"}};
  return table;
}

}  // namespace

Predictor parse_predictor(const std::string& name) { return row_named(predictor_table(), name, "predictor").value; }
Corrector parse_corrector(const std::string& name) { return row_named(corrector_table(), name, "corrector").value; }
std::string to_string(Predictor predictor) { return row_of(predictor_table(), predictor).name; }
std::string to_string(Corrector corrector) { return row_of(corrector_table(), corrector).name; }
std::vector<std::string> predictor_names() { return table_names(predictor_table()); }
std::vector<std::string> corrector_names() { return table_names(corrector_table()); }

Predictor reference_predictor(const models::Sde& sde) {
  return sde.variance_exploding() ? Predictor::reverse_diffusion : Predictor::euler_maruyama;
}

Corrector reference_corrector(const models::Sde& sde) {
  return sde.variance_exploding() ? Corrector::langevin : Corrector::none;
}

void check_pc_settings(const models::Sde& sde, const PcSettings& settings) {
  if (settings.steps < 1) throw UserError("the PC sampler needs at least one step");
  if (settings.eps <= 0.0 || settings.eps >= sde.T()) throw UserError("sampling eps must lie in (0, T)");
  if (settings.predictor == Predictor::ancestral && !sde.has_ancestral_step()) {
    throw UserError("the ancestral predictor needs a discrete chain with a Gaussian posterior (VE or VP), not the " +
                    sde.name() + " SDE");
  }
}

at::Tensor pc_sample(const models::Sde& sde, const models::ScoreFunction& score, const PcSettings& settings,
                     const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                     const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  return pc_sample(sde, score, settings, prior_latents(sde, example_shape, seed, image_indices, options), seed,
                   image_indices);
}

at::Tensor pc_sample(const models::Sde& sde, const models::ScoreFunction& score, const PcSettings& settings,
                     const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices) {
  check_pc_settings(sde, settings);
  torch::NoGradGuard no_grad;
  const std::vector<std::int64_t> example_shape(x_T.sizes().begin() + 1, x_T.sizes().end());
  NoiseStream noise = sampler_noise_after_prior(seed, image_indices, example_shape);
  const at::TensorOptions options = x_T.options();
  const std::int64_t batch = static_cast<std::int64_t>(image_indices.size());
  at::Tensor x = x_T;
  at::Tensor x_mean = x;
  const at::Tensor grid = at::linspace(sde.T(), settings.eps, settings.steps, at::kDouble);
  // Steps span the grid's own spacing, so they tile [ε, T] exactly; score_sde
  // steps by T/N on the same grid, which differs from it by a factor N(T − ε)/((N − 1)T).
  const double spacing = (sde.T() - settings.eps) / static_cast<double>(std::max<std::int64_t>(settings.steps - 1, 1));

  for (std::int64_t i = 0; i < settings.steps; ++i) {
    const double time = grid[i].item<double>();
    const at::Tensor t = at::full({batch}, time, at::kDouble);
    // The last step ends at the data: VE's kernel there has σ = 0, not σ_min,
    // as at the SMLD chain's first index, so this step removes all the noise.
    const double dt = i + 1 < settings.steps ? spacing : time;
    if (settings.corrector == Corrector::langevin) {
      const at::Tensor alpha = sde.langevin_step_scale(x, t, spacing);
      for (std::int64_t c = 0; c < settings.corrector_steps; ++c) {
        const at::Tensor grad = score(x, t);
        const at::Tensor z = to_device(noise.next(), options);
        // Batch means of the norms, as the reference: per-example norms make the
        // step explode for samples near a mode in low dimensions (‖s‖ → 0).
        const double ratio = settings.snr * per_example_norm(z).mean().item<double>() /
                             per_example_norm(grad).mean().item<double>();
        const at::Tensor step_size = 2.0 * alpha * ratio * ratio;
        x_mean = x + per_example_factor(step_size, x) * grad;
        x = x_mean + per_example_factor(at::sqrt(2.0 * step_size), x) * z;
      }
    }
    if (settings.predictor == Predictor::none) continue;
    const at::Tensor z = to_device(noise.next(), options);
    if (settings.predictor == Predictor::euler_maruyama) {
      const at::Tensor drift = sde.reverse_drift(x, t, score);
      x_mean = x - drift * dt;
      x = x_mean + per_example_factor(sde.diffusion(t) * std::sqrt(dt), x) * z;
    } else if (settings.predictor == Predictor::ancestral) {
      const models::ReverseStep step = sde.ancestral_step(x, t, dt, score(x, t));
      x_mean = step.mean;
      x = x_mean + per_example_factor(step.std, x) * z;
    } else {
      // x_{i-1} = x_i − f_i + G_i² s + G_i z, the forward step over this interval reversed.
      const models::DiscreteStep step = sde.discretize_interval(x, t, dt);
      x_mean = x - step.f + per_example_factor(step.G.square(), x) * score(x, t);
      x = x_mean + per_example_factor(step.G, x) * z;
    }
  }
  return settings.denoise ? x_mean : x;
}

}  // namespace scorch::evaluation
