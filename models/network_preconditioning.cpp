#include "models/network_preconditioning.h"

#include "common/user_error.h"
#include "models/sde.h"

#include <stdexcept>

namespace scorch::models {
namespace {

using Label = Preconditioning::Label;
using Output = Preconditioning::Output;

// DLPM chain times τ ∈ [0, 1) get the label range of DDPM's 999 t.
constexpr double kChainLabelScale = 999.0;

}  // namespace

Preconditioning ncsnpp_preconditioning(const DiffusionProcess& process, bool scale_by_sigma) {
  if (process.variance_exploding()) {
    return {process, Label::noise_std, scale_by_sigma ? Output::over_noise_std : Output::plain};
  }
  if (scale_by_sigma) {
    throw UserError("ncsnpp: scale_by_sigma is for VE/noise-level models; VP and subVP already use score = -out / "
                    "sigma_t, and DLPM models predict the noise");
  }
  if (process.alpha_stable_chain()) return {process, Label::scaled, Output::plain, kChainLabelScale};
  // score_sde labels VP/subVP networks by the discrete chain's index, (N − 1)·t.
  const double label_scale = static_cast<double>(process.sde()->grid().num_steps() - 1);
  return {process, Label::scaled, Output::minus_over_noise_std, label_scale};
}

Preconditioning ncsnv2_preconditioning(const DiffusionProcess& process) {
  if (process.alpha_stable_chain()) throw UserError("objective.kind = dlpm needs model.name mlp or ncsnpp");
  if (!process.variance_exploding()) {
    throw UserError("ncsnv2 divides its output by sigma and has no time input: use it with the VE SDE or NCSN noise levels");
  }
  return {process, Label::noise_std, Output::over_noise_std};
}

Preconditioning mlp_preconditioning(const DiffusionProcess& process) {
  switch (process.conditioning()) {
    case Conditioning::noise_level: return {process, Label::log_noise_std, Output::over_noise_std};
    case Conditioning::time: return {process, Label::conditioning, Output::over_noise_std};
    case Conditioning::chain_time: return {process, Label::conditioning, Output::plain};
  }
  throw std::logic_error("mlp_preconditioning: unknown conditioning");
}

// The label is computed but unread; scaling the output by σ would make the
// model conditional again.
Preconditioning unconditional_preconditioning(const DiffusionProcess& process) {
  return {process, Label::conditioning, Output::plain};
}

}  // namespace scorch::models
