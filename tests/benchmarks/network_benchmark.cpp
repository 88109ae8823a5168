// Training-step cost of the score networks: forward + backward images/s at
// batch 8 for the DDPM++ cont. (VP) reference config and each small preset,
// and each one's speed relative to the reference measured in the same run.
// Usage: scorch_network_benchmark [SOURCE_DIR] [STEPS]   (OMP_NUM_THREADS applies)
#include "common/config.h"
#include "launch/config_schema.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/sde.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

namespace {
using namespace scorch;
using Clock = std::chrono::steady_clock;

struct Measurement {
  std::string config;
  std::int64_t parameters = 0;
  double images_per_second = 0.0;
};

Measurement measure(const std::string& path, int steps, std::int64_t batch) {
  const Config config = launch::load_config(path, {});
  const auto model = models::make_model_bundle(config).model;
  model->train();
  std::vector<std::int64_t> shape = model->input_shape();
  shape.insert(shape.begin(), batch);
  const at::Tensor x = at::rand(shape);
  const at::Tensor conditioning = at::rand({batch}) * 0.9 + 0.05;
  auto step = [&] {
    model->zero_grad();
    model->score(x, conditioning).square().mean().backward();
  };
  step();  // warm-up: allocator and first-touch costs
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {path.substr(path.find_last_of('/') + 1), model->parameter_count(), steps * batch / seconds};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string source = argc > 1 ? argv[1] : ".";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 3;
  const std::int64_t batch = 8;
  fmt::print("forward+backward, batch {}, {} timed steps, {} intra-op threads\n", batch, steps, at::get_num_threads());
  std::vector<Measurement> results;
  for (const char* name : {"cifar10_ddpmpp_continuous_vp.yaml", "unet_small_28x28x1.yaml", "unet_small_32x32x3.yaml",
                           "ncsnv2_small_28x28x1.yaml", "mlp_toy_2d_vp.yaml"}) {
    results.push_back(measure(source + "/configs/" + name, steps, batch));
    const Measurement& m = results.back();
    fmt::print("{:<36} {:>11} params {:>10.1f} images/s {:>8.2f}x reference\n", m.config, m.parameters,
               m.images_per_second, m.images_per_second / results.front().images_per_second);
  }
  return 0;
}
