// scorch against score_sde_pytorch's and ncsnv2's own code on the same
// weights and inputs. The fixtures in tests/fixtures/score_sde/ were written
// by scripts/crosscheck/reference_score_sde.py: tiny random-weight NCSN++
// (VE) and DDPM++ (VP, subVP) networks on 1×8×8 images, trained three steps by
// the reference and saved by its save_checkpoint, and a tiny NCSNv2 saved by
// ncsnv2's runner. Our side imports those files as `scorch checkpoint import`
// does, then compares the reference's loss and gradients (get_sde_loss_fn),
// its probability-flow ODE samples (get_ode_sampler, RK45 at 1e-5) and its
// bits/dim (get_likelihood_fn, exact divergence), and exports the checkpoint
// back. The largest differences are printed.
#include "common/config.h"
#include "data/loader_config.h"
#include "data/tensor_archive.h"
#include "data/torch_save_file.h"
#include "data_test_support.h"
#include "evaluation/likelihood/bits_per_dim.h"
#include "evaluation/likelihood/ode_likelihood.h"
#include "launch/config_schema.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/sde.h"
#include "trainer/reference_checkpoint.h"
#include "trainer/sde_dsm_loss.h"
#include "trainer/training_config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

namespace scorch::testing {
namespace {

// The settings the script runs the reference with: get_sde_loss_fn's and
// get_likelihood_fn's default ε, and scipy's RK45 tolerances.
constexpr double kTrainingEps = 1e-5;
constexpr double kTolerance = 1e-5;

std::string crosscheck_fixture(const std::string& name) {
  return std::string(SCORCH_SOURCE_DIR) + "/tests/fixtures/score_sde/" + name;
}

struct ImportedModel {
  Config config;
  models::ModelBundle bundle;
  trainer::ImportedCheckpoint imported;
};

ImportedModel import_fixture(const std::string& pth, const std::string& yaml, trainer::ReferenceFormat format) {
  Config config = Config::load_file(launch::full_schema(), crosscheck_fixture(yaml));
  models::ModelBundle bundle = models::make_model_bundle(config);
  const trainer::TrainingSettings settings = trainer::training_settings_from(config);
  trainer::ImportedCheckpoint imported = trainer::import_reference_checkpoint(
      format, data::read_torch_save(crosscheck_fixture(pth)).root, trainer::conversion_target(bundle, settings, config),
      pth);
  return {std::move(config), std::move(bundle), std::move(imported)};
}

void use_weights(models::ScoreModel& model, const std::map<std::string, at::Tensor>& weights) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) item.value().copy_(weights.at(item.key()));
}

double max_relative(const at::Tensor& actual, const at::Tensor& expected) {
  return ((actual.to(at::kDouble) - expected.to(at::kDouble)).abs().max() /
          expected.to(at::kDouble).abs().max().clamp_min(1e-300))
      .item<double>();
}

struct SdeCase {
  const char* sde;
  const char* pth;
};

class ScoreSdeCrosscheck : public ::testing::TestWithParam<SdeCase> {};

