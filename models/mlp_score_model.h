#pragma once
// A small MLP score network for low-dimensional (e.g. 2-D toy) data. The input
// is x concatenated with a scalar feature of the conditioning (log σ for noise
// levels, t for SDE times, τ for the DLPM chain). For scores the output is
// divided by the kernel std (σ, or σ_t of the SDE), the NCSN/score_sde "scale
// by sigma" parameterisation, so the network itself predicts −z and stays O(1)
// across noise scales; a DLPM model returns its output as ε̂.
#include "models/activation.h"
#include "models/score_model.h"

#include <torch/nn/modules/container/sequential.h>

#include <memory>

namespace scorch::models {

class Sde;

class MlpScoreModel final : public ScoreModel {
 public:
  // Time-conditioned on `sde` when given, else noise-level conditioned.
  MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden, Activation activation,
                std::shared_ptr<const Sde> sde);
  // `conditioning` time needs the SDE; noise_level and chain_time take none.
  MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden, Activation activation,
                std::shared_ptr<const Sde> sde, Conditioning conditioning);

  at::Tensor score(const at::Tensor& x, const at::Tensor& conditioning) override;
  std::string name() const override { return "mlp"; }
  std::string parameterisation() const override;
  std::vector<std::int64_t> input_shape() const override { return input_shape_; }

 private:
  std::vector<std::int64_t> input_shape_;
  std::shared_ptr<const Sde> sde_;
  torch::nn::Sequential network_{nullptr};
};

}  // namespace scorch::models
