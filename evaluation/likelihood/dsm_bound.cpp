#include "evaluation/likelihood/dsm_bound.h"

#include "common/noise_stream.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

double at_time(const at::Tensor& schedule_value) { return schedule_value.item<double>(); }
at::Tensor time_tensor(double t) { return at::full({1}, t, at::kDouble); }

}  // namespace

DsmBoundTerms dsm_bound(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x,
                        const DsmBoundSettings& settings, std::uint64_t seed, std::int64_t repeat,
                        const std::vector<std::int64_t>& indices) {
  const double eps = settings.eps, T = sde.T();
  if (!(eps > 0.0 && eps < T)) throw UserError(fmt::format("bound eps {} must lie in (0, T = {})", eps, T));
  if (settings.time_samples < 1) throw UserError("the bound needs at least one time sample per point");
  torch::NoGradGuard no_grad;
  const std::int64_t batch = x.size(0);
  const double dim = static_cast<double>(x.numel() / std::max<std::int64_t>(batch, 1));
  const std::vector<std::int64_t> example_shape(x.sizes().begin() + 1, x.sizes().end());
  const at::Tensor x64 = x.to(at::kDouble);
  const at::Tensor squared_norm = x64.reshape({batch, -1}).square().sum(1).cpu();
  const std::uint64_t step = static_cast<std::uint64_t>(repeat);

  // Schedule constants (float64).
  const double a_T = at_time(sde.mean_coeff(time_tensor(T))), sigma_T = at_time(sde.marginal_std(time_tensor(T)));
  const double a_eps = at_time(sde.mean_coeff(time_tensor(eps))), sigma_eps = at_time(sde.marginal_std(time_tensor(eps)));
  const double F_eps = at_time(sde.proposal_antiderivative(time_tensor(eps)));
  const double Z = at_time(sde.proposal_antiderivative(time_tensor(T))) - F_eps;
  const double s2 = sde.prior_std() * sde.prior_std();

  DsmBoundTerms terms;
  terms.prior = 0.5 * dim * std::log(2.0 * M_PI * s2) + (a_T * a_T * squared_norm + dim * sigma_T * sigma_T) / (2.0 * s2);
  terms.constant = at::full({batch}, -0.5 * dim * (Z + 2.0 * std::log(a_T / a_eps)), at::kDouble);

  // Integral: K importance-sampled times per point, each with its own kernel noise.
  const at::Tensor uniforms = draw_per_example({seed, RandomPurpose::bound_time, step}, indices, [&](at::Generator& g) {
    return at::rand({settings.time_samples}, g, at::kDouble);
  });  // [B, K]
  const at::Tensor times = sde.proposal_antiderivative_inverse(F_eps + uniforms * Z).clamp(eps, T);
  // Keyed by the repeat as the times are: repeats are independent estimates.
  NoiseStream kernel_noise({seed, RandomPurpose::bound_noise, step}, indices, example_shape);
  at::Tensor squared_errors = at::zeros({batch}, at::kDouble);
  for (std::int64_t k = 0; k < settings.time_samples; ++k) {
    const at::Tensor t = times.select(1, k).contiguous();
    const at::Tensor z = kernel_noise.next().to(x.device());
    const at::Tensor xt = sde.perturb(x64, t, z).to(settings.network_dtype);
    const at::Tensor sigma = models::per_example_factor(sde.marginal_std(t), z);
    const at::Tensor residual = sigma * score(xt, t).to(at::kDouble) + z;
    squared_errors += residual.reshape({batch, -1}).square().sum(1).cpu();
  }
  terms.integral = 0.5 * Z * squared_errors / static_cast<double>(settings.time_samples);

  // Jensen correction through the one-step Gaussian decoder at ε.
  const at::Tensor z_eps =
      draw_per_example({seed, RandomPurpose::bound_decoder_noise, step}, indices,
                       [&](at::Generator& g) { return at::randn(example_shape, g, at::kDouble); })
          .to(x.device());
  const at::Tensor t_eps = at::full({batch}, eps, at::kDouble);
  const at::Tensor x_prime = a_eps * x64 + sigma_eps * z_eps;
  const at::Tensor decoder_mean =
      x_prime / a_eps + (sigma_eps * sigma_eps / a_eps) * score(x_prime.to(settings.network_dtype), t_eps).to(at::kDouble);
  const double decoder_std = sigma_eps / a_eps;
  const at::Tensor decoder_nll = 0.5 * dim * std::log(2.0 * M_PI * decoder_std * decoder_std) +
                                 (x64 - decoder_mean).reshape({batch, -1}).square().sum(1).cpu() /
                                     (2.0 * decoder_std * decoder_std);
  terms.jensen = decoder_nll - 0.5 * dim * (std::log(2.0 * M_PI) + 2.0 * std::log(sigma_eps) + 1.0);
  return terms;
}

}  // namespace scorch::evaluation
