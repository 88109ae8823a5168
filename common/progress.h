#pragma once
// Progress lines for long work: done/total, rate and ETA, at most every few
// seconds, on rank 0 only (through the rank-aware log).
#include <chrono>
#include <cstdint>
#include <string>

namespace scorch {

class ProgressMeter {
 public:
  ProgressMeter(std::string label, std::int64_t total, std::string unit, double interval_seconds = 2.0);
  // Reports that `done` units are complete; prints when the interval has passed or work is complete.
  void update(std::int64_t done);
  // Extra text appended to the line, e.g. "NFE 91/image".
  void set_detail(std::string detail) { detail_ = std::move(detail); }
  // Work resumed with `done` units already complete: rates count only new work.
  void start_at(std::int64_t done) { first_ = done; }
  // The work stops `seconds` after the meter started even if incomplete (a
  // time limit): the ETA is the earlier of the two ends.
  void set_deadline(double seconds) { deadline_seconds_ = seconds; }
  // The line update() would print.
  std::string line(std::int64_t done) const;

 private:
  std::string label_;
  std::int64_t total_;
  std::string unit_;
  double interval_seconds_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  bool finished_ = false;
  std::int64_t first_ = 0;
  std::string detail_;
  double deadline_seconds_ = 0.0;  // 0: none
};

}  // namespace scorch
