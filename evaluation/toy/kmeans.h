#pragma once
// Lloyd's k-means with k-means++ seeding, on the tensor's own device.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace scorch::evaluation {

// Cluster labels int64 [N] of points [N, D] (floating) in `clusters` groups;
// iterates until no label changes or `max_iterations` pass. The seeding draws
// come from `generator` (CPU).
at::Tensor kmeans_labels(const at::Tensor& points, std::int64_t clusters, std::int64_t max_iterations,
                         at::Generator& generator);

}  // namespace scorch::evaluation
