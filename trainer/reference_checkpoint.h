#pragma once
// Checkpoints of the reference implementations, converted to and from ours
// (docs/published-checkpoints.md): score_sde_pytorch's torch.save dict
// {model, ema, optimizer, step} and ermongroup/ncsnv2's list [model state,
// optimizer state, epoch, step, EMA state]. The scorch model that the config
// builds decides what the file must hold: its parameter names (the
// reference's state-dict names without DataParallel's `module.`), which of
// them train, and its settings for Adam and the EMA.
#include "common/config.h"
#include "data/python_pickle.h"
#include "trainer/adam.h"
#include "trainer/checkpoint.h"
#include "models/score_model_config.h"
#include "trainer/ema.h"
#include "trainer/training_config.h"

#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace scorch::trainer {

enum class ReferenceFormat { score_sde_pytorch, ncsnv2 };
ReferenceFormat parse_reference_format(const std::string& name);
std::string to_string(ReferenceFormat format);
std::vector<std::string> reference_format_names();
// Whether scorch can write files of this format.
bool can_export(ReferenceFormat format);

// The scorch side of a conversion.
struct ConversionTarget {
  torch::nn::Module* model = nullptr;  // parameters in the reference's registration order
  AdamSettings adam;
  EmaSettings ema;
  // ncsnv2 files carry the noise levels as the buffer `sigmas`; they must equal these (float32).
  std::vector<double> noise_levels;
  // The config the model was built from (score_sde's networks keep a `sigmas` buffer made from sde.*).
  const Config* config = nullptr;
};

// The target for a model built from `config` (which must outlive it).
ConversionTarget conversion_target(const models::ModelBundle& bundle, const TrainingSettings& settings,
                                   const Config& config);

struct ImportedCheckpoint {
  std::map<std::string, at::Tensor> model, ema;
  Adam::State optimizer;
  std::int64_t step = 0, ema_updates = 0, optimizer_steps = 0;
  // Settings of the file that scorch cannot follow or that differ from the config (one line each).
  std::vector<std::string> warnings;
};

// `root` is the file's unpickled content; `source` starts every error. The
// model's parameters receive the file's raw weights. A file of another
// architecture is a UserError naming the first mismatching tensors.
ImportedCheckpoint import_reference_checkpoint(ReferenceFormat format, const data::PickleValue& root,
                                               const ConversionTarget& target, const std::string& source);

// The content score_sde_pytorch's restore_checkpoint loads; `lr` is the
// learning rate the optimiser's param group records (the schedule's value at
// the checkpoint's step).
data::PickleValue export_reference_checkpoint(ReferenceFormat format, const Checkpoint& checkpoint,
                                              const ConversionTarget& target, double lr);

}  // namespace scorch::trainer
