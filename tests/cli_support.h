#pragma once
// Running the scorch binary from tests: exit status, stdout and stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace scorch::testing {

struct CliRun {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Any shell command, with stderr captured separately.
inline CliRun run_command(const std::string& shell_command) {
  // ctest runs test cases as parallel processes: each needs its own file.
  static int call = 0;
  const std::string err_path =
      ::testing::TempDir() + "scorch_cli_stderr_" + std::to_string(getpid()) + "_" + std::to_string(call++) + ".txt";
  const std::string command = shell_command + " 2>" + err_path;
  CliRun run{-1, "", ""};
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  run.err.assign(std::istreambuf_iterator<char>(err), {});
  std::remove(err_path.c_str());
  return run;
}

inline CliRun run_scorch(const std::string& args, const std::string& environment = "") {
  return run_command(environment + " " + std::string(SCORCH_BINARY) + " " + args);
}

// A path in the source tree, e.g. "scripts/local-slurm".
inline std::string source_path(const std::string& relative) { return std::string(SCORCH_SOURCE_DIR) + "/" + relative; }

// A file's whole content ("" when it cannot be read).
inline std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline std::string config_path(const std::string& name) { return std::string(SCORCH_SOURCE_DIR) + "/configs/" + name + ".yaml"; }

inline int line_count(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// `mpirun` with the options a test machine needs, one thread per rank.
inline std::string mpirun(int ranks) {
  return "mpirun --allow-run-as-root --oversubscribe -np " + std::to_string(ranks) + " -x OMP_NUM_THREADS=1 ";
}

// A failed command reports exactly one error line containing `fragment`.
inline void expect_one_line_error(const CliRun& run, const std::string& fragment) {
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(line_count(run.err), 1) << run.err;
  EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
}

// A command that fails after some work: progress lines may come first, but
// exactly one error line, containing `fragment`.
inline void expect_one_error_line(const CliRun& run, const std::string& fragment) {
  EXPECT_EQ(run.exit_code, 1);
  std::size_t errors = 0, at = 0;
  while ((at = run.err.find("error:", at)) != std::string::npos) ++errors, ++at;
  EXPECT_EQ(errors, 1u) << run.err;
  const std::size_t line = run.err.rfind('\n', run.err.find("error:"));
  EXPECT_NE(run.err.find(fragment, line == std::string::npos ? 0 : line), std::string::npos) << run.err;
}

}  // namespace scorch::testing
