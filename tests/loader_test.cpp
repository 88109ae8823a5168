#include "common/user_error.h"
#include "data/dataset_file.h"
#include "data/sharded_loader.h"
#include "data_test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

namespace scorch::data {
namespace {

LoaderOptions options_for(const std::string& path, LoaderMode mode) {
  LoaderOptions options;
  options.path = path;
  options.batch_size = 7;
  options.seed = 3;
  options.mode = mode;
  options.random_flip = true;
  options.dequantize = true;
  options.prefetch_batches = 2;
  return options;
}

void expect_same_batch(const Batch& a, const Batch& b) {
  EXPECT_TRUE(a.cursor == b.cursor);
  EXPECT_TRUE(at::equal(a.dataset_indices, b.dataset_indices));
  EXPECT_TRUE(at::equal(a.positions, b.positions));
  EXPECT_TRUE(at::equal(a.images, b.images));
  EXPECT_TRUE(at::equal(a.labels, b.labels));
}

// HDF5 reads a flipped pixel byte without complaint; data.verify catches it.
TEST(ShardedLoader, VerifyRefusesAFileWhoseBytesChanged) {
  const std::string path = testing::temp_path("loader_verify.h5");
  {
    DatasetWriter writer(path, {8, 1, 4, 4}, false, "test", "train");
    at::Tensor images = at::zeros({8, 1, 4, 4}, at::kByte);
    // A run of bytes that occurs once in the file, so the test can find a pixel to damage.
    images[5][0][1] = at::tensor({201, 202, 203, 204}, at::kByte);
    writer.append(images, at::Tensor());
    writer.finish();
  }
  LoaderOptions options = options_for(path, LoaderMode::memory);
  options.verify = true;
  EXPECT_NO_THROW(ShardedLoader{options});
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t at = bytes.find("\xc9\xca\xcb\xcc");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = static_cast<char>(bytes[at + 2] ^ 0x10);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  options.verify = false;
  EXPECT_NO_THROW(ShardedLoader{options});  // the default opens it as before
  options.verify = true;
  const std::string message = testing::user_error_of([&] { ShardedLoader loader(options); });
  EXPECT_NE(message.find("does not match the stored"), std::string::npos) << message;
}

TEST(ShardedLoader, StreamingAndInMemoryGiveIdenticalBatches) {
  const std::string path = testing::write_indexed_dataset("modes.h5", 45, 3, 5);
  ShardedLoader memory(options_for(path, LoaderMode::memory));
  ShardedLoader streaming(options_for(path, LoaderMode::streaming));
  EXPECT_TRUE(memory.in_memory());
  EXPECT_FALSE(streaming.in_memory());
  // 6 batches per epoch: this crosses two epoch boundaries.
  for (int i = 0; i < 15; ++i) expect_same_batch(memory.next(), streaming.next());
}

TEST(ShardedLoader, AutomaticModeFollowsTheMemoryBudget) {
  const std::string path = testing::write_indexed_dataset("budget.h5", 20);
  LoaderOptions options = options_for(path, LoaderMode::automatic);
  options.memory_budget_bytes = 20 * 16;
  EXPECT_TRUE(ShardedLoader(options).in_memory());
  options.memory_budget_bytes = 20 * 16 - 1;
  EXPECT_FALSE(ShardedLoader(options).in_memory());
}

TEST(ShardedLoader, ResumingFromASavedCursorRepeatsTheUninterruptedRun) {
  const std::string path = testing::write_indexed_dataset("resume.h5", 40);
  for (LoaderMode mode : {LoaderMode::memory, LoaderMode::streaming}) {
    ShardedLoader straight(options_for(path, mode));
    std::vector<Batch> expected;
    for (int i = 0; i < 12; ++i) expected.push_back(straight.next());

    ShardedLoader first(options_for(path, mode));
    for (int i = 0; i < 4; ++i) first.next();
    const LoaderCursor saved = first.cursor();
    ShardedLoader resumed(options_for(path, mode));
    resumed.seek(saved);
    for (int i = 4; i < 12; ++i) expect_same_batch(resumed.next(), expected[static_cast<std::size_t>(i)]);
  }
}

TEST(ShardedLoader, TransformsScaleFlipAndDequantize) {
  const std::string path = testing::write_indexed_dataset("transforms.h5", 16, 1, 4);
  LoaderOptions plain = options_for(path, LoaderMode::memory);
  plain.random_flip = false;
  plain.dequantize = false;
  plain.range = PixelRange::unit;
  ShardedLoader loader(plain);
  const Batch batch = loader.next();
  DatasetFile file(path);
  std::vector<std::int64_t> indices(batch.dataset_indices.data_ptr<std::int64_t>(),
                                    batch.dataset_indices.data_ptr<std::int64_t>() + batch.dataset_indices.numel());
  const at::Tensor pixels = file.read_images(indices);
  EXPECT_TRUE(at::allclose(batch.images, pixels.to(at::kFloat) / 255.0));
  EXPECT_TRUE(at::equal(batch.labels, batch.dataset_indices % 10));

  LoaderOptions noisy = options_for(path, LoaderMode::memory);
  noisy.range = PixelRange::unit;
  ShardedLoader augmented(noisy);
  const Batch b = augmented.next();
  const at::Tensor raw = file.read_images(indices).to(at::kFloat);
  // Each image is the original or its mirror, dequantized within its pixel bins.
  int flipped = 0;
  for (std::int64_t i = 0; i < b.images.size(0); ++i) {
    const at::Tensor scaled = b.images[i] * 256.0;
    const bool same = ((scaled - raw[i]) >= 0).all().item<bool>() && ((scaled - raw[i]) < 1).all().item<bool>();
    const at::Tensor mirror = raw[i].flip({2});
    const bool mirrored = ((scaled - mirror) >= 0).all().item<bool>() && ((scaled - mirror) < 1).all().item<bool>();
    EXPECT_TRUE(same || mirrored) << i;
    flipped += mirrored && !same;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, b.images.size(0));
}

TEST(ShardedLoader, TwoRanksTogetherSeeTheSingleRankGlobalBatch) {
  const std::string path = testing::write_indexed_dataset("ranks.h5", 30);
  LoaderOptions single = options_for(path, LoaderMode::memory);
  single.batch_size = 6;
  ShardedLoader whole(single);
  LoaderOptions half = single;
  half.batch_size = 3;
  half.world_size = 2;
  half.rank = 0;
  ShardedLoader rank0(half);
  half.rank = 1;
  ShardedLoader rank1(half);
  for (int step = 0; step < 7; ++step) {
    const Batch all = whole.next();
    const Batch a = rank0.next(), b = rank1.next();
    const at::Tensor positions = at::cat({a.positions, b.positions});
    const at::Tensor order = at::argsort(positions);
    const at::Tensor whole_order = at::argsort(all.positions);
    EXPECT_TRUE(at::equal(positions.index_select(0, order), all.positions.index_select(0, whole_order)));
    // Same example, same position: same flip and dequantization noise.
    EXPECT_TRUE(at::equal(at::cat({a.images, b.images}).index_select(0, order), all.images.index_select(0, whole_order)));
  }
}

TEST(ShardedLoader, BadCursorIsAnError) {
  const std::string path = testing::write_indexed_dataset("cursor.h5", 20);
  ShardedLoader loader(options_for(path, LoaderMode::streaming));
  EXPECT_THROW(loader.seek({0, 99}), UserError);
  EXPECT_THROW(loader.seek({-1, 0}), UserError);
}

}  // namespace
}  // namespace scorch::data
