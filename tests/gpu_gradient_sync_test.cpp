// GPU builds with a visible GPU only (skipped elsewhere): bucket sums started
// from autograd's gradient hooks on the NCCL stream, while backward still runs,
// give the gradients that backward computed. One GPU means NCCL has one rank,
// so a wrapper reports two ranks to make the synchronizer communicate; a sum
// over one rank is the identity, and every byte still travels through the
// bucket buffers, the stream ordering and the copy back.
#include "common/communicator.h"
#include "trainer/gradient_sync.h"
#ifdef SCORCH_WITH_NCCL
#include "launch/nccl_communicator.h"
#endif

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace scorch::trainer {
namespace {

class OneRankPosingAsTwo final : public Communicator {
 public:
  explicit OneRankPosingAsTwo(Communicator& inner) : inner_(inner) {}
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  std::string backend() const override { return inner_.backend(); }
  at::Device device() const override { return inner_.device(); }
  void all_reduce_sum(at::Tensor& t) override { inner_.all_reduce_sum(t); }
  void all_reduce_max(at::Tensor& t) override { inner_.all_reduce_max(t); }
  void broadcast(at::Tensor& t, int root) override { inner_.broadcast(t, root); }
  void barrier() override { inner_.barrier(); }
  void start_all_reduce_sum(at::Tensor& t) override {
    inner_.start_all_reduce_sum(t);
    ++started;
  }
  bool has_asynchronous_collectives() const override { return inner_.has_asynchronous_collectives(); }
  void wait_for_started() override { inner_.wait_for_started(); }
  int started = 0;

 private:
  Communicator& inner_;
};

TEST(GpuGradientSync, OverlappedBucketSumsOnTheNcclStreamKeepTheGradients) {
#ifndef SCORCH_WITH_NCCL
  GTEST_SKIP() << "this build has no NCCL backend";
#else
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no GPU visible";
  torch::manual_seed(0);
  const at::Device gpu(at::kCUDA, 0);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 3).padding(1)), torch::nn::SiLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).padding(1)), torch::nn::SiLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).padding(1)), torch::nn::SiLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 3, 3).padding(1)));
  net->to(gpu);
  const at::Tensor x = torch::randn({32, 3, 64, 64}, gpu);
  const auto backward = [&] {
    net->zero_grad();
    net->forward(x).square().mean().backward();
  };
  backward();
  std::vector<at::Tensor> parameters, expected;
  for (const at::Tensor& p : net->parameters()) {
    parameters.push_back(p);
    expected.push_back(p.grad().clone());
  }

  const auto nccl = launch::make_nccl_communicator(0, 60.0);
  OneRankPosingAsTwo communicator(*nccl);
  GradientSynchronizer synchronizer(parameters, communicator, /*bucket_bytes=*/64 * 1024);
  ASSERT_GT(synchronizer.bucket_count(), 2u);
  for (int repeat = 0; repeat < 3; ++repeat) {
    synchronizer.overlap_next_backward();
    backward();
    // Every parameter is used, so backward itself started every bucket.
    EXPECT_EQ(communicator.started, static_cast<int>(synchronizer.bucket_count()) * (repeat + 1));
    synchronizer.sum_gradients();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      EXPECT_TRUE(at::allclose(parameters[i].grad(), expected[i], 1e-5, 1e-7)) << "parameter " << i;
    }
  }
#endif
}

}  // namespace
}  // namespace scorch::trainer
