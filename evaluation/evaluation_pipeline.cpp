#include "evaluation/evaluation_pipeline.h"

#include "common/communicator.h"
#include "common/log.h"
#include "common/user_error.h"
#include "data/content_hash.h"
#include "data/dataset_file.h"
#include "data/shard_files.h"
#include "data/tensor_archive.h"
#include "evaluation/evaluation_config.h"
#include "evaluation/features/frechet_distance.h"
#include "evaluation/features/image_features.h"
#include "evaluation/features/kernel_inception_distance.h"
#include "evaluation/features/manifold_precision_recall.h"
#include "evaluation/sampling/sample_file.h"
#include "evaluation/sampling/sample_shards.h"
#include "evaluation/toy/toy_evaluation.h"
#include "models/score_model.h"
#include "models/sde.h"
#include "models/toy_distributions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <map>
#include <optional>

namespace scorch::evaluation {
namespace {

using json = nlohmann::ordered_json;

// What a unit's result depends on: every setting except where the checkpoints
// come from and where the report goes.
std::string settings_fingerprint(Config config) {
  config.set("checkpoints=");
  config.set("report=");
  const std::string yaml = config.to_yaml();
  data::ContentHash hash;
  hash.update(yaml.data(), yaml.size());
  return hash.hex();
}

void merge(json& record, const json& values) {
  for (const auto& [key, value] : values.items()) record["metrics"][key] = value;
}

// The first requested metric (in table order) that needs a setting names it when the setting is empty.
void require_settings(const Config& config, const std::set<Metric>& metrics) {
  const std::pair<bool MetricEntry::*, const char*> settings[] = {{&MetricEntry::needs_extractor, "features.extractor"},
                                                                  {&MetricEntry::needs_reference, "features.reference"},
                                                                  {&MetricEntry::needs_test_data, "likelihood.data"}};
  for (const auto& [need, key] : settings) {
    for (const MetricEntry& entry : metric_table()) {
      if (metrics.count(entry.value) && entry.*need && config.string(key).empty()) {
        throw UserError(fmt::format("metric {} needs {} in the evaluation config", entry.name, key));
      }
    }
  }
}

}  // namespace

std::vector<std::string> unit_stems(const std::vector<std::string>& checkpoints) {
  std::map<std::string, int> uses;
  for (const std::string& path : checkpoints) ++uses[std::filesystem::path(path).stem().string()];
  std::vector<std::string> stems;
  for (const std::string& path : checkpoints) {
    std::string stem = std::filesystem::path(path).stem().string();
    if (uses[stem] > 1) {
      data::ContentHash hash;
      hash.update(path.data(), path.size());
      const std::string digest = hash.hex();  // "fnv1a64:<16 hex digits>"
      stem += "-" + digest.substr(digest.size() - 8);
    }
    stems.push_back(stem);
  }
  return stems;
}

EvaluationPipeline::EvaluationPipeline(Config config, Communicator& communicator, ModelLoader load)
    : config_(std::move(config)),
      communicator_(communicator),
      load_(std::move(load)),
      metrics_(requested_metrics(config_)),
      report_(config_.string("report")),
      fingerprint_(settings_fingerprint(config_)),
      units_(report_ + "/units", fingerprint_, communicator) {
  require_settings(config_, metrics_);
  if (wants_any(&MetricEntry::needs_extractor)) {
    extractor_ = load_feature_extractor(config_.string("features.extractor"), communicator.device());
  }
  if (wants_any(&MetricEntry::needs_reference)) load_reference();
  if (communicator_.rank() == 0) {
    for (const char* folder : {"samples", "grids"}) std::filesystem::create_directories(report_ + "/" + folder);
  }
  communicator_.barrier();
}

bool EvaluationPipeline::wants_any(bool MetricEntry::*need) const {
  for (const Metric metric : metrics_) {
    if (metric_entry(metric).*need) return true;
  }
  return false;
}

json EvaluationPipeline::evaluate(const std::string& checkpoint_path, const std::string& stem, std::size_t position,
                                  std::size_t total) {
  TrainedModel loaded = load_(checkpoint_path);
  const std::string fingerprint = shard_fingerprint(loaded);
  models::place_model(*loaded.bundle.model, communicator_.device(), compute_settings_from(config_));
  // A watched run's total is not known yet (0).
  const std::string counter = total > 0 ? fmt::format("{}/{}", position, total) : std::to_string(position);
  log::info("checkpoint {}: {} (step {})", counter, checkpoint_path, loaded.step);
  json record = {{"checkpoint", checkpoint_path}, {"step", loaded.step}, {"metrics", json::object()}};
  if (wants_any(&MetricEntry::needs_samples)) {
    json sampled = sample(loaded, stem, fingerprint);
    // The sampler's settings describe the checkpoint's samples, not a metric.
    if (sampled.contains(report_key::sampler)) {
      record[report_key::sampler] = sampled[report_key::sampler];
      sampled.erase(report_key::sampler);
    }
    merge(record, sampled);
    const bool images = loaded.bundle.model->input_shape().size() == 3;
    if (images && config_.integer("samples.grid") > 0) record["grid"] = "grids/" + stem + ".png";
  }
  if (extractor_) merge(record, image_metrics(stem));
  if (wants_any(&MetricEntry::needs_toy)) merge(record, toy_metrics(loaded, stem));
  if (wants_any(&MetricEntry::needs_test_data)) merge(record, likelihood(loaded, stem, fingerprint));
  return record;
}

json EvaluationPipeline::settings() const {
  json settings = {{"metrics", config_.string("metrics")}, {"weights", config_.string("weights")},
                   {"seed", config_.integer("seed")}};
  if (wants_any(&MetricEntry::needs_samples)) {
    settings["samples"] = {{"count", config_.integer("samples.count")},
                           {"sampler", config_.string("samples.sampler")},
                           {"quantize", config_.string("samples.quantize")}};
  }
  if (extractor_) settings["extractor"] = extractor_->identity();
  if (wants(Metric::modes)) {
    settings[to_string(Metric::modes)] = {{"clusters", config_.integer("modes.clusters")},
                                          {"runs", config_.integer("modes.runs")}};
  }
  if (wants(Metric::tail)) settings[to_string(Metric::tail)] = {{"xi", config_.number("tail.xi")}};
  if (wants_any(&MetricEntry::needs_reference)) {
    settings["reference"] = config_.string("features.reference");
    settings["reference_count"] = config_.integer("features.reference_count");
  }
  if (wants(Metric::kid)) {
    settings[to_string(Metric::kid)] = {{"subsets", config_.integer("kid.subsets")},
                                        {"subset_size", config_.integer("kid.subset_size")}};
  }
  if (wants(Metric::precision) || wants(Metric::recall)) settings["prc"] = {{"neighborhood", config_.integer("prc.neighborhood")}};
  if (wants_any(&MetricEntry::needs_test_data)) {
    settings["likelihood"] = {{"data", config_.string("likelihood.data")},
                              {"count", config_.integer("likelihood.count")},
                              {"repeats", config_.integer("likelihood.repeats")},
                              {"divergence", config_.string("likelihood.divergence")}};
  }
  return settings;
}

void EvaluationPipeline::load_reference() {
  const std::string reference = config_.string("features.reference");
  const auto batch_size = config_.integer("features.batch_size");
  const auto reference_count = config_.integer("features.reference_count");
  if (wants_any(&MetricEntry::needs_all_features)) {
    // KID and precision/recall compare sets of features, which statistics files do not hold.
    if (is_feature_statistics_file(reference)) {
      throw UserError(fmt::format("metrics kid, precision and recall need features.reference to be a dataset file "
                                  "(every image's features), not the statistics file {}",
                                  reference));
    }
    const ImageFeatureSummary summary = summarise_image_file(reference, *extractor_, {wants(Metric::fid), false, true},
                                                             communicator_, batch_size, reference_count);
    reference_features_ = summary.features;
    if (summary.statistics) reference_ = *summary.statistics;
    return;
  }
  reference_ = statistics_of(reference, extractor_.get(), communicator_, batch_size, reference_count);
  if (!reference_.extractor.empty() && reference_.extractor != extractor_->identity()) {
    throw UserError(fmt::format("features.reference {} was computed with {}, but features.extractor is {}", reference,
                                reference_.extractor, extractor_->identity()));
  }
}

std::string EvaluationPipeline::shard_fingerprint(const TrainedModel& loaded) const {
  // Checkpoints record a hash of their tensors; older ones stand for themselves by path and step.
  const std::string content = data::find_root_text_attribute(loaded.path, "content_hash")
                                  .value_or(loaded.path + "@" + std::to_string(loaded.step));
  const std::string text = fingerprint_ + "\n" + content;
  data::ContentHash hash;
  hash.update(text.data(), text.size());
  return hash.hex();
}

json EvaluationPipeline::sample(const TrainedModel& loaded, const std::string& stem, const std::string& fingerprint) {
  const std::string unit = stem + ".samples";
  if (auto done = units_.finished(unit)) return *done;
  const SamplerKind kind = parse_sampler_kind(config_.string("samples.sampler"));
  const SamplingModel model = loaded.sampling();
  const bool images = loaded.bundle.model->input_shape().size() == 3;
  if (extractor_ && !images) throw UserError("fid and is need an image model; this model draws vectors");
  const auto seed = static_cast<std::uint64_t>(config_.integer("seed"));
  const at::TensorOptions compute = at::TensorOptions().dtype(at::kFloat).device(communicator_.device());
  const PreparedSampler sampler = make_batch_sampler(kind, config_, model, {seed, compute, {}});
  if (communicator_.rank() == 0) log::info("sampler {}: {}", config_.string("samples.sampler"), sampler.describe());
  SampleShardSettings shards;
  shards.directory = samples_path(stem);
  shards.count = config_.integer("samples.count");
  shards.shard_size = config_.integer("samples.shard_size");
  shards.batch_size = config_.integer("sampler.batch_size");
  shards.fingerprint = fingerprint;
  shards.range = model.range;
  shards.quantization = data::parse_pixel_quantization(config_.string("samples.quantize"));
  shards.attributes = {{"checkpoint", loaded.path}, {"sampler", config_.string("samples.sampler")}};
  const ShardedSamples generated = generate_sample_shards(sampler.draw, shards, loaded.bundle.model->input_shape(),
                                                          communicator_, "sample " + stem);
  if (communicator_.rank() == 0 && images && config_.integer("samples.grid") > 0) {
    write_stored_sample_grid(samples_path(stem), report_ + "/grids/" + stem + ".png", config_.integer("samples.grid"));
  }
  json used = json::object();
  for (const auto& [key, value] : sampler.settings) used[key] = value;
  const json values = {{report_key::sample_nfe, generated.mean_function_evaluations}, {report_key::sampler, used}};
  units_.record(unit, values);
  return values;
}

json EvaluationPipeline::image_metrics(const std::string& stem) {
  const std::string unit = stem + ".features";
  if (auto done = units_.finished(unit)) return *done;
  const FeatureRequest request{wants(Metric::fid), wants(Metric::is), wants_any(&MetricEntry::needs_all_features)};
  const ImageFeatureSummary summary = summarise_image_file(samples_path(stem), *extractor_, request, communicator_,
                                                           config_.integer("features.batch_size"));
  json values = json::object();
  if (summary.statistics && wants(Metric::fid)) {
    values[to_string(Metric::fid)] =
        frechet_distance(summary.statistics->mu, summary.statistics->sigma, reference_.mu, reference_.sigma);
  }
  if (summary.inception_score) {
    values[to_string(Metric::is)] = summary.inception_score->mean;
    values[report_key::is_std] = summary.inception_score->std;
  }
  // Every rank holds both feature sets and takes a share of the comparisons.
  if (summary.features.defined()) {
    const at::Tensor generated = summary.features.to(communicator_.device());
    const at::Tensor real = reference_features_.to(communicator_.device());
    if (wants(Metric::kid)) {
      const KidSettings settings{config_.integer("kid.subsets"), config_.integer("kid.subset_size"),
                                 static_cast<std::uint64_t>(config_.integer("seed"))};
      const KernelInceptionDistance kid = kernel_inception_distance(generated, real, settings, &communicator_);
      values[to_string(Metric::kid)] = kid.mean;
      values[report_key::kid_std] = kid.std;
    }
    if (wants(Metric::precision) || wants(Metric::recall)) {
      const KnnPrecisionRecall prc =
          manifold_precision_recall(generated, real, config_.integer("prc.neighborhood"), &communicator_);
      if (wants(Metric::precision)) values[to_string(Metric::precision)] = prc.precision;
      if (wants(Metric::recall)) values[to_string(Metric::recall)] = prc.recall;
    }
  }
  units_.record(unit, values);
  return values;
}

// Computed on rank 0 from the stored samples; the unit records rank 0's values.
json EvaluationPipeline::toy_metrics(const TrainedModel& loaded, const std::string& stem) {
  const std::string unit = stem + ".toy";
  if (auto done = units_.finished(unit)) return *done;
  const std::optional<models::ToySpec> toy = models::toy_spec_from(loaded.config);
  if (!toy) throw UserError(loaded.path + ": modes and tail need a model trained on a data.synthetic toy");
  json values = json::object();
  if (communicator_.rank() == 0) {
    ToyMetricSettings settings;
    settings.modes = wants(Metric::modes);
    settings.tail = wants(Metric::tail);
    settings.prd = {config_.integer("modes.clusters"), config_.integer("modes.angles"), config_.integer("modes.runs"),
                    100, static_cast<std::uint64_t>(config_.integer("seed"))};
    settings.tail_xi = config_.number("tail.xi");
    settings.tail_reference_count = config_.integer("tail.reference_count");
    settings.data_seed = static_cast<std::uint64_t>(loaded.config.integer("seed"));
    const ToyMetrics metrics = evaluate_toy_samples(data::read_vector_samples(samples_path(stem)), *toy, settings);
    for (const auto& [name, value] : metrics.values) values[name] = value;
    if (!metrics.shares.empty()) values["mode_shares"] = metrics.shares;
  }
  units_.record(unit, values);
  return values;
}

json EvaluationPipeline::likelihood(const TrainedModel& loaded, const std::string& stem,
                                    const std::string& fingerprint) {
  const std::string unit = stem + ".likelihood";
  if (auto done = units_.finished(unit)) return *done;
  const models::Sde* sde = loaded.bundle.process.sde();
  if (!sde) throw UserError(loaded.path + ": nll and bound need an SDE model (objective.kind = sde)");
  const std::string data_path = config_.string("likelihood.data");
  const data::DatasetShape shape = data::DatasetFile(data_path).shape();
  const std::vector<std::int64_t> images = {shape.channels, shape.height, shape.width};
  const std::vector<std::int64_t> input_shape = loaded.bundle.model->input_shape();
  if (images != input_shape) {
    throw UserError(fmt::format("likelihood.data {} holds images [{}], the model of {} takes [{}]", data_path,
                                fmt::join(images, ", "), loaded.path, fmt::join(input_shape, ", ")));
  }
  LikelihoodEvaluationSettings settings = likelihood_settings_from(config_, loaded.config.number("objective.eps"));
  settings.shard_directory = report_ + "/units/" + stem + ".likelihood";
  settings.fingerprint = fingerprint;
  const LikelihoodEvaluation result = evaluate_likelihood(data_path, *sde, loaded.bundle.model->as_function(),
                                                          loaded.range, settings, communicator_, communicator_.device());
  json values = json::object();
  if (result.nll) {
    values[report_key::nll_bpd] = result.nll->mean;
    values[report_key::nll_bpd_ci95] = result.nll->ci95;
    values[report_key::nll_nfe] = result.mean_function_evaluations;
  }
  if (result.bound) {
    values[report_key::bound_bpd] = result.bound->mean;
    values[report_key::bound_bpd_ci95] = result.bound->ci95;
  }
  units_.record(unit, values);
  return values;
}

}  // namespace scorch::evaluation
