// End-to-end tests of `scorch sample`: the same files from 1 and 2 ranks, the
// dataset-format output, grids, and one-line errors for unsuitable samplers.
#include "cli_support.h"
#include "data/dataset_file.h"
#include "data/pixel_range.h"
#include "data/tensor_archive.h"
#include "common/random_stream.h"
#include "data_test_support.h"
#include "evaluation/sampling/prior_latents.h"
#include "models/linear_beta_sde.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace scorch::testing {
namespace {

// Trains a tiny model on 1×8×8 images for 2 steps and returns its checkpoint.
std::string trained_checkpoint(const std::string& name, const std::string& objective) {
  static const std::string dataset = write_indexed_dataset("sample_cli_data.h5", 64, 1, 8);
  const std::string config = temp_path(name + ".yaml");
  const std::string workdir = temp_path(name + "_run");
  testing::remove_tree(workdir);
  std::ofstream(config) << objective << "model: {name: mlp, input_shape: [1, 8, 8], mlp: {hidden: [32]}}\n"
                        << "data: {train: " << dataset << "}\n"
                           "train: {steps: 2, batch_size: 8}\n"
                           "checkpoint: {every: 2}\n";
  const CliRun run = run_scorch("train --config " + config + " --workdir " + workdir);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return workdir + "/checkpoints/checkpoint_00000002.h5";
}

std::string vp_checkpoint() { return trained_checkpoint("vp", "sde: {name: vp}\nobjective: {kind: sde}\n"); }
std::string ncsn_checkpoint() {
  return trained_checkpoint("ncsn", "objective: {kind: ncsn}\nsigmas: {max: 1.0, min: 0.05, count: 4}\n");
}


TEST(SampleCli, OneRankAndTwoRanksWriteTheSameSamples) {
  const std::string checkpoint = vp_checkpoint();
  const std::string args = "sample --checkpoint " + checkpoint +
                           " --sampler pc -n 10 --float --set sampler.pc.steps=20 --set sampler.pc.corrector=langevin "
                           "--set sampler.batch_size=4 --out ";
  const std::string one = temp_path("one_rank.h5"), two = temp_path("two_ranks.h5");
  const CliRun single = run_scorch(args + one, "OMP_NUM_THREADS=1");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const CliRun pair = run_scorch(args + two, mpirun(2));
  ASSERT_EQ(pair.exit_code, 0) << pair.err;

  data::DatasetFile a(one), b(two);
  ASSERT_EQ(a.shape().count, 10);
  EXPECT_EQ(a.shape().channels, 1);
  EXPECT_EQ(a.shape().height, 8);
  EXPECT_TRUE(at::equal(a.read_images(0, 10), b.read_images(0, 10)));
  const at::Tensor floats = data::read_tensor(one, "/samples");
  EXPECT_TRUE(at::equal(floats, data::read_tensor(two, "/samples")));
  EXPECT_EQ(a.attributes().content_hash, b.attributes().content_hash);
  // The uint8 images are the float samples clamped from [−1, 1] (VP) and rounded.
  EXPECT_TRUE(at::equal(a.read_images(0, 10), data::range_to_pixels(floats, data::PixelRange::symmetric)));
  EXPECT_EQ(data::read_root_text_attribute(one, "sampler"), "pc");
  EXPECT_EQ(data::read_root_text_attribute(one, "range"), "symmetric");
  const auto summary = nlohmann::json::parse(single.out);
  EXPECT_EQ(summary["count"], 10);
  // 20 grid points, each one corrector and one predictor call.
  EXPECT_DOUBLE_EQ(summary["mean_nfe"].get<double>(), 40.0);
  EXPECT_NE(single.err.find("10/10 images (100%)"), std::string::npos) << single.err;
  EXPECT_NE(single.err.find("NFE 40.0/image"), std::string::npos) << single.err;
}

TEST(SampleCli, BatchSizeDoesNotChangeSamplesWithoutACorrector) {
  const std::string checkpoint = vp_checkpoint();
  const std::string args = "sample --checkpoint " + checkpoint +
                           " --sampler pc -n 6 --float --set sampler.pc.steps=10 --set sampler.pc.predictor=reverse_diffusion "
                           "--set sampler.pc.corrector=none --out ";
  const std::string small = temp_path("batch2.h5"), large = temp_path("batch6.h5");
  ASSERT_EQ(run_scorch(args + small + " --set sampler.batch_size=2").exit_code, 0);
  ASSERT_EQ(run_scorch(args + large + " --set sampler.batch_size=6").exit_code, 0);
  EXPECT_TRUE(at::allclose(data::read_tensor(small, "/samples"), data::read_tensor(large, "/samples"), 1e-5, 1e-6));
  const std::string other_seed = temp_path("seed9.h5");
  ASSERT_EQ(run_scorch(args + other_seed + " --seed 9").exit_code, 0);
  EXPECT_FALSE(at::allclose(data::read_tensor(small, "/samples"), data::read_tensor(other_seed, "/samples")));
}

TEST(SampleCli, OdeSamplerWritesImagesAndAGrid) {
  const std::string checkpoint = vp_checkpoint();
  const std::string out = temp_path("ode.h5"), grid = temp_path("ode.png");
  const CliRun run = run_scorch("sample --checkpoint " + checkpoint + " --sampler ode -n 5 --out " + out + " --grid " +
                                grid + " --set sampler.ode.rtol=1e-3 --set sampler.ode.atol=1e-3");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(data::DatasetFile(out).shape().count, 5);
  EXPECT_GT(nlohmann::json::parse(run.out)["mean_nfe"].get<double>(), 6.0);  // at least one RK45 step + denoising
  std::ifstream png(grid, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
}

TEST(SampleCli, AnnealedLangevinSamplesANoiseLevelModel) {
  const std::string checkpoint = ncsn_checkpoint();
  const std::string out = temp_path("ald.h5");
  const CliRun run = run_scorch("sample --checkpoint " + checkpoint + " --sampler ald -n 3 --out " + out +
                                " --set sampler.ald.steps_per_level=5 --set sampler.ald.epsilon=1e-4");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(data::read_root_text_attribute(out, "range"), "unit");
  // A run directory stands for its latest checkpoint.
  const std::string run_directory = std::filesystem::path(checkpoint).parent_path().parent_path().string();
  const std::string again = temp_path("ald_again.h5");
  ASSERT_EQ(run_scorch("sample --checkpoint " + run_directory + " --sampler ald -n 3 --out " + again +
                       " --set sampler.ald.steps_per_level=5 --set sampler.ald.epsilon=1e-4")
                .exit_code,
            0);
  EXPECT_TRUE(at::equal(data::DatasetFile(out).read_images(0, 3), data::DatasetFile(again).read_images(0, 3)));
  // 4 levels × 5 steps and the denoising call.
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(run.out)["mean_nfe"].get<double>(), 21.0);
}

TEST(SampleCli, FastSamplersWriteTheSameSamplesOnOneAndTwoRanks) {
  const std::string checkpoint = vp_checkpoint();
  for (const std::string sampler : {"edm_heun", "edm_stochastic", "dpmpp_2m", "ddim"}) {
    const std::string args = "sample --checkpoint " + checkpoint + " --sampler " + sampler +
                             " -n 6 --float --set sampler.batch_size=4 --set sampler.edm.steps=4"
                             " --set sampler.dpm_solver.steps=5 --set sampler.ddim.steps=5 --set sampler.ddim.eta=0.5"
                             " --out ";
    const std::string one = temp_path(sampler + "_one.h5"), two = temp_path(sampler + "_two.h5");
    const CliRun single = run_scorch(args + one, "OMP_NUM_THREADS=1");
    ASSERT_EQ(single.exit_code, 0) << single.err;
    ASSERT_EQ(run_scorch(args + two, mpirun(2)).exit_code, 0) << sampler;
    EXPECT_TRUE(at::equal(data::read_tensor(one, "/samples"), data::read_tensor(two, "/samples"))) << sampler;
    // The settings used are printed and stored.
    EXPECT_NE(single.err.find("sampler " + sampler + ": "), std::string::npos) << single.err;
    const auto stored = nlohmann::json::parse(data::read_root_text_attribute(one, "sampler_settings"));
    EXPECT_EQ(stored, nlohmann::json::parse(single.out)["settings"]) << sampler;
    EXPECT_TRUE(stored.contains("eps")) << stored.dump();
    const double nfe = sampler.rfind("edm", 0) == 0 ? 7.0 : 6.0;
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(single.out)["mean_nfe"].get<double>(), nfe) << sampler;
  }
}

