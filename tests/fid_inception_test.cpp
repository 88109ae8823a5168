// The native FID Inception-v3 against pytorch-fid's own code, and FID, IS and
// KID against pytorch-fid's and torch-fidelity's, on the fixture
// tests/fixtures/inception/pytorch_fid_reference.h5. How it was made is told
// in scripts/crosscheck/reference_fid.py: both sides build the same seeded
// random weights (the published ones are 95 MB), and the fixture holds only
// the images, the reference outputs and per-tensor weight sums.
#include "common/user_error.h"
#include "data/tensor_archive.h"
#include "evaluation/features/feature_statistics.h"
#include "evaluation/features/fid_inception_v3.h"
#include "evaluation/features/frechet_distance.h"
#include "evaluation/features/inception_score.h"
#include "evaluation/features/kernel_inception_distance.h"
#include "evaluation/features/manifold_precision_recall.h"
#include "evaluation/features/pytorch_fid_extractor.h"
#include "models/module_state.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <string>

namespace scorch::evaluation {
namespace {

const std::string& fixture() {
  static const std::string path =
      std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/inception/pytorch_fid_reference.h5";
  return path;
}

// The generator both sides share (scripts/crosscheck/reference_fid.py).
std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t value = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) value = (value ^ c) * 0x100000001b3ULL;
  return value;
}
std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

at::Tensor seeded_weight(const std::string& name, const at::IntArrayRef shape) {
  if (ends_with(name, "num_batches_tracked")) return at::zeros(shape, at::kLong);
  const std::int64_t count = std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
  const std::uint64_t base = fnv1a64(name);
  std::vector<float> values(static_cast<std::size_t>(count));
  const std::int64_t fan_in = shape.size() > 1 ? count / shape[0] : 1;
  for (std::int64_t j = 0; j < count; ++j) {
    const double u = static_cast<double>(splitmix64(base + static_cast<std::uint64_t>(j)) >> 11) * 0x1.0p-53;
    double v = 0.0;
    if (ends_with(name, "conv.weight")) {
      v = (2.0 * u - 1.0) * std::sqrt(6.0 / static_cast<double>(fan_in));
    } else if (ends_with(name, "bn.weight") || ends_with(name, "bn.running_var")) {
      v = 0.8 + 0.4 * u;
    } else if (ends_with(name, "bn.bias") || ends_with(name, "bn.running_mean")) {
      v = 0.2 * u - 0.1;
    } else if (name == "fc.weight") {
      v = (2.0 * u - 1.0) * std::sqrt(3.0 / static_cast<double>(shape[1])) * 2.0;
    } else if (name == "fc.bias") {
      v = u - 0.5;
    } else {
      throw std::runtime_error("no rule for " + name);
    }
    values[static_cast<std::size_t>(j)] = static_cast<float>(v);
  }
  return at::tensor(values, at::kFloat).reshape(shape);
}

std::map<std::string, at::Tensor> seeded_state_dict(FidInceptionV3Impl& network) {
  std::map<std::string, at::Tensor> state;
  for (const auto& item : network.named_parameters()) state.emplace(item.key(), seeded_weight(item.key(), item.value().sizes()));
  for (const auto& item : network.named_buffers()) state.emplace(item.key(), seeded_weight(item.key(), item.value().sizes()));
  return state;
}

FeatureStatistics statistics_of(const at::Tensor& features) {
  FeatureMoments moments(features.size(1));
  moments.add(features);
  return moments.statistics("test");
}

double fid_of(const at::Tensor& a, const at::Tensor& b) {
  const FeatureStatistics x = statistics_of(a), y = statistics_of(b);
  return frechet_distance(x.mu, x.sigma, y.mu, y.sigma);
}

void expect_state_dict_names_and_seeded_weights(const std::map<std::string, at::Tensor>& state) {
  const auto names = nlohmann::json::parse(data::read_root_text_attribute(fixture(), "weight_names"));
  const at::Tensor sums = data::read_tensor(fixture(), "weight_sums");
  ASSERT_EQ(static_cast<std::int64_t>(names.size()), sums.numel());
  std::set<std::string> theirs;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name = names[i].get<std::string>();
    theirs.insert(name);
    const auto found = state.find(name);
    ASSERT_NE(found, state.end()) << "pytorch-fid has " << name << ", we do not";
    const double expected = sums[static_cast<std::int64_t>(i)].item<double>();
    const double sum = found->second.to(at::kDouble).sum().item<double>();
    const double scale = found->second.to(at::kDouble).abs().sum().item<double>() + 1.0;
    EXPECT_NEAR(sum, expected, 1e-9 * scale) << name;
  }
  for (const auto& [name, tensor] : state) EXPECT_TRUE(theirs.count(name)) << "we have " << name;
}

