#pragma once
// Drawing N samples with every rank of a job: images are cut into batches of
// fixed global index ranges [k·B, (k+1)·B), rank r takes batches k ≡ r (mod
// world size), and rank 0 gathers the results. An image's batch never depends
// on the world size, so neither do the samples.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct SampleBatch {
  at::Tensor samples;                // [B, ...example_shape]
  at::Tensor function_evaluations;   // float64 [B]: network calls each image needed
};

// Draws the images with these global indices.
using BatchSampler = std::function<SampleBatch(const std::vector<std::int64_t>& image_indices)>;

struct GeneratedSamples {
  at::Tensor samples;  // float32 [N, ...] on the CPU, on rank 0 only
  double mean_function_evaluations = 0.0;
};

GeneratedSamples generate_samples(const BatchSampler& sampler, std::int64_t count, std::int64_t batch_size,
                                  const std::vector<std::int64_t>& example_shape, Communicator& communicator,
                                  const std::string& label);

}  // namespace scorch::evaluation
