// Throughput of the native FID Inception-v3 (pool3 and logits from uint8
// images, preprocessing included) with weights and activations in the
// default (NCHW) layout against channels-last (NHWC), measured in the same
// run; the ratio is what the extractor's choice of channels-last buys.
// Usage: scorch_inception_benchmark [BATCHES] [BATCH]   (OMP_NUM_THREADS applies)
#include "evaluation/features/fid_inception_v3.h"
#include "evaluation/features/pytorch_fid_extractor.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <string>

namespace {
using namespace scorch::evaluation;
using Clock = std::chrono::steady_clock;

double images_per_second(bool channels_last, int batches, std::int64_t batch) {
  FidInceptionV3 network;
  PytorchFidExtractor extractor(network, "benchmark", at::kCPU, channels_last);
  const at::Tensor images = at::randint(0, 256, {batch, 3, 32, 32}, at::kLong).to(at::kByte);
  extractor.extract(images.narrow(0, 0, 2), {true, true});  // warm-up
  const auto start = Clock::now();
  for (int i = 0; i < batches; ++i) extractor.extract(images, {true, true});
  return batches * batch / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int batches = argc > 1 ? std::stoi(argv[1]) : 2;
  const std::int64_t batch = argc > 2 ? std::stoll(argv[2]) : 32;
  fmt::print("FID Inception-v3, {} batches of {} 32x32 RGB images resized to 299, {} intra-op threads\n", batches,
             batch, at::get_num_threads());
  const double nchw = images_per_second(false, batches, batch);
  const double nhwc = images_per_second(true, batches, batch);
  fmt::print("{:<16} {:>8.2f} images/s\n{:<16} {:>8.2f} images/s {:>6.2f}x NCHW\n", "NCHW", nchw, "channels-last",
             nhwc, nhwc / nchw);
}
