#include "data/sharded_loader.h"

#include "common/random_stream.h"
#include "common/user_error.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace scorch::data {

LoaderMode parse_loader_mode(const std::string& name) {
  if (name == "auto") return LoaderMode::automatic;
  if (name == "memory") return LoaderMode::memory;
  if (name == "streaming") return LoaderMode::streaming;
  throw UserError("unknown loader mode '" + name + "' (expected auto, memory or streaming)");
}

namespace {

// HDF5 checks no checksum of raw data, so a flipped pixel byte would train silently.
void verify_content(DatasetFile& file, const std::string& path) {
  const std::string stored = file.attributes().content_hash;
  if (stored.empty()) throw UserError(path + ": data.verify: the file records no content hash to check against");
  const std::string found = file.compute_content_hash();
  if (found != stored) {
    throw UserError(fmt::format("{}: data.verify: content hash {} does not match the stored {}: the data changed or is "
                                "corrupt",
                                path, found, stored));
  }
}

}  // namespace

ShardedLoader::ShardedLoader(LoaderOptions options) : options_(std::move(options)) {
  if (options_.points.defined()) {
    shape_.count = options_.points.size(0);
    memory_images_ = options_.points.to(at::kFloat);
    in_memory_ = true;
  } else {
    file_ = std::make_unique<DatasetFile>(options_.path);
    shape_ = file_->shape();
    has_labels_ = file_->has_labels();
    if (options_.verify) verify_content(*file_, options_.path);
  }
  plan_ = std::make_unique<EpochPlan>(ShardSpec{shape_.count, options_.rank, options_.world_size, options_.batch_size,
                                                options_.shuffle, options_.drop_last, options_.seed});
  if (file_) open_file_source();
}

void ShardedLoader::open_file_source() {
  const std::int64_t bytes = shape_.count * shape_.image_bytes();
  in_memory_ = options_.mode == LoaderMode::memory ||
               (options_.mode == LoaderMode::automatic && bytes <= options_.memory_budget_bytes);
  if (in_memory_) {
    memory_images_ = file_->read_images(0, shape_.count);
    if (has_labels_) memory_labels_ = file_->read_labels(0, shape_.count);
  } else {
    if (options_.prefetch_batches < 1) throw UserError("the prefetch queue needs at least 1 batch");
    start_prefetch();
  }
}

ShardedLoader::~ShardedLoader() { stop_prefetch(); }

std::vector<std::int64_t> ShardedLoader::example_shape() const {
  if (!file_) return options_.points.sizes().slice(1).vec();
  return {shape_.channels, shape_.height, shape_.width};
}

std::string ShardedLoader::source() const { return file_ ? options_.path : std::string("synthetic data"); }

LoaderCursor ShardedLoader::advance(LoaderCursor cursor) const {
  return cursor.batch + 1 < plan_->batches_per_epoch() ? LoaderCursor{cursor.epoch, cursor.batch + 1}
                                                       : LoaderCursor{cursor.epoch + 1, 0};
}

Batch ShardedLoader::transform(const at::Tensor& pixels, const at::Tensor& labels, const BatchIndices& indices,
                               LoaderCursor cursor) const {
  Batch batch;
  batch.cursor = cursor;
  batch.labels = labels;
  batch.dataset_indices = at::tensor(indices.dataset_indices, at::kLong);
  batch.positions = at::tensor(indices.positions, at::kLong);
  if (!file_) {
    batch.images = pixels;
    return batch;
  }
  at::Tensor images = pixels;
  // Per-example randomness keyed by (seed, purpose, epoch, position): the same
  // example gets the same flip and dequantization on any rank or batch size.
  const auto epoch = static_cast<std::uint64_t>(cursor.epoch);
  if (options_.random_flip) {
    const at::Tensor flip = draw_per_example({options_.seed, RandomPurpose::augmentation, epoch}, indices.positions,
                                             [](at::Generator& g) { return at::rand({}, g, at::kDouble) < 0.5; });
    images = at::where(flip.view({-1, 1, 1, 1}), images.flip({3}), images);
  }
  if (options_.dequantize) {
    const auto example_shape = images.sizes().slice(1);
    const at::Tensor u = draw_per_example({options_.seed, RandomPurpose::dequantization, epoch}, indices.positions,
                                          [&](at::Generator& g) { return at::rand(example_shape, g, at::kFloat); });
    batch.images = dequantize(images, u, options_.range);
  } else {
    batch.images = pixels_to_range(images, options_.range);
  }
  return batch;
}

Batch ShardedLoader::load(LoaderCursor cursor) {
  const BatchIndices indices = plan_->batch(cursor.epoch, cursor.batch);
  if (in_memory_) {
    const at::Tensor index = at::tensor(indices.dataset_indices, at::kLong);
    return transform(memory_images_.index_select(0, index),
                     has_labels_ ? memory_labels_.index_select(0, index) : at::Tensor(), indices, cursor);
  }
  return transform(file_->read_images(indices.dataset_indices),
                   has_labels_ ? file_->read_labels(indices.dataset_indices) : at::Tensor(), indices, cursor);
}

Batch ShardedLoader::next() {
  if (in_memory_) {
    Batch batch = load(cursor_);
    cursor_ = advance(cursor_);
    return batch;
  }
  std::unique_lock<std::mutex> lock(queue_mutex_);
  queue_changed_.wait(lock, [&] { return !queue_.empty(); });
  // A failed read stays at the front, so every later call reports it too.
  if (queue_.front().error) std::rethrow_exception(queue_.front().error);
  Slot slot = std::move(queue_.front());
  queue_.pop_front();
  queue_changed_.notify_all();
  lock.unlock();
  cursor_ = advance(slot.batch.cursor);
  return std::move(slot.batch);
}

void ShardedLoader::seek(LoaderCursor cursor) {
  if (cursor.epoch < 0 || cursor.batch < 0 || cursor.batch >= plan_->batches_per_epoch()) {
    throw UserError(fmt::format("{}: cannot resume at epoch {} batch {}: an epoch has {} batches", source(),
                                cursor.epoch, cursor.batch, plan_->batches_per_epoch()));
  }
  stop_prefetch();
  cursor_ = cursor;
  if (!in_memory_) start_prefetch();
}

void ShardedLoader::start_prefetch() {
  stop_ = false;
  queue_.clear();
  producer_ = std::thread([this, from = cursor_] { prefetch_loop(from); });
}

void ShardedLoader::stop_prefetch() {
  if (!producer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    stop_ = true;
  }
  queue_changed_.notify_all();
  producer_.join();
  queue_.clear();
}

void ShardedLoader::prefetch_loop(LoaderCursor from) {
  LoaderCursor cursor = from;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      queue_changed_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < options_.prefetch_batches; });
      if (stop_) return;
    }
    Slot slot;
    try {
      slot.batch = load(cursor);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      const bool failed = static_cast<bool>(slot.error);
      queue_.push_back(std::move(slot));
      queue_changed_.notify_all();
      if (failed) return;  // the consumer rethrows; nothing after a failure is trustworthy
    }
    cursor = advance(cursor);
  }
}

}  // namespace scorch::data
