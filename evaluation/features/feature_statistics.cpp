#include "evaluation/features/feature_statistics.h"

#include "common/communicator.h"
#include "common/user_error.h"
#include "data/npz_archive.h"
#include "data/tensor_archive.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <cmath>

namespace scorch::evaluation {
namespace {

bool has_npz_extension(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
}

FeatureStatistics checked(FeatureStatistics statistics, const std::string& path) {
  const at::Tensor& mu = statistics.mu;
  const at::Tensor& sigma = statistics.sigma;
  if (mu.dim() != 1 || sigma.dim() != 2 || sigma.size(0) != mu.size(0) || sigma.size(1) != mu.size(0)) {
    throw UserError(fmt::format("{}: mu must be [D] and sigma [D, D] (got {} and {})", path, fmt::join(mu.sizes(), "x"),
                                fmt::join(sigma.sizes(), "x")));
  }
  return statistics;
}

FeatureStatistics read_npz_statistics(const std::string& path) {
  const std::map<std::string, at::Tensor> arrays = data::read_npz(path);
  for (const char* name : {"mu", "sigma"}) {
    if (!arrays.count(name)) throw UserError(fmt::format("{}: no array '{}' (expected mu and sigma)", path, name));
  }
  FeatureStatistics statistics{arrays.at("mu").to(at::kDouble), arrays.at("sigma").to(at::kDouble), 0, ""};
  return checked(std::move(statistics), path);
}

}  // namespace

FeatureMoments::FeatureMoments(std::int64_t dimension)
    : sum_(at::zeros({dimension}, at::kDouble)),
      outer_sum_(at::zeros({dimension, dimension}, at::kDouble)),
      count_(at::zeros({1}, at::kDouble)) {}

void FeatureMoments::add(const at::Tensor& features) {
  if (features.dim() != 2 || features.size(1) != sum_.size(0)) {
    throw UserError(fmt::format("features of shape {} do not have the expected dimension {}",
                                fmt::join(features.sizes(), "x"), sum_.size(0)));
  }
  // The products are formed on the features' device, then kept on the CPU.
  const at::Tensor x = features.to(at::kDouble);
  sum_ += x.sum(0).cpu();
  outer_sum_ += x.t().matmul(x).cpu();
  count_ += static_cast<double>(features.size(0));
}

void FeatureMoments::all_reduce(Communicator& communicator) {
  for (at::Tensor* tensor : {&sum_, &outer_sum_, &count_}) *tensor = summed_over_ranks(communicator, *tensor);
}

FeatureStatistics FeatureMoments::statistics(const std::string& extractor) const {
  const double n = count_.item<double>();
  if (n < 2) throw UserError(fmt::format("feature statistics need at least 2 images (got {})", n));
  const at::Tensor mu = sum_ / n;
  at::Tensor sigma = (outer_sum_ - n * at::outer(mu, mu)) / (n - 1.0);
  sigma = 0.5 * (sigma + sigma.t());
  return {mu, sigma, static_cast<std::int64_t>(n), extractor};
}

void write_feature_statistics(const std::string& path, const FeatureStatistics& statistics) {
  // As pytorch-fid's --save-stats writes them (np.savez_compressed), for its tools and TTUR's.
  if (has_npz_extension(path)) {
    data::write_npz(path, {{"mu", statistics.mu.to(at::kDouble)}, {"sigma", statistics.sigma.to(at::kDouble)}}, true);
    return;
  }
  data::TensorArchiveWriter writer(path);
  writer.write_tensor("mu", statistics.mu.to(at::kDouble));
  writer.write_tensor("sigma", statistics.sigma.to(at::kDouble));
  writer.write_int_attribute("count", statistics.count);
  writer.write_text_attribute("extractor", statistics.extractor);
  writer.write_text_attribute("kind", "feature_statistics");
  writer.commit();
}

bool is_feature_statistics_file(const std::string& path) {
  if (has_npz_extension(path)) return true;
  if (std::filesystem::is_directory(path)) return false;  // a shard directory holds images
  const std::vector<std::string> names = data::list_group(path, "/");
  return std::find(names.begin(), names.end(), "mu") != names.end();
}

FeatureStatistics read_feature_statistics(const std::string& path) {
  if (has_npz_extension(path)) return read_npz_statistics(path);
  FeatureStatistics statistics{data::read_tensor(path, "/mu").to(at::kDouble),
                               data::read_tensor(path, "/sigma").to(at::kDouble),
                               data::read_root_int_attribute(path, "count"),
                               data::read_root_text_attribute(path, "extractor")};
  return checked(std::move(statistics), path);
}

}  // namespace scorch::evaluation
