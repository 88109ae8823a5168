#include "common/communicator.h"
#include "common/durable_file.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data_test_support.h"
#include "trainer/adam.h"
#include "trainer/checkpoint.h"
#include "trainer/ema.h"
#include "trainer/gradient_sync.h"
#include "trainer/training_config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace scorch::trainer {
namespace {

at::Tensor random_tensor(std::vector<std::int64_t> shape, std::uint64_t step) {
  at::Generator generator = make_generator({41, RandomPurpose::test, step}, 0);
  return at::randn(shape, generator, at::kDouble);
}

// Six steps of ours and of LibTorch's Adam (AdamW when weight_decay > 0) on
// the same gradients, shrinking over the steps so that amsgrad's maxima differ
// from the moments; returns the first parameter after them.
at::Tensor expect_adam_matches_libtorch(bool amsgrad, double weight_decay = 0.0) {
  at::Tensor ours_a = random_tensor({3, 4}, 0), ours_b = random_tensor({5}, 1);
  at::Tensor theirs_a = ours_a.clone().requires_grad_(true), theirs_b = ours_b.clone().requires_grad_(true);
  ours_a.requires_grad_(true);
  ours_b.requires_grad_(true);
  const AdamSettings settings{0.9, 0.99, 1e-8, amsgrad, weight_decay};
  Adam ours({{"a", ours_a}, {"b", ours_b}}, settings);
  std::unique_ptr<torch::optim::Optimizer> theirs;
  if (weight_decay > 0.0) {
    theirs = std::make_unique<torch::optim::AdamW>(
        std::vector<at::Tensor>{theirs_a, theirs_b},
        torch::optim::AdamWOptions(1e-2).betas({0.9, 0.99}).eps(1e-8).amsgrad(amsgrad).weight_decay(weight_decay));
  } else {
    theirs = std::make_unique<torch::optim::Adam>(
        std::vector<at::Tensor>{theirs_a, theirs_b},
        torch::optim::AdamOptions(1e-2).betas({0.9, 0.99}).eps(1e-8).amsgrad(amsgrad));
  }
  for (std::uint64_t k = 0; k < 6; ++k) {
    const double lr = 1e-2 * static_cast<double>(k + 1) / 6.0;  // a changing rate, as in warm-up
    theirs->param_groups()[0].options().set_lr(lr);
    const double shrink = 1.0 / static_cast<double>(1 + 3 * k);
    const at::Tensor ga = random_tensor({3, 4}, 10 + k) * shrink, gb = random_tensor({5}, 20 + k) * shrink;
    ours_a.mutable_grad() = ga.clone();
    ours_b.mutable_grad() = gb.clone();
    theirs_a.mutable_grad() = ga.clone();
    theirs_b.mutable_grad() = gb.clone();
    ours.step(lr);
    theirs->step();
  }
  EXPECT_TRUE(at::allclose(ours_a, theirs_a, 1e-12, 1e-14)) << "amsgrad " << amsgrad << " weight decay " << weight_decay;
  EXPECT_TRUE(at::allclose(ours_b, theirs_b, 1e-12, 1e-14)) << "amsgrad " << amsgrad << " weight decay " << weight_decay;
  EXPECT_EQ(ours.steps(), 6);
  const auto state = ours.state();
  EXPECT_EQ(state.at("exp_avg").size(), 2u);
  EXPECT_EQ(state.count("max_exp_avg_sq"), amsgrad ? 1u : 0u);
  Adam restored({{"a", ours_a}, {"b", ours_b}}, settings);
  restored.load_state(state, ours.steps());
  for (const auto& [kind, moments] : state) {
    EXPECT_TRUE(at::equal(restored.state().at(kind).at("b"), moments.at("b"))) << kind;
  }
  EXPECT_THROW(restored.load_state({{"exp_avg", {}}}, 1), UserError);
  return ours_a.detach();
}

TEST(Adam, MatchesLibTorchAdamStepForStep) {
  const at::Tensor plain = expect_adam_matches_libtorch(false);
  const at::Tensor amsgrad = expect_adam_matches_libtorch(true);
  EXPECT_FALSE(at::allclose(plain, amsgrad, 1e-6, 1e-8)) << "the gradients never let the maxima matter";
}

// The DLPM authors' optimiser: AdamW, decay 0.01 (torch's default); a large
// decay so that six steps move the parameters measurably.
TEST(Adam, WithWeightDecayMatchesLibTorchAdamW) {
  const at::Tensor plain = expect_adam_matches_libtorch(false);
  const at::Tensor decayed = expect_adam_matches_libtorch(false, 5.0);
  expect_adam_matches_libtorch(true, 5.0);
  EXPECT_FALSE(at::allclose(plain, decayed, 1e-6, 1e-8)) << "the decay never changed the parameters";
}

// A run that trained without amsgrad and resumes with it starts the maxima at
// exp_avg_sq; a maximum of the wrong shape is refused.
TEST(Adam, AmsgradResumesFromStateWithoutMaxima) {
  at::Tensor a = random_tensor({3}, 2).requires_grad_(true);
  Adam plain({{"a", a}}, {0.9, 0.99, 1e-8, false});
  a.mutable_grad() = random_tensor({3}, 3);
  plain.step(1e-3);
  Adam amsgrad({{"a", a}}, {0.9, 0.99, 1e-8, true});
  amsgrad.load_state(plain.state(), plain.steps());
  EXPECT_TRUE(at::equal(amsgrad.state().at("max_exp_avg_sq").at("a"), plain.state().at("exp_avg_sq").at("a")));
  auto wrong = amsgrad.state();
  wrong["max_exp_avg_sq"]["a"] = at::zeros({4}, at::kDouble);
  EXPECT_THROW(amsgrad.load_state(wrong, 1), UserError);
}

TEST(Ema, DecayFollowsRateWarmUpAndHalfLife) {
  torch::nn::Linear layer(2, 1);
  Ema warm(*layer, {0.999, true, 0.0});
  EXPECT_DOUBLE_EQ(warm.next_decay(128), 2.0 / 11.0);  // first update: n = 1
  Ema fixed(*layer, {0.999, false, 0.0});
  EXPECT_DOUBLE_EQ(fixed.next_decay(128), 0.999);
  Ema halflife(*layer, {0.999, true, 500000.0});
  EXPECT_DOUBLE_EQ(halflife.next_decay(512), std::pow(0.5, 512.0 / 500000.0));

  const at::Tensor before = fixed.weights().at("weight").clone();
  {
    torch::NoGradGuard no_grad;
    layer->weight.add_(1.0);
  }
  fixed.update(*layer, 128);
  EXPECT_TRUE(at::allclose(fixed.weights().at("weight"), 0.999 * before + 0.001 * layer->weight.detach(), 1e-6, 1e-7));
  EXPECT_EQ(fixed.updates(), 1);
  for (int i = 0; i < 20; ++i) warm.update(*layer, 128);
  EXPECT_DOUBLE_EQ(warm.next_decay(128), std::min(0.999, 22.0 / 31.0));
}

TEST(LearningRate, LinearWarmUpFromZero) {
  TrainingSettings s;
  s.lr = 2e-4;
  s.warmup = 100;
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 50), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 500), 2e-4);
  s.warmup = 0;
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 2e-4);
}

