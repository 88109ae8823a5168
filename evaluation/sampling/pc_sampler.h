#pragma once
// Predictor–corrector sampling of the reverse-time SDE (Song et al. 2021,
// docs/conventions.md §2, docs/sampling.md): on the grid t = linspace(T, ε, N)
// with spacing h = (T − ε)/(N − 1), each point applies the corrector, then the
// predictor step to the next point; the last predictor step goes from ε to
// the data (t = 0, σ = 0), as score_sde's chains do at their first index. The
// result is that step's noise-free mean unless denoising is switched off.
// Every image's noise comes from its own stream keyed by (seed, image index).
// Without a corrector samples do not depend on how images are batched; the
// Langevin corrector's step size uses batch means of ‖z‖ and ‖s‖ (as the
// reference), so with it a sample depends on the images batched with it:
// callers batch images in fixed index ranges to keep results independent of
// the world size.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

enum class Predictor { euler_maruyama, reverse_diffusion, ancestral, none };  // ancestral: VE and VP only
enum class Corrector { langevin, none };
Predictor parse_predictor(const std::string& name);
Corrector parse_corrector(const std::string& name);
std::string to_string(Predictor predictor);
std::string to_string(Corrector corrector);
std::vector<std::string> predictor_names();
std::vector<std::string> corrector_names();

struct PcSettings {
  Predictor predictor = Predictor::reverse_diffusion;
  Corrector corrector = Corrector::langevin;
  std::int64_t steps = 1000;
  std::int64_t corrector_steps = 1;
  double snr = 0.16;
  double eps = 1e-3;
  bool denoise = true;
};

// The reference's choice for the SDE (score_sde's configs): reverse diffusion
// with the Langevin corrector for VE, Euler–Maruyama without a corrector for
// VP and subVP.
Predictor reference_predictor(const models::Sde& sde);
Corrector reference_corrector(const models::Sde& sde);

// UserError for settings the SDE cannot run (callers check on every rank before sampling).
void check_pc_settings(const models::Sde& sde, const PcSettings& settings);

// Samples from the prior draws x_T [B, ...] (prior_latents.h) of the images
// with these global indices, computed in x_T's dtype and on its device.
at::Tensor pc_sample(const models::Sde& sde, const models::ScoreFunction& score, const PcSettings& settings,
                     const at::Tensor& x_T, std::uint64_t seed, const std::vector<std::int64_t>& image_indices);
// The same from the images' own prior draws, computed with `options`.
at::Tensor pc_sample(const models::Sde& sde, const models::ScoreFunction& score, const PcSettings& settings,
                     const std::vector<std::int64_t>& example_shape, std::uint64_t seed,
                     const std::vector<std::int64_t>& image_indices, const at::TensorOptions& options = at::kDouble);

}  // namespace scorch::evaluation
