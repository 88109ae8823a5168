#include "models/score_model_config.h"

#include "common/config.h"
#include "common/name_table.h"
#include "common/user_error.h"
#include "models/analytic_gmm.h"
#include "models/model_config.h"
#include "models/network_preconditioning.h"
#include "models/mlp_score_model.h"
#include "models/ncsnpp_config.h"
#include "models/ncsnv2.h"
#include "models/residual_mlp_score_model.h"
#include "models/noise_family.h"
#include "models/sde.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

namespace scorch::models {
namespace {

at::Tensor to_tensor(const NumberArray& array) {
  return at::tensor(array.values, at::kDouble).reshape(array.shape);
}

GaussianMixture mixture_from(const Config& config) {
  GaussianMixture mixture;
  mixture.weights = to_tensor(config.number_list("model.gmm.weights")).reshape({-1});
  mixture.means = to_tensor(config.number_list("model.gmm.means"));
  if (mixture.weights.numel() == 0 || mixture.means.numel() == 0) {
    throw UserError("analytic_gmm needs at least one component in model.gmm.weights and model.gmm.means");
  }
  if (mixture.means.dim() == 1) mixture.means = mixture.means.unsqueeze(1);  // 1-D data: [K] -> [K, 1]
  const std::int64_t K = mixture.means.size(0), D = mixture.means.size(1);
  const at::Tensor covariances = to_tensor(config.number_list("model.gmm.covariances"));
  // Full [K, D, D], diagonal [K, D] or isotropic [K] (one variance per component).
  if (covariances.dim() == 3) {
    mixture.covariances = covariances;
  } else if (covariances.dim() == 2 && covariances.size(0) == K && covariances.size(1) == D) {
    mixture.covariances = at::diag_embed(covariances);
  } else if (covariances.dim() == 1 && covariances.size(0) == K) {
    mixture.covariances = covariances.view({K, 1, 1}) * at::eye(D, at::kDouble).unsqueeze(0);
  } else {
    throw UserError(fmt::format("model.gmm.covariances: expected [K, D, D], [K, D] or [K] with K = {}, D = {}; got [{}]",
                                K, D, fmt::join(covariances.sizes(), ", ")));
  }
  return mixture;
}

// The std c of the ladder's Gaussian noise N(0, c²σ² I); other families have no closed-form perturbed density.
double noise_scale_of(const NoiseFamily& family) {
  if (const std::optional<double> c = family.gaussian_std()) return *c;
  throw UserError("analytic_gmm has a closed-form score only under Gaussian noise (noise.family = " + family.name() + ")");
}

}  // namespace

namespace {

std::shared_ptr<ScoreModel> make_mlp(const Config& config, const DiffusionProcess& process) {
  const Activation activation = parse_activation(config.string("model.mlp.activation"));
  const bool conditional = config.boolean("model.mlp.conditional");
  return std::make_shared<MlpScoreModel>(config.integer_list("model.input_shape", 1),
                                         config.integer_list("model.mlp.hidden", 1), activation,
                                         conditional ? mlp_preconditioning(process) : unconditional_preconditioning(process),
                                         conditional);
}

std::shared_ptr<ScoreModel> make_residual_mlp(const Config& config, const DiffusionProcess& process) {
  ResidualMlpOptions options;
  options.units = config.integer("model.residual_mlp.units");
  options.blocks = config.integer("model.residual_mlp.blocks");
  options.time_embedding = config.integer("model.residual_mlp.time_embedding");
  options.layer_norm = config.boolean("model.residual_mlp.layer_norm");
  options.skip = config.boolean("model.residual_mlp.skip");
  return std::make_shared<ResidualMlpScoreModel>(config.integer_list("model.input_shape", 1), options,
                                                 mlp_preconditioning(process));
}

std::shared_ptr<ScoreModel> make_ncsnpp(const Config& config, const DiffusionProcess& process) {
  // DLPM models see [−1, 1] and predict O(1) noise, like VP/subVP ones.
  const bool variance_exploding = process.variance_exploding();
  NcsnppOptions options = ncsnpp_options_from(config, config.integer_list("model.input_shape", 1), variance_exploding);
  Preconditioning preconditioning = ncsnpp_preconditioning(process, ncsnpp_scale_by_sigma(config, variance_exploding));
  return std::make_shared<NcsnppModel>(std::move(options), std::move(preconditioning));
}

std::shared_ptr<ScoreModel> make_ncsnv2(const Config& config, const DiffusionProcess& process) {
  Preconditioning preconditioning = ncsnv2_preconditioning(process);
  const auto input_shape = config.integer_list("model.input_shape", 1);
  if (input_shape.size() != 3 || input_shape[1] != input_shape[2]) {
    throw UserError("ncsnv2 needs model.input_shape [C, H, W] with H = W");
  }
  Ncsnv2Options options{input_shape[0], input_shape[1], config.integer("model.ncsnv2.nf"),
                        parse_activation(config.string("model.ncsnv2.nonlinearity")),
                        config.boolean("model.ncsnv2.centered")};
  return std::make_shared<Ncsnv2Model>(options, std::move(preconditioning));
}

std::shared_ptr<ScoreModel> make_analytic_gmm(const Config& config, const DiffusionProcess& process) {
  if (process.alpha_stable_chain()) throw UserError("analytic_gmm has no DLPM noise prediction");
  GaussianMixture mixture = mixture_from(config);
  const auto dimension = mixture.means.size(1);
  const auto declared = config.integer_list("model.input_shape", 1);
  if (config.is_explicit("model.input_shape") && declared != std::vector<std::int64_t>{dimension}) {
    throw UserError(fmt::format("model.input_shape must be [{}] to match model.gmm.means", dimension));
  }
  if (process.sde()) return std::make_shared<AnalyticGmmModel>(std::move(mixture), process.shared_sde());
  return std::make_shared<AnalyticGmmModel>(std::move(mixture), noise_scale_of(*process.noise_family()));
}

// The models by model.name: adding one is its class, its keys and a row here.
struct ModelRow {
  const char* name;
  const char* description;
  std::shared_ptr<ScoreModel> (*make)(const Config& config, const DiffusionProcess& process);
};

const std::vector<ModelRow>& model_table() {
  static const std::vector<ModelRow> table = {
      {MlpScoreModel::kName, "MLP", make_mlp},
      {ResidualMlpScoreModel::kName, "the DLPM authors' residual MLP with a learnable time embedding", make_residual_mlp},
      {NcsnppModel::kName, "NCSN++/DDPM++ U-Net", make_ncsnpp},
      {Ncsnv2Model::kName, "RefineNet", make_ncsnv2},
      {AnalyticGmmModel::kName, "exact mixture score", make_analytic_gmm},
  };
  return table;
}

}  // namespace

void declare_score_model_config(ConfigSchema& schema) {
  using T = ConfigType;
  std::vector<std::string> names, described;
  for (const ModelRow& row : model_table()) {
    names.emplace_back(row.name);
    described.push_back(fmt::format("{} ({})", row.name, row.description));
  }
  schema.add({"model.name", T::choice, model_table().front().name,
              "score model: " + spoken_list(described), names});
  schema.add({"model.input_shape", T::number_list, "[2]", "shape of one example, e.g. [2] or [1, 28, 28]"});
  schema.add({"model.mlp.hidden", T::number_list, "[128, 128]", "mlp: hidden layer widths"});
  schema.add({"model.mlp.activation", T::choice, "silu", "mlp: silu or relu", {"silu", "relu"}});
  schema.add({"model.mlp.conditional", T::boolean, "true",
              "mlp: the network reads the label (log σ, t or τ) and its output is scaled by the noise std; false: "
              "it reads x alone and its output is the score (or ε̂) as it is"});
  const ResidualMlpOptions residual;  // its defaults, the DLPM authors' 2-D config
  schema.add({"model.residual_mlp.units", T::integer, config_default_integer(residual.units),
              "residual_mlp: width of every block (their nunits)", {}, 1.0});
  schema.add({"model.residual_mlp.blocks", T::integer, config_default_integer(residual.blocks),
              "residual_mlp: middle blocks (their nblocks; the output head adds one more)", {}, 0.0});
  schema.add({"model.residual_mlp.time_embedding", T::integer, config_default_integer(residual.time_embedding),
              "residual_mlp: size of the learnable label embedding (their time_emb_size)", {}, 1.0});
  schema.add({"model.residual_mlp.layer_norm", T::boolean, config_default_boolean(residual.layer_norm),
              "residual_mlp: a LayerNorm after every linear layer of the blocks (their group_norm)"});
  schema.add({"model.residual_mlp.skip", T::boolean, config_default_boolean(residual.skip),
              "residual_mlp: residual connections (their skip_connection)"});
  schema.add({"model.gmm.weights", T::number_list, "[1]", "analytic_gmm: component weights [K] (normalised)"});
  schema.add({"model.gmm.means", T::number_list, "[[0, 0]]", "analytic_gmm: component means [K, D]"});
  schema.add({"model.gmm.covariances", T::number_list, "[1]",
              "analytic_gmm: covariances [K, D, D], diagonals [K, D], or variances [K]"});
  declare_ncsnpp_config(schema);
  const Ncsnv2Options ncsnv2;  // its defaults, stated once
  schema.add({"model.ncsnv2.nf", T::integer, config_default_integer(ncsnv2.nf), "ncsnv2: base channel count (ngf)", {},
              1.0});
  schema.add({"model.ncsnv2.nonlinearity", T::choice, "elu", "ncsnv2: elu, swish, relu or lrelu",
              {"elu", "swish", "relu", "lrelu"}});
  schema.add({"model.ncsnv2.centered", T::boolean, config_default_boolean(ncsnv2.centered),
              "ncsnv2: inputs already in [-1, 1] (else [0, 1])"});
}

std::shared_ptr<ScoreModel> make_score_model(const Config& config, const DiffusionProcess& process) {
  return row_named(model_table(), config.string("model.name"), "model").make(config, process);
}

ModelBundle make_model_bundle(const Config& config) {
  DiffusionProcess process = make_diffusion_process(config);
  std::shared_ptr<ScoreModel> model = make_score_model(config, process);
  return {std::move(process), std::move(model)};
}

}  // namespace scorch::models