// get_sde_loss_fn on the same weights, batch, t and z, in float64: every
// reduction and weighting, the loss and every parameter's gradient.
TEST_P(ScoreSdeCrosscheck, LossAndGradientsEqualTheReference) {
  const SdeCase& c = GetParam();
  ImportedModel m = import_fixture(c.pth, std::string(c.sde) + ".yaml", trainer::ReferenceFormat::score_sde_pytorch);
  models::ScoreModel& model = *m.bundle.model;
  model.to(at::kDouble);
  model.train();  // as the reference's train=True loss; dropout is 0
  const std::string path = crosscheck_fixture(std::string(c.sde) + "_loss.h5");
  const at::Tensor x = data::read_tensor(path, "x");
  const trainer::SdeDsmLoss::Draw draw{data::read_tensor(path, "t"), data::read_tensor(path, "z")};
  const models::Sde& sde = *m.bundle.process.sde();
  {
    torch::NoGradGuard no_grad;
    const double score_error =
        max_relative(model.score(data::read_tensor(path, "x_t"), draw.t), data::read_tensor(path, "score"));
    EXPECT_LT(score_error, 1e-9) << c.sde << ": the imported model's score";
    std::printf("%s: score max relative difference %.3g\n", c.sde, score_error);
  }
  const double eps = kTrainingEps;
  for (const auto& [name, reduction, weighting] :
       {std::tuple{"mean_original", trainer::Reduction::mean, trainer::Weighting::original},
        std::tuple{"sum_original", trainer::Reduction::sum, trainer::Weighting::original},
        std::tuple{"mean_likelihood", trainer::Reduction::mean, trainer::Weighting::likelihood},
        std::tuple{"sum_likelihood", trainer::Reduction::sum, trainer::Weighting::likelihood}}) {
    SCOPED_TRACE(std::string(c.sde) + " " + name);
    const trainer::SdeDsmLoss loss(sde, {weighting, false, false, reduction, eps});
    model.zero_grad();
    const at::Tensor value = loss.per_example_loss(model.as_function(), x, draw).mean();
    value.backward();
    const double expected = data::read_tensor(path, std::string(name) + "/loss").item<double>();
    const double loss_error = std::abs(value.item<double>() - expected) / std::abs(expected);
    EXPECT_LT(loss_error, 1e-6);
    const auto gradients = data::read_tensor_group(path, std::string(name) + "/gradients");
    // Relative to the largest reference gradient: some are exactly zero in
    // exact arithmetic (the attention key biases, to which softmax is
    // invariant) and hold only rounding on both sides. The fixture stores float32.
    double largest_difference = 0.0, largest_gradient = 0.0;
    std::size_t compared = 0;
    for (const auto& item : model.named_parameters()) {
      if (!item.value().requires_grad()) continue;
      ASSERT_TRUE(gradients.count(item.key())) << item.key();
      const at::Tensor reference = gradients.at(item.key()).to(at::kDouble);
      const at::Tensor ours = item.value().grad();
      ASSERT_TRUE(ours.defined()) << item.key();
      largest_difference = std::max(largest_difference, (ours - reference).abs().max().item<double>());
      largest_gradient = std::max(largest_gradient, reference.abs().max().item<double>());
      ++compared;
    }
    const double gradient_error = largest_difference / largest_gradient;
    EXPECT_EQ(compared, gradients.size());
    EXPECT_LT(gradient_error, 1e-6);
    std::printf("%s %s: loss %.10g (reference %.10g, relative %.3g); gradients max difference %.3g of the largest over %zu tensors\n",
                c.sde, name, value.item<double>(), expected, loss_error, gradient_error, compared);
  }
}

// get_likelihood_fn with the exact divergence on the same dequantised images.
TEST_P(ScoreSdeCrosscheck, BitsPerDimEqualTheReference) {
  const SdeCase& c = GetParam();
  ImportedModel m = import_fixture(c.pth, std::string(c.sde) + ".yaml", trainer::ReferenceFormat::score_sde_pytorch);
  models::ScoreModel& model = *m.bundle.model;
  use_weights(model, m.imported.ema);
  model.eval();
  const std::string path = crosscheck_fixture(std::string(c.sde) + "_likelihood.h5");
  // Two of the fixture's four images: the random-weight VP networks make the
  // ODE stiff near ε, and each image then costs about 1000 evaluations.
  constexpr std::int64_t kImages = 2;
  const at::Tensor x = data::read_tensor(path, "x").to(at::kDouble).slice(0, 0, kImages);
  evaluation::LikelihoodSettings settings;
  settings.ode.rtol = settings.ode.atol = kTolerance;
  settings.eps = kTrainingEps;
  settings.divergence = evaluation::DivergenceMethod::exact;
  const evaluation::OdeLogLikelihood result = evaluation::ode_log_likelihood(
      *m.bundle.process.sde(), model.as_function(), x, at::zeros_like(x), settings);
  const data::PixelRange range = data::model_pixel_range(m.config, m.bundle.process.centered_data());
  const at::Tensor bpd = evaluation::bits_per_dim(result.log_likelihood, x[0].numel(), range);
  const at::Tensor expected = data::read_tensor(path, "bpd").to(at::kDouble).slice(0, 0, kImages);
  const double difference = (bpd - expected).abs().max().item<double>();
  // Both sides are adaptive RK45 runs at rtol = atol = 1e-5 through a float32
  // network, whose step sequence follows the network's rounding: on one
  // machine, four choices of CPU kernels (OpenBLAS, oneDNN, ATen: AVX2 or
  // AVX-512) moved our VP and subVP values against the fixture's by 0.5e-3 to
  // 1.4e-3 bpd. The bound is that spread, not the solver's own tolerance.
  EXPECT_LT(difference, 2e-3) << bpd << expected;
  std::printf("%s: bits/dim %s vs reference %s: max difference %.3g bpd\n", c.sde,
              at::str(bpd.to(at::kFloat).reshape({-1})).c_str(), at::str(expected.to(at::kFloat).reshape({-1})).c_str(),
              difference);
}

