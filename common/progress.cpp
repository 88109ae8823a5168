#include "common/progress.h"

#include "common/log.h"

#include <fmt/format.h>

#include <algorithm>

namespace scorch {

ProgressMeter::ProgressMeter(std::string label, std::int64_t total, std::string unit, double interval_seconds)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      interval_seconds_(interval_seconds),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

std::string ProgressMeter::line(std::int64_t done) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done - first_) / elapsed : 0.0;
  const double percent = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  std::string text = fmt::format("{}: {}/{} {} ({:.0f}%), {:.3g} {}/s", label_, done, total_, unit_, percent, rate, unit_);
  if (done < total_ && rate > 0) {
    const double to_finish = static_cast<double>(total_ - done) / rate;
    const double to_deadline = deadline_seconds_ > 0.0 ? std::max(0.0, deadline_seconds_ - elapsed) : to_finish;
    text += to_deadline < to_finish ? fmt::format(", ETA {:.0f} s (time limit)", to_deadline)
                                    : fmt::format(", ETA {:.0f} s", to_finish);
  } else if (done >= total_) {
    text += fmt::format(", {:.1f} s", elapsed);
  }
  if (!detail_.empty()) text += ", " + detail_;
  return text;
}

void ProgressMeter::update(std::int64_t done) {
  if (finished_ || log::rank() != 0) return;
  const auto now = std::chrono::steady_clock::now();
  const bool complete = done >= total_;
  if (!complete && std::chrono::duration<double>(now - last_print_).count() < interval_seconds_) return;
  last_print_ = now;
  finished_ = complete;
  log::info("{}", line(done));
}

}  // namespace scorch
