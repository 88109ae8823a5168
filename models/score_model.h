#pragma once
// A score model maps (x, conditioning) to ∇ log p. Networks and analytic
// oracles share this interface, so trainers, samplers and likelihood code take
// either. Conditioning is one value per example: the diffusion time t for SDE
// models, the noise level σ for NCSN-style models, and the chain time τ = t/n
// for DLPM models, whose output is the noise prediction ε̂ rather than a score
// (the α-stable chain has no closed-form score to learn).
#include "models/score_function.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::models {

enum class Conditioning { time, noise_level, chain_time };
std::string to_string(Conditioning conditioning);

class ScoreModel : public torch::nn::Module {
 public:
  explicit ScoreModel(Conditioning conditioning) : conditioning_(conditioning) {}
  // For networks that take an optional SDE: it must be given exactly for time
  // conditioning (std::logic_error otherwise, a programming error).
  ScoreModel(Conditioning conditioning, bool has_sde);
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

}  // namespace scorch::models
