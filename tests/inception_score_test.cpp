// Inception Score against closed forms (uniform and balanced near-one-hot
// predictions) and against the direct per-split KL formula of the original
// implementation, whatever order and chunks the images arrive in.
#include "common/user_error.h"
#include "evaluation/features/inception_score.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace scorch::evaluation {
namespace {

std::vector<std::int64_t> all_indices(std::int64_t n) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  return indices;
}

TEST(InceptionScore, UniformPredictionsScoreOne) {
  const std::int64_t n = 200, k = 1008;
  InceptionScoreAccumulator accumulator(k, n);
  accumulator.add(at::full({n, k}, -std::log(static_cast<double>(k)), at::kDouble), all_indices(n));
  const InceptionScore score = accumulator.score();
  EXPECT_NEAR(score.mean, 1.0, 1e-12);
  EXPECT_NEAR(score.std, 0.0, 1e-12);
}

TEST(InceptionScore, BalancedNearOneHotPredictionsScoreAboutTheClassCount) {
  const std::int64_t n = 1000, k = 10;
  const double confidence = 0.999;
  at::Tensor p = at::full({n, k}, (1.0 - confidence) / (k - 1), at::kDouble);
  for (std::int64_t i = 0; i < n; ++i) p[i][i % k] = confidence;
  InceptionScoreAccumulator accumulator(k, n);
  accumulator.add(p.log(), all_indices(n));
  // Every split holds each class equally often: p̄ is uniform, so IS = exp(log K − H(p(y|x))).
  const double row_negentropy = (p[0] * p[0].log()).sum().item<double>();
  const InceptionScore score = accumulator.score();
  EXPECT_NEAR(score.mean, std::exp(std::log(static_cast<double>(k)) + row_negentropy), 1e-9);
  EXPECT_GT(score.mean, 9.8);
  EXPECT_NEAR(score.std, 0.0, 1e-9);
}

TEST(InceptionScore, MatchesTheDirectPerSplitFormulaInAnyOrder) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(17);
  const std::int64_t n = 1003, k = 7;  // N not divisible by the splits
  const at::Tensor log_p = at::log_softmax(at::randn({n, k}, generator, at::kDouble) * 3, 1);
  at::Tensor scores = at::empty({10}, at::kDouble);
  for (std::int64_t s = 0; s < 10; ++s) {
    const at::Tensor part = log_p.slice(0, s * n / 10, (s + 1) * n / 10);
    const at::Tensor log_mean = part.exp().mean(0).log();
    scores[s] = (part.exp() * (part - log_mean)).sum(1).mean().exp();
  }
  // Images arrive shuffled and in uneven chunks, as from several ranks.
  const at::Tensor order = at::randperm(n, generator, at::kLong);
  InceptionScoreAccumulator accumulator(k, n);
  for (std::int64_t start = 0; start < n; start += 97) {
    const at::Tensor chunk = order.slice(0, start, std::min(n, start + 97));
    std::vector<std::int64_t> indices(chunk.data_ptr<std::int64_t>(), chunk.data_ptr<std::int64_t>() + chunk.numel());
    accumulator.add(log_p.index_select(0, chunk), indices);
  }
  const InceptionScore score = accumulator.score();
  EXPECT_NEAR(score.mean, scores.mean().item<double>(), 1e-10);
  EXPECT_NEAR(score.std, scores.std(/*unbiased=*/false).item<double>(), 1e-10);
}

TEST(InceptionScore, ExactZeroProbabilitiesGiveNoNan) {
  at::Tensor log_p = at::full({20, 3}, -std::numeric_limits<double>::infinity(), at::kDouble);
  for (std::int64_t i = 0; i < 20; ++i) log_p[i][i % 3] = 0.0;
  InceptionScoreAccumulator accumulator(3, 20, 2);
  accumulator.add(log_p, all_indices(20));
  EXPECT_FALSE(std::isnan(accumulator.score().mean));
}

TEST(InceptionScore, RejectsTooFewImagesAndWrongShapes) {
  EXPECT_THROW(InceptionScoreAccumulator(10, 5), UserError);
  InceptionScoreAccumulator accumulator(4, 20);
  EXPECT_THROW(accumulator.add(at::zeros({2, 5}), {0, 1}), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
