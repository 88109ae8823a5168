#pragma once
// How a plain network F(input, label) becomes a model of the diffusion
// process, in the manner of EDM's VPPrecond/VEPrecond and score_sde's
// get_score_fn: which label the network sees for a conditioning value c, and
// how its output is scaled. Networks know nothing of the process; everything
// process-dependent is here (docs/architecture.md, "Score models").
//
// The parameterisations in use (chosen per network in score_model_config.cpp):
//   label σ_t or σ,      output out or out/σ      VE SDE and σ ladders (NCSN++, NCSNv2)
//   label (N−1)·t,       output −out/σ_t          VP/subVP SDEs (DDPM++)
//   label t, log σ or τ, output out/σ_t, out/σ    the MLP
//   label 999·τ or τ,    output out (ε̂)           the α-stable chain (DLPM)
#include "models/diffusion_process.h"

#include <ATen/core/Tensor.h>

#include <string>

namespace scorch::models {

class Preconditioning {
 public:
  enum class Label {
    conditioning,  // c itself: t, σ or τ
    noise_std,     // σ(c): σ_t of the SDE or the level σ
    log_noise_std,  // log σ(c)
    scaled,        // scale · c, as DDPM's (N − 1)·t
  };
  enum class Output { plain, over_noise_std, minus_over_noise_std };

  Preconditioning(DiffusionProcess process, Label label, Output output, double label_scale = 1.0);

  // The network's label for conditioning c [B] (any float dtype), float64 [B].
  at::Tensor label(const at::Tensor& conditioning) const;
  // The model's output from the network's `out` [B, ...], in out's dtype.
  at::Tensor output(const at::Tensor& out, const at::Tensor& conditioning) const;

  const DiffusionProcess& process() const { return process_; }
  Label label_kind() const { return label_; }
  Output output_kind() const { return output_; }
  // "sigma_t", "999 t", "log sigma", "tau = t/n", …
  std::string label_text() const;
  // "score = out / sigma_t", "noise prediction = out", …
  std::string output_text() const;

 private:
  DiffusionProcess process_;
  Label label_;
  Output output_;
  double label_scale_;
};

}  // namespace scorch::models
