#pragma once
// Long evaluation work (50k samples, a test set's likelihoods) as fixed shards
// of global indices [k·S, min((k+1)·S, N)), one file per shard in a directory.
// A shard file is written whole (temporary, then rename), so a killed job
// leaves every finished shard behind and a rerun redoes only the others. The
// unfinished shards are dealt round-robin over the ranks of the rerun, and
// since every item's result depends only on its global index, neither the
// world size nor where the job was cut changes a result. See
// docs/evaluation.md#shards.
#include "common/rank_batches.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace scorch {
class Communicator;

struct Shard {
  std::int64_t number = 0;
  IndexBatch items;
  std::string path;  // DIRECTORY/shard-NNNNNN.h5; empty without a directory
};

struct ShardPlan {
  std::vector<Shard> all;     // every shard, in index order
  std::vector<Shard> mine;    // the unfinished shards this rank must do
  std::vector<Shard> reused;  // the finished shards (the same list on every rank)
  std::int64_t unfinished = 0;  // over all ranks
};

// Whether an existing shard file is finished work of the current settings.
using ShardCheck = std::function<bool(const std::string& path)>;

// The shards of items [0, count). Rank 0 asks `finished` of each expected
// shard file, removes every other file in `directory` (stale shards, leftover
// temporaries, shards of another count), and tells the other ranks. An empty
// `directory` plans shards that live in memory only: none is finished and
// none has a path. Collective.
ShardPlan plan_shards(const std::string& directory, std::int64_t count, std::int64_t shard_size,
                      const ShardCheck& finished, Communicator& communicator);

// Returns once every shard of `plan` is finished on disk, whichever rank
// wrote it. Ranks whose share was a shard smaller call this before the next
// collective: a collective gives up after distributed.timeout_s, and one
// shard may take longer than that. UserError when shards are missing and
// none has been finished for `patience_s` seconds (0: no limit). A plan
// without a directory returns at once.
void wait_for_all_shards(const ShardPlan& plan, const ShardCheck& finished, double patience_s);

// How long wait_for_all_shards may see no progress: four times this rank's
// longest shard, and at least 10 minutes; no limit for a rank that had no
// shard of its own and so cannot tell how long one takes.
double shard_wait_patience(double longest_shard_s);

// The batches of fixed index ranges [first + k·B, …) that cover one shard.
std::vector<IndexBatch> batches_of(const IndexBatch& items, std::int64_t batch_size);

}  // namespace scorch