// sampler.precision: bf16 runs the MLP's matrix products in bf16: the samples
// move by about bf16's rounding, no more; the settings name the precision; and
// the world size still changes nothing.
TEST(SampleCli, Bf16SamplingIsNamedCloseToFp32AndIndependentOfTheWorldSize) {
  const std::string checkpoint = vp_checkpoint();
  const std::string args = "sample --checkpoint " + checkpoint +
                           " --sampler edm_heun -n 6 --float --set sampler.batch_size=4 --set sampler.edm.steps=8 --out ";
  const std::string fp32 = temp_path("heun_fp32.h5"), one = temp_path("heun_bf16_one.h5"),
                    two = temp_path("heun_bf16_two.h5");
  ASSERT_EQ(run_scorch(args + fp32, "OMP_NUM_THREADS=1").exit_code, 0);
  const CliRun single = run_scorch(args + one + " --set sampler.precision=bf16", "OMP_NUM_THREADS=1");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  ASSERT_EQ(run_scorch(args + two + " --set sampler.precision=bf16", mpirun(2)).exit_code, 0);
  const at::Tensor exact = data::read_tensor(fp32, "/samples"), low = data::read_tensor(one, "/samples");
  EXPECT_TRUE(at::equal(low, data::read_tensor(two, "/samples")));
  const double relative = ((low - exact).norm() / exact.norm()).item<double>();
  EXPECT_GT(relative, 1e-5) << "bf16 was not used";
  EXPECT_LT(relative, 5e-2);
  EXPECT_EQ(nlohmann::json::parse(single.out)["settings"]["precision"], "bf16") << single.out;
  EXPECT_FALSE(nlohmann::json::parse(data::read_root_text_attribute(fp32, "sampler_settings")).contains("precision"));
}

