// The docs promise what the binary does: every option each subcommand's
// --help lists appears in the synopsis of that subcommand in docs/cli.md, and
// no command line in the README or in docs/ shows an option the binary lacks;
// every config shipped in configs/ loads, validates and builds its model, and
// every evaluation config in configs/eval/ validates against the evaluation
// schema.
#include "cli_support.h"
#include "common/config.h"
#include "evaluation/evaluation_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

namespace scorch::testing {
namespace {

std::string read_doc_page(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The page that holds the command-line synopsis.
std::string cli_reference() { return read_doc_page(std::filesystem::path(SCORCH_SOURCE_DIR) / "docs" / "cli.md"); }

// The README and every page in docs/, each followed by an empty line.
std::string all_documentation() {
  const std::filesystem::path root(SCORCH_SOURCE_DIR);
  std::vector<std::filesystem::path> pages;
  for (const auto& entry : std::filesystem::directory_iterator(root / "docs")) {
    if (entry.path().extension() == ".md") pages.push_back(entry.path());
  }
  std::sort(pages.begin(), pages.end());
  std::string text = read_doc_page(root / "README.md") + "\n\n";
  for (const std::filesystem::path& page : pages) text += read_doc_page(page) + "\n\n";
  return text;
}

// The lines of a text that start with "scorch <subcommand>" and their
// continuation lines (indented, up to the next command).
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

// The long options named in a --help text or a synopsis.
std::set<std::string> options_in(const std::string& text) {
  std::set<std::string> options;
  static const std::regex option(R"((^|[\s,\[|(])(--[a-z][a-z0-9-]*))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), option); it != std::sregex_iterator(); ++it) {
    options.insert((*it)[2]);
  }
  options.erase("--help");
  return options;
}

// The names listed under "Subcommands:" in a --help text.
std::vector<std::string> subcommands_in_help(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help.substr(std::min(help.size(), help.find("Subcommands:"))));
  static const std::regex entry(R"(^  ([a-z][a-z-]*)\s)");
  std::smatch match;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, match, entry)) names.push_back(match[1]);
  }
  return names;
}

// Every leaf subcommand with its --help text, found by walking the binary's
// own --help from the top, so a new subcommand cannot escape the docs check.
std::map<std::string, std::string> leaf_subcommand_help(const std::string& prefix = "") {
  const CliRun help = run_scorch(prefix + "--help");
  EXPECT_EQ(help.exit_code, 0) << prefix << help.err;
  const std::vector<std::string> children = subcommands_in_help(help.out);
  if (children.empty()) return {{prefix.substr(0, prefix.size() - 1), help.out}};
  std::map<std::string, std::string> leaves;
  for (const std::string& child : children) leaves.merge(leaf_subcommand_help(prefix + child + " "));
  return leaves;
}

TEST(DocsConsistency, EverySubcommandOptionIsInTheCliSynopsisAndNoOther) {
  const std::string text = cli_reference();
  ASSERT_FALSE(text.empty()) << "cannot read docs/cli.md";
  const std::string documentation = all_documentation();
  const std::map<std::string, std::string> subcommands = leaf_subcommand_help();
  EXPECT_GE(subcommands.size(), 11u);
  for (const auto& [subcommand, help] : subcommands) {
    const std::string synopsis = synopsis_of(text, subcommand);
    ASSERT_FALSE(synopsis.empty()) << "no docs/cli.md synopsis line for scorch " << subcommand;
    const std::set<std::string> options = options_in(help);
    EXPECT_FALSE(options.empty()) << subcommand;
    for (const std::string& option : options) {
      EXPECT_NE(synopsis.find(option), std::string::npos) << "scorch " << subcommand << " " << option
                                                          << " is missing from the docs/cli.md synopsis:\n"
                                                          << synopsis;
    }
    // The synopsis and every example command line in the README and docs/.
    for (const std::string& documented : options_in(synopsis_of(documentation, subcommand))) {
      EXPECT_TRUE(options.count(documented)) << "the docs show scorch " << subcommand << " " << documented
                                             << ", which its --help does not list";
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
