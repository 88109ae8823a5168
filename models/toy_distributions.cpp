#include "models/toy_distributions.h"

#include "common/config.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "models/alpha_stable_noise.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

namespace scorch::models {
namespace {

ToyKind parse_toy_kind(const std::string& name) {
  if (name == "two_modes") return ToyKind::two_modes;
  if (name == "grid") return ToyKind::grid;
  if (name == "alpha_stable_cloud") return ToyKind::alpha_stable_cloud;
  throw UserError("unknown data.synthetic '" + name + "' (expected two_modes, grid or alpha_stable_cloud)");
}

// The mode of each point index: the bin of cumsum(w) holding the Weyl point
// frac((i + 1) φ), φ the golden ratio's fractional part. Any contiguous range
// of indices, the training set or the reference draw after it, then holds
// each mode in its weight's proportion to within a few points (the sequence's
// discrepancy is O(log n / n)), where i.i.d. mode draws would be off by √n.
at::Tensor mode_of_index(const at::Tensor& weights, const at::Tensor& indices) {
  const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
  const at::Tensor u = at::frac((indices.to(at::kDouble) + 1.0) * phi);
  const at::Tensor edges = at::cumsum(weights / weights.sum(), 0);
  return at::searchsorted(edges, u, /*out_int32=*/false, /*right=*/true).clamp_max(weights.size(0) - 1);
}

}  // namespace

std::string to_string(ToyKind kind) {
  switch (kind) {
    case ToyKind::two_modes: return "two_modes";
    case ToyKind::grid: return "grid";
    case ToyKind::alpha_stable_cloud: return "alpha_stable_cloud";
  }
  return "?";
}

ToySpec default_toy_spec(ToyKind kind) {
  switch (kind) {
    case ToyKind::two_modes: return {kind, 11000, std::sqrt(0.2), 2.0};
    case ToyKind::grid: return {kind, 32000, 0.1, 2.0};
    case ToyKind::alpha_stable_cloud: return {kind, 20000, 0.05, 1.7};
  }
  throw std::logic_error("default_toy_spec: unhandled kind");
}

ModeLayout mode_layout(const ToySpec& spec) {
  const at::TensorOptions f64 = at::TensorOptions().dtype(at::kDouble);
  switch (spec.kind) {
    case ToyKind::two_modes:
      return {at::tensor({5.0, 5.0, -5.0, -5.0}, f64).view({2, 2}), at::tensor({10.0 / 11.0, 1.0 / 11.0}, f64),
              spec.scale};
    case ToyKind::grid: {
      // Row-major over (i, j) ∈ {0, 1, 2}², the means and weights of the authors' config: their
      // grid is not centred, and the DLPM chain, whose prior is centred, sees the offset.
      const at::Tensor axis = at::arange(0.0, 3.0, f64);
      const at::Tensor centers = at::stack({axis.repeat_interleave(3), axis.repeat({3})}, 1);
      const at::Tensor weights = at::tensor({.01, .10, .30, .20, .02, .15, .02, .15, .05}, f64);
      return {centers, weights, spec.scale};
    }
    case ToyKind::alpha_stable_cloud: return {at::zeros({1, 2}, f64), at::ones({1}, f64), spec.scale};
  }
  throw std::logic_error("mode_layout: unhandled kind");
}

at::Tensor toy_points(const ToySpec& spec, std::uint64_t seed, std::int64_t first, std::int64_t count) {
  const std::vector<std::int64_t> indices = index_range(first, count);
  const RandomKey key{seed, RandomPurpose::synthetic_data, 0};
  if (spec.kind == ToyKind::alpha_stable_cloud) {
    const AlphaStableNoise noise(spec.alpha, /*isotropic=*/true);
    return spec.scale * draw_per_example(key, indices, [&](at::Generator& generator) {
             return noise.sample({2}, generator, at::kDouble);
           });
  }
  const ModeLayout layout = mode_layout(spec);
  const at::Tensor modes = mode_of_index(layout.weights, at::tensor(indices, at::kLong));
  const at::Tensor z = draw_per_example(key, indices, [](at::Generator& generator) {
    return at::randn({2}, generator, at::kDouble);
  });
  return layout.centers.index({modes}) + layout.std * z;
}

std::optional<ToySpec> toy_spec_from(const Config& config) {
  const std::string& name = config.string("data.synthetic");
  if (name == "none") return std::nullopt;
  ToySpec spec = default_toy_spec(parse_toy_kind(name));
  if (config.integer("data.synthetic_count") > 0) spec.count = config.integer("data.synthetic_count");
  if (config.number("data.synthetic_scale") > 0) spec.scale = config.number("data.synthetic_scale");
  if (spec.kind == ToyKind::alpha_stable_cloud) spec.alpha = config.number("data.synthetic_alpha");
  return spec;
}

}  // namespace scorch::models