// The exact mixture score from the CLI: a step-0 checkpoint, then data →
// latents → data through the probability-flow ODE.
TEST(SampleCli, EncodeThenSampleFromTheLatentsReturnsTheData) {
  const std::string config = temp_path("gmm.yaml"), workdir = temp_path("gmm_run");
  testing::remove_tree(workdir);
  std::ofstream(config) << "sde: {name: vp}\nobjective: {kind: sde}\n"
                           "model: {name: analytic_gmm, input_shape: [2], gmm: {weights: [10, 1], "
                           "means: [[1.5, 1.5], [-1.5, -1.5]], covariances: [0.2, 0.2]}}\n";
  const CliRun train = run_scorch("train --config " + config + " --workdir " + workdir);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.err.find("nothing to train"), std::string::npos) << train.err;
  const std::string checkpoint = workdir + "/checkpoints/checkpoint_00000000.h5";
  const std::string data = temp_path("gmm_data.h5"), latents = temp_path("gmm_latents.h5"),
                    back = temp_path("gmm_back.h5");
  const std::string ode = " --set sampler.ode.rtol=1e-5 --set sampler.ode.atol=1e-5 --set sampler.denoise=false";
  ASSERT_EQ(run_scorch("sample --checkpoint " + checkpoint + " --sampler ode -n 20 --out " + data + ode).exit_code, 0);
  const CliRun encode = run_scorch("encode --checkpoint " + checkpoint + " --data " + data + " --out " + latents + ode);
  ASSERT_EQ(encode.exit_code, 0) << encode.err;
  const CliRun decode =
      run_scorch("sample --checkpoint " + checkpoint + " --sampler ode --latents " + latents + " --out " + back + ode);
  ASSERT_EQ(decode.exit_code, 0) << decode.err;
  const at::Tensor original = data::read_tensor(data, "/samples"), returned = data::read_tensor(back, "/samples");
  ASSERT_EQ(returned.sizes(), original.sizes());
  EXPECT_LT((returned - original).abs().max().item<double>(), 1e-3);
  // The encoded latents are the prior draws the first run started from (seed 0, images 0…19).
  const at::Tensor z = data::read_tensor(latents, "/latents").to(at::kDouble);
  const at::Tensor drawn =
      evaluation::prior_latents(models::VpSde(0.1, 20.0), {2}, 0, index_range(0, 20), at::kDouble);
  EXPECT_LT((z - drawn).abs().max().item<double>(), 1e-2);
  // Latents of the wrong shape, or a count that disagrees, are one-line errors.
  expect_one_line_error(run_scorch("sample --checkpoint " + checkpoint + " --sampler ode -n 3 --latents " + latents +
                                   " --out " + temp_path("never.h5")),
                        "differs");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp_checkpoint() + " --sampler ode --latents " + latents +
                                   " --out " + temp_path("never.h5")),
                        "latents are shaped");
  // There is nothing to resume.
  expect_one_line_error(run_scorch("train --config " + config + " --workdir " + workdir + " --resume auto"),
                        "no parameters");
}

TEST(SampleCli, UnsuitableSamplersAndBadInputFailWithOneLine) {
  const std::string vp = vp_checkpoint();
  const std::string out = " -n 2 --out " + temp_path("never.h5");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler ald" + out), "objective.kind = ncsn");
  expect_one_line_error(run_scorch("sample --checkpoint " + ncsn_checkpoint() + " --sampler ode" + out),
                        "time-conditioned");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler dlpm" + out), "α-stable");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler heun" + out), "unknown sampler");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler pc --out " + temp_path("none.h5")), "-n");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler pc --set sampler.pc.stpes=3" + out),
                        "sampler.pc.steps");
  expect_one_line_error(run_scorch("sample --checkpoint " + temp_path("missing.h5") + " --sampler pc" + out),
                        "missing.h5");
  expect_one_line_error(run_scorch("sample --checkpoint " + vp + " --sampler pc -n 0 --out " + temp_path("zero.h5")),
                        "positive");
  EXPECT_FALSE(std::filesystem::exists(temp_path("never.h5")));
}

}  // namespace
}  // namespace scorch::testing
