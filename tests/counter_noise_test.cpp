// The counter-based device noise (noise.device: device): Philox-4x32-10
// against the Random123 known-answer vectors, normal deviates keyed by global
// index, and their law.
#include "common/counter_noise.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>

namespace scorch {
namespace {

at::Tensor words(std::initializer_list<std::int64_t> values) { return at::tensor(std::vector<std::int64_t>(values), at::kLong); }

// Random123's kat_vectors for philox4x32_10 (also TensorFlow's Philox test).
TEST(CounterNoise, PhiloxMatchesTheRandom123KnownAnswers) {
  const at::Tensor counters = at::stack({words({0, 0, 0, 0}),
                                         words({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}),
                                         words({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344})});
  const at::Tensor keys = at::stack({words({0, 0}), words({0xffffffff, 0xffffffff}), words({0xa4093822, 0x299f31d0})});
  const at::Tensor expected = at::stack({words({0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}),
                                         words({0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}),
                                         words({0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1})});
  const at::Tensor out = philox4x32(counters, keys);
  EXPECT_TRUE(at::equal(out, expected)) << out;
}

TEST(CounterNoise, AnExamplesDrawDependsOnItsIndexNotItsBatch) {
  const RandomKey key{7, RandomPurpose::training_noise, 3};
  const at::Tensor batch = counter_normal(key, {4, 9, 2}, {3, 5}, at::TensorOptions().dtype(at::kFloat));
  EXPECT_EQ(batch.sizes(), (std::vector<std::int64_t>{3, 3, 5}));
  EXPECT_EQ(batch.scalar_type(), at::kFloat);
  const at::Tensor alone = counter_normal(key, {9}, {3, 5}, at::TensorOptions().dtype(at::kFloat));
  EXPECT_TRUE(at::equal(batch[1], alone[0]));
  EXPECT_FALSE(at::equal(batch[0], batch[1]));
  const at::Tensor next_step = counter_normal({7, RandomPurpose::training_noise, 4}, {9}, {3, 5}, at::kFloat);
  EXPECT_FALSE(at::equal(next_step[0], alone[0]));
  // An odd element count drops the last pair's second deviate: the first 15 of 16.
  const at::Tensor even = counter_normal(key, {9}, {16}, at::TensorOptions().dtype(at::kDouble));
  EXPECT_TRUE(at::equal(alone[0].reshape({-1}).to(at::kDouble), even[0].narrow(0, 0, 15).to(at::kFloat).to(at::kDouble)));
}

// 2^20 deviates: mean, variance, the two-sided 2σ tail and the kurtosis of
// N(0, 1), each within 5 standard errors, and no correlation between the
// cosine and sine deviates of a pair.
TEST(CounterNoise, DeviatesAreStandardNormal) {
  const std::int64_t rows = 256, numel = 4096, n = rows * numel;
  std::vector<std::int64_t> indices(rows);
  for (std::int64_t i = 0; i < rows; ++i) indices[i] = 1000 + 3 * i;
  const at::Tensor z = counter_normal({11, RandomPurpose::test, 0}, indices, {numel}, at::kDouble).reshape({-1});
  const double count = static_cast<double>(n);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 5.0 / std::sqrt(count));
  EXPECT_NEAR(z.var().item<double>(), 1.0, 5.0 * std::sqrt(2.0 / count));
  const double tail = 0.04550026389635842;  // P(|Z| > 2)
  EXPECT_NEAR((z.abs() > 2.0).to(at::kDouble).mean().item<double>(), tail, 5.0 * std::sqrt(tail * (1 - tail) / count));
  EXPECT_NEAR(z.pow(4).mean().item<double>(), 3.0, 5.0 * std::sqrt(96.0 / count));
  const at::Tensor pairs = z.view({-1, 2});
  EXPECT_NEAR((pairs.select(1, 0) * pairs.select(1, 1)).mean().item<double>(), 0.0, 5.0 / std::sqrt(count / 2.0));
}

// The integer words are exact on a GPU too; only the float64 transcendental
// functions may round differently there.
TEST(GpuCounterNoise, TheGpuDrawsTheCpuWords) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const RandomKey key{5, RandomPurpose::training_noise, 9};
  const at::Tensor cpu = counter_normal(key, {3, 70, 1}, {3, 8, 8}, at::kDouble);
  const at::Tensor gpu = counter_normal(key, {3, 70, 1}, {3, 8, 8}, at::TensorOptions().dtype(at::kDouble).device(at::kCUDA));
  EXPECT_LT((gpu.cpu() - cpu).abs().max().item<double>(), 1e-13);
  const at::Tensor counters = at::randint(0, 1LL << 32, {1000, 4}, at::kLong), keys = at::randint(0, 1LL << 32, {1000, 2}, at::kLong);
  EXPECT_TRUE(at::equal(philox4x32(counters.cuda(), keys.cuda()).cpu(), philox4x32(counters, keys)));
}

}  // namespace
}  // namespace scorch
