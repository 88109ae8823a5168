#include "evaluation/pc_sampler.h"

#include "common/noise_stream.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

using models::per_example_factor;

at::Tensor per_example_norm(const at::Tensor& x) { return x.reshape({x.size(0), -1}).norm(2, 1); }

}  // namespace

Predictor parse_predictor(const std::string& name) {
  if (name == "euler_maruyama") return Predictor::euler_maruyama;
  if (name == "reverse_diffusion") return Predictor::reverse_diffusion;
  if (name == "ancestral") return Predictor::ancestral;
  if (name == "none") return Predictor::none;
  throw UserError("unknown predictor '" + name + "' (expected euler_maruyama, reverse_diffusion, ancestral or none)");
}

Corrector parse_corrector(const std::string& name) {
  if (name == "langevin") return Corrector::langevin;
  if (name == "none") return Corrector::none;
  throw UserError("unknown corrector '" + name + "' (expected langevin or none)");
}

at::Tensor pc_sample(const models::Sde& sde, const models::ScoreFunction& score, const PcSettings& settings,
                     const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                     const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options) {
  if (settings.steps < 1) throw UserError("the PC sampler needs at least one step");
  if (settings.eps <= 0.0 || settings.eps >= sde.T()) throw UserError("sampling eps must lie in (0, T)");
  if (settings.predictor == Predictor::ancestral && sde.name() != "ve" && sde.name() != "vp") {
    throw UserError("the ancestral predictor exists for the VE and VP SDEs only, not " + sde.name());
  }
  torch::NoGradGuard no_grad;
  NoiseStream noise(seed, RandomPurpose::sampler_noise, image_indices, example_shape);
  const std::int64_t batch = static_cast<std::int64_t>(image_indices.size());
  at::Tensor x = (noise.next() * sde.prior_std()).to(options);
  at::Tensor x_mean = x;
  const at::Tensor grid = at::linspace(sde.T(), settings.eps, settings.steps, at::kDouble);
  const double dt = -(sde.T() - settings.eps) / static_cast<double>(settings.steps);

  for (std::int64_t i = 0; i < settings.steps; ++i) {
    const at::Tensor t = at::full({batch}, grid[i].item<double>(), at::kDouble);
    if (settings.corrector == Corrector::langevin) {
      // VP's discrete α_i = 1 − β_i scales the step, as in the reference; VE and subVP use 1.
      const at::Tensor alpha =
          sde.name() == "vp" ? 1.0 - sde.discretize_interval(x, t, -dt).G.square() : at::ones({batch}, at::kDouble);
      for (std::int64_t c = 0; c < settings.corrector_steps; ++c) {
        const at::Tensor grad = score(x, t);
        const at::Tensor z = noise.next().to(options);
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
    const at::Tensor z = noise.next().to(options);
    if (settings.predictor == Predictor::euler_maruyama) {
      const at::Tensor drift = sde.reverse_drift(x, t, score);
      x_mean = x + drift * dt;
      x = x_mean + per_example_factor(sde.diffusion(t) * std::sqrt(-dt), x) * z;
    } else if (settings.predictor == Predictor::ancestral) {
      // The exact Gaussian posterior step of the discrete chain (SMLD for VE, DDPM for VP).
      const models::DiscreteStep step = sde.discretize_interval(x, t, -dt);
      const at::Tensor G2 = step.G.square();
      if (sde.name() == "ve") {
        const at::Tensor sigma2 = sde.marginal_std(t).square();
        const at::Tensor previous2 = (sigma2 - G2).clamp_min(0.0);
        x_mean = x + per_example_factor(G2, x) * score(x, t);
        x = x_mean + per_example_factor(at::sqrt(previous2 * G2 / sigma2), x) * z;
      } else {
        x_mean = (x + per_example_factor(G2, x) * score(x, t)) / per_example_factor(at::sqrt(1.0 - G2), x);
        x = x_mean + per_example_factor(step.G, x) * z;
      }
    } else {
      // x_{i-1} = x_i − f_i + G_i² s + G_i z, the forward step over this grid interval reversed.
      const models::DiscreteStep step = sde.discretize_interval(x, t, -dt);
      x_mean = x - step.f + per_example_factor(step.G.square(), x) * score(x, t);
      x = x_mean + per_example_factor(step.G, x) * z;
    }
  }
  return settings.denoise ? x_mean : x;
}

}  // namespace scorch::evaluation
