// `scorch evaluate`: metrics for every checkpoint of a run (FID, IS, ODE NLL,
// DSM bound, and the toys' mode and tail metrics), split over the ranks of a job, resumable unit by unit, with a
// JSON + Markdown report, sample grids and plots.
#include "common/communicator.h"
#include "common/config.h"
#include "common/log.h"
#include "common/user_error.h"
#include "data/content_hash.h"
#include "data/dataset_file.h"
#include "data/loader_config.h"
#include "data/tensor_archive.h"
#include "evaluation/evaluation_config.h"
#include "evaluation/evaluation_report.h"
#include "evaluation/frechet_distance.h"
#include "evaluation/image_features.h"
#include "evaluation/model_sampler.h"
#include "evaluation/sample_file.h"
#include "evaluation/toy_evaluation.h"
#include "launch/checkpoint_model.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"
#include "launch/work_units.h"
#include "models/score_model.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace scorch::launch {
namespace {

using json = nlohmann::ordered_json;

struct EvaluateOptions {
  std::string config;
  std::string checkpoints;
  std::string report;
  std::vector<std::string> overrides;
};

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

void require_setting(const Config& config, const std::string& key, const std::string& metric) {
  if (config.string(key).empty()) throw UserError(fmt::format("metric {} needs {} in the evaluation config", metric, key));
}

// The names a checkpoint's units, samples and grid go by: the file's stem, or,
// where several checkpoints share one (the final checkpoints of several
// seeds), the stem and a hash of the full path.
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

class Evaluation {
 public:
  Evaluation(Config config, Communicator& communicator)
      : config_(std::move(config)),
        communicator_(communicator),
        metrics_(evaluation::requested_metrics(config_)),
        report_(config_.string("report")),
        units_(report_ + "/units", settings_fingerprint(config_), communicator) {
    const bool features = metrics_.count("fid") || metrics_.count("is");
    if (features) require_setting(config_, "features.extractor", metrics_.count("fid") ? "fid" : "is");
    if (metrics_.count("fid")) require_setting(config_, "features.reference", "fid");
    if (metrics_.count("nll") || metrics_.count("bound")) {
      require_setting(config_, "likelihood.data", metrics_.count("nll") ? "nll" : "bound");
    }
    if (features) {
      extractor_ = evaluation::load_feature_extractor(config_.string("features.extractor"), communicator.device());
    }
    if (metrics_.count("fid")) reference_ = reference_statistics();
    if (communicator_.rank() == 0) {
      for (const char* folder : {"samples", "grids"}) std::filesystem::create_directories(report_ + "/" + folder);
    }
    communicator_.barrier();
  }

  json evaluate(const std::string& checkpoint_path, const std::string& stem, std::size_t position, std::size_t total) {
    CheckpointModel loaded = load_checkpoint_model(checkpoint_path, config_.string("weights"));
    loaded.model->to(communicator_.device());
    log::info("checkpoint {}/{}: {} (step {})", position, total, checkpoint_path, loaded.state.step);
    json record = {{"checkpoint", checkpoint_path}, {"step", loaded.state.step}, {"metrics", json::object()}};
    if (needs_samples()) {
      merge(record, sample(loaded, stem));
      const bool images = loaded.model->input_shape().size() == 3;
      if (images && config_.integer("samples.grid") > 0) record["grid"] = "grids/" + stem + ".png";
    }
    if (extractor_) merge(record, image_metrics(stem));
    if (metrics_.count("modes") || metrics_.count("tail")) merge(record, toy_metrics(loaded, stem));
    if (metrics_.count("nll") || metrics_.count("bound")) merge(record, likelihood(loaded, stem));
    return record;
  }

  json settings() const {
    json settings = {{"metrics", config_.string("metrics")}, {"weights", config_.string("weights")},
                     {"seed", config_.integer("seed")}};
    if (needs_samples()) {
      settings["samples"] = {{"count", config_.integer("samples.count")}, {"sampler", config_.string("samples.sampler")}};
    }
    if (extractor_) settings["extractor"] = extractor_->identity();
    if (metrics_.count("modes")) {
      settings["modes"] = {{"clusters", config_.integer("modes.clusters")}, {"runs", config_.integer("modes.runs")}};
    }
    if (metrics_.count("tail")) settings["tail"] = {{"xi", config_.number("tail.xi")}};
    if (metrics_.count("fid")) settings["reference"] = config_.string("features.reference");
    if (metrics_.count("nll") || metrics_.count("bound")) {
      settings["likelihood"] = {{"data", config_.string("likelihood.data")},
                                {"count", config_.integer("likelihood.count")},
                                {"repeats", config_.integer("likelihood.repeats")},
                                {"divergence", config_.string("likelihood.divergence")}};
    }
    return settings;
  }

