#pragma once
// Preview grids during training: after each checkpoint, rank 0 draws a few
// samples from the EMA weights (probability-flow ODE at rtol = atol = 1e-3
// for SDE models, annealed Langevin with the default settings for NCSN models)
// and writes <workdir>/previews/step_<N>.png. It uses its own model instance
// and the sampler's own noise streams, so training is unaffected; the same
// seed at every checkpoint shows the same noise becoming images.
#include "common/config_fwd.h"
#include "data/pixel_range.h"
#include "models/score_model_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace scorch::launch {

class CheckpointPreview {
 public:
  CheckpointPreview(const Config& config, std::string directory, std::int64_t images, at::Device device);
  // Writes the grid for these EMA weights; a failure is logged, never thrown.
  void operator()(std::int64_t step, const std::map<std::string, at::Tensor>& ema_weights) const;

 private:
  const Config& config_;
  std::string directory_;
  std::int64_t images_;
  at::Device device_;
  models::ModelBundle bundle_;
  data::PixelRange range_;
};

}  // namespace scorch::launch
