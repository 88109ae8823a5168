#include "common/log.h"
#include "common/progress.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace scorch
