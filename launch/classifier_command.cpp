// `scorch train-classifier`: the FID/IS feature network for small datasets.
#include "common/log.h"
#include "evaluation/features/classifier_training.h"
#include "launch/commands.h"
#include "launch/job_communicator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace scorch::launch {
namespace {

struct ClassifierOptions {
  std::string data, test, out;
  evaluation::ClassifierTrainingSettings settings;
  DistributedSettings distributed;
};

void run_train_classifier(const ClassifierOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const auto communicator = make_job_communicator(options.distributed);
  evaluation::ClassifierTrainingResult result =
      evaluation::train_classifier(options.data, options.test, options.settings, *communicator, communicator->device());
  if (communicator->rank() != 0) return;
  evaluation::write_classifier(options.out, *result.classifier, result.description);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const char* accuracy_kind = result.held_out ? "held-out" : "test";
  log::info("{} accuracy {:.2f}% on {} images; wrote {} ({:.0f} s)", accuracy_kind,
            100.0 * result.description.test_accuracy, result.test_images, options.out, seconds);
  const nlohmann::ordered_json summary = {{"out", options.out},
                                          {"accuracy", result.description.test_accuracy},
                                          {"accuracy_on", accuracy_kind},
                                          {"test_images", result.test_images},
                                          {"final_loss", result.final_loss},
                                          {"seconds", seconds}};
  fmt::print("{}\n", summary.dump());
}

}  // namespace

void add_train_classifier_command(CLI::App& app) {
  auto options = std::make_shared<ClassifierOptions>();
  CLI::App* command = app.add_subcommand("train-classifier", "Train the FID/IS feature classifier on a labelled dataset");
  command->add_option("--data", options->data, "labelled training dataset (.h5)")->required();
  command->add_option("--out", options->out, "output classifier file (.h5)")->required();
  command->add_option("--test", options->test, "labelled test dataset (default: hold out every 10th training image)");
  command->add_option("--epochs", options->settings.epochs, "passes over the training data (default 3)");
  command->add_option("--batch-size", options->settings.batch_size, "global batch size (default 128)");
  command->add_option("--lr", options->settings.learning_rate, "Adam learning rate (default 1e-3)");
  command->add_option("--seed", options->settings.seed, "initialisation and shuffling seed (default 0)");
  add_distributed_options(*command, options->distributed);
  command->callback([options] { run_train_classifier(*options); });
}

}  // namespace scorch::launch