// Pretends to be one of two ranks whose peer holds identical tensors.
class MirroredPairCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  std::string backend() const override { return "mirror"; }
  void all_reduce_sum(at::Tensor& t) override { t.mul_(2); ++calls; }
  void all_reduce_max(at::Tensor&) override { ++calls; }
  void broadcast(at::Tensor&, int) override { ++calls; }
  void barrier() override {}
  int calls = 0;
};

TEST(GradientSynchronizer, BucketsFlattenAndRestoreEveryGradient) {
  std::vector<at::Tensor> parameters = {random_tensor({4, 3}, 1), random_tensor({7}, 2), random_tensor({2, 2, 2}, 3)};
  std::vector<at::Tensor> expected;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    parameters[i].requires_grad_(true);
    parameters[i].mutable_grad() = random_tensor(parameters[i].sizes().vec(), 10 + i);
    expected.push_back(parameters[i].grad() * 2);
  }
  MirroredPairCommunicator pair;
  GradientSynchronizer per_parameter(parameters, pair, /*bucket_bytes=*/1);
  EXPECT_EQ(per_parameter.bucket_count(), 3u);
  GradientSynchronizer one_bucket(parameters, pair, 1 << 20);
  EXPECT_EQ(one_bucket.bucket_count(), 1u);
  one_bucket.sum_gradients();
  EXPECT_EQ(pair.calls, 1);
  for (std::size_t i = 0; i < parameters.size(); ++i) EXPECT_TRUE(at::equal(parameters[i].grad(), expected[i]));
}

// Like MirroredPairCommunicator, but claims asynchronous collectives (as NCCL
// does) and records the size of every sum started, in order.
class AsynchronousPairCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  std::string backend() const override { return "async mirror"; }
  void all_reduce_sum(at::Tensor& t) override { t.mul_(2); }
  void all_reduce_max(at::Tensor&) override {}
  void broadcast(at::Tensor&, int) override {}
  void barrier() override {}
  void start_all_reduce_sum(at::Tensor& t) override {
    t.mul_(2);
    started.push_back(t.numel());
  }
  bool has_asynchronous_collectives() const override { return true; }
  void wait_for_started() override { ++waits; }
  std::vector<std::int64_t> started;
  int waits = 0;
};

