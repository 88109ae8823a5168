#pragma once
// Each subcommand registers its options and its action on the CLI11 app.
namespace CLI {
class App;
}

namespace scorch::launch {

void add_checkpoint_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_encode_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_fid_command(CLI::App& app);
void add_is_command(CLI::App& app);
void add_model_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_schedule_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_train_classifier_command(CLI::App& app);
void add_train_command(CLI::App& app);

}  // namespace scorch::launch
