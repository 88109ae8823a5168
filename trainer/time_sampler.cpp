#include "trainer/time_sampler.h"

#include "common/user_error.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::trainer {
namespace {
double scalar_antiderivative(const models::Sde& sde, double t) {
  return sde.proposal_antiderivative(at::full({}, t, at::kDouble)).item<double>();
}
}  // namespace

TimeSampler::TimeSampler(double eps, double T) : eps_(eps), T_(T) {
  if (!(eps > 0.0) || !(eps < T)) {
    throw UserError(fmt::format("the time horizon needs 0 < eps < T (got eps = {}, T = {})", eps, T));
  }
}

at::Tensor TimeSampler::sample(std::uint64_t seed, std::uint64_t step,
                               const std::vector<std::int64_t>& global_indices) const {
  const RandomKey key{seed, RandomPurpose::training_time, step};
  const at::Tensor u = draw_per_example(key, global_indices, [](at::Generator& generator) {
    return at::rand({}, generator, at::TensorOptions().dtype(at::kDouble));
  });
  return from_uniform(u);
}

at::Tensor UniformTimeSampler::from_uniform(const at::Tensor& u) const {
  return eps() + u.to(at::kDouble) * (T() - eps());
}

at::Tensor UniformTimeSampler::density(const at::Tensor& t) const {
  return at::full_like(t, 1.0 / (T() - eps()), t.options().dtype(at::kDouble));
}

LikelihoodImportanceSampler::LikelihoodImportanceSampler(const models::Sde& sde, double eps, Inversion inversion)
    : TimeSampler(eps, sde.T()),
      sde_(sde),
      inversion_(inversion),
      antiderivative_at_eps_(scalar_antiderivative(sde, eps)),
      normalizer_(scalar_antiderivative(sde, sde.T()) - antiderivative_at_eps_) {}

at::Tensor LikelihoodImportanceSampler::cdf(const at::Tensor& t) const {
  return (sde_.proposal_antiderivative(t) - antiderivative_at_eps_) / normalizer_;
}

at::Tensor LikelihoodImportanceSampler::from_uniform(const at::Tensor& u) const {
  if (inversion_ == Inversion::bisection) return invert_by_bisection(u);
  const at::Tensor t = sde_.proposal_antiderivative_inverse(antiderivative_at_eps_ + u.to(at::kDouble) * normalizer_);
  // Rounding can put t a hair outside [ε, T].
  return t.clamp(eps(), T());
}

at::Tensor LikelihoodImportanceSampler::density(const at::Tensor& t) const {
  return sde_.diffusion_squared(t) / sde_.marginal_variance(t) / normalizer_;
}

// 100 halvings of [ε, T] reach float64 resolution; kept as the reference's
// method and as an independent check of the closed form.
at::Tensor LikelihoodImportanceSampler::invert_by_bisection(const at::Tensor& u) const {
  const at::Tensor target = u.to(at::kDouble);
  at::Tensor low = at::full_like(target, eps());
  at::Tensor high = at::full_like(target, T());
  for (int i = 0; i < 100; ++i) {
    const at::Tensor mid = 0.5 * (low + high);
    const at::Tensor below = cdf(mid) < target;
    low = at::where(below, mid, low);
    high = at::where(below, high, mid);
  }
  return 0.5 * (low + high);
}

}  // namespace scorch::trainer
