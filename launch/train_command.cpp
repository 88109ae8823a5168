// `scorch train`: one data-parallel training job, as one process or one rank
// of `mpirun -np N`, resumable from its work directory.
#include "common/communicator.h"
#include "common/log.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/content_hash.h"
#include "data/loader_config.h"
#include "launch/commands.h"
#include "launch/config_arguments.h"
#include "launch/checkpoint_preview.h"
#include "launch/config_schema.h"
#include "launch/job_communicator.h"
#include "launch/mpi_runtime.h"
#include "launch/stop_signals.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/toy_distributions.h"
#include "trainer/checkpoint.h"
#include "trainer/gradient_sync.h"
#include "trainer/objective.h"
#include "trainer/objective_config.h"
#include "trainer/training_config.h"
#include "trainer/training_loop.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace scorch::launch {
namespace {

struct TrainOptions {
  ConfigArguments config;
  std::string workdir;
  std::string resume;
};

void require_resumable(const Config& config, const trainer::Checkpoint& checkpoint, const std::string& path) {
  const Config saved = Config::load_string(full_schema(), checkpoint.state.config_yaml, {}, path + " (config)");
  std::vector<std::string> differences;
  for (const ConfigKey& key : full_schema().keys()) {
    // Keys not declared may_change_on_resume define the run (common/config.h).
    if (!key.may_change_on_resume && config.text(key.path) != saved.text(key.path)) {
      differences.push_back(fmt::format("{} ({} now, {} in the checkpoint)", key.path, config.text(key.path),
                                        saved.text(key.path)));
    }
  }
  if (!differences.empty()) {
    throw UserError(fmt::format("cannot resume from {}: the config changed: {}", path, fmt::join(differences, "; ")));
  }
}

void require_same_config_everywhere(Communicator& communicator, const Config& config) {
  data::ContentHash hash;
  const std::string yaml = config.to_yaml();
  hash.update(yaml.data(), yaml.size());
  // Two 32-bit halves compare exactly as doubles.
  trainer::require_same_on_all_ranks(communicator, static_cast<double>(hash.value() >> 32), "the resolved config");
  trainer::require_same_on_all_ranks(communicator, static_cast<double>(hash.value() & 0xffffffffULL),
                                     "the resolved config");
}

std::string default_workdir(const std::string& config_path) {
  const std::string stem = config_path.empty() ? "defaults" : std::filesystem::path(config_path).stem().string();
  return "runs/" + stem;
}

void run_training(const TrainOptions& options) {
  const Config config = options.config.load();
  const trainer::TrainingSettings settings = trainer::training_settings_from(config);
  const auto communicator = make_job_communicator(settings.distributed);
  require_same_config_everywhere(*communicator, config);

  const std::string workdir = options.workdir.empty() ? default_workdir(options.config.path) : options.workdir;
  trainer::CheckpointDirectory checkpoints(workdir + "/checkpoints", settings.checkpoint_keep, settings.archive_every);
  std::optional<trainer::Checkpoint> resume_from;
  std::string resume_path;
  if (options.resume == "auto") {
    // A requeued job must not fail on every requeue because its newest
    // checkpoint is damaged (a kill during a write to a file system without
    // atomic rename, a flipped byte): fall back to the newest that loads.
    std::string newest_error;
    for (const std::string& candidate : checkpoints.resume_candidates()) {
      try {
        resume_from = trainer::read_checkpoint(candidate);
        resume_path = candidate;
        break;
      } catch (const UserError& e) {
        if (newest_error.empty()) newest_error = e.what();
        if (communicator->rank() == 0) log::warn("--resume auto: skipping {}, which does not load: {}", candidate, e.what());
      }
    }
    if (!resume_from && !newest_error.empty()) {
      throw UserError(fmt::format("--resume auto: no checkpoint in {} loads (the newest: {})", checkpoints.directory(),
                                  newest_error));
    }
  } else if (!options.resume.empty()) {
    resume_path = options.resume;
    resume_from = trainer::read_checkpoint(resume_path);
  } else if (checkpoints.has_checkpoints()) {
    throw UserError(fmt::format("{} already holds checkpoints: pass --resume auto to continue that run, or choose "
                                "another --workdir",
                                workdir));
  }
  // train.batch_size defines the run, so this also holds the global batch fixed.
  if (resume_from) require_resumable(config, *resume_from, resume_path);
  // A resumed run may be extended past its earlier end: it is unfinished until it ends again.
  if (communicator->rank() == 0) checkpoints.clear_finished();

  // Initial weights are a function of the seed; rank 0's are broadcast anyway.
  at::manual_seed(derive_seed({settings.seed, RandomPurpose::parameter_init, 0}, 0));
  const models::ModelBundle bundle = models::make_model_bundle(config);
  const auto& model = bundle.model;
  models::place_model(*model, communicator->device(), compute_settings_from(config));
  if (model->parameter_count() == 0) {
    // An exact model (analytic_gmm) has nothing to learn; its step-0 checkpoint
    // lets sample, encode and evaluate check samplers against the exact score.
    if (resume_from) throw UserError(model->name() + " has no parameters: there is no training to resume");
    if (communicator->rank() == 0) {
      std::filesystem::create_directories(workdir);
      std::ofstream(workdir + "/config.yaml") << config.to_yaml();
      trainer::Checkpoint checkpoint;
      checkpoint.state.config_yaml = config.to_yaml();
      checkpoint.state.model_name = model->name();
      checkpoint.state.parameterisation = model->parameterisation();
      checkpoint.state.global_batch = settings.global_batch;
      checkpoint.state.world_size = communicator->world_size();
      const std::string path = checkpoints.save(checkpoint);
      checkpoints.mark_finished(path);
      log::info("{} has no parameters, so nothing to train: wrote its step-0 checkpoint {}", model->name(), path);
    }
    communicator->barrier();
    return;
  }
  const auto objective = trainer::make_objective(config, bundle.process);

  const std::int64_t world = communicator->world_size();
  const std::int64_t per_rank_batch = trainer::per_rank_batch(settings, world);
  data::LoaderOptions loader_options =
      data::loader_options_from(config, data::model_pixel_range(config, bundle.process.centered_data()),
                                communicator->rank(), static_cast<int>(world), per_rank_batch);
  if (const auto toy = models::toy_spec_from(config)) {
    loader_options.points = models::toy_points(*toy, settings.seed, 0, toy->count);
  }
  data::ShardedLoader loader(std::move(loader_options));
  const data::DatasetShape& shape = loader.shape();
  const std::vector<std::int64_t> data_shape = loader.example_shape();
  if (model->input_shape() != data_shape) {
    throw UserError(fmt::format("model.input_shape [{}] does not match the dataset's examples [{}] in {}",
                                fmt::join(model->input_shape(), ", "), fmt::join(data_shape, ", "), loader.source()));
  }
  if (loader.plan().batches_per_epoch() < 1) {
    throw UserError(fmt::format("{} has too few examples ({}) for a global batch of {}", loader.source(), shape.count,
                                settings.global_batch));
  }

  if (communicator->rank() == 0) {
    std::filesystem::create_directories(workdir);
    std::ofstream(workdir + "/config.yaml") << config.to_yaml();
    log::info("training {} ({} parameters, {}) on {} ({} images) with {} rank(s) [{}], global batch {}, {} -> {}",
              model->name(), model->parameter_count(), model->parameterisation(), loader.source(),
              shape.count, world, communicator->backend(), settings.global_batch,
              resume_from ? fmt::format("resuming at step {}", resume_from->state.step) : std::string("from scratch"),
              workdir);
  }
  trainer::TrainingRun run{*model,    *objective,      loader, *communicator, settings, checkpoints, config.to_yaml(),
                           workdir + "/metrics.jsonl", &stop_requested()};
  const std::int64_t preview_images = config.integer("checkpoint.preview_images");
  if (preview_images > 0 && communicator->rank() == 0) {
    run.after_checkpoint = CheckpointPreview(config, workdir + "/previews", preview_images, communicator->device());
  }
  install_stop_signal_handlers();
  const trainer::TrainingOutcome outcome = trainer::train(run, resume_from);
  if (communicator->rank() != 0) return;
  if (outcome.stopped_early) {
    log::info("stopped at step {} of {} (signal or time limit); continue with --resume auto", outcome.final_step,
              settings.steps);
  } else {
    if (const auto final_checkpoint = checkpoints.latest()) checkpoints.mark_finished(*final_checkpoint);
    log::info("finished {} steps ({} skipped as non-finite); checkpoints in {}", outcome.final_step,
              outcome.skipped_steps, checkpoints.directory());
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* train = app.add_subcommand("train", "Train a score model (one process, or one rank under mpirun)");
  options->config.add_to(*train, /*required=*/true);
  train->add_option("--workdir", options->workdir, "run directory: config.yaml, metrics.jsonl, checkpoints/ "
                                                    "(default runs/<config name>)");
  train->add_option("--resume", options->resume, "auto (continue from the work directory's latest checkpoint, if "
                                                  "any) or a checkpoint path");
  train->callback([options] { run_training(*options); });
}

}  // namespace scorch::launch
