#include "evaluation/evaluation_config.h"

#include "common/config.h"
#include "common/distributed_keys.h"
#include "common/user_error.h"
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/kernel_inception_distance.h"
#include "evaluation/features/manifold_precision_recall.h"
#include "evaluation/sampling/sampler_config.h"
#include "evaluation/report/metric_table.h"
#include "evaluation/sampling/sampler_table.h"
#include "evaluation/toy/toy_evaluation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>


namespace scorch::evaluation {
namespace {

void declare_evaluation_config(ConfigSchema& schema) {
  using T = ConfigType;
  // Defaults come from the settings structs, so each is stated once.
  const LikelihoodEvaluationSettings likelihood;
  const PrdSettings prd;
  const ToyMetricSettings toy;
  const KidSettings kid;
  schema.add({"checkpoints", T::string, "",
              "a run or checkpoints directory (every checkpoint in it), or a comma-separated list of checkpoint "
              "files; --checkpoints overrides it"});
  schema.add({"report", T::string, "eval-report", "output directory (report, samples, finished work units)"});
  schema.add({"seed", T::integer, "0", "root of every random draw of the evaluation", {}, 0.0});
  schema.add({"weights", T::choice, "ema", "the checkpoint weights evaluated", {"ema", "model"}});
  schema.add({"metrics", T::string, to_string(Metric::fid) + "," + to_string(Metric::is),
              fmt::format("comma-separated subset of {}", fmt::join(metric_names(), ", "))});
  schema.add({"summary", T::boolean, "false",
              "add a row with the mean and 95% interval over all checkpoints (e.g. the final ones of several seeds)"});
  schema.add({"samples.count", T::integer, "10000", "fid, is, kid, precision, recall, modes, tail: samples drawn per checkpoint",
              {}, 2.0});
  schema.add({"samples.sampler", T::choice, to_string(SamplerKind::ode),
              "fid, is, kid, precision, recall, modes, tail: the sampler", sampler_names()});
  schema.add({"samples.quantize", T::choice, data::to_string(data::PixelQuantization::round),
              "how image samples become uint8 pixels before their features: EDM rounds, score_sde truncates",
              table_names(data::pixel_quantization_table())});
  schema.add({"samples.grid", T::integer, "64", "images in each checkpoint's PNG grid (0: none)", {}, 0.0});
  schema.add({"samples.shard_size", T::integer, "1000",
              "samples per shard file; a killed evaluation keeps finished shards and redoes at most one per rank",
              {}, 1.0});
  schema.add({"features.extractor", T::string, "", "fid, is, kid, precision, recall: " + feature_extractor_spec_help()});
  schema.add({"features.reference", T::string, "",
              "fid: reference statistics (.h5 from `scorch stats`, or .npz with mu and sigma) or a dataset file; kid, "
              "precision, recall: a dataset file"});
  schema.add({"features.reference_count", T::integer, "0",
              "a dataset file as features.reference: use its first N images (0: all)", {}, 0.0});
  schema.add({"features.batch_size", T::integer, "250", "images per extractor call", {}, 1.0});
  schema.add({"kid.subsets", T::integer, config_default_integer(kid.subsets), "kid: random subsets averaged", {}, 1.0});
  schema.add({"kid.subset_size", T::integer, config_default_integer(kid.subset_size),
              "kid: features per subset from each set (fewer when a set is smaller)", {}, 2.0});
  schema.add({"prc.neighborhood", T::integer, config_default_integer(kDefaultNeighbourhood),
              "precision, recall: k, the manifolds' radii being distances to the k-th nearest neighbour", {}, 1.0});
  schema.add({"likelihood.data", T::string, "", "nll, bound: the test dataset file"});
  schema.add({"likelihood.count", T::integer, config_default_integer(likelihood.count), "nll, bound: the first N test images (0: all)", {}, 0.0});
  schema.add({"likelihood.repeats", T::integer, config_default_integer(likelihood.repeats), "nll, bound: dequantizations per image (the reference uses 5)",
              {}, 1.0});
  schema.add({"likelihood.batch_size", T::integer, config_default_integer(likelihood.batch_size), "nll, bound: images per batch", {}, 1.0});
  schema.add({"likelihood.shard_size", T::integer, config_default_integer(likelihood.shard_size),
              "nll, bound: test images per shard file of per-image results (kept across a kill, like samples)", {}, 1.0});
  schema.add({"likelihood.divergence", T::choice, to_string(likelihood.ode.divergence), "nll: the divergence estimator",
              divergence_method_names()});
  schema.add({"likelihood.rtol", T::number, config_default(likelihood.ode.ode.rtol), "nll: RK45 relative tolerance", {}, 0.0, true});
  schema.add({"likelihood.atol", T::number, config_default(likelihood.ode.ode.atol), "nll: RK45 absolute tolerance", {}, 0.0, true});
  schema.add({"likelihood.eps", T::number, "0", "nll, bound: smallest time (0: the checkpoint's objective.eps)", {}, 0.0});
  schema.add({"bound.time_samples", T::integer, config_default_integer(likelihood.dsm.time_samples), "bound: importance-sampled times per image", {}, 1.0});
  schema.add({"modes.clusters", T::integer, config_default_integer(prd.clusters), "modes: k-means clusters of the precision-recall curve", {}, 1.0});
  schema.add({"modes.runs", T::integer, config_default_integer(prd.runs), "modes: k-means runs the curve is averaged over", {}, 1.0});
  schema.add({"modes.angles", T::integer, config_default_integer(prd.angles), "modes: points λ = tan θ on the precision-recall curve", {}, 2.0});
  schema.add({"tail.xi", T::number, config_default(toy.tail_xi), "tail: the quantile levels compared lie in (xi, 1)", {}, 0.0, true, 1.0});
  schema.add({"tail.reference_count", T::integer, config_default_integer(toy.tail_reference_count), "tail: points of the true distribution drawn as reference",
              {}, 2.0});
  declare_distributed_keys(schema);
  declare_sampler_config(schema);
}

}  // namespace

const ConfigSchema& evaluation_schema() {
  static const ConfigSchema schema = [] {
    ConfigSchema s;
    declare_evaluation_config(s);
    return s;
  }();
  return schema;
}

std::set<Metric> requested_metrics(const Config& config) { return parse_metric_list(config.string("metrics")); }

LikelihoodEvaluationSettings likelihood_settings_from(const Config& config, double training_eps) {
  const std::set<Metric> metrics = requested_metrics(config);
  LikelihoodEvaluationSettings settings;
  settings.count = config.integer("likelihood.count");
  settings.repeats = config.integer("likelihood.repeats");
  settings.batch_size = config.integer("likelihood.batch_size");
  settings.shard_size = config.integer("likelihood.shard_size");
  settings.nll = metrics.count(Metric::nll) > 0;
  settings.bound = metrics.count(Metric::bound) > 0;
  const double eps = config.number("likelihood.eps") > 0 ? config.number("likelihood.eps") : training_eps;
  settings.ode.ode = {OdeMethod::rk45, config.number("likelihood.rtol"), config.number("likelihood.atol"), 0};
  settings.ode.divergence = parse_divergence_method(config.string("likelihood.divergence"));
  settings.ode.eps = eps;
  settings.dsm.eps = eps;
  settings.dsm.time_samples = config.integer("bound.time_samples");
  settings.seed = static_cast<std::uint64_t>(config.integer("seed"));
  return settings;
}

}  // namespace scorch::evaluation
