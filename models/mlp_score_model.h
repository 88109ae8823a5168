#pragma once
// A small MLP score network for low-dimensional (e.g. 2-D toy) data. The input
// is x concatenated with the scalar label (log σ for noise levels, t for SDE
// times, τ for the DLPM chain); the preconditioning divides the output by the
// kernel std for scores, the NCSN/score_sde "scale by sigma"
// parameterisation, so the network itself predicts −z and stays O(1) across
// noise scales; a DLPM model returns its output as ε̂. Unconditional
// (reads_label false), the network sees x alone and its output is the model's
// output as it is: one score field for every level, as the heavy-tailed DSM
// authors' 2-D notebook trains it (docs/experiments.md).
#include "models/activation.h"
#include "models/score_model.h"

#include <torch/nn/modules/container/sequential.h>

#include <memory>

namespace scorch::models {

class MlpScoreModel final : public ScoreNetwork {
 public:
  MlpScoreModel(std::vector<std::int64_t> input_shape, const std::vector<std::int64_t>& hidden, Activation activation,
                Preconditioning preconditioning, bool reads_label = true);

  at::Tensor forward(const at::Tensor& x, const at::Tensor& label) override;
  static constexpr const char* kName = "mlp";
  std::string name() const override { return kName; }
  std::string architecture() const override { return reads_label_ ? "input (x, label)" : "input x only"; }
  std::string describe(const std::string& label, const std::string& output) const override {
    return (reads_label_ ? "input (x, " + label + "); " : std::string("input x only (no label); ")) + output;
  }
  bool reads_label() const { return reads_label_; }
  std::vector<std::int64_t> input_shape() const override { return input_shape_; }

 private:
  std::vector<std::int64_t> input_shape_;
  bool reads_label_;
  torch::nn::Sequential network_{nullptr};
};

}  // namespace scorch::models