INSTANTIATE_TEST_SUITE_P(Sdes, ScoreSdeCrosscheck,
                         ::testing::Values(SdeCase{"ve", "ncsnpp_ve.pth"}, SdeCase{"vp", "ddpmpp_vp.pth"},
                                           SdeCase{"subvp", "ddpmpp_vp.pth"}),
                         [](const auto& info) { return std::string(info.param.sde); });

// Exporting an imported checkpoint gives back the reference's tensors and
// counters; the legacy and zip copies of one state import identically.
TEST(ScoreSdeCheckpoint, ImportExportRoundTripKeepsEveryTensor) {
  ImportedModel zip = import_fixture("ddpmpp_vp.pth", "vp.yaml", trainer::ReferenceFormat::score_sde_pytorch);
  ImportedModel legacy = import_fixture("ddpmpp_vp_legacy.pth", "vp.yaml", trainer::ReferenceFormat::score_sde_pytorch);
  for (const auto& [name, tensor] : zip.imported.ema) EXPECT_TRUE(at::equal(tensor, legacy.imported.ema.at(name)));
  EXPECT_EQ(zip.imported.step, 3);
  EXPECT_EQ(zip.imported.optimizer_steps, 3);
  EXPECT_EQ(zip.imported.ema_updates, 3);
  EXPECT_TRUE(zip.imported.warnings.empty()) << zip.imported.warnings.front();

  trainer::Checkpoint checkpoint;
  checkpoint.state.step = zip.imported.step;
  checkpoint.state.ema_updates = zip.imported.ema_updates;
  checkpoint.state.optimizer_steps = zip.imported.optimizer_steps;
  checkpoint.model = zip.imported.model;
  checkpoint.ema = zip.imported.ema;
  checkpoint.optimizer = zip.imported.optimizer;
  const trainer::TrainingSettings settings = trainer::training_settings_from(zip.config);
  const trainer::ConversionTarget target = trainer::conversion_target(zip.bundle, settings, zip.config);
  const std::string out = temp_path("exported_vp.pth");
  data::write_torch_save(out, trainer::export_reference_checkpoint(trainer::ReferenceFormat::score_sde_pytorch,
                                                                   checkpoint, target, 2e-4));
  const data::PickleValue original = data::read_torch_save(crosscheck_fixture("ddpmpp_vp.pth")).root;
  const data::PickleValue exported = data::read_torch_save(out).root;

  const auto model_a = data::state_dict_tensors(*original.find("model"), "model");
  const auto model_b = data::state_dict_tensors(*exported.find("model"), "model");
  ASSERT_EQ(model_a.size(), model_b.size());
  for (std::size_t i = 0; i < model_a.size(); ++i) {
    EXPECT_EQ(model_a[i].first, model_b[i].first);  // the reference's order, hence its optimiser indices
    // The SMLD ladder is recomputed from the config: equal to rounding, not bitwise.
    if (model_a[i].first == "module.sigmas") {
      EXPECT_TRUE(at::allclose(model_a[i].second, model_b[i].second, 1e-14, 0.0));
    } else {
      EXPECT_TRUE(at::equal(model_a[i].second, model_b[i].second)) << model_a[i].first;
    }
  }
  const auto& shadow_a = original.find("ema")->find("shadow_params")->items("a");
  const auto& shadow_b = exported.find("ema")->find("shadow_params")->items("b");
  ASSERT_EQ(shadow_a.size(), shadow_b.size());
  for (std::size_t i = 0; i < shadow_a.size(); ++i) {
    EXPECT_TRUE(at::equal(shadow_a[i].as_tensor("a"), shadow_b[i].as_tensor("b"))) << i;
  }
  EXPECT_EQ(exported.find("ema")->find("num_updates")->as_integer("n"), 3);
  EXPECT_EQ(exported.find("step")->as_integer("step"), 3);
  const auto& state_a = original.find("optimizer")->find("state")->entries("a");
  const auto& state_b = exported.find("optimizer")->find("state")->entries("b");
  ASSERT_EQ(state_a.size(), state_b.size());
  for (std::size_t i = 0; i < state_a.size(); ++i) {
    EXPECT_EQ(state_a[i].first.as_integer("a"), state_b[i].first.as_integer("b"));
    for (const char* kind : {"exp_avg", "exp_avg_sq"}) {
      EXPECT_TRUE(at::equal(state_a[i].second.find(kind)->as_tensor(kind), state_b[i].second.find(kind)->as_tensor(kind)))
          << kind << " " << i;
    }
  }
  const auto& group = exported.find("optimizer")->find("param_groups")->items("g")[0];
  EXPECT_EQ(group.find("params")->items("p").size(), model_a.size() - 1);  // all but the sigmas buffer
  EXPECT_EQ(group.find("betas")->items("b")[1].as_real("b2"), 0.999);
}

