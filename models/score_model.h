#pragma once
// A score model maps (x, conditioning) to ∇ log p. Networks and analytic
// oracles share this interface, so trainers, samplers and likelihood code take
// either. Conditioning is one value per example: the diffusion time t for SDE
// models, the noise level σ for NCSN-style models, and the chain time τ = t/n
// for DLPM models, whose output is the noise prediction ε̂ rather than a score
// (the α-stable chain has no closed-form score to learn).
//
// A network model (ScoreNetwork) is a plain network F(x, label) and the
// Preconditioning that turns c into its label and F's output into the score:
// the network code never sees the diffusion process.
#include "models/preconditioning.h"
#include "models/score_function.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::models {

class ScoreModel : public torch::nn::Module {
 public:
  explicit ScoreModel(Conditioning conditioning) : conditioning_(conditioning) {}
  Conditioning conditioning() const { return conditioning_; }

  // x [B, ...input_shape], conditioning [B] (any float dtype); returns x's shape and dtype.
  virtual at::Tensor score(const at::Tensor& x, const at::Tensor& conditioning) = 0;
  virtual std::string name() const = 0;
  // How the network output becomes a score, e.g. "score = out / sigma_t".
  virtual std::string parameterisation() const = 0;
  virtual std::vector<std::int64_t> input_shape() const = 0;

  std::int64_t parameter_count() const;
  // The model as a ScoreFunction; the model must outlive it.
  ScoreFunction as_function();

 private:
  Conditioning conditioning_;
};

class ScoreNetwork : public ScoreModel {
 public:
  explicit ScoreNetwork(Preconditioning preconditioning);

  // preconditioning.output(forward(x, preconditioning.label(c)), c).
  at::Tensor score(const at::Tensor& x, const at::Tensor& conditioning) final;
  // The plain network: x [B, ...input_shape], label float64 [B]; returns x's shape and dtype.
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& label) = 0;
  // What the network does with its input and label, e.g. "Fourier features of log(label)".
  virtual std::string architecture() const = 0;
  // The parameterisation from the preconditioning's label and output texts:
  // "label = <label>; <architecture>; <output>" unless the network says otherwise.
  virtual std::string describe(const std::string& label, const std::string& output) const;
  std::string parameterisation() const final;
  const Preconditioning& preconditioning() const { return preconditioning_; }

 private:
  Preconditioning preconditioning_;
};

}  // namespace scorch::models
