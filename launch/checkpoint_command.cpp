// `scorch checkpoint import` and `scorch checkpoint export`: the reference
// implementations' torch.save checkpoints to scorch checkpoints and back
// (docs/published-checkpoints.md). Nothing is downloaded. Under mpirun only
// rank 0 converts (one file, one writer); the other ranks have nothing to do.
#include "common/config.h"
#include "common/log.h"
#include "common/name_table.h"
#include "common/user_error.h"
#include "data/torch_save_file.h"
#include "launch/checkpoint_model.h"
#include "launch/commands.h"
#include "launch/config_arguments.h"
#include "launch/config_schema.h"
#include "launch/mpi_runtime.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "trainer/checkpoint.h"
#include "trainer/reference_checkpoint.h"
#include "trainer/training_config.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <vector>

namespace scorch::launch {
namespace {

struct ImportOptions {
  std::string format;
  std::string input;
  ConfigArguments config;
  std::string out;
};

struct ExportOptions {
  std::string format;
  std::string checkpoint;
  std::string out;
};

void run_import(const ImportOptions& options) {
  if (job().rank != 0) return;
  const trainer::ReferenceFormat format = trainer::parse_reference_format(options.format);
  const Config config = options.config.load();
  const trainer::TrainingSettings settings = trainer::training_settings_from(config);
  const models::ModelBundle bundle = models::make_model_bundle(config);
  const data::TorchSaveFile file = data::read_torch_save(options.input);
  const trainer::ImportedCheckpoint imported =
      trainer::import_reference_checkpoint(format, file.root, trainer::conversion_target(bundle, settings, config), options.input);
  for (const std::string& warning : imported.warnings) log::warn("{}: {}", options.input, warning);

  trainer::Checkpoint checkpoint;
  // The reference's data pipeline has no cursor of ours: resumed training starts scorch's epoch 0.
  checkpoint.state = {imported.step,
                      imported.ema_updates,
                      imported.optimizer_steps,
                      data::LoaderCursor{},
                      settings.global_batch,
                      1,
                      config.to_yaml(),
                      bundle.model->name(),
                      bundle.model->parameterisation()};
  checkpoint.model = imported.model;
  checkpoint.ema = imported.ema;
  checkpoint.optimizer = imported.optimizer;
  trainer::write_checkpoint(options.out, checkpoint);
  log::info("imported {} ({}, {} format) at step {}: {} parameters, EMA after {} updates, Adam after {} steps -> {}",
            options.input, trainer::to_string(format),
            file.format == data::TorchSaveFormat::zip ? "zip" : "legacy", imported.step,
            bundle.model->parameter_count(), imported.ema_updates, imported.optimizer_steps, options.out);
  fmt::print("{}\n", nlohmann::ordered_json{{"out", options.out},
                                            {"format", trainer::to_string(format)},
                                            {"step", imported.step},
                                            {"parameters", bundle.model->parameter_count()},
                                            {"warnings", imported.warnings.size()}}
                         .dump());
}

void run_export(const ExportOptions& options) {
  if (job().rank != 0) return;
  const trainer::ReferenceFormat format = trainer::parse_reference_format(options.format);
  if (!trainer::can_export(format)) {
    throw UserError(fmt::format("--format {}: scorch reads these checkpoints but does not write them", options.format));
  }
  const std::string path = resolve_checkpoint(options.checkpoint);
  const trainer::Checkpoint checkpoint = trainer::read_checkpoint(path);
  const Config config = Config::load_string(full_schema(), checkpoint.state.config_yaml, {}, path + " (config)");
  const trainer::TrainingSettings settings = trainer::training_settings_from(config);
  const models::ModelBundle bundle = models::make_model_bundle(config);
  const double lr = trainer::learning_rate(settings, checkpoint.state.step);
  const data::PickleValue content =
      trainer::export_reference_checkpoint(format, checkpoint, trainer::conversion_target(bundle, settings, config), lr);
  data::write_torch_save(options.out, content);
  log::info("exported {} (step {}) as a {} checkpoint -> {}", path, checkpoint.state.step, trainer::to_string(format),
            options.out);
}

}  // namespace

void add_checkpoint_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("checkpoint", "Convert checkpoints of the reference implementations");
  command->require_subcommand(1);
  const std::string formats = spoken_list(trainer::reference_format_names());

  auto import_options = std::make_shared<ImportOptions>();
  CLI::App* import = command->add_subcommand(
      "import", "Read a score_sde_pytorch or ncsnv2 checkpoint (torch.save, zip or legacy) into a scorch checkpoint");
  import->add_option("--format", import_options->format, "the file's origin: " + formats)->required();
  import->add_option("input", import_options->input, "the torch.save file (checkpoint_N.pth)")->required();
  import_options->config.add_to(*import, /*required=*/true);
  import->add_option("--out", import_options->out, "the scorch checkpoint to write (.h5)")->required();
  import->callback([import_options] { run_import(*import_options); });

  auto export_options = std::make_shared<ExportOptions>();
  CLI::App* out = command->add_subcommand(
      "export", "Write a scorch checkpoint as a file score_sde_pytorch's restore_checkpoint loads");
  out->add_option("--format", export_options->format, "score_sde_pytorch")->required();
  out->add_option("checkpoint", export_options->checkpoint, "checkpoint file (.h5), or a run directory (its latest)")
      ->required();
  out->add_option("--out", export_options->out, "the torch.save file to write (.pth)")->required();
  out->callback([export_options] { run_export(*export_options); });
}

}  // namespace scorch::launch
