#pragma once
// Gaussian statistics of a feature set (the inputs of FID), accumulated in
// float64 sums Σx and Σxxᵀ so ranks can add their shares with one all-reduce
// and the result does not depend on how features were split over ranks or
// batches (docs/conventions.md §4), and stored as HDF5 files beside the data.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct FeatureStatistics {
  at::Tensor mu;     // float64 [D]
  at::Tensor sigma;  // float64 [D, D], unbiased (N − 1)
  std::int64_t count = 0;
  std::string extractor;  // identity of the feature extractor; empty when unknown (.npz)
};

class FeatureMoments {
 public:
  explicit FeatureMoments(std::int64_t dimension);
  // features [B, D] of any floating dtype and device.
  void add(const at::Tensor& features);
  // Sums every rank's moments in place (every rank must call it).
  void all_reduce(Communicator& communicator);
  // Needs at least two features in total.
  FeatureStatistics statistics(const std::string& extractor) const;

 private:
  at::Tensor sum_;        // float64 [D]
  at::Tensor outer_sum_;  // float64 [D, D]
  at::Tensor count_;      // float64 [1]
};

// HDF5 with datasets /mu, /sigma and root attributes `count` and `extractor`;
// for a path ending in .npz, numpy's compressed archive of mu and sigma
// (float64), as pytorch-fid writes it, which has no room for the extractor.
void write_feature_statistics(const std::string& path, const FeatureStatistics& statistics);
// Our HDF5 statistics, or an .npz holding `mu` and `sigma` as TTUR, pytorch-fid
// and EDM publish them.
FeatureStatistics read_feature_statistics(const std::string& path);
// Whether `path` is a statistics file (not a dataset of images).
bool is_feature_statistics_file(const std::string& path);

}  // namespace scorch::evaluation
