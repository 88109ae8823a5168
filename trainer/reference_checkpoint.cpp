#include "trainer/reference_checkpoint.h"

#include "common/name_table.h"
#include "common/user_error.h"
#include "data/torch_save_file.h"
#include "models/module_state.h"
#include "models/score_model.h"
#include "trainer/reference_checkpoint_parts.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace scorch::trainer {
namespace {

struct FormatRow {
  ReferenceFormat value;
  const char* name;
  ImportedCheckpoint (*import)(const data::PickleValue&, const ConversionTarget&, const std::string&);
  data::PickleValue (*exporter)(const Checkpoint&, const ConversionTarget&, double);  // null: import only
};

const std::vector<FormatRow>& formats() {
  static const std::vector<FormatRow> table = {
      {ReferenceFormat::score_sde_pytorch, "score_sde_pytorch", reference::import_score_sde, reference::export_score_sde},
      {ReferenceFormat::ncsnv2, "ncsnv2", reference::import_ncsnv2, nullptr},
  };
  return table;
}

}  // namespace

ReferenceFormat parse_reference_format(const std::string& name) {
  return row_named(formats(), name, "checkpoint format").value;
}
std::string to_string(ReferenceFormat format) { return row_of(formats(), format).name; }
std::vector<std::string> reference_format_names() { return table_names(formats()); }
bool can_export(ReferenceFormat format) { return row_of(formats(), format).exporter != nullptr; }

ConversionTarget conversion_target(const models::ModelBundle& bundle, const TrainingSettings& settings,
                                   const Config& config) {
  std::vector<double> levels;
  if (bundle.process.has_noise_levels()) {
    const at::Tensor l = bundle.process.noise_levels().to(at::kDouble).contiguous();
    levels.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
  }
  return {bundle.model.get(), settings.adam, settings.ema, std::move(levels), &config};
}

ImportedCheckpoint import_reference_checkpoint(ReferenceFormat format, const data::PickleValue& root,
                                               const ConversionTarget& target, const std::string& source) {
  return row_of(formats(), format).import(root, target, source);
}

data::PickleValue export_reference_checkpoint(ReferenceFormat format, const Checkpoint& checkpoint,
                                              const ConversionTarget& target, double lr) {
  const FormatRow& row = row_of(formats(), format);
  if (row.exporter == nullptr) throw UserError(fmt::format("scorch reads {} checkpoints but does not write them", row.name));
  return row.exporter(checkpoint, target, lr);
}

}  // namespace scorch::trainer

namespace scorch::trainer::reference {

NamedTensors without_data_parallel_prefix(const data::PickleValue& state_dict, const std::string& what) {
  constexpr std::string_view kPrefix = "module.";
  NamedTensors tensors = data::state_dict_tensors(state_dict, what);
  for (auto& [name, tensor] : tensors) {
    if (name.compare(0, kPrefix.size(), kPrefix) == 0) name.erase(0, kPrefix.size());
  }
  return tensors;
}

std::optional<at::Tensor> take_tensor(NamedTensors& tensors, const std::string& name) {
  const auto found = std::find_if(tensors.begin(), tensors.end(), [&](const auto& t) { return t.first == name; });
  if (found == tensors.end()) return std::nullopt;
  at::Tensor tensor = found->second;
  tensors.erase(found);
  return tensor;
}

std::vector<Parameter> parameters_in_order(const torch::nn::Module& model) {
  std::vector<Parameter> parameters;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    parameters.push_back({item.key(), item.value(), item.value().requires_grad()});
  }
  return parameters;
}

void load_model(torch::nn::Module& model, const NamedTensors& tensors, const std::string& source) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& [name, tensor] : tensors) by_name.emplace(name, tensor);
  models::load_state_dict(model, by_name, source);
}

const data::PickleValue& entry(const data::PickleValue& dict, const std::string& key, const std::string& source,
                               const std::string& hint) {
  if (!dict.is_dict()) throw UserError(fmt::format("{}: holds a {}, not a dict{}", source, dict.type_name(), hint));
  const data::PickleValue* found = dict.find(key);
  if (found == nullptr) throw UserError(fmt::format("{}: no '{}' entry{}", source, key, hint));
  return *found;
}

std::map<std::string, at::Tensor> complete_ema(std::map<std::string, at::Tensor> shadow,
                                               const std::vector<Parameter>& parameters) {
  for (const Parameter& p : parameters) {
    if (!p.trainable) shadow.emplace(p.name, p.value.detach().clone());
  }
  return shadow;
}

namespace {

// Adam's step count: an int in files of PyTorch < 1.12, a float tensor after.
std::int64_t step_count(const data::PickleValue& value, const std::string& what) {
  if (value.is_tensor()) return static_cast<std::int64_t>(std::llround(value.as_tensor(what).item<double>()));
  return static_cast<std::int64_t>(std::llround(value.as_real(what)));
}

bool differs(double a, double b) { return std::abs(a - b) > 1e-12 * std::max(std::abs(a), std::abs(b)); }

}  // namespace

