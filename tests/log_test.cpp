#include "common/log.h"
#include "common/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace scorch {
namespace {

TEST(Log, RankPrefixAppearsOnlyWithSeveralRanks) {
  log::set_rank(0, 1);
  EXPECT_EQ(log::format_line(log::Level::info, "hello"), "[scorch] hello");
  log::set_rank(1, 4);
  EXPECT_EQ(log::format_line(log::Level::warn, "slow"), "[scorch 1/4] warning: slow");
  EXPECT_EQ(log::format_line(log::Level::error, "bad"), "[scorch 1/4] error: bad");
  log::set_rank(0, 1);
}

TEST(Progress, LineShowsCountShareRateAndDetail) {
  ProgressMeter meter("sample pc", 200, "images");
  meter.set_detail("NFE 40.0/image");
  const std::string partial = meter.line(50);
  EXPECT_EQ(partial.rfind("sample pc: 50/200 images (25%), ", 0), 0u) << partial;
  EXPECT_NE(partial.find("ETA"), std::string::npos) << partial;
  EXPECT_EQ(partial.substr(partial.size() - 16), ", NFE 40.0/image") << partial;
  const std::string done = meter.line(200);
  EXPECT_EQ(done.find("ETA"), std::string::npos) << done;
}

TEST(Progress, ATimeLimitShortensTheEta) {
  ProgressMeter meter("train", 1000000, "steps");
  meter.set_deadline(60.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string line = meter.line(10);  // at this rate the steps would take hours
  EXPECT_NE(line.find("(time limit)"), std::string::npos) << line;
  const double eta = std::stod(line.substr(line.find("ETA ") + 4));
  EXPECT_LE(eta, 60.0);
  EXPECT_GE(eta, 59.0);
}

}  // namespace
}  // namespace scorch
