// pytorch-fid's own unit tests (tests/test_fid_score.py in its repository),
// rewritten against scorch: FID of unit mean shift with identity covariance
// is the dimension (FrechetDistance.UnitMeanShiftWithIdentityCovariancesIsTheDimension),
// statistics from a mock extractor that averages each channel, and the .npz
// statistics round trip. Also analytic cases of KID and precision/recall.
#include "common/communicator.h"
#include "data/npz_archive.h"
#include "data_test_support.h"
#include "evaluation/features/feature_statistics.h"
#include "evaluation/features/image_features.h"
#include "evaluation/features/kernel_inception_distance.h"
#include "evaluation/features/manifold_precision_recall.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace scorch::evaluation {
namespace {

// pytorch-fid's mock model: the per-channel mean of images in [0, 1].
class ChannelMeanExtractor final : public FeatureExtractor {
 public:
  std::string identity() const override { return "channel-mean"; }
  ExtractedFeatures extract(const at::Tensor& images, const FeatureRequest&) override {
    return {images.to(at::kFloat).div(255.0).mean({2, 3}), at::Tensor()};
  }
};

TEST(PytorchFidPorts, StatisticsOfAMockExtractor) {
  // Images of 0, 0.5 and 1 (as uint8: 0, 127, 255), 4×4×3.
  const std::string path = testing::temp_path("three_levels.h5");
  data::DatasetWriter writer(path, {3, 3, 4, 4}, false, "test", "train");
  writer.append(at::tensor({0, 127, 255}, at::kByte).view({3, 1, 1, 1}).expand({3, 3, 4, 4}).contiguous(), {});
  writer.finish();
  ChannelMeanExtractor extractor;
  LocalCommunicator communicator;
  const ImageFeatureSummary summary = summarise_image_file(path, extractor, {true, false}, communicator, 3);
  EXPECT_TRUE(at::allclose(summary.statistics->mu, at::full({3}, 0.5, at::kDouble), 0.0, 1e-3));
  EXPECT_TRUE(at::allclose(summary.statistics->sigma, at::full({3, 3}, 0.25, at::kDouble), 0.0, 1e-3));
  // All features, in index order, when asked.
  const ImageFeatureSummary all = summarise_image_file(path, extractor, {false, false, true}, communicator, 2);
  ASSERT_TRUE(all.features.defined());
  EXPECT_NEAR(all.features[2][1].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(all.features[1][0].item<double>(), 127.0 / 255.0, 1e-6);
  testing::remove_tree(path);
}

TEST(PytorchFidPorts, NpzStatisticsRoundTrip) {
  const at::Tensor mu = at::randn({5}, at::kDouble);
  const at::Tensor sigma = at::randn({5, 5}, at::kDouble);
  const std::string path = testing::temp_path("stats.npz");
  write_feature_statistics(path, {mu, sigma, 7, "ignored"});
  const FeatureStatistics back = read_feature_statistics(path);
  EXPECT_TRUE(at::equal(back.mu, mu));
  EXPECT_TRUE(at::equal(back.sigma, sigma));
  EXPECT_TRUE(back.extractor.empty());  // .npz has no room for it, as pytorch-fid's
  // Every dtype the reader knows survives, with 0-, 1- and 2-d shapes, stored and deflated.
  const std::map<std::string, at::Tensor> arrays = {{"scalar", at::tensor(3.5, at::kDouble)},
                                                    {"ints", at::arange(6, at::kLong).view({2, 3})},
                                                    {"small", at::arange(4, at::kInt)},
                                                    {"bytes", at::arange(3, at::kByte)},
                                                    {"floats", at::linspace(0, 1, 7, at::kFloat)},
                                                    {"flags", at::arange(4, at::kLong).remainder(2).to(at::kBool)}};
  for (const bool compressed : {false, true}) {
    data::write_npz(path, arrays, compressed);
    const std::map<std::string, at::Tensor> read = data::read_npz(path);
    ASSERT_EQ(read.size(), arrays.size());
    for (const auto& [name, tensor] : arrays) {
      EXPECT_EQ(read.at(name).scalar_type(), tensor.scalar_type()) << name;
      EXPECT_TRUE(at::equal(read.at(name), tensor)) << name;
    }
  }
  // numpy's layout: the data of a version-1 file starts at a multiple of 64 bytes.
  const std::string bytes = data::npy_bytes(at::zeros({2048}, at::kDouble));
  EXPECT_EQ((bytes.size() - 2048 * 8) % 64, 0u);
  EXPECT_NE(bytes.find("'shape': (2048,)"), std::string::npos);
  testing::remove_tree(path);
}

TEST(KernelInceptionDistance, IsZeroInExpectationForOneDistributionAndMatchesTheFormula) {
  // Two samples of one distribution: the unbiased MMD² is centred on 0.
  const at::Tensor x = at::randn({400, 8}, at::kDouble), y = at::randn({400, 8}, at::kDouble);
  const KernelInceptionDistance same = kernel_inception_distance(x, y, {20, 200, 3});
  EXPECT_LT(std::abs(same.mean), 4.0 * same.std + 1e-3);
  // By hand on two points each: k(a, b) = (a·b/d + 1)³ with d = 1.
  const at::Tensor a = at::tensor({0.0, 1.0}, at::kDouble).view({2, 1});
  const at::Tensor b = at::tensor({2.0, 3.0}, at::kDouble).view({2, 1});
  const double k_aa = std::pow(0.0 * 1.0 + 1.0, 3), k_bb = std::pow(2.0 * 3.0 + 1.0, 3);
  double k_ab = 0.0;
  for (const double p : {0.0, 1.0}) {
    for (const double q : {2.0, 3.0}) k_ab += std::pow(p * q + 1.0, 3);
  }
  const double expected = (2.0 * k_aa + 2.0 * k_bb) / 2.0 - 2.0 * k_ab / 4.0;
  EXPECT_NEAR(polynomial_mmd2(a, b), expected, 1e-9);
  EXPECT_THROW(kernel_inception_distance(a.narrow(0, 0, 1), b), UserError);
}

TEST(ManifoldPrecisionRecall, SeesModeDroppingAndOutliers) {
  // Real: points on a line; generated: only its first half, plus far outliers.
  const at::Tensor real = at::linspace(0.0, 1.0, 100, at::kFloat).view({100, 1});
  const at::Tensor half = at::linspace(0.0, 0.5, 50, at::kFloat).view({50, 1});
  const at::Tensor generated = at::cat({half, at::full({10, 1}, 10.0, at::kFloat)});
  const KnnPrecisionRecall prc = manifold_precision_recall(generated, real);
  // The outliers lie outside the real manifold; the real second half outside the generated one.
  EXPECT_NEAR(prc.precision, 50.0 / 60.0, 1e-9);
  EXPECT_GT(prc.recall, 0.45);
  EXPECT_LT(prc.recall, 0.6);
  EXPECT_THROW(manifold_precision_recall(real.narrow(0, 0, 3), real), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
