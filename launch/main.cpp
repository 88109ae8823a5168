// The scorch command line: one binary, one subcommand per task.
#include "common/log.h"
#include "common/user_error.h"
#include "launch/commands.h"
#include "launch/mpi_runtime.h"

#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>

namespace {
// Under mpirun a failing rank must take the others down (they may be waiting
// in a collective); a single process just returns its exit status.
int fail(int exit_code) {
  if (scorch::launch::job().world_size > 1) scorch::launch::abort_job(exit_code);
  return exit_code;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    scorch::launch::initialise_job();
  } catch (const std::exception& e) {
    scorch::log::error("cannot start MPI: {}", e.what());
    return 2;
  }
  CLI::App app{"scorch: train and evaluate score-based generative models", "scorch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scorch 0.1.0");
  scorch::launch::add_checkpoint_command(app);
  scorch::launch::add_config_command(app);
  scorch::launch::add_data_command(app);
  scorch::launch::add_encode_command(app);
  scorch::launch::add_evaluate_command(app);
  scorch::launch::add_fid_command(app);
  scorch::launch::add_is_command(app);
  scorch::launch::add_model_command(app);
  scorch::launch::add_sample_command(app);
  scorch::launch::add_schedule_command(app);
  scorch::launch::add_stats_command(app);
  scorch::launch::add_train_command(app);
  scorch::launch::add_train_classifier_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const scorch::UserError& e) {
    scorch::log::error("{}", e.what());
    return fail(1);
  } catch (const c10::Error& e) {
    scorch::log::error("internal error in LibTorch: {}", e.what_without_backtrace());
    return fail(3);
  } catch (const std::exception& e) {
    scorch::log::error("internal error: {}", e.what());
    return fail(3);
  }
  return 0;
}