  const std::string& report() const { return report_; }

 private:
  bool needs_samples() const {
    for (const char* metric : {"fid", "is", "modes", "tail"}) {
      if (metrics_.count(metric)) return true;
    }
    return false;
  }

  static void merge(json& record, const json& values) {
    for (const auto& [key, value] : values.items()) record["metrics"][key] = value;
  }

  evaluation::FeatureStatistics reference_statistics() {
    const std::string reference = config_.string("features.reference");
    evaluation::FeatureStatistics statistics = evaluation::statistics_of(
        reference, extractor_.get(), communicator_, config_.integer("features.batch_size"));
    if (!statistics.extractor.empty() && statistics.extractor != extractor_->identity()) {
      throw UserError(fmt::format("features.reference {} was computed with {}, but features.extractor is {}", reference,
                                  statistics.extractor, extractor_->identity()));
    }
    return statistics;
  }

  json sample(const CheckpointModel& loaded, const std::string& stem) {
    const std::string unit = stem + ".samples";
    if (auto done = units_.finished(unit)) return *done;
    const evaluation::SamplerKind kind = evaluation::parse_sampler_kind(config_.string("samples.sampler"));
    const evaluation::SamplingModel model = evaluation::sampling_model_from(loaded.config, *loaded.model, loaded.sde);
    const auto seed = static_cast<std::uint64_t>(config_.integer("seed"));
    const at::TensorOptions compute = at::TensorOptions().dtype(at::kFloat).device(communicator_.device());
    const evaluation::BatchSampler sampler = evaluation::make_batch_sampler(kind, config_, model, seed, compute);
    const evaluation::GeneratedSamples generated =
        evaluation::generate_samples(sampler, config_.integer("samples.count"), config_.integer("sampler.batch_size"),
                                     loaded.model->input_shape(), communicator_, "sample " + stem);
    if (communicator_.rank() == 0) {
      const bool images = generated.samples.dim() == 4;
      if (extractor_ && !images) throw UserError("fid and is need an image model; this model draws vectors");
      evaluation::write_sample_file(samples_path(stem), generated.samples, model.range, false,
                                    {{"checkpoint", loaded.path}, {"sampler", config_.string("samples.sampler")}});
      if (images && config_.integer("samples.grid") > 0) {
        evaluation::write_sample_grid(report_ + "/grids/" + stem + ".png", generated.samples, model.range,
                                      config_.integer("samples.grid"));
      }
    }
    const json values = {{"sample_nfe", generated.mean_function_evaluations}};
    units_.record(unit, values);
    return values;
  }

  json image_metrics(const std::string& stem) {
    const std::string unit = stem + ".features";
    if (auto done = units_.finished(unit)) return *done;
    const evaluation::FeatureRequest request{metrics_.count("fid") > 0, metrics_.count("is") > 0};
    const evaluation::ImageFeatureSummary summary = evaluation::summarise_image_file(
        samples_path(stem), *extractor_, request, communicator_, config_.integer("features.batch_size"));
    json values = json::object();
    if (summary.statistics) {
      values["fid"] = evaluation::frechet_distance(summary.statistics->mu, summary.statistics->sigma, reference_.mu,
                                                   reference_.sigma);
    }
    if (summary.inception_score) {
      values["is"] = summary.inception_score->mean;
      values["is_std"] = summary.inception_score->std;
    }
    units_.record(unit, values);
    return values;
  }

  // Computed on rank 0 from the stored samples; the unit records rank 0's values.
  json toy_metrics(const CheckpointModel& loaded, const std::string& stem) {
    const std::string unit = stem + ".toy";
    if (auto done = units_.finished(unit)) return *done;
    const std::optional<models::ToySpec> toy = models::toy_spec_from(loaded.config);
    if (!toy) throw UserError(loaded.path + ": modes and tail need a model trained on a data.synthetic toy");
    json values = json::object();
    if (communicator_.rank() == 0) {
      evaluation::ToyMetricSettings settings;
      settings.modes = metrics_.count("modes") > 0;
      settings.tail = metrics_.count("tail") > 0;
      settings.prd = {config_.integer("modes.clusters"), config_.integer("modes.angles"), config_.integer("modes.runs"),
                      100, static_cast<std::uint64_t>(config_.integer("seed"))};
      settings.tail_xi = config_.number("tail.xi");
      settings.tail_reference_count = config_.integer("tail.reference_count");
      settings.data_seed = static_cast<std::uint64_t>(loaded.config.integer("seed"));
      const evaluation::ToyMetrics metrics =
          evaluation::evaluate_toy_samples(data::read_tensor(samples_path(stem), "samples"), *toy, settings);
      for (const auto& [name, value] : metrics.values) values[name] = value;
      if (!metrics.shares.empty()) values["mode_shares"] = metrics.shares;
    }
    units_.record(unit, values);
    return values;
  }

