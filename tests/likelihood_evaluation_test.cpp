// Bits/dim of a uint8 test set under an exact-score Gaussian model: the ODE
// NLL matches the closed-form NLL of the same dequantized points, the bound
// lies above it, and batching does not change the result.
#include "common/communicator.h"
#include "common/random_stream.h"
#include "data_test_support.h"
#include "evaluation/likelihood/likelihood_evaluation.h"
#include "models/analytic_gmm.h"
#include "models/linear_beta_sde.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <numeric>

namespace scorch::evaluation {
namespace {

constexpr std::int64_t images = 120;

// Two "pixels" per image from a rounded Gaussian around mid-grey.
std::string write_gaussian_pixels() {
  static const std::string path = [] {
    const std::string file = testing::temp_path("gaussian_pixels.h5");
    auto generator = at::make_generator<at::CPUGeneratorImpl>(31);
    const at::Tensor values = (127.5 + 20.0 * at::randn({images, 1, 1, 2}, generator, at::kDouble)).round().clamp(0, 255);
    data::DatasetWriter writer(file, {images, 1, 1, 2}, false, "test", "test");
    writer.append(values.to(at::kByte), at::Tensor());
    writer.finish();
    return file;
  }();
  return path;
}

struct GaussianPixelModel {
  std::shared_ptr<const models::Sde> sde = std::make_shared<models::VpSde>(0.1, 20.0);
  // The density of the dequantized data in [−1, 1]: about N(0, (40/256)² I).
  models::AnalyticGmmModel model{{at::ones({1}, at::kDouble), at::zeros({1, 2}, at::kDouble),
                                  (0.0245 * at::eye(2, at::kDouble)).unsqueeze(0)},
                                 sde};
};

LikelihoodEvaluationSettings settings(std::int64_t batch_size) {
  LikelihoodEvaluationSettings s;
  s.batch_size = batch_size;
  s.repeats = 2;
  s.bound = true;
  s.ode.ode = {OdeMethod::rk45, 1e-6, 1e-6, 0};
  s.ode.divergence = DivergenceMethod::exact;
  s.ode.network_dtype = at::kDouble;
  s.dsm.time_samples = 100;
  s.dsm.network_dtype = at::kDouble;
  s.seed = 4;
  return s;
}

TEST(LikelihoodEvaluation, OdeBitsPerDimMatchTheClosedFormOfTheDequantizedData) {
  GaussianPixelModel setup;
  LocalCommunicator local;
  const LikelihoodEvaluation result = evaluate_likelihood(write_gaussian_pixels(), *setup.sde, setup.model.as_function(),
                                                          data::PixelRange::symmetric, settings(16), local, at::kCPU);
  // The oracle: the same dequantization draws, scored by the model's density at ε.
  const at::Tensor pixels = data::DatasetFile(write_gaussian_pixels()).read_images(0, images);
  std::vector<std::int64_t> indices(images);
  std::iota(indices.begin(), indices.end(), 0);
  at::Tensor per_image = at::zeros({images}, at::kDouble);
  for (std::int64_t repeat = 0; repeat < 2; ++repeat) {
    const at::Tensor u = draw_per_example({4, RandomPurpose::dequantization, static_cast<std::uint64_t>(repeat)}, indices,
                                          [](at::Generator& g) { return at::rand({1, 1, 2}, g, at::kDouble); });
    const at::Tensor z = data::dequantize(pixels, u, data::PixelRange::symmetric);
    const at::Tensor log_p = setup.model.log_density(z, at::full({images}, 1e-5, at::kDouble));
    per_image += (-log_p / (2.0 * std::log(2.0)) + 7.0) / 2.0;  // offset 7 for [−1, 1]
  }
  ASSERT_TRUE(result.nll.has_value());
  EXPECT_NEAR(result.nll->mean, per_image.mean().item<double>(), 1e-4);
  EXPECT_NEAR(result.nll->ci95, 1.96 * per_image.std().item<double>() / std::sqrt(double(images)), 1e-3);
  EXPECT_GT(result.mean_function_evaluations, 10.0);
  ASSERT_TRUE(result.bound.has_value());
  // An upper bound in expectation; its importance-sampled integral is noisy
  // for data this tight (σ_t s is small beside z), so allow its interval.
  EXPECT_GT(result.bound->mean, result.nll->mean - result.bound->ci95);
  EXPECT_LT(result.bound->mean, result.nll->mean + 1.0);
}

TEST(LikelihoodEvaluation, BatchSizeDoesNotChangeTheResult) {
  GaussianPixelModel setup;
  LocalCommunicator local;
  const auto run = [&](std::int64_t batch_size) {
    return evaluate_likelihood(write_gaussian_pixels(), *setup.sde, setup.model.as_function(),
                               data::PixelRange::symmetric, settings(batch_size), local, at::kCPU);
  };
  const LikelihoodEvaluation a = run(7), b = run(64);
  EXPECT_NEAR(a.nll->mean, b.nll->mean, 1e-10);
  EXPECT_NEAR(a.bound->mean, b.bound->mean, 1e-10);
}

TEST(LikelihoodEvaluation, KeptShardsAreReusedAndGiveTheSameResult) {
  GaussianPixelModel setup;
  LocalCommunicator local;
  const std::string directory = testing::temp_path("likelihood_shards");
  testing::remove_tree(directory);
  const auto run = [&](const std::string& shards, const std::string& fingerprint) {
    LikelihoodEvaluationSettings s = settings(16);
    s.ode.divergence = DivergenceMethod::rademacher;
    s.shard_size = 50;
    s.shard_directory = shards;
    s.fingerprint = fingerprint;
    return evaluate_likelihood(write_gaussian_pixels(), *setup.sde, setup.model.as_function(),
                               data::PixelRange::symmetric, s, local, at::kCPU);
  };
  const LikelihoodEvaluation in_memory = run("", "");
  const LikelihoodEvaluation kept = run(directory, "a");
  EXPECT_EQ(kept.shards, 3);
  EXPECT_EQ(kept.reused, 0);
  EXPECT_EQ(kept.nll->mean, in_memory.nll->mean);
  EXPECT_EQ(kept.bound->ci95, in_memory.bound->ci95);

  // As after a kill during the middle shard: the other two are reused, bit for bit.
  std::filesystem::remove(directory + "/shard-000001.h5");
  const LikelihoodEvaluation resumed = run(directory, "a");
  EXPECT_EQ(resumed.reused, 2);
  EXPECT_EQ(resumed.nll->mean, in_memory.nll->mean);
  EXPECT_EQ(resumed.nll->ci95, in_memory.nll->ci95);
  EXPECT_EQ(resumed.bound->mean, in_memory.bound->mean);
  EXPECT_EQ(resumed.mean_function_evaluations, in_memory.mean_function_evaluations);
  EXPECT_EQ(run(directory, "b").reused, 0);
}

}  // namespace
}  // namespace scorch::evaluation
