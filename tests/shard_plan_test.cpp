// Sharded evaluation work: the plan covers [0, N) in fixed shards, deals the
// unfinished ones round-robin, and clears stale files; sample shards are
// reused after a kill (only the missing shard is drawn again) and read back
// across shard boundaries as one image set.
#include "common/communicator.h"
#include "common/shard_plan.h"
#include "data/shard_files.h"
#include "data_test_support.h"
#include "evaluation/sampling/sample_shards.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <chrono>
#include <set>
#include <thread>

namespace scorch {
namespace {

// One rank of `world` ranks that all see the same files, run one after the
// other: a broadcast from root hands the root's last tensor to the next rank.
class SoloRank final : public Communicator {
 public:
  SoloRank(int rank, int world, at::Tensor& wire) : rank_(rank), world_(world), wire_(wire) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend() const override { return "test"; }
  void all_reduce_sum(at::Tensor&) override {}
  void all_reduce_max(at::Tensor&) override {}
  void broadcast(at::Tensor& tensor, int root) override {
    if (rank_ == root) {
      wire_ = tensor.clone();
    } else {
      tensor.copy_(wire_);
    }
  }
  void barrier() override {}

 private:
  int rank_, world_;
  at::Tensor& wire_;
};

TEST(ShardPlan, ShardsCoverTheItemsAndUnfinishedOnesAreDealtRoundRobin) {
  const std::string directory = testing::temp_path("plan_shards");
  testing::remove_tree(directory);
  at::Tensor wire;
  SoloRank rank0(0, 2, wire);
  const ShardPlan fresh = plan_shards(directory, 23, 5, [](const std::string&) { return true; }, rank0);
  ASSERT_EQ(fresh.all.size(), 5u);
  EXPECT_EQ(fresh.all.back().items.first, 20);
  EXPECT_EQ(fresh.all.back().items.size, 3);
  EXPECT_EQ(fresh.unfinished, 5);
  ASSERT_EQ(fresh.mine.size(), 3u);  // shards 0, 2, 4
  EXPECT_EQ(fresh.mine[1].number, 2);

  // Shards 1 and 3 exist; shard 3 is stale, and a leftover temporary lies beside them.
  for (const int k : {1, 3}) std::ofstream(fresh.all[k].path) << "x";
  std::ofstream(directory + "/shard-000002.h5.partial") << "x";
  const auto only_one = [&](const std::string& path) { return path == fresh.all[1].path; };
  const ShardPlan again = plan_shards(directory, 23, 5, only_one, rank0);
  ASSERT_EQ(again.reused.size(), 1u);
  EXPECT_EQ(again.reused[0].number, 1);
  EXPECT_EQ(again.unfinished, 4);
  EXPECT_TRUE(std::filesystem::exists(fresh.all[1].path));
  EXPECT_FALSE(std::filesystem::exists(fresh.all[3].path));
  EXPECT_FALSE(std::filesystem::exists(directory + "/shard-000002.h5.partial"));
  SoloRank rank1(1, 2, wire);
  const ShardPlan other = plan_shards(directory, 23, 5, only_one, rank1);
  std::set<std::int64_t> dealt;
  for (const ShardPlan* plan : {&again, &other}) {
    for (const Shard& shard : plan->mine) EXPECT_TRUE(dealt.insert(shard.number).second) << shard.number;
  }
  EXPECT_EQ(dealt, (std::set<std::int64_t>{0, 2, 3, 4}));

  const ShardPlan in_memory = plan_shards("", 23, 5, only_one, rank0);
  EXPECT_TRUE(in_memory.reused.empty());
  EXPECT_TRUE(in_memory.all[1].path.empty());
  EXPECT_EQ(batches_of({10, 5}, 2).back().first, 14);
}

TEST(ShardPlan, WaitingForThePeersShardsEndsWhenTheyAreAllOnDisk) {
  const std::string directory = testing::temp_path("wait_shards");
  testing::remove_tree(directory);
  LocalCommunicator local;
  const auto exists = [](const std::string&) { return true; };
  const ShardPlan plan = plan_shards(directory, 10, 5, exists, local);
  std::ofstream(plan.all[0].path) << "x";
  // A peer finishes the other shard a moment later.
  std::thread peer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::ofstream(plan.all[1].path + ".partial") << "x";
    std::filesystem::rename(plan.all[1].path + ".partial", plan.all[1].path);
  });
  EXPECT_NO_THROW(wait_for_all_shards(plan, exists, 30.0));
  peer.join();
  std::filesystem::remove(plan.all[1].path);
  EXPECT_NE(testing::user_error_of([&] { wait_for_all_shards(plan, exists, 0.3); }).find("1 of 2 shards"),
            std::string::npos);
  EXPECT_EQ(shard_wait_patience(0.0), 0.0);  // a rank without a shard of its own waits as long as it takes
  EXPECT_EQ(shard_wait_patience(1000.0), 4000.0);
}

