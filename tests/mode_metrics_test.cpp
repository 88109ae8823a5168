#include "common/user_error.h"
#include "evaluation/toy/mode_metrics.h"
#include "models/toy_distributions.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <utility>

namespace scorch::evaluation {
namespace {

using models::ToyKind;

at::Tensor grid_points(std::uint64_t seed, std::int64_t first, std::int64_t count) {
  return models::toy_points(models::default_toy_spec(ToyKind::grid), seed, first, count);
}

TEST(ToyDistributions, MixturesHoldTheirWeightsInAnyIndexRangeAndSitOnTheirModes) {
  for (ToyKind kind : {ToyKind::two_modes, ToyKind::grid}) {
    const models::ToySpec spec = models::default_toy_spec(kind);
    const models::ModeLayout layout = models::mode_layout(spec);
    const at::Tensor points = models::toy_points(spec, 3, 0, spec.count);
    const ModeShares shares = mode_shares(points, layout.centers, layout.weights);
    EXPECT_LE(shares.max_error * spec.count, 4.0) << models::to_string(kind);
    // The reference draw after the training set, and a short window.
    for (const auto& [first, count] : {std::pair<std::int64_t, std::int64_t>{spec.count, 5000}, {777, 300}}) {
      const ModeShares window = mode_shares(models::toy_points(spec, 3, first, count), layout.centers, layout.weights);
      EXPECT_LE(window.max_error * count, 4.0) << models::to_string(kind) << " from " << first;
    }
    // Each point lies within 5 std of its nearest centre.
    const at::Tensor distance = at::cdist(points, layout.centers).amin(1);
    EXPECT_LT(distance.max().item<double>(), 5.0 * layout.std) << models::to_string(kind);
  }
  const models::ModeLayout two = models::mode_layout(models::default_toy_spec(ToyKind::two_modes));
  EXPECT_NEAR(two.weights[0].item<double>(), 10.0 / 11.0, 1e-15);
  EXPECT_NEAR(two.std, std::sqrt(0.2), 1e-15);
}

TEST(ToyDistributions, PointsArePureFunctionsOfSeedAndIndex) {
  const at::Tensor all = grid_points(5, 0, 100);
  EXPECT_TRUE(at::equal(all.slice(0, 40, 60), grid_points(5, 40, 20)));
  EXPECT_FALSE(at::equal(all, grid_points(6, 0, 100)));
}

TEST(ToyDistributions, TheAlphaStableCloudHasTheStableTail) {
  // For an isotropic α-stable vector, P(‖x‖ > r) ~ C r^−α: the ratio of the
  // 99.9% and 99% norm quantiles approaches 10^{1/α}.
  models::ToySpec spec = models::default_toy_spec(ToyKind::alpha_stable_cloud);
  spec.alpha = 1.5;
  const at::Tensor norms = models::toy_points(spec, 1, 0, 100000).norm(2, 1);
  const at::Tensor q = at::quantile(norms, at::tensor({0.99, 0.999}, at::kDouble));
  EXPECT_NEAR(q[1].item<double>() / q[0].item<double>(), std::pow(10.0, 1.0 / 1.5), 0.6);
}

TEST(ModeShares, CountSamplesByNearestCentre) {
  const at::Tensor centers = at::tensor({0.0, 0.0, 10.0, 0.0}, at::kDouble).view({2, 2});
  const at::Tensor samples = at::tensor({0.1, 0.0, 9.0, 1.0, 6.0, 0.0, -3.0, 0.0}, at::kDouble).view({4, 2});
  const ModeShares shares = mode_shares(samples, centers, at::tensor({3.0, 1.0}, at::kDouble));
  EXPECT_DOUBLE_EQ(shares.shares[0], 0.5);
  EXPECT_DOUBLE_EQ(shares.shares[1], 0.5);
  EXPECT_DOUBLE_EQ(shares.max_error, 0.25);
  EXPECT_DOUBLE_EQ(shares.total_variation, 0.25);
  EXPECT_THROW(mode_shares(samples / 0.0, centers, at::tensor({1.0, 1.0}, at::kDouble)), UserError);
}

TEST(PrecisionRecall, SameDistributionScoresHighDroppedModesLoseRecallOffDataLosesPrecision) {
  const PrdSettings settings{20, 1001, 5, 100, 0};
  const at::Tensor reference = grid_points(1, 0, 6000);
  const PrecisionRecall same = prd_precision_recall(reference, grid_points(2, 0, 6000), settings);
  EXPECT_GT(same.precision, 0.9);
  EXPECT_GT(same.recall, 0.9);
  EXPECT_NEAR(same.f1, 2 * same.precision * same.recall / (same.precision + same.recall), 1e-12);

  // Only the points of the left column (x = 0): every sample is realistic,
  // but two thirds of the data's mass is never produced.
  const at::Tensor fresh = grid_points(3, 0, 6000);
  const at::Tensor left = fresh.index_select(0, (fresh.select(1, 0) < 0.5).nonzero().squeeze(1));
  const PrecisionRecall dropped = prd_precision_recall(reference, left, settings);
  EXPECT_GT(dropped.precision, 0.85);
  EXPECT_LT(dropped.recall, 0.6);

  // Samples spread far beyond the grid: recall survives, precision does not.
  const at::Tensor blurred = fresh + 3.0 * at::randn_like(fresh);
  const PrecisionRecall spread = prd_precision_recall(reference, blurred, settings);
  EXPECT_LT(spread.precision, 0.5);
  EXPECT_LT(spread.f1, same.f1);
}

TEST(TailError, ScaledSamplesGiveTheSquaredLogScale) {
  // Scaling every point by c scales every norm quantile by c, so each level
  // contributes (log c)².
  models::ToySpec spec = models::default_toy_spec(ToyKind::alpha_stable_cloud);
  const at::Tensor reference = models::toy_points(spec, 1, 0, 20000);
  EXPECT_NEAR(tail_log_quantile_error(reference, reference, 0.95), 0.0, 1e-24);
  EXPECT_NEAR(tail_log_quantile_error(reference, 3.0 * reference, 0.95), std::pow(std::log(3.0), 2), 1e-12);
  // Gaussian samples of the same scale miss the heavy tail.
  const at::Tensor gaussian = spec.scale * at::randn({20000, 2}, at::kDouble) * std::sqrt(2.0);
  EXPECT_GT(tail_log_quantile_error(reference, gaussian, 0.95), 0.5);
  EXPECT_THROW(tail_log_quantile_error(reference, reference, 1.0), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
