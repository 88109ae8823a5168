#include "common/rank_batches.h"

#include "common/random_stream.h"

#include <algorithm>

namespace scorch {

std::vector<std::int64_t> IndexBatch::indices() const { return index_range(first, size); }

std::vector<IndexBatch> rank_batches(std::int64_t count, std::int64_t batch_size, int rank, int world_size) {
  std::vector<IndexBatch> batches;
  const std::int64_t total = (count + batch_size - 1) / batch_size;
  for (std::int64_t k = rank; k < total; k += world_size) {
    const std::int64_t first = k * batch_size;
    batches.push_back({first, std::min(batch_size, count - first)});
  }
  return batches;
}

}  // namespace scorch
