// bf16 autocast of a network (train.precision, sampler.precision) and the
// channels-last layout (compute.channels_last), on a small NCSN++ U-Net: what
// changes is the network's arithmetic, never the score's dtype, and nothing
// of it outlives the scope that asked for it.
#include "common/compute_settings.h"
#include "common/config.h"
#include "common/random_stream.h"
#include "launch/config_schema.h"
#include "models/score_model.h"
#include "models/score_model_config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace scorch::models {
namespace {

ModelBundle small_unet() {
  const Config config = Config::load_string(
      launch::full_schema(), "",
      {"sde.name=vp", "model.name=ncsnpp", "model.input_shape=[1, 16, 16]", "model.ncsnpp.nf=16",
       "model.ncsnpp.ch_mult=[1, 2]", "model.ncsnpp.num_res_blocks=1", "model.ncsnpp.attn_resolutions=[8]",
       "model.ncsnpp.dropout=0", "model.ncsnpp.fir=false", "model.ncsnpp.progressive=none",
       "model.ncsnpp.progressive_input=none", "model.ncsnpp.embedding_type=positional"});
  ModelBundle bundle = make_model_bundle(config);
  bundle.model->eval();
  return bundle;
}

struct Inputs {
  at::Tensor x, t;
};

Inputs inputs() {
  at::Generator generator = make_generator({23, RandomPurpose::test, 0}, 0);
  return {at::randn({3, 1, 16, 16}, generator, at::kFloat), at::tensor({0.2, 0.5, 0.9}, at::kDouble)};
}

double relative(const at::Tensor& a, const at::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); }

TEST(Precision, Bf16AutocastsTheNetworkAndLeavesTheScoreFloat32) {
  const ModelBundle bundle = small_unet();
  ScoreModel& model = *bundle.model;
  const auto [x, t] = inputs();
  const at::Tensor exact = model.score(x, t);
  at::Tensor low;
  {
    const PrecisionScope scope(model, Precision::bf16);
    low = model.score(x, t);
  }
  EXPECT_EQ(low.scalar_type(), at::kFloat);
  // bf16 keeps 8 mantissa bits: a relative error near 1e-2, far above fp32's and far below 1.
  EXPECT_GT(relative(low, exact), 1e-4) << "bf16 was not used";
  EXPECT_LT(relative(low, exact), 5e-2);
  EXPECT_EQ(model.precision(), Precision::fp32);
  EXPECT_FALSE(autocast_enabled(c10::DeviceType::CPU));
  EXPECT_TRUE(at::equal(model.score(x, t), exact)) << "autocast outlived its scope";
}

// Autocast caches its bf16 copies of the weights; the scope must drop them,
// or a network updated by the optimiser would still be run with its old weights.
TEST(Precision, EachBf16ScopeSeesTheCurrentWeights) {
  const ModelBundle bundle = small_unet();
  ScoreModel& model = *bundle.model;
  const auto [x, t] = inputs();
  at::Tensor before;
  {
    const PrecisionScope scope(model, Precision::bf16);
    before = model.score(x, t);
  }
  {
    torch::NoGradGuard no_grad;
    for (at::Tensor& parameter : model.parameters()) parameter.mul_(1.5);
  }
  const at::Tensor exact_after = model.score(x, t);
  at::Tensor after;
  {
    const PrecisionScope scope(model, Precision::bf16);
    after = model.score(x, t);
  }
  EXPECT_GT(relative(exact_after, before), 0.1) << "the change of weights does not show";
  EXPECT_LT(relative(after, exact_after), 5e-2);
}

TEST(Precision, ChannelsLastWeightsGiveTheSameScore) {
  const ModelBundle bundle = small_unet();
  ScoreModel& model = *bundle.model;
  const auto [x, t] = inputs();
  const at::Tensor contiguous = model.score(x, t);
  model.set_channels_last(true);
  std::int64_t four_d = 0;
  for (const at::Tensor& parameter : model.parameters()) {
    if (parameter.dim() != 4) continue;
    ++four_d;
    EXPECT_TRUE(parameter.is_contiguous(at::MemoryFormat::ChannelsLast));
  }
  EXPECT_GT(four_d, 0);
  const at::Tensor nhwc = model.score(x, t);
  EXPECT_LT(relative(nhwc, contiguous), 1e-5);
  EXPECT_EQ(nhwc.sizes(), contiguous.sizes());
}

TEST(Precision, NamesAreReadFromTheTable) {
  EXPECT_EQ(precision_named("bf16", "train.precision"), Precision::bf16);
  EXPECT_STREQ(to_string(Precision::fp32), "fp32");
  try {
    precision_named("fp16", "train.precision");
    FAIL() << "fp16 was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("expected fp32 or bf16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace scorch::models
