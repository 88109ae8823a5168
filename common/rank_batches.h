#pragma once
// How evaluation work is split over ranks: items [0, count) are cut into
// batches of fixed global index ranges [kB, (k+1)B), and rank r takes the
// batches k ≡ r (mod world size). A batch's contents never depend on the world
// size, so neither do per-item results.
#include <cstdint>
#include <vector>

namespace scorch {

struct IndexBatch {
  std::int64_t first = 0;
  std::int64_t size = 0;
  std::vector<std::int64_t> indices() const;  // first, ..., first + size − 1
};

// The batches of `rank`, in increasing order; batch_size must be positive.
std::vector<IndexBatch> rank_batches(std::int64_t count, std::int64_t batch_size, int rank, int world_size);

}  // namespace scorch