// Two micro-batches through three linear layers; a fourth layer is used by the
// first micro-batch only, and one parameter by neither.
struct AccumulationCase {
  torch::nn::Linear first{3, 4}, second{4, 5}, third{5, 2}, early_only{3, 2};
  at::Tensor unused = at::zeros({6}).requires_grad_(true);
  std::vector<at::Tensor> parameters() {
    std::vector<at::Tensor> all = {unused};
    for (auto* layer : {&early_only, &first, &second, &third}) {
      all.push_back((*layer)->weight);
      all.push_back((*layer)->bias);
    }
    return all;
  }
  void backward(int micro_batch) {
    const at::Tensor x = random_tensor({8, 3}, 100 + micro_batch).to(at::kFloat);
    at::Tensor out = third(torch::tanh(second(torch::tanh(first(x)))));
    if (micro_batch == 0) out = out + early_only(x);
    out.square().sum().backward();
  }
};

TEST(GradientSynchronizer, OverlappedBackwardStartsBucketsInOrderAndSumsAccumulatedGradients) {
  torch::manual_seed(5);
  AccumulationCase model;
  std::vector<at::Tensor> parameters = model.parameters();
  model.backward(0);
  model.backward(1);
  std::vector<at::Tensor> expected;
  for (const at::Tensor& p : parameters) expected.push_back(p.grad().defined() ? p.grad() * 2 : at::zeros_like(p));
  for (at::Tensor& p : parameters) p.mutable_grad() = at::Tensor();

  AsynchronousPairCommunicator pair;
  {
    GradientSynchronizer synchronizer(parameters, pair, /*bucket_bytes=*/1);  // one bucket per parameter
    model.backward(0);  // accumulates locally, no collective
    EXPECT_TRUE(pair.started.empty());
    synchronizer.overlap_next_backward();
    model.backward(1);
    // During backward: the six parameters of the layers it ran, last layer first.
    EXPECT_EQ(pair.started, (std::vector<std::int64_t>{2, 10, 5, 20, 4, 12}));
    synchronizer.sum_gradients();
    // Then the rest, still in bucket order: early_only's bias and weight, then the unused one.
    EXPECT_EQ(pair.started, (std::vector<std::int64_t>{2, 10, 5, 20, 4, 12, 2, 6, 6}));
    EXPECT_EQ(pair.waits, 1);
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      EXPECT_TRUE(at::allclose(parameters[i].grad(), expected[i], 1e-6, 1e-7)) << "parameter " << i;
    }
  }
  // The hooks left with the synchronizer: a later backward accumulates as usual.
  const at::Tensor before = parameters[3].grad().clone();
  model.backward(1);
  EXPECT_EQ(pair.started.size(), 9u);
  EXPECT_FALSE(at::equal(parameters[3].grad(), before));
}

TEST(GradientSynchronizer, BlockingBackendsSumOnlyAfterBackward) {
  AccumulationCase model;
  MirroredPairCommunicator pair;
  GradientSynchronizer synchronizer(model.parameters(), pair, /*bucket_bytes=*/1);
  synchronizer.overlap_next_backward();
  model.backward(0);
  EXPECT_EQ(pair.calls, 0);
  synchronizer.sum_gradients();
  EXPECT_EQ(pair.calls, 9);
}

TEST(GradientSynchronizer, ChecksumSeesAnyChange) {
  std::vector<at::Tensor> tensors = {random_tensor({3}, 1), random_tensor({2}, 2)};
  const double before = parameter_checksum(tensors);
  std::vector<at::Tensor> swapped = {tensors[1], tensors[0]};
  EXPECT_NE(parameter_checksum(swapped), before);
  tensors[0][1] += 1e-9;
  EXPECT_NE(parameter_checksum(tensors), before);
  LocalCommunicator local;
  EXPECT_NO_THROW(require_same_on_all_ranks(local, before, "x"));
}

