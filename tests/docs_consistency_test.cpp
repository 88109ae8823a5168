// The README promises what the binary does: every option each subcommand's
// --help lists appears in the README's synopsis of that subcommand, and every
// config shipped in configs/ loads, validates and builds its model, and every
// evaluation config in configs/eval/ validates against the evaluation schema.
#include "cli_support.h"
#include "common/config.h"
#include "evaluation/evaluation_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace scorch::testing {
namespace {

std::string readme() {
  std::ifstream in(std::string(SCORCH_SOURCE_DIR) + "/README.md");
  return {std::istreambuf_iterator<char>(in), {}};
}

// The README lines of the synopsis that start with "scorch <subcommand>" and
// their continuation lines (indented, up to the next command).
std::string synopsis_of(const std::string& text, const std::string& subcommand) {
  std::string lines;
  bool inside = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("scorch " + subcommand + " ", 0) == 0 || line == "scorch " + subcommand) {
      inside = true;
    } else if (inside && (line.empty() || line[0] != ' ')) {
      inside = false;
    }
    if (inside) lines += line + "\n";
  }
  return lines;
}

std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> options;
  static const std::regex option(R"((^|[\s,])(--[a-z][a-z0-9-]*))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it) {
    options.insert((*it)[2]);
  }
  options.erase("--help");
  return options;
}

TEST(DocsConsistency, EverySubcommandOptionIsInTheReadmeSynopsis) {
  const std::string text = readme();
  for (const std::string subcommand : {"config", "schedule", "data convert", "data info", "model info", "train",
                                       "sample", "train-classifier", "stats", "fid", "evaluate"}) {
    const CliRun help = run_scorch(subcommand + " --help");
    ASSERT_EQ(help.exit_code, 0) << subcommand << help.err;
    const std::string synopsis = synopsis_of(text, subcommand);
    ASSERT_FALSE(synopsis.empty()) << "no README synopsis line for scorch " << subcommand;
    const std::set<std::string> options = options_in_help(help.out);
    EXPECT_FALSE(options.empty()) << subcommand;
    for (const std::string& option : options) {
      EXPECT_NE(synopsis.find(option), std::string::npos) << "scorch " << subcommand << " " << option
                                                          << " is missing from the README synopsis:\n" << synopsis;
    }
  }
}

TEST(DocsConsistency, EveryShippedConfigLoadsAndBuildsItsModel) {
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SCORCH_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    ++configs;
    const CliRun run = run_scorch("model info --json --config " + entry.path().string());
    EXPECT_EQ(run.exit_code, 0) << entry.path() << ": " << run.err;
    EXPECT_NE(run.out.find("\"parameters\""), std::string::npos) << entry.path() << run.out;
  }
  EXPECT_GE(configs, 10);
}

TEST(DocsConsistency, EveryShippedEvaluationConfigValidates) {
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SCORCH_SOURCE_DIR) + "/configs/eval")) {
    if (entry.path().extension() != ".yaml") continue;
    ++configs;
    EXPECT_NO_THROW(Config::load_file(evaluation::evaluation_schema(), entry.path().string())) << entry.path();
  }
  EXPECT_GE(configs, 1);
}

}  // namespace
}  // namespace scorch::testing
