#include "common/random_stream.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <set>

namespace scorch {
namespace {

TEST(RandomStream, EveryComponentOfTheKeyChangesTheSeed) {
  const RandomKey base{1, RandomPurpose::training_noise, 5};
  std::set<std::uint64_t> seeds = {derive_seed(base, 0), derive_seed(base, 1),
                                   derive_seed({2, RandomPurpose::training_noise, 5}, 0),
                                   derive_seed({1, RandomPurpose::training_time, 5}, 0),
                                   derive_seed({1, RandomPurpose::training_noise, 6}, 0)};
  EXPECT_EQ(seeds.size(), 5u);
  EXPECT_EQ(derive_seed(base, 3), derive_seed(base, 3));
}

TEST(RandomStream, PerExampleDrawsAreIndependentOfBatching) {
  const RandomKey key{9, RandomPurpose::test, 0};
  auto draw = [](at::Generator& g) { return at::randn({4}, g, at::TensorOptions().dtype(at::kDouble)); };
  const at::Tensor all = draw_per_example(key, index_range(10, 6), draw);
  const at::Tensor some = draw_per_example(key, {13, 11}, draw);
  EXPECT_EQ(all.sizes(), (std::vector<int64_t>{6, 4}));
  EXPECT_TRUE(at::equal(some[0], all[3]));
  EXPECT_TRUE(at::equal(some[1], all[1]));
  EXPECT_FALSE(at::equal(all[0], all[1]));
}

}  // namespace
}  // namespace scorch
