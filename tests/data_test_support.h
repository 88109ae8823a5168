#pragma once
// Small dataset files for the data tests, written with the real writer or,
// for malformed files, with the raw HDF5 API.
#include "common/user_error.h"
#include "data/dataset_file.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <ftw.h>
#include <functional>
#include <string>
#include <unistd.h>

namespace scorch::testing {

// The message of the UserError `action` throws, or "" (and a test failure) when it throws none.
inline std::string user_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UserError";
  return "";
}

inline std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "scorch_" + std::to_string(::getpid()) + "_" + name;
}

// Deletes a file or directory tree if it exists. Not std::filesystem::remove_all:
// a pip wheel's LibTorch exports its own static copy of that function, which
// crashes when a program built with another GCC binds to it (pytorch#133437).
inline void remove_tree(const std::string& path) {
  nftw(
      path.c_str(), [](const char* entry, const struct stat*, int, struct FTW*) { return std::remove(entry); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

// count images of [channels, size, size] whose pixels encode their index; labels = index % 10.
inline std::string write_indexed_dataset(const std::string& name, std::int64_t count, std::int64_t channels = 1,
                                         std::int64_t size = 4, bool labels = true) {
  const std::string path = temp_path(name);
  data::DatasetWriter writer(path, {count, channels, size, size}, labels, "test", "train");
  const at::Tensor index = at::arange(count, at::kLong);
  const at::Tensor images = (index.view({-1, 1, 1, 1}) * 7 + at::arange(channels * size * size, at::kLong).view({1, channels, size, size})) % 256;
  writer.append(images.to(at::kByte), labels ? index % 10 : at::Tensor());
  writer.finish();
  return path;
}

// Four classes: class k lights quadrant k of an 8×8 grey image, over noise.
inline std::string write_quadrant_dataset(const std::string& name, std::int64_t count) {
  const std::string path = temp_path(name);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(23);
  at::Tensor images = at::randint(0, 100, {count, 1, 8, 8}, generator, at::kLong);
  const at::Tensor labels = at::arange(count, at::kLong).remainder(4);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t k = labels[i].item<std::int64_t>();
    images[i].slice(1, 4 * (k / 2), 4 * (k / 2) + 4).slice(2, 4 * (k % 2), 4 * (k % 2) + 4) += 150;
  }
  data::DatasetWriter writer(path, {count, 1, 8, 8}, true, "test", "train");
  writer.append(images.to(at::kByte), labels);
  writer.finish();
  return path;
}

}  // namespace scorch::testing