  json likelihood(const CheckpointModel& loaded, const std::string& stem) {
    const std::string unit = stem + ".likelihood";
    if (auto done = units_.finished(unit)) return *done;
    if (!loaded.sde) throw UserError(loaded.path + ": nll and bound need an SDE model (objective.kind = sde)");
    const std::string data_path = config_.string("likelihood.data");
    const data::DatasetShape shape = data::DatasetFile(data_path).shape();
    const std::vector<std::int64_t> images = {shape.channels, shape.height, shape.width};
    if (images != loaded.model->input_shape()) {
      throw UserError(fmt::format("likelihood.data {} holds images [{}], the model of {} takes [{}]", data_path,
                                  fmt::join(images, ", "), loaded.path, fmt::join(loaded.model->input_shape(), ", ")));
    }
    const evaluation::LikelihoodEvaluationSettings settings =
        evaluation::likelihood_settings_from(config_, loaded.config.number("objective.eps"));
    const evaluation::LikelihoodEvaluation result =
        evaluation::evaluate_likelihood(data_path, *loaded.sde, loaded.model->as_function(),
                                        data::model_pixel_range(loaded.config), settings, communicator_,
                                        communicator_.device());
    json values = json::object();
    if (result.nll) {
      values["nll_bpd"] = result.nll->mean;
      values["nll_bpd_ci95"] = result.nll->ci95;
      values["nll_nfe"] = result.mean_function_evaluations;
    }
    if (result.bound) {
      values["bound_bpd"] = result.bound->mean;
      values["bound_bpd_ci95"] = result.bound->ci95;
    }
    units_.record(unit, values);
    return values;
  }

  std::string samples_path(const std::string& stem) const { return report_ + "/samples/" + stem + ".h5"; }

  Config config_;
  Communicator& communicator_;
  std::set<std::string> metrics_;
  std::string report_;
  WorkUnits units_;
  std::unique_ptr<evaluation::FeatureExtractor> extractor_;
  evaluation::FeatureStatistics reference_;
};

void run_evaluate(const EvaluateOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> overrides = options.overrides;
  if (!options.checkpoints.empty()) overrides.push_back("checkpoints=" + options.checkpoints);
  if (!options.report.empty()) overrides.push_back("report=" + options.report);
  const Config config = Config::load_file(evaluation::evaluation_schema(), options.config, overrides);
  if (config.string("checkpoints").empty()) {
    throw UserError("no checkpoints: give --checkpoints DIR|LIST or `checkpoints:` in " + options.config);
  }
  const std::vector<std::string> checkpoints = list_checkpoints(config.string("checkpoints"));
  const auto communicator = make_job_communicator(distributed_settings_from(config));
  Evaluation evaluation(config, *communicator);
  const std::vector<std::string> stems = unit_stems(checkpoints);
  std::vector<json> records;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    records.push_back(evaluation.evaluate(checkpoints[i], stems[i], i + 1, checkpoints.size()));
  }
  if (communicator->rank() != 0) return;
  // Checkpoints of a run (RUN/checkpoints/X.h5) bring the run's loss curve along.
  const std::filesystem::path run = std::filesystem::path(checkpoints.front()).parent_path().parent_path();
  const evaluation::ReportFiles files = evaluation::write_evaluation_report(
      evaluation.report(), evaluation.settings(), records, evaluation::training_loss_of((run / "metrics.jsonl").string()),
      config.boolean("summary"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info("evaluated {} checkpoint(s) in {:.0f} s; report in {}", checkpoints.size(), seconds, files.markdown);
  const json summary = {{"report", files.json}, {"checkpoints", records.size()}, {"seconds", seconds},
                        {"last", records.back()}};
  fmt::print("{}\n", summary.dump());
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* evaluate =
      app.add_subcommand("evaluate", "Evaluate checkpoints (FID, IS, ODE NLL, DSM bound, toy modes and tails) and write a report; resumable");
  evaluate->add_option("--config", options->config, "evaluation config (YAML)")->required();
  evaluate->add_option("--checkpoints", options->checkpoints,
                       "run or checkpoints directory, or comma-separated checkpoint files (overrides the config)");
  evaluate->add_option("--report", options->report, "report directory (overrides the config)");
  evaluate->add_option("--set", options->overrides, "config override, e.g. --set samples.count=5000 (repeatable)")
      ->expected(1)
      ->take_all();
  evaluate->callback([options] { run_evaluate(*options); });
}

}  // namespace scorch::launch