Checkpoint small_checkpoint(std::int64_t step) {
  Checkpoint c;
  c.state.step = step;
  c.state.ema_updates = step - 1;
  c.state.optimizer_steps = step;
  c.state.cursor = {2, 7};
  c.state.global_batch = 16;
  c.state.world_size = 2;
  c.state.config_yaml = "seed: 3\n";
  c.state.model_name = "mlp";
  c.state.parameterisation = "score = out / sigma_t";
  c.model = {{"network.0.weight", random_tensor({2, 3}, step).to(at::kFloat)}};
  c.ema = {{"network.0.weight", random_tensor({2, 3}, step + 100).to(at::kFloat)}};
  c.optimizer["exp_avg"] = {{"network.0.weight", random_tensor({2, 3}, step + 200)}};
  c.optimizer["exp_avg_sq"] = {{"network.0.weight", random_tensor({2, 3}, step + 300)}};
  return c;
}

TEST(Checkpoint, RoundTripsEveryFieldAndTensor) {
  const std::string path = testing::temp_path("checkpoint_roundtrip.h5");
  const Checkpoint written = small_checkpoint(40);
  write_checkpoint(path, written);
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  const Checkpoint read = read_checkpoint(path);
  EXPECT_EQ(read.state.step, 40);
  EXPECT_EQ(read.state.ema_updates, 39);
  EXPECT_EQ(read.state.cursor, (data::LoaderCursor{2, 7}));
  EXPECT_EQ(read.state.world_size, 2);
  EXPECT_EQ(read.state.config_yaml, "seed: 3\n");
  EXPECT_EQ(read.state.parameterisation, "score = out / sigma_t");
  EXPECT_TRUE(at::equal(read.model.at("network.0.weight"), written.model.at("network.0.weight")));
  EXPECT_TRUE(at::equal(read.ema.at("network.0.weight"), written.ema.at("network.0.weight")));
  EXPECT_TRUE(at::equal(read.optimizer.at("exp_avg_sq").at("network.0.weight"),
                        written.optimizer.at("exp_avg_sq").at("network.0.weight")));
  std::filesystem::remove(path);
  EXPECT_THROW(read_checkpoint(path), UserError);
  std::ofstream(path) << "not hdf5";
  EXPECT_THROW(read_checkpoint(path), UserError);
  std::filesystem::remove(path);
}

// HDF5 keeps no checksum of raw data: the recorded content hash is what
// catches a flipped byte in a weight.
TEST(Checkpoint, AFlippedByteInATensorIsADamagedFile) {
  const std::string path = testing::temp_path("checkpoint_flipped.h5");
  Checkpoint written = small_checkpoint(5);
  // A value whose bytes occur once in the file, so the test can find the weight it damages.
  written.model.at("network.0.weight")[1][2] = 1234.5678f;
  write_checkpoint(path, written);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const float marker = 1234.5678f;
  const std::size_t at = bytes.find(std::string(reinterpret_cast<const char*>(&marker), sizeof marker));
  ASSERT_NE(at, std::string::npos);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  const std::string message = testing::user_error_of([&] { read_checkpoint(path); });
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  std::filesystem::remove(path);
}

TEST(CheckpointDirectory, ResumeCandidatesAreLatestThenNewestFirst) {
  const std::string directory = testing::temp_path("checkpoint_candidates");
  testing::remove_tree(directory);
  CheckpointDirectory checkpoints(directory, /*keep=*/3, /*archive_every=*/0);
  for (std::int64_t step : {10, 20, 30}) checkpoints.save(small_checkpoint(step));
  const auto named = [&](std::int64_t step) { return checkpoints.path_for(step); };
  EXPECT_EQ(checkpoints.resume_candidates(), (std::vector<std::string>{named(30), named(20), named(10)}));
  // `latest` naming an older file (a crash between the rename and the pointer) comes first.
  write_text_file_atomically(directory + "/latest", "checkpoint_00000020.h5\n");
  EXPECT_EQ(checkpoints.resume_candidates(), (std::vector<std::string>{named(20), named(30), named(10)}));
  testing::remove_tree(directory);
}

TEST(CheckpointDirectory, KeepsTheLastKPlusArchivesAndPointsLatestAtTheNewest) {
  const std::string directory = testing::temp_path("checkpoint_dir");
  testing::remove_tree(directory);
  CheckpointDirectory checkpoints(directory, /*keep=*/2, /*archive_every=*/20);
  EXPECT_FALSE(checkpoints.has_checkpoints());
  EXPECT_FALSE(checkpoints.latest().has_value());
  for (std::int64_t step : {10, 20, 30, 40, 50}) checkpoints.save(small_checkpoint(step));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint_00000020.h5", "checkpoint_00000030.h5",
                                             "checkpoint_00000040.h5", "checkpoint_00000050.h5", "latest"}));
  ASSERT_TRUE(checkpoints.latest().has_value());
  EXPECT_EQ(read_checkpoint(*checkpoints.latest()).state.step, 50);
  testing::remove_tree(directory);
}

}  // namespace
}  // namespace scorch::trainer
