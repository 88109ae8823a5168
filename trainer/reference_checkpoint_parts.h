#pragma once
// What the score_sde_pytorch and ncsnv2 conversions share: DataParallel's key
// prefix, the reference's parameter order, and torch.optim.Adam's state dict.
#include "data/python_pickle.h"
#include "trainer/reference_checkpoint.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scorch::trainer::reference {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// A state dict's tensors with a leading "module." removed (DataParallel's).
NamedTensors without_data_parallel_prefix(const data::PickleValue& state_dict, const std::string& what);

// Removes the tensor called `name` from `tensors` and returns it, if there is one.
std::optional<at::Tensor> take_tensor(NamedTensors& tensors, const std::string& name);

// The model's parameters in registration order, which is the order of the
// reference's model.parameters(), and so of its optimiser's indices.
struct Parameter {
  std::string name;
  at::Tensor value;
  bool trainable;
};
std::vector<Parameter> parameters_in_order(const torch::nn::Module& model);

// Loads the tensors into the model's parameters; a tensor that names no
// parameter, a missing parameter or a wrong shape is a UserError.
void load_model(torch::nn::Module& model, const NamedTensors& tensors, const std::string& source);

// torch.optim.Adam's state_dict(): per-parameter exp_avg, exp_avg_sq and step,
// keyed by the parameter's index in model.parameters().
struct TorchAdamState {
  Adam::State moments;
  std::int64_t steps = 0;
};
TorchAdamState read_torch_adam(const data::PickleValue& state_dict, const std::vector<Parameter>& parameters,
                               const AdamSettings& expected, const std::string& source,
                               std::vector<std::string>& warnings);
data::PickleValue torch_adam_state_dict(const std::vector<Parameter>& parameters, const Adam::State& moments,
                                        std::int64_t steps, const AdamSettings& settings, double lr);

// An entry of a string-keyed dict; UserError "<source>: no '<key>' entry<hint>" when absent.
const data::PickleValue& entry(const data::PickleValue& dict, const std::string& key, const std::string& source,
                               const std::string& hint);

// The EMA of the untrained parameters (Fourier features) is their value: the references keep no EMA of them.
std::map<std::string, at::Tensor> complete_ema(std::map<std::string, at::Tensor> shadow,
                                               const std::vector<Parameter>& parameters);

ImportedCheckpoint import_score_sde(const data::PickleValue& root, const ConversionTarget& target,
                                    const std::string& source);
data::PickleValue export_score_sde(const Checkpoint& checkpoint, const ConversionTarget& target, double lr);
ImportedCheckpoint import_ncsnv2(const data::PickleValue& root, const ConversionTarget& target,
                                 const std::string& source);

}  // namespace scorch::trainer::reference
