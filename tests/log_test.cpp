#include "common/log.h"

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

}  // namespace
}  // namespace scorch
