#pragma once
// The pipeline of `scorch evaluate`: for each checkpoint, the samples, the
// feature metrics (FID, IS), the toy metrics (modes, tail) and the likelihood
// metrics (ODE NLL, DSM bound) that the evaluation config asks for, each a
// resumable work unit split over the ranks of the job. What each metric needs
// comes from the metric table (evaluation/report/metric_table.h). The command
// (launch/evaluate_command.cpp) keeps only the CLI and the report call.
#include "common/config.h"
#include "data/pixel_range.h"
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/feature_statistics.h"
#include "evaluation/report/metric_table.h"
#include "evaluation/sampling/model_sampler.h"
#include "evaluation/work_units.h"
#include "models/score_model_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

// A trained model as the pipeline evaluates it: where it came from, its
// training step and config, the model with its process, and its data range.
struct TrainedModel {
  std::string path;
  std::int64_t step = 0;
  Config config;  // the training config
  models::ModelBundle bundle;
  data::PixelRange range = data::PixelRange::unit;

  // The sampling view; valid while this object lives.
  SamplingModel sampling() const { return {*bundle.model, bundle.process, range, config.number("objective.eps")}; }
};

// Reads a checkpoint file into a TrainedModel on the CPU, in eval mode.
using ModelLoader = std::function<TrainedModel(const std::string& path)>;

// The names a checkpoint's units, samples and grid go by: the file's stem, or,
// where several checkpoints share one (the final checkpoints of several
// seeds), the stem and a hash of the full path.
std::vector<std::string> unit_stems(const std::vector<std::string>& checkpoints);

class EvaluationPipeline {
 public:
  // `config` follows evaluation_schema(). Loads the extractor and the FID
  // reference once; UserError for a metric whose settings are missing.
  EvaluationPipeline(Config config, Communicator& communicator, ModelLoader load);

  // One checkpoint's record for the report ({"checkpoint", "step", "metrics", "grid"}), the
  // `position`-th of `total` (0 while a watched run goes on). Collective.
  nlohmann::ordered_json evaluate(const std::string& checkpoint_path, const std::string& stem, std::size_t position,
                                  std::size_t total);
  // The settings the report lists.
  nlohmann::ordered_json settings() const;
  const std::string& report() const { return report_; }

 private:
  bool wants(Metric metric) const { return metrics_.count(metric) > 0; }
  bool wants_any(bool MetricEntry::*need) const;
  void load_reference();  // reference_ and, for kid, precision and recall, reference_features_
  nlohmann::ordered_json sample(const TrainedModel& loaded, const std::string& stem, const std::string& fingerprint);
  nlohmann::ordered_json image_metrics(const std::string& stem);
  nlohmann::ordered_json toy_metrics(const TrainedModel& loaded, const std::string& stem);
  nlohmann::ordered_json likelihood(const TrainedModel& loaded, const std::string& stem,
                                    const std::string& fingerprint);
  // A directory of sample shards (evaluation/sampling/sample_shards.h).
  std::string samples_path(const std::string& stem) const { return report_ + "/samples/" + stem; }
  // What every shard of this checkpoint depends on: the settings and the
  // checkpoint's content. Read once, when the checkpoint is loaded: a watched
  // run's training may remove the file while it is evaluated.
  std::string shard_fingerprint(const TrainedModel& loaded) const;

  Config config_;
  Communicator& communicator_;
  ModelLoader load_;
  std::set<Metric> metrics_;
  std::string report_;
  std::string fingerprint_;  // of the settings (every key but where checkpoints and report are)
  WorkUnits units_;
  std::unique_ptr<FeatureExtractor> extractor_;
  FeatureStatistics reference_;
  at::Tensor reference_features_;  // float [N, D] on the CPU, for kid, precision and recall
};

}  // namespace scorch::evaluation
