// Loader throughput: images/s for the in-memory and streaming modes, and what
// an epoch through the loader costs relative to one raw H5Dread of the whole
// /images dataset, on Fashion-MNIST and on a synthetic 50000 x 3 x 32 x 32 file.
// Then what a step's Gaussian training noise for a batch of 128 such images
// costs: one CPU generator per example (noise.device: host) against the
// counter-based generator run on the CPU (noise.device: device computes the
// same arithmetic on the GPU). The loader and the noise must keep up with the
// GPU's step rate.
// Usage: scorch_loader_benchmark [WORKDIR]   (OMP_NUM_THREADS applies)
#include "common/counter_noise.h"
#include "common/log.h"
#include "common/random_stream.h"
#include "data/converters.h"
#include "data/dataset_file.h"
#include "data/sharded_loader.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

namespace {
using namespace scorch;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double raw_read_seconds(const std::string& path) {
  data::DatasetFile file(path);
  const data::DatasetShape shape = file.shape();
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(shape.count * shape.image_bytes()));
  const auto start = Clock::now();
  data::Hdf5Lock lock;
  data::Hdf5Id handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  data::Hdf5Id images(H5Dopen2(handle.get(), "images", H5P_DEFAULT));
  H5Dread(images.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
  return seconds_since(start);
}

void benchmark(const std::string& name, const std::string& path) {
  // Warm the page cache so every variant reads from memory-backed pages.
  const double raw = std::min(raw_read_seconds(path), raw_read_seconds(path));
  const std::int64_t count = data::DatasetFile(path).shape().count;
  fmt::print("{}: {} images, raw H5Dread of /images {:.3f} s ({:.0f} images/s)\n", name, count, raw, count / raw);
  for (data::LoaderMode mode : {data::LoaderMode::memory, data::LoaderMode::streaming}) {
    data::LoaderOptions options;
    options.path = path;
    options.batch_size = 128;
    options.mode = mode;
    options.random_flip = true;
    const auto setup_start = Clock::now();
    data::ShardedLoader loader(options);
    const double setup = seconds_since(setup_start);
    const std::int64_t batches = loader.plan().batches_per_epoch();
    const auto start = Clock::now();
    std::int64_t images = 0;
    for (std::int64_t b = 0; b < batches; ++b) images += loader.next().images.size(0);
    const double epoch = seconds_since(start);
    fmt::print("  {:9s} setup {:.3f} s, epoch {:.3f} s, {:.0f} images/s, epoch / raw read = {:.1f}x\n",
               mode == data::LoaderMode::memory ? "memory" : "streaming", setup, epoch, images / epoch, epoch / raw);
  }
}

// Median seconds of `draw` over 7 runs after one warm-up.
template <typename Draw>
double median_seconds(const Draw& draw) {
  std::vector<double> times;
  for (int run = 0; run < 8; ++run) {
    const auto start = Clock::now();
    draw();
    if (run > 0) times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void noise_benchmark(std::int64_t batch, std::vector<std::int64_t> shape) {
  const std::vector<std::int64_t> indices = index_range(1000, batch);
  const RandomKey key{0, RandomPurpose::training_noise, 1};
  const double host = median_seconds([&] {
    draw_per_example(key, indices, [&](at::Generator& generator) {
      return at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat));
    });
  });
  const double counter = median_seconds([&] { counter_normal(key, indices, shape, at::kFloat); });
  fmt::print("training noise for a batch of {} [{}]: host generators {:.2f} ms ({:.1f} µs per example), counter "
             "generator on the CPU {:.2f} ms; ratio host / counter = {:.2f}\n",
             batch, fmt::join(shape, ", "), host * 1e3, host * 1e6 / batch, counter * 1e3, host / counter);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path work = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "scorch-loader-benchmark";
  fs::create_directories(work);
  log::set_min_level(log::Level::warn);

  const fs::path fmnist = work / "fashion-mnist";
  if (!fs::exists(fmnist / "train.h5")) data::convert_dataset({"fashion-mnist", "/usr/share/datasets/fashion-mnist", fmnist.string()});
  benchmark("fashion-mnist train", (fmnist / "train.h5").string());

  const fs::path synthetic = work / "synthetic-32x32x3.h5";
  if (!fs::exists(synthetic)) {
    data::DatasetWriter writer(synthetic.string(), {50000, 3, 32, 32}, true, "synthetic", "train");
    for (std::int64_t start = 0; start < 50000; start += 5000) {
      writer.append(at::randint(256, {5000, 3, 32, 32}, at::kLong).to(at::kByte), at::arange(start, start + 5000, at::kLong) % 10);
    }
    writer.finish();
  }
  benchmark("synthetic 32x32x3", synthetic.string());
  noise_benchmark(128, {3, 32, 32});
  return 0;
}