// Image i, pixel j is (3i + j) mod 256; image i "took" i mod 7 + 1 network calls.
evaluation::SampleBatch indexed_images(const std::vector<std::int64_t>& indices) {
  const at::Tensor index = at::tensor(indices, at::kLong).view({-1, 1, 1, 1});
  const at::Tensor pixels = (3 * index + at::arange(16, at::kLong).view({1, 1, 4, 4})).remainder(256);
  return {pixels.to(at::kFloat) / 255.0, (index.view({-1}) % 7 + 1).to(at::kDouble)};
}

// Shards of a fresh directory.
evaluation::SampleShardSettings shard_settings(const std::string& name, std::int64_t count, std::int64_t shard_size,
                                               std::int64_t batch_size) {
  evaluation::SampleShardSettings settings;
  settings.directory = testing::temp_path(name);
  testing::remove_tree(settings.directory);
  settings.count = count;
  settings.shard_size = shard_size;
  settings.batch_size = batch_size;
  settings.fingerprint = "settings-a";
  return settings;
}

TEST(SampleShards, AKilledRunRedrawsOnlyItsMissingShards) {
  evaluation::SampleShardSettings settings = shard_settings("sample_shards", 25, 10, 4);
  const std::string directory = settings.directory;
  LocalCommunicator local;
  std::vector<std::int64_t> drawn;
  const evaluation::BatchSampler sampler = [&](const std::vector<std::int64_t>& indices) {
    drawn.insert(drawn.end(), indices.begin(), indices.end());
    return indexed_images(indices);
  };
  const evaluation::ShardedSamples first = evaluation::generate_sample_shards(sampler, settings, {1, 4, 4}, local, "test");
  EXPECT_EQ(first.shards, 3);
  EXPECT_EQ(first.reused, 0);
  EXPECT_EQ(drawn.size(), 25u);
  double calls = 0;
  for (int i = 0; i < 25; ++i) calls += i % 7 + 1;
  EXPECT_DOUBLE_EQ(first.mean_function_evaluations, calls / 25);

  // The set reads as one, across shard boundaries.
  data::ImageSource source(directory);
  EXPECT_EQ(source.shape().count, 25);
  const at::Tensor rows = source.read_images(8, 5);
  EXPECT_TRUE(at::equal(rows, (indexed_images({8, 9, 10, 11, 12}).samples * 255.0).round().to(at::kByte)));

  // As after a kill during shard 1: only its images are drawn again.
  std::filesystem::remove(directory + "/shard-000001.h5");
  EXPECT_NE(testing::user_error_of([&] { data::ImageSource{directory}; }).find("missing"), std::string::npos);
  drawn.clear();
  const evaluation::ShardedSamples resumed = evaluation::generate_sample_shards(sampler, settings, {1, 4, 4}, local, "test");
  EXPECT_EQ(resumed.reused, 2);
  EXPECT_EQ(drawn, (std::vector<std::int64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_DOUBLE_EQ(resumed.mean_function_evaluations, first.mean_function_evaluations);
  EXPECT_TRUE(at::equal(data::ImageSource(directory).read_images(0, 25), source.read_images(0, 25)));

  // A set without its last shard is not taken for a complete one.
  const std::string last = directory + "/shard-000002.h5", aside = directory + "_last.h5";
  std::filesystem::rename(last, aside);
  EXPECT_NE(testing::user_error_of([&] { data::ImageSource{directory}; }).find("rows [0, 20) of 25"), std::string::npos);
  std::filesystem::rename(aside, last);

  // Other settings: nothing is reused.
  settings.fingerprint = "settings-b";
  drawn.clear();
  EXPECT_EQ(evaluation::generate_sample_shards(sampler, settings, {1, 4, 4}, local, "test").reused, 0);
  EXPECT_EQ(drawn.size(), 25u);
}

TEST(SampleShards, VectorSamplesReadBackInIndexOrder) {
  const evaluation::SampleShardSettings settings = shard_settings("vector_shards", 7, 3, 2);
  const std::string directory = settings.directory;
  LocalCommunicator local;
  const evaluation::BatchSampler sampler = [](const std::vector<std::int64_t>& indices) {
    const at::Tensor index = at::tensor(indices, at::kFloat).view({-1, 1});
    return evaluation::SampleBatch{at::cat({index, -index}, 1), at::ones({index.size(0)}, at::kDouble)};
  };
  evaluation::generate_sample_shards(sampler, settings, {2}, local, "test");
  const at::Tensor samples = data::read_vector_samples(directory);
  ASSERT_EQ(samples.sizes(), (at::IntArrayRef{7, 2}));
  EXPECT_TRUE(at::equal(samples.select(1, 0), at::arange(7, at::kFloat)));
}

}  // namespace
}  // namespace scorch
