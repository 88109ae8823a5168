#pragma once
// The training and evaluation loader: one rank's shard of an HDF5 dataset,
// batch by batch, following an EpochPlan. Two sources of pixels give identical
// batches: the whole dataset in memory (when it fits the budget), or hyperslab
// reads of each batch by a background thread that keeps a bounded queue of
// finished batches. The position of the next batch is a cursor that can be
// saved in a checkpoint and restored exactly.
#include "data/dataset_file.h"
#include "data/epoch_plan.h"
#include "data/pixel_range.h"

#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scorch::data {

enum class LoaderMode { automatic, memory, streaming };
LoaderMode parse_loader_mode(const std::string& name);

struct LoaderOptions {
  std::string path;
  // Synthetic data [N, ...] (float) served as is in place of the file at
  // `path`: no pixel range, flips or dequantization apply.
  at::Tensor points;
  int rank = 0;
  int world_size = 1;
  std::int64_t batch_size = 128;  // per rank
  bool shuffle = true;
  bool drop_last = true;
  std::uint64_t seed = 0;
  PixelRange range = PixelRange::symmetric;
  bool random_flip = false;  // horizontal flip with probability ½
  bool dequantize = false;   // (x + u)/256 with u ~ U[0,1): for likelihood evaluation
  LoaderMode mode = LoaderMode::automatic;
  std::int64_t memory_budget_bytes = std::int64_t{4} << 30;
  int prefetch_batches = 4;
  // Recompute the file's content hash at open (one pass over the data) and
  // refuse a file whose bytes no longer match it.
  bool verify = false;
};

struct LoaderCursor {
  std::int64_t epoch = 0;
  std::int64_t batch = 0;  // within the epoch
  bool operator==(const LoaderCursor& other) const { return epoch == other.epoch && batch == other.batch; }
};

struct Batch {
  at::Tensor images;           // float32 [b, C, H, W] in the pixel range
  at::Tensor labels;           // int64 [b], undefined without labels
  at::Tensor dataset_indices;  // int64 [b]
  at::Tensor positions;        // int64 [b]: global index within the epoch, for per-example randomness
  LoaderCursor cursor;         // where this batch sits
};

class ShardedLoader {
 public:
  explicit ShardedLoader(LoaderOptions options);
  ~ShardedLoader();
  ShardedLoader(const ShardedLoader&) = delete;
  ShardedLoader& operator=(const ShardedLoader&) = delete;

  Batch next();
  LoaderCursor cursor() const { return cursor_; }
  void seek(LoaderCursor cursor);

  bool in_memory() const { return in_memory_; }
  const EpochPlan& plan() const { return *plan_; }
  const DatasetShape& shape() const { return shape_; }
  // One example's shape: [C, H, W] for image files, the points' trailing shape otherwise.
  std::vector<std::int64_t> example_shape() const;
  // The dataset's name for messages: its path, or "synthetic data".
  std::string source() const;

 private:
  Batch load(LoaderCursor cursor);
  Batch transform(const at::Tensor& pixels, const at::Tensor& labels, const BatchIndices& indices, LoaderCursor cursor) const;
  LoaderCursor advance(LoaderCursor cursor) const;
  void open_file_source();
  void start_prefetch();
  void stop_prefetch();
  void prefetch_loop(LoaderCursor from);

  LoaderOptions options_;
  std::unique_ptr<DatasetFile> file_;
  DatasetShape shape_;
  bool has_labels_ = false;
  std::unique_ptr<EpochPlan> plan_;
  bool in_memory_ = false;
  at::Tensor memory_images_;
  at::Tensor memory_labels_;
  LoaderCursor cursor_;

  // Streaming: the producer fills `queue_` with up to prefetch_batches batches.
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  std::thread producer_;
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Slot> queue_;
  bool stop_ = false;
};

}  // namespace scorch::data
