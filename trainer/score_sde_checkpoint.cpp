// score_sde_pytorch's checkpoint_N.pth: the dict its utils.save_checkpoint
// writes, {optimizer: Adam state dict, model: the DataParallel state dict,
// ema: {decay, num_updates, shadow_params}, step}. shadow_params is a list in
// model.parameters() order holding the parameters that require gradients.
#include "common/user_error.h"
#include "data/torch_save_file.h"
#include "trainer/reference_checkpoint_parts.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace scorch::trainer::reference {
namespace {

constexpr const char* kNotScoreSde = " (not a score_sde_pytorch checkpoint; an ermongroup/ncsnv2 one is --format ncsnv2)";

// score_sde's networks register the SMLD ladder get_sigmas(config) as the
// buffer `sigmas`, which only its discrete-time models read: scorch builds no
// such buffer, and writes the ladder back as numpy computes it,
// exp(linspace(log σ_max, log σ_min, N)) in float64.
constexpr const char* kLadderBuffer = "sigmas";

at::Tensor smld_ladder(const Config& config) {
  const double start = std::log(config.number("sde.sigma_max")), stop = std::log(config.number("sde.sigma_min"));
  const std::int64_t count = config.integer("sde.num_scales");
  at::Tensor ladder = at::empty({count}, at::kDouble);
  const double step = count > 1 ? (stop - start) / static_cast<double>(count - 1) : 0.0;
  for (std::int64_t i = 0; i < count; ++i) {
    ladder[i] = std::exp(i + 1 == count ? stop : static_cast<double>(i) * step + start);
  }
  return ladder;
}

}  // namespace

ImportedCheckpoint import_score_sde(const data::PickleValue& root, const ConversionTarget& target,
                                    const std::string& source) {
  ImportedCheckpoint imported;
  torch::nn::Module& model = *target.model;
  NamedTensors tensors = without_data_parallel_prefix(entry(root, "model", source, kNotScoreSde), source + ": model");
  if (!model.named_buffers().contains(kLadderBuffer)) take_tensor(tensors, kLadderBuffer);
  load_model(model, tensors, source + ": the model weights");
  const std::vector<Parameter> parameters = parameters_in_order(model);
  for (const Parameter& p : parameters) imported.model.emplace(p.name, p.value.detach().clone());

  const data::PickleValue& ema = entry(root, "ema", source, kNotScoreSde);
  const std::string ema_what = source + ": ema";
  const auto& shadow = entry(ema, "shadow_params", ema_what, "").items(ema_what + " shadow_params");
  std::vector<const Parameter*> trained;
  for (const Parameter& p : parameters) {
    if (p.trainable) trained.push_back(&p);
  }
  if (shadow.size() != trained.size()) {
    throw UserError(fmt::format("{}: {} shadow_params where the model trains {} parameters", ema_what, shadow.size(),
                                trained.size()));
  }
  std::map<std::string, at::Tensor> averaged;
  for (std::size_t i = 0; i < shadow.size(); ++i) {
    const at::Tensor& tensor = shadow[i].as_tensor(ema_what + " shadow_params");
    if (tensor.sizes() != trained[i]->value.sizes()) {
      throw UserError(fmt::format("{}: shadow_params[{}] has the wrong shape for {}", ema_what, i, trained[i]->name));
    }
    averaged.emplace(trained[i]->name, tensor.to(trained[i]->value.scalar_type()));
  }
  imported.ema = complete_ema(std::move(averaged), parameters);
  const double decay = entry(ema, "decay", ema_what, "").as_real(ema_what + " decay");
  if (target.ema.halflife_images > 0.0 || std::abs(decay - target.ema.rate) > 1e-12) {
    imported.warnings.push_back(fmt::format("the file's EMA decay {} differs from the config's ema.rate {}{}", decay,
                                            target.ema.rate,
                                            target.ema.halflife_images > 0.0 ? " (ema.halflife_kimg is set)" : ""));
  }
  const data::PickleValue& updates = entry(ema, "num_updates", ema_what, "");
  // None: an EMA without warm-up (use_num_updates=False).
  imported.ema_updates = updates.is_none() ? 0 : updates.as_integer(ema_what + " num_updates");
  if (updates.is_none() == target.ema.warmup) {
    imported.warnings.push_back(fmt::format("the file's EMA {} a warm-up and ema.warmup is {}",
                                            updates.is_none() ? "has no" : "has", target.ema.warmup));
  }

  const TorchAdamState adam = read_torch_adam(entry(root, "optimizer", source, kNotScoreSde), parameters, target.adam,
                                              source, imported.warnings);
  imported.optimizer = adam.moments;
  imported.optimizer_steps = adam.steps;
  imported.step = entry(root, "step", source, kNotScoreSde).as_integer(source + ": step");
  return imported;
}

data::PickleValue export_score_sde(const Checkpoint& checkpoint, const ConversionTarget& target, double lr) {
  using data::PickleValue;
  const std::vector<Parameter> parameters = parameters_in_order(*target.model);
  PickleValue::Dict model;
  PickleValue::List shadow;
  if (target.config != nullptr && !target.model->named_buffers().contains(kLadderBuffer)) {
    model.emplace_back(PickleValue::string(std::string("module.") + kLadderBuffer),
                       PickleValue::tensor(smld_ladder(*target.config)));
  }
  for (const Parameter& p : parameters) {
    const auto weights = checkpoint.model.find(p.name);
    const auto averaged = checkpoint.ema.find(p.name);
    if (weights == checkpoint.model.end() || averaged == checkpoint.ema.end()) {
      throw UserError("the checkpoint has no weights for " + p.name);
    }
    model.emplace_back(PickleValue::string("module." + p.name), PickleValue::tensor(weights->second));
    if (p.trainable) shadow.push_back(PickleValue::tensor(averaged->second));
  }
  for (const auto& item : target.model->named_buffers(/*recurse=*/true)) {
    model.emplace_back(PickleValue::string("module." + item.key()), PickleValue::tensor(item.value()));
  }
  // The EMA's update counter is None when it has no warm-up.
  const PickleValue updates = target.ema.warmup ? PickleValue::integer(checkpoint.state.ema_updates) : PickleValue::none();
  PickleValue ema = PickleValue::dict({{PickleValue::string("decay"), PickleValue::real(target.ema.rate)},
                                       {PickleValue::string("num_updates"), updates},
                                       {PickleValue::string("shadow_params"), PickleValue::list(std::move(shadow))}});
  return PickleValue::dict(
      {{PickleValue::string("optimizer"),
        torch_adam_state_dict(parameters, checkpoint.optimizer, checkpoint.state.optimizer_steps, target.adam, lr)},
       {PickleValue::string("model"), data::ordered_dict(std::move(model))},
       {PickleValue::string("ema"), std::move(ema)},
       {PickleValue::string("step"), PickleValue::integer(checkpoint.state.step)}});
}

}  // namespace scorch::trainer::reference
