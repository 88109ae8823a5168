#include "common/config.h"
#include "launch/config_schema.h"
#include "models/model_config.h"
#include "models/score_model.h"
#include "models/score_model_config.h"
#include "models/sde.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

namespace scorch::models {
namespace {

// Every shipped config builds its model, and one forward pass keeps the input shape.
TEST(ModelPresets, EveryShippedConfigBuildsAndPreservesTheShape) {
  torch::NoGradGuard no_grad;
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SCORCH_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const Config config = launch::load_config(entry.path().string(), {});
    const ModelBundle bundle = make_model_bundle(config);
    const auto& model = bundle.model;
    model->eval();
    std::vector<std::int64_t> shape = model->input_shape();
    shape.insert(shape.begin(), 2);
    const at::Tensor x = at::rand(shape);
    const at::Tensor conditioning = bundle.process.sde() ? at::tensor({0.05, 0.9}) : at::tensor({0.1, 1.0});
    const at::Tensor score = model->score(x, conditioning);
    EXPECT_EQ(score.sizes(), x.sizes());
    EXPECT_TRUE(at::isfinite(score).all().item<bool>());
    ++checked;
  }
  EXPECT_GE(checked, 11);
}

}  // namespace
}  // namespace scorch::models
