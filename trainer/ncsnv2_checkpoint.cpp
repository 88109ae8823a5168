// ermongroup/ncsnv2's checkpoint_N.pth: the list its runner saves,
// [model state dict (DataParallel, with the noise levels as the buffer
// `sigmas`), Adam state dict, epoch, step] and, when the EMA is on, its
// EMAHelper's {name: shadow tensor}. The EMA has a fixed rate and no warm-up.
#include "common/user_error.h"
#include "trainer/reference_checkpoint_parts.h"

#include <ATen/ATen.h>
#include <torch/torch.h>
#include <fmt/format.h>


namespace scorch::trainer::reference {

ImportedCheckpoint import_ncsnv2(const data::PickleValue& root, const ConversionTarget& target,
                                 const std::string& source) {
  if (!root.is_list() || root.items(source).size() < 4) {
    throw UserError(fmt::format("{}: holds a {}, not ncsnv2's [model, optimizer, epoch, step, ema] list (a "
                                "score_sde_pytorch checkpoint is --format score_sde_pytorch)",
                                source, root.type_name()));
  }
  const auto& items = root.items(source);
  ImportedCheckpoint imported;
  NamedTensors tensors = without_data_parallel_prefix(items[0], source + ": model");
  // The noise levels are data, not weights, in scorch (sigmas.*): they must agree with the config's.
  if (const auto levels = take_tensor(tensors, "sigmas")) {
    const at::Tensor expected = at::tensor(target.noise_levels, at::kDouble).to(at::kFloat);
    const at::Tensor found = levels->to(at::kFloat).reshape({-1});
    if (found.sizes() != expected.sizes() || !at::allclose(found, expected, 1e-6, 0.0)) {
      throw UserError(fmt::format("{}: the file's {} noise levels ({} … {}) differ from the config's sigmas.* ({} "
                                  "levels, {} … {})",
                                  source, found.numel(), found.numel() ? found[0].item<double>() : NAN,
                                  found.numel() ? found[-1].item<double>() : NAN, expected.numel(),
                                  target.noise_levels.empty() ? NAN : target.noise_levels.front(),
                                  target.noise_levels.empty() ? NAN : target.noise_levels.back()));
    }
  }
  torch::nn::Module& model = *target.model;
  load_model(model, tensors, source + ": the model weights");
  const std::vector<Parameter> parameters = parameters_in_order(model);
  for (const Parameter& p : parameters) imported.model.emplace(p.name, p.value.detach().clone());

  if (items.size() > 4) {
    std::map<std::string, at::Tensor> shadow;
    for (auto& [name, tensor] : without_data_parallel_prefix(items[4], source + ": ema")) {
      shadow.emplace(name, tensor);
    }
    std::map<std::string, at::Tensor> averaged;
    for (const Parameter& p : parameters) {
      if (!p.trainable) continue;
      const auto found = shadow.find(p.name);
      if (found == shadow.end() || found->second.sizes() != p.value.sizes()) {
        throw UserError(fmt::format("{}: the EMA has no tensor of the right shape for {}", source, p.name));
      }
      averaged.emplace(p.name, found->second.to(p.value.scalar_type()));
    }
    imported.ema = complete_ema(std::move(averaged), parameters);
  } else {
    imported.ema = imported.model;
    imported.warnings.push_back("the file has no EMA (model.ema was off): the EMA starts from the model weights");
  }
  if (target.ema.warmup) {
    imported.warnings.push_back("ncsnv2's EMA has no warm-up, but ema.warmup is true in the config");
  }
  const TorchAdamState adam = read_torch_adam(items[1], parameters, target.adam, source, imported.warnings);
  imported.optimizer = adam.moments;
  imported.optimizer_steps = adam.steps;
  imported.step = items[3].as_integer(source + ": step");
  imported.ema_updates = imported.step;
  return imported;
}

}  // namespace scorch::trainer::reference
