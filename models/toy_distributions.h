#pragma once
// The built-in 2-D datasets of the heavy-tailed experiments (data.synthetic):
//   two_modes           N((5,5), 0.2 I) and N((−5,−5), 0.2 I) with 10 000 : 1 000
//                       points (heavy-tailed DSM paper, Table 1);
//   grid                nine Gaussians on the grid {0, 1, 2}², std 0.1, with the
//                       imbalanced weights of the DLPM authors' 2-D config (the
//                       slides' list has ten weights for nine modes);
//   alpha_stable_cloud  scale · S_α(0, I) isotropic, α = 1.7 (DLPM slides).
// Each point is drawn from its own stream keyed by (seed, synthetic_data, 0,
// index), so a dataset is a pure function of (spec, seed). Mixture points are
// assigned to modes by a low-discrepancy sequence over the index, so every
// range of indices holds the weights' shares to within a few points (10 000 :
// 1 000 for two_modes, as in the paper, give or take a couple).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>

namespace scorch {
class Config;
}

namespace scorch::models {

enum class ToyKind { two_modes, grid, alpha_stable_cloud };

struct ToySpec {
  ToyKind kind = ToyKind::two_modes;
  std::int64_t count = 11000;
  double scale = 0.0;  // component std of the mixtures, or the cloud's stable scale
  double alpha = 1.7;  // the cloud's stable index
};

// The known modes of a toy: centres [K, 2] and weights [K] (float64), and the
// component std. The cloud is one mode at the origin.
struct ModeLayout {
  at::Tensor centers;
  at::Tensor weights;
  double std = 0.0;
};

std::string to_string(ToyKind kind);
// The paper's defaults for a kind: count and scale.
ToySpec default_toy_spec(ToyKind kind);
ModeLayout mode_layout(const ToySpec& spec);

// Points [count, 2] (float64) with indices first … first + count − 1.
at::Tensor toy_points(const ToySpec& spec, std::uint64_t seed, std::int64_t first, std::int64_t count);

// data.synthetic (none: no toy) with data.synthetic_count / _scale / _alpha
// overriding the kind's defaults where set.
std::optional<ToySpec> toy_spec_from(const Config& config);

}  // namespace scorch::models