// One test, so that the network runs over the fixture's images once.
TEST(FidInception, MatchesPytorchFidAndTorchFidelityOnSeededWeights) {
  FidInceptionV3 network;
  const std::map<std::string, at::Tensor> state = seeded_state_dict(*network);
  expect_state_dict_names_and_seeded_weights(state);
  models::load_state_dict(*network, state, "the seeded weights");
  PytorchFidExtractor extractor(network, "pytorch-fid:seeded", at::kCPU);
  std::map<std::string, ExtractedFeatures> ours;
  for (const char* set : {"a", "b", "gray"}) {
    const at::Tensor images = data::read_tensor(fixture(), std::string("images/") + set).to(at::kByte);
    ours.emplace(set, extractor.extract(images, {true, true}));
  }

  // pool3 features, also of grayscale 28×28 images.
  for (const char* set : {"a", "b", "gray"}) {
    const at::Tensor expected = data::read_tensor(fixture(), std::string("features/") + set).to(at::kDouble);
    const at::Tensor got = ours.at(set).features.to(at::kDouble);
    ASSERT_EQ(got.sizes(), expected.sizes()) << set;
    const double largest = expected.abs().max().item<double>();
    const double difference = (got - expected).abs().max().item<double>();
    EXPECT_LT(difference, 1e-5 * largest) << set << ": largest difference " << difference << " of " << largest;
    std::printf("features %s: largest difference %.3g of %.3g\n", set, difference, largest);
  }

  // FID. With 40 images the 2048-d covariances have rank 39, where scipy's
  // sqrtm (pytorch-fid) is off by 1.1e-6 relative; the fixture also holds the
  // exact value, by the nuclear norm of a 40×40 product.
  const at::Tensor a = ours.at("a").features, b = ours.at("b").features;
  const double fid = fid_of(a, b);
  const double exact = data::read_tensor(fixture(), "fid_ab_exact").item<double>();
  const double pytorch_fid = data::read_tensor(fixture(), "fid_ab").item<double>();
  EXPECT_NEAR(fid, exact, 1e-7 * exact);
  EXPECT_NEAR(fid, pytorch_fid, 2e-6 * pytorch_fid);
  const double from_their_features =
      fid_of(data::read_tensor(fixture(), "features/a"), data::read_tensor(fixture(), "features/b"));
  EXPECT_NEAR(from_their_features, exact, 1e-9 * exact);
  // Full-rank covariances (the first 32 dimensions), where sqrtm is accurate.
  const double low = fid_of(a.narrow(1, 0, 32), b.narrow(1, 0, 32));
  const double pytorch_fid_low = data::read_tensor(fixture(), "fid_ab_first32").item<double>();
  EXPECT_NEAR(low, pytorch_fid_low, 1e-6 * pytorch_fid_low);
  std::printf("FID %.10f, exact %.10f, pytorch-fid %.10f; first 32 dimensions %.10f against %.10f\n", fid, exact,
              pytorch_fid, low, pytorch_fid_low);

  // IS from the unbiased logits (pool3 · fcᵀ, no bias), 10 splits, as torch-fidelity.
  const at::Tensor log_p = ours.at("a").log_probabilities;
  ASSERT_EQ(log_p.size(1), FidInceptionV3Impl::kClasses);
  const at::Tensor logits = data::read_tensor(fixture(), "logits_unbiased/a").to(at::kDouble);
  EXPECT_TRUE(at::allclose(log_p, torch::log_softmax(logits, 1), 1e-5, 1e-4));
  InceptionScoreAccumulator accumulator(log_p.size(1), log_p.size(0), 10);
  std::vector<std::int64_t> indices(static_cast<std::size_t>(log_p.size(0)));
  std::iota(indices.begin(), indices.end(), std::int64_t{0});
  accumulator.add(log_p, indices);
  const InceptionScore score = accumulator.score();
  const at::Tensor is = data::read_tensor(fixture(), "is_a");
  EXPECT_NEAR(score.mean, is[0].item<double>(), 1e-5 * is[0].item<double>());
  EXPECT_NEAR(score.std, is[1].item<double>(), 1e-4 * is[1].item<double>());
  EXPECT_GT(score.mean, 1.05);  // the fixture's images are unlike enough for IS to see them
  std::printf("IS %.10f ± %.10f, torch-fidelity %.10f ± %.10f\n", score.mean, score.std, is[0].item<double>(),
              is[1].item<double>());

  // KID: subsets as large as the sets are permutations of them, so every
  // subset gives the full-set MMD², whatever the subset draws.
  const at::Tensor kid_expected = data::read_tensor(fixture(), "kid_ab");
  const KernelInceptionDistance kid = kernel_inception_distance(a, b, {3, a.size(0), 7});
  EXPECT_EQ(kid.subset_size, a.size(0));
  EXPECT_NEAR(kid.mean, kid_expected[0].item<double>(), 1e-5 * kid_expected[0].item<double>());
  EXPECT_LT(kid.std, 1e-9);
  std::printf("KID %.10f, torch-fidelity %.10f\n", kid.mean, kid_expected[0].item<double>());

  // Precision and recall of a (as generated) against b (as real), k = 3.
  const at::Tensor prc_expected = data::read_tensor(fixture(), "precision_recall_ab");
  const KnnPrecisionRecall prc = manifold_precision_recall(a, b);
  EXPECT_NEAR(prc.precision, prc_expected[0].item<double>(), 1e-6);
  EXPECT_NEAR(prc.recall, prc_expected[1].item<double>(), 1e-6);
  std::printf("precision %.4f, recall %.4f; torch-fidelity %.4f, %.4f\n", prc.precision, prc.recall,
              prc_expected[0].item<double>(), prc_expected[1].item<double>());
}

