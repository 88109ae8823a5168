#include "data/epoch_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace scorch::data {
namespace {

// Every rank's samples in one epoch, union over ranks: covers the dataset, and
// the only repeats are the padding to a multiple of the world size.
TEST(EpochPlan, RanksCoverTheDatasetWithDuplicatesOnlyFromPadding) {
  for (std::int64_t n : {10, 11, 12, 97}) {
    for (int world : {1, 2, 3}) {
      std::map<std::int64_t, int> seen;
      std::set<std::int64_t> positions;
      std::int64_t padded = 0;
      for (int rank = 0; rank < world; ++rank) {
        const EpochPlan plan({n, rank, world, 2, true, /*drop_last=*/false, 5});
        padded = plan.padded_size();
        for (std::int64_t b = 0; b < plan.batches_per_epoch(); ++b) {
          const BatchIndices batch = plan.batch(3, b);
          for (std::int64_t i : batch.dataset_indices) ++seen[i];
          for (std::int64_t p : batch.positions) EXPECT_TRUE(positions.insert(p).second) << "position repeated";
        }
      }
      EXPECT_EQ(padded % world, 0);
      EXPECT_LT(padded - n, world);
      EXPECT_EQ(static_cast<std::int64_t>(seen.size()), n) << "n=" << n << " world=" << world;
      std::int64_t duplicates = 0;
      for (const auto& [index, count] : seen) duplicates += count - 1;
      EXPECT_EQ(duplicates, padded - n) << "n=" << n << " world=" << world;
      EXPECT_EQ(static_cast<std::int64_t>(positions.size()), padded);
    }
  }
}

TEST(EpochPlan, EveryRankRunsTheSameNumberOfBatches) {
  for (int world : {2, 3}) {
    std::set<std::int64_t> counts;
    for (int rank = 0; rank < world; ++rank) counts.insert(EpochPlan({101, rank, world, 8, true, true, 0}).batches_per_epoch());
    EXPECT_EQ(counts.size(), 1u);
  }
}

// The global batch at step k does not depend on the world size.
TEST(EpochPlan, GlobalBatchIsIndependentOfWorldSize) {
  const EpochPlan single({60, 0, 1, 12, true, true, 9});
  for (std::int64_t b = 0; b < single.batches_per_epoch(); ++b) {
    const BatchIndices whole = single.batch(1, b);
    std::vector<std::int64_t> merged_positions, merged_indices;
    for (int rank = 0; rank < 2; ++rank) {
      const BatchIndices part = EpochPlan({60, rank, 2, 6, true, true, 9}).batch(1, b);
      merged_positions.insert(merged_positions.end(), part.positions.begin(), part.positions.end());
      merged_indices.insert(merged_indices.end(), part.dataset_indices.begin(), part.dataset_indices.end());
    }
    std::vector<std::int64_t> a = whole.positions, c = whole.dataset_indices;
    std::sort(a.begin(), a.end());
    std::sort(c.begin(), c.end());
    std::sort(merged_positions.begin(), merged_positions.end());
    std::sort(merged_indices.begin(), merged_indices.end());
    EXPECT_EQ(a, merged_positions);
    EXPECT_EQ(c, merged_indices);
  }
}

TEST(EpochPlan, PermutationIsAPureFunctionOfSeedAndEpoch) {
  const EpochPlan a({50, 0, 1, 5, true, true, 1});
  const EpochPlan b({50, 0, 1, 5, true, true, 1});
  EXPECT_EQ(a.permutation(4), b.permutation(4));
  EXPECT_NE(a.permutation(4), a.permutation(5));
  EXPECT_NE(a.permutation(4), EpochPlan({50, 0, 1, 5, true, true, 2}).permutation(4));
  auto sorted = a.permutation(4);
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  const EpochPlan ordered({5, 0, 1, 5, false, true, 1});
  EXPECT_EQ(ordered.permutation(3), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(EpochPlan, RejectsImpossibleShapes) {
  EXPECT_ANY_THROW(EpochPlan({0, 0, 1, 1, true, true, 0}));
  EXPECT_ANY_THROW(EpochPlan({10, 2, 2, 1, true, true, 0}));
  EXPECT_ANY_THROW(EpochPlan({10, 0, 1, 20, true, true, 0}));  // no full batch
}

}  // namespace
}  // namespace scorch::data