TorchAdamState read_torch_adam(const data::PickleValue& state_dict, const std::vector<Parameter>& parameters,
                               const AdamSettings& expected, const std::string& source,
                               std::vector<std::string>& warnings) {
  const std::string what = source + ": optimizer";
  const data::PickleValue& groups = entry(state_dict, "param_groups", what, "");
  std::vector<std::int64_t> indices;
  for (const data::PickleValue& group : groups.items(what + " param_groups")) {
    for (const data::PickleValue& index : entry(group, "params", what + " param group", "").items(what)) {
      indices.push_back(index.as_integer(what + " parameter index"));
    }
    const auto betas = entry(group, "betas", what + " param group", "").items(what + " betas");
    const double eps = entry(group, "eps", what + " param group", "").as_real(what + " eps");
    if (betas.size() != 2 || differs(betas[0].as_real(what), expected.beta1) ||
        differs(betas[1].as_real(what), expected.beta2) || differs(eps, expected.eps)) {
      warnings.push_back(fmt::format("the file's Adam (betas {}, {}, eps {}) differs from optim.beta1/beta2/eps "
                                     "({}, {}, {}); resumed training uses the config's",
                                     betas.empty() ? NAN : betas[0].as_real(what),
                                     betas.size() < 2 ? NAN : betas[1].as_real(what), eps, expected.beta1,
                                     expected.beta2, expected.eps));
    }
    if (const data::PickleValue* decay = group.find("weight_decay"); decay && decay->as_real(what) != 0.0) {
      warnings.push_back(fmt::format("the file's Adam has weight_decay {}, which scorch's Adam does not apply",
                                     decay->as_real(what)));
    }
    if (const data::PickleValue* amsgrad = group.find("amsgrad"); amsgrad && amsgrad->is_bool() &&
                                                                   amsgrad->as_bool(what)) {
      warnings.push_back("the file's Adam uses amsgrad; its maxima are not imported (with optim.amsgrad they restart "
                         "at exp_avg_sq)");
    }
  }
  if (indices.size() != parameters.size()) {
    throw UserError(fmt::format("{}: the optimizer has {} parameters where the model has {}", source, indices.size(),
                                parameters.size()));
  }
  TorchAdamState adam;
  std::optional<std::int64_t> steps;
  const auto& state = entry(state_dict, "state", what, "").entries(what + " state");
  for (const auto& [key, slot] : state) {
    const std::int64_t index = key.as_integer(what + " state key");
    const auto position = std::find(indices.begin(), indices.end(), index);
    if (position == indices.end()) throw UserError(fmt::format("{}: state for unknown parameter {}", what, index));
    const Parameter& p = parameters[static_cast<std::size_t>(position - indices.begin())];
    for (const char* kind : {"exp_avg", "exp_avg_sq"}) {
      const at::Tensor& moment = entry(slot, kind, what + " state of " + p.name, "").as_tensor(what);
      if (moment.sizes() != p.value.sizes()) {
        throw UserError(fmt::format("{}: {} of {} has the wrong shape", what, kind, p.name));
      }
      adam.moments[kind].emplace(p.name, moment);
    }
    const std::int64_t count = step_count(entry(slot, "step", what + " state of " + p.name, ""), what + " step");
    if (steps && *steps != count) {
      throw UserError(fmt::format("{}: parameters have different Adam step counts ({} and {})", what, *steps, count));
    }
    steps = count;
  }
  adam.steps = steps.value_or(0);
  // An optimiser that never stepped has no state: its moments are zero.
  for (const Parameter& p : parameters) {
    if (!p.trainable) continue;
    const bool has = adam.moments["exp_avg"].count(p.name) > 0;
    if (!has && !state.empty()) throw UserError(fmt::format("{}: no state for the parameter {}", what, p.name));
    if (!has) {
      adam.moments["exp_avg"].emplace(p.name, at::zeros_like(p.value));
      adam.moments["exp_avg_sq"].emplace(p.name, at::zeros_like(p.value));
    }
  }
  return adam;
}

data::PickleValue torch_adam_state_dict(const std::vector<Parameter>& parameters, const Adam::State& moments,
                                        std::int64_t steps, const AdamSettings& settings, double lr) {
  using data::PickleValue;
  PickleValue::Dict state;
  PickleValue::List indices;
  // The state says whether the run trained with amsgrad: it holds the maxima then.
  const bool amsgrad = moments.count("max_exp_avg_sq") > 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const Parameter& p = parameters[i];
    indices.push_back(PickleValue::integer(static_cast<std::int64_t>(i)));
    if (!p.trainable) continue;  // torch.optim keeps no state for parameters that get no gradient
    // The step as PyTorch 1.12 and later keep it, a float32 scalar tensor, so
    // that the file equals what the reference's save_checkpoint writes today.
    const at::Tensor step = at::scalar_tensor(static_cast<double>(steps), at::kFloat);
    PickleValue::Dict entries = {{PickleValue::string("step"), PickleValue::tensor(step)},
                                 {PickleValue::string("exp_avg"), PickleValue::tensor(moments.at("exp_avg").at(p.name))},
                                 {PickleValue::string("exp_avg_sq"), PickleValue::tensor(moments.at("exp_avg_sq").at(p.name))}};
    if (amsgrad) {
      entries.emplace_back(PickleValue::string("max_exp_avg_sq"),
                           PickleValue::tensor(moments.at("max_exp_avg_sq").at(p.name)));
    }
    state.emplace_back(PickleValue::integer(static_cast<std::int64_t>(i)), PickleValue::dict(std::move(entries)));
  }
  // The keys of torch.optim.Adam's param group before PyTorch 1.12; later versions add their own defaults on load.
  PickleValue::Dict group = {
      {PickleValue::string("lr"), PickleValue::real(lr)},
      {PickleValue::string("betas"), PickleValue::tuple({PickleValue::real(settings.beta1), PickleValue::real(settings.beta2)})},
      {PickleValue::string("eps"), PickleValue::real(settings.eps)},
      {PickleValue::string("weight_decay"), PickleValue::integer(0)},
      {PickleValue::string("amsgrad"), PickleValue::boolean(amsgrad)},
      {PickleValue::string("params"), PickleValue::list(std::move(indices))}};
  return PickleValue::dict({{PickleValue::string("state"), PickleValue::dict(std::move(state))},
                            {PickleValue::string("param_groups"), PickleValue::list({PickleValue::dict(std::move(group))})}});
}

}  // namespace scorch::trainer::reference