TEST(FidInception, WeightsOfAnotherNetworkAreRefusedByName) {
  FidInceptionV3 network;
  std::map<std::string, at::Tensor> wrong = seeded_state_dict(*network);
  wrong.erase("Mixed_7c.branch_pool.conv.weight");
  wrong["Mixed_5b.branch1x1.conv.weight"] = at::zeros({1, 1, 1, 1});
  wrong["AuxLogits.fc.weight"] = at::zeros({1});
  try {
    models::load_state_dict(*network, wrong, "W.pth: the weights", {"num_batches_tracked"});
    FAIL() << "no error";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("missing Mixed_7c.branch_pool.conv.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("unexpected AuxLogits.fc.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("Mixed_5b.branch1x1.conv.weight ([1, 1, 1, 1] where the model has [64, 192, 1, 1])"),
              std::string::npos)
        << message;
  }
  // num_batches_tracked may be absent, as in files from before PyTorch 0.4.1.
  std::map<std::string, at::Tensor> old = seeded_state_dict(*network);
  for (auto it = old.begin(); it != old.end();) it = ends_with(it->first, "num_batches_tracked") ? old.erase(it) : ++it;
  EXPECT_NO_THROW(models::load_state_dict(*network, old, "old", {"num_batches_tracked"}));
}

TEST(FidInception, InputIsPytorchFidsPreprocessing) {
  // A constant image stays constant through the resize: 2·(v/255) − 1.
  const at::Tensor gray = at::full({1, 1, 5, 7}, 51, at::kByte);
  const at::Tensor x = fid_inception_input(gray);
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{1, 3, 299, 299}));
  EXPECT_NEAR(x.min().item<double>(), 2.0 * 51.0 / 255.0 - 1.0, 1e-6);
  EXPECT_NEAR(x.max().item<double>(), 2.0 * 51.0 / 255.0 - 1.0, 1e-6);
  // Bilinear with align_corners=False: a 2-pixel ramp upsampled keeps its ends clamped.
  const at::Tensor ramp = at::tensor({0, 255}, at::kByte).view({1, 1, 1, 2}).expand({1, 3, 1, 2}).contiguous();
  const at::Tensor up = fid_inception_input(ramp);
  EXPECT_NEAR(up[0][0][0][0].item<double>(), -1.0, 1e-6);
  EXPECT_NEAR(up[0][0][0][298].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(up[0][0][0][149].item<double>(), 0.0, 1e-6);  // the middle column
  EXPECT_THROW(fid_inception_input(at::zeros({1, 2, 4, 4}, at::kByte)), UserError);
  EXPECT_THROW(fid_inception_input(at::zeros({1, 3, 4, 4}, at::kFloat)), UserError);
}

}  // namespace
}  // namespace scorch::evaluation
