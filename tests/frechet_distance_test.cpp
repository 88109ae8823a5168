// FID against closed forms: identity covariances, diagonal cases (and their
// random rotations), 2×2 pairs via tr √M = √(tr M + 2√det M), and degenerate
// statistics; plus the float64 moment accumulator and statistics files.
#include "common/user_error.h"
#include "data_test_support.h"
#include "evaluation/features/feature_statistics.h"
#include "evaluation/features/frechet_distance.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

namespace scorch::evaluation {
namespace {

at::Tensor random_orthogonal(std::int64_t d, at::Generator& generator) {
  const at::Tensor g = at::randn({d, d}, generator, at::kDouble);
  return std::get<0>(at::linalg_qr(g));
}

at::Tensor random_covariance(std::int64_t d, at::Generator& generator) {
  const at::Tensor m = at::randn({d, d}, generator, at::kDouble);
  return m.matmul(m.t()) / d + 0.1 * at::eye(d, at::kDouble);
}

TEST(FrechetDistance, UnitMeanShiftWithIdentityCovariancesIsTheDimension) {
  const std::int64_t d = 2048;
  const at::Tensor eye = at::eye(d, at::kDouble);
  EXPECT_NEAR(frechet_distance(at::zeros({d}, at::kDouble), eye, at::ones({d}, at::kDouble), eye), 2048.0, 1e-8);
}

TEST(FrechetDistance, DiagonalCasesMatchTheClosedFormAlsoAfterRotation) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(3);
  const std::int64_t d = 64;
  const at::Tensor a = at::rand({d}, generator, at::kDouble) * 3 + 0.01;
  const at::Tensor b = at::rand({d}, generator, at::kDouble) * 3;
  const at::Tensor mu1 = at::randn({d}, generator, at::kDouble), mu2 = at::randn({d}, generator, at::kDouble);
  const double expected = (mu1 - mu2).square().sum().item<double>() + (a.sqrt() - b.sqrt()).square().sum().item<double>();
  EXPECT_NEAR(frechet_distance(mu1, at::diag(a), mu2, at::diag(b)), expected, 1e-9 * expected);

  const at::Tensor q = random_orthogonal(d, generator);
  const double rotated = frechet_distance(q.matmul(mu1), q.matmul(at::diag(a)).matmul(q.t()), q.matmul(mu2),
                                          q.matmul(at::diag(b)).matmul(q.t()));
  EXPECT_NEAR(rotated, expected, 1e-8 * expected);
}

TEST(FrechetDistance, TwoByTwoPairsMatchTheTraceSquareRootIdentity) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  for (int trial = 0; trial < 20; ++trial) {
    const at::Tensor s1 = random_covariance(2, generator), s2 = random_covariance(2, generator);
    const at::Tensor m = s1.matmul(s2);
    // M = Σ1Σ2 has positive eigenvalues, so tr √M = √(tr M + 2 √det M).
    const double expected = std::sqrt(m.trace().item<double>() + 2.0 * std::sqrt(at::det(m).item<double>()));
    EXPECT_NEAR(trace_sqrt_product(s1, s2), expected, 1e-12 * expected) << "trial " << trial;
  }
}

TEST(FrechetDistance, SingularValueRouteEqualsTheEigenvaluesOfTheSymmetrisedProduct) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(9);
  const at::Tensor s1 = random_covariance(50, generator), s2 = random_covariance(50, generator);
  const auto [values, vectors] = at::linalg_eigh(s1);
  const at::Tensor a = vectors.matmul(at::diag(values.sqrt())).matmul(vectors.t());
  const at::Tensor product = a.matmul(s2).matmul(a);
  const double expected = at::linalg_eigvalsh(0.5 * (product + product.t())).sqrt().sum().item<double>();
  EXPECT_NEAR(trace_sqrt_product(s1, s2), expected, 1e-10 * expected);
}

TEST(FrechetDistance, IdenticalStatisticsGiveZeroEvenWhenRankDeficient) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
  for (const std::int64_t samples : {500, 40}) {  // 40 samples in 128-d: rank 39
    const at::Tensor features = at::randn({samples, 128}, generator, at::kDouble);
    FeatureMoments moments(128);
    moments.add(features);
    const FeatureStatistics s = moments.statistics("test");
    const double fid = frechet_distance(s.mu, s.sigma, s.mu, s.sigma);
    EXPECT_FALSE(std::isnan(fid)) << samples;
    EXPECT_NEAR(fid, 0.0, 1e-6) << samples;
  }
}

TEST(FrechetDistance, DimensionMismatchIsAUserError) {
  const at::Tensor eye2 = at::eye(2, at::kDouble), eye3 = at::eye(3, at::kDouble);
  EXPECT_THROW(frechet_distance(at::zeros({2}), eye2, at::zeros({3}), eye3), UserError);
  EXPECT_THROW(frechet_distance(at::zeros({2}), eye3, at::zeros({2}), eye2), UserError);
}

TEST(FeatureMoments, ChunkedFloat64SumsGiveTheSampleMeanAndUnbiasedCovariance) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor features = at::randn({300, 5}, generator, at::kFloat) * 4 + 100;  // large mean: cancellation
  FeatureMoments moments(5);
  moments.add(features.slice(0, 0, 123));
  moments.add(features.slice(0, 123));
  const FeatureStatistics s = moments.statistics("x");
  const at::Tensor x = features.to(at::kDouble);
  const at::Tensor centred = x - x.mean(0);
  EXPECT_EQ(s.count, 300);
  EXPECT_TRUE(at::allclose(s.mu, x.mean(0), 0, 1e-10));
  EXPECT_TRUE(at::allclose(s.sigma, centred.t().matmul(centred) / 299.0, 0, 1e-8));
  EXPECT_THROW(FeatureMoments(5).statistics("x"), UserError);
  EXPECT_THROW(moments.add(at::zeros({2, 4})), UserError);
}

TEST(FeatureStatisticsFile, RoundTripsThroughHdf5) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(13);
  FeatureMoments moments(6);
  moments.add(at::randn({50, 6}, generator, at::kDouble));
  const FeatureStatistics written = moments.statistics("classifier:abc");
  const std::string path = testing::temp_path("stats.h5");
  write_feature_statistics(path, written);
  EXPECT_TRUE(is_feature_statistics_file(path));
  const FeatureStatistics read = read_feature_statistics(path);
  EXPECT_TRUE(at::equal(read.mu, written.mu));
  EXPECT_TRUE(at::equal(read.sigma, written.sigma));
  EXPECT_EQ(read.count, 50);
  EXPECT_EQ(read.extractor, "classifier:abc");
  EXPECT_FALSE(is_feature_statistics_file(testing::write_indexed_dataset("not_stats.h5", 4)));
}

TEST(FeatureStatisticsFile, ReadsNumpyNpzStatistics) {
  const std::string directory = std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/npz/";
  for (const char* name : {"stats.npz", "stats_compressed.npz"}) {
    const FeatureStatistics s = read_feature_statistics(directory + name);
    ASSERT_EQ(s.mu.sizes(), (std::vector<std::int64_t>{4})) << name;
    EXPECT_EQ(s.mu[1].item<double>(), -1.25) << name;
    EXPECT_TRUE(at::equal(s.sigma, s.sigma.t())) << name;
    EXPECT_NEAR(frechet_distance(s.mu, s.sigma, s.mu, s.sigma), 0.0, 1e-9) << name;
  }
  EXPECT_THROW(read_feature_statistics(directory + "mixed.npz"), UserError);  // no mu/sigma
}

}  // namespace
}  // namespace scorch::evaluation