// ncsnv2's runner's list, with its EMAHelper and its noise levels, gives the reference outputs.
TEST(Ncsnv2Checkpoint, ImportedWeightsGiveTheReferenceOutputs) {
  ImportedModel m = import_fixture("ncsnv2.pth", "ncsnv2.yaml", trainer::ReferenceFormat::ncsnv2);
  EXPECT_EQ(m.imported.step, 2);
  EXPECT_EQ(m.imported.optimizer_steps, 2);
  models::ScoreModel& model = *m.bundle.model;
  model.eval();
  const std::string path = crosscheck_fixture("ncsnv2_output.h5");
  const at::Tensor input = data::read_tensor(path, "input");
  const at::Tensor sigma = data::read_tensor(path, "sigma");
  torch::NoGradGuard no_grad;
  for (const auto& [weights, dataset] : {std::pair{&m.imported.model, "output_model"}, {&m.imported.ema, "output_ema"}}) {
    use_weights(model, *weights);
    const double error = max_relative(model.score(input, sigma), data::read_tensor(path, dataset));
    EXPECT_LT(error, 1e-5) << dataset;
    std::printf("ncsnv2 %s: max relative difference %.3g\n", dataset, error);
  }
}

// A file of one architecture with the config of another names the tensors that do not fit.
TEST(ScoreSdeCheckpoint, AnotherArchitectureIsAOneLineError) {
  const std::string message = user_error_of(
      [] { import_fixture("ncsnpp_ve.pth", "vp.yaml", trainer::ReferenceFormat::score_sde_pytorch); });
  EXPECT_NE(message.find("do not fit the model"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  const std::string wrong_format =
      user_error_of([] { import_fixture("ncsnpp_ve.pth", "ve.yaml", trainer::ReferenceFormat::ncsnv2); });
  EXPECT_NE(wrong_format.find("--format score_sde_pytorch"), std::string::npos) << wrong_format;
  const std::string other_way =
      user_error_of([] { import_fixture("ncsnv2.pth", "ncsnv2.yaml", trainer::ReferenceFormat::score_sde_pytorch); });
  EXPECT_NE(other_way.find("--format ncsnv2"), std::string::npos) << other_way;
}

}  // namespace
}  // namespace scorch::testing
