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
#include "common/compute_settings.h"
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

  // The arithmetic of a network's forward pass: bf16 autocasts its
  // convolutions and matrix products, while the preconditioning, the score and
  // everything downstream stay in the input's precision. Exact (analytic)
  // models ignore it.
  void set_precision(Precision precision) { precision_ = precision; }
  Precision precision() const { return precision_; }
  // Stores the 4-D weights channels-last and feeds images to the network
  // channels-last (compute.channels_last); call before an optimiser or EMA
  // copies the weights, so that their copies share the layout.
  void set_channels_last(bool channels_last);
  bool channels_last() const { return channels_last_; }

 private:
  Conditioning conditioning_;
  Precision precision_ = Precision::fp32;
  bool channels_last_ = false;
};

// Moves the model to `device` and applies the compute.* settings there: the
// process-wide TF32 and cuDNN switches, and the weights' layout.
void place_model(ScoreModel& model, c10::Device device, const ComputeSettings& settings);

// Sets a model's precision for as long as it lives, then restores the one before.
class PrecisionScope {
 public:
  PrecisionScope(ScoreModel& model, Precision precision) : model_(model), before_(model.precision()) {
    model.set_precision(precision);
  }
  ~PrecisionScope() { model_.set_precision(before_); }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  ScoreModel& model_;
  Precision before_;
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
