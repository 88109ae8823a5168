// Feature extractors: the TorchScript calling convention of the Inception
// port (checked with a small scripted module built here), the trained
// classifier and its file, and distributed-independent image statistics.
#include "common/communicator.h"
#include "common/user_error.h"
#include "data_test_support.h"
#include "evaluation/features/classifier_training.h"
#include "evaluation/features/feature_extractor.h"
#include "evaluation/features/image_features.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

namespace scorch::evaluation {
namespace {

// Features are the per-channel means times W; class outputs are their softmax
// (as the Inception port returns probabilities) or, with logits=true, raw.
std::string write_scripted_extractor(const std::string& name, bool logits) {
  torch::jit::Module module("ToyInception");
  module.register_parameter("w", at::arange(12, at::kFloat).reshape({3, 4}) / 100.0, false);
  module.define(std::string(R"(
def forward(self, img, return_features: bool = False, use_fp16: bool = False, no_output_bias: bool = False):
    x = img.float().mean(dim=[2, 3])
    features = torch.matmul(x, self.w)
    if return_features:
        return features
)") + (logits ? "    return features\n" : "    return torch.softmax(features, dim=1)\n"));
  const std::string path = testing::temp_path(name);
  module.save(path);
  return path;
}

TEST(TorchScriptExtractor, FollowsTheInceptionPortCallingConvention) {
  for (const bool logits : {false, true}) {
    const auto extractor = load_feature_extractor(write_scripted_extractor("toy.pt", logits), at::kCPU);
    const at::Tensor images = at::randint(0, 256, {5, 3, 6, 7}, at::kLong).to(at::kByte);
    const ExtractedFeatures out = extractor->extract(images, {true, true});
    const at::Tensor expected = images.to(at::kFloat).mean({2, 3}).matmul(at::arange(12, at::kFloat).reshape({3, 4}) / 100.0);
    EXPECT_TRUE(at::allclose(out.features, expected, 1e-5, 1e-5));
    EXPECT_TRUE(at::allclose(out.log_probabilities, at::log_softmax(expected.to(at::kDouble), 1), 1e-5, 1e-5)) << logits;
    EXPECT_EQ(extractor->identity().rfind("torchscript:fnv1a64:", 0), 0u);
    const ExtractorDimensions dims = probe_extractor(*extractor, {3, 9, 9});
    EXPECT_EQ(dims.features, 4);
    EXPECT_EQ(dims.classes, 4);
  }
}

TEST(TorchScriptExtractor, AModuleWithoutClassOutputsStillServesFid) {
  torch::jit::Module module("FeaturesOnly");
  module.define(R"(
def forward(self, img, return_features: bool = False):
    return img.float().mean(dim=[2, 3])
)");
  const std::string path = testing::temp_path("features_only.pt");
  module.save(path);
  const auto extractor = load_feature_extractor(path, at::kCPU);
  EXPECT_EQ(probe_extractor(*extractor, {3, 4, 4}, {true, false}).features, 3);
  EXPECT_THROW(probe_extractor(*extractor, {3, 4, 4}, {true, true}), UserError);  // no no_output_bias flag
}

TEST(TorchScriptExtractor, BadFilesAndBadInputsAreUserErrors) {
  EXPECT_THROW(load_feature_extractor(testing::temp_path("missing.pt"), at::kCPU), UserError);
  const std::string garbage = testing::temp_path("garbage.pt");
  std::ofstream(garbage) << "not a module";
  EXPECT_THROW(load_feature_extractor(garbage, at::kCPU), UserError);
  const auto extractor = load_feature_extractor(write_scripted_extractor("toy2.pt", false), at::kCPU);
  EXPECT_THROW(probe_extractor(*extractor, {1, 4, 4}), UserError);  // one channel into a 3-channel matmul
}

TEST(Classifier, LearnsSeparableClassesAndRoundTripsThroughItsFile) {
  const std::string data = testing::write_quadrant_dataset("quadrants.h5", 400);
  LocalCommunicator local;
  ClassifierTrainingSettings settings;
  settings.epochs = 4;
  settings.batch_size = 32;
  ClassifierTrainingResult result = train_classifier(data, "", settings, local, at::kCPU);
  EXPECT_TRUE(result.held_out);
  EXPECT_EQ(result.test_images, 40);
  EXPECT_GE(result.description.test_accuracy, 0.95);

  const std::string path = testing::temp_path("classifier.h5");
  write_classifier(path, *result.classifier, result.description);
  const auto extractor = load_feature_extractor(path, at::kCPU);
  const at::Tensor images = data::DatasetFile(data).read_images(0, 16);
  const ExtractedFeatures out = extractor->extract(images, {true, true});
  torch::NoGradGuard no_grad;
  result.classifier->eval();
  const ClassifierOutput direct = result.classifier->forward(images);
  EXPECT_TRUE(at::equal(out.features, direct.features));
  EXPECT_TRUE(at::allclose(out.log_probabilities, at::log_softmax(direct.logits.to(at::kDouble), 1)));
  EXPECT_EQ(extractor->identity(), load_feature_extractor(path, at::kCPU)->identity());
  EXPECT_EQ(probe_extractor(*extractor, {1, 8, 8}).features, ImageClassifierImpl::feature_dimension);
  EXPECT_THROW(probe_extractor(*extractor, {3, 8, 8}), UserError);
  EXPECT_THROW(read_classifier(data), UserError);
}

TEST(ImageFeatures, StatisticsAndScoreDoNotDependOnTheBatchSize) {
  const std::string data = testing::write_quadrant_dataset("quadrants_stats.h5", 103);
  const auto extractor = load_feature_extractor(write_scripted_extractor("toy3.pt", false), at::kCPU);
  LocalCommunicator local;
  // The toy extractor wants 3 channels; repeat the grey channel through a dataset of its own.
  const std::string rgb = testing::temp_path("quadrants_rgb.h5");
  {
    data::DatasetWriter writer(rgb, {103, 3, 8, 8}, false, "test", "train");
    writer.append(data::DatasetFile(data).read_images(0, 103).repeat({1, 3, 1, 1}), at::Tensor());
    writer.finish();
  }
  const ImageFeatureSummary a = summarise_image_file(rgb, *extractor, {true, true}, local, 7);
  const ImageFeatureSummary b = summarise_image_file(rgb, *extractor, {true, true}, local, 64);
  EXPECT_EQ(a.images, 103);
  EXPECT_TRUE(at::allclose(a.statistics->mu, b.statistics->mu, 0, 1e-10));
  EXPECT_TRUE(at::allclose(a.statistics->sigma, b.statistics->sigma, 0, 1e-9));
  EXPECT_NEAR(a.inception_score->mean, b.inception_score->mean, 1e-10);

  const at::Tensor features = extractor->extract(data::DatasetFile(rgb).read_images(0, 103), {true, false}).features;
  FeatureMoments direct(4);
  direct.add(features);
  EXPECT_TRUE(at::allclose(a.statistics->sigma, direct.statistics("").sigma, 0, 1e-9));
  EXPECT_EQ(a.statistics->extractor, extractor->identity());
  EXPECT_THROW(summarise_image_file(rgb, *extractor, {true, false}, local, 8, 200), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
