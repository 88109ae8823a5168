#pragma once
// The DLPM authors' 2-D network (their MLPModel, docs/models.md): a learnable
// time embedding, an input layer, then residual blocks that each add a
// projection of the embedding, every linear layer followed by a LayerNorm.
//
//   e = silu(W_e2 silu(W_e1 τ))                         time embedding, size E
//   h = silu(LN(W_in x))                                 units U
//   block(h) = silu(h + LN(W_2 (silu(LN(W_1 h)) + silu(W_t e))))   × (blocks + 1)
//   out = W_out h
//
// The last block belongs to the output head, as in their code, so `blocks`
// counts the middle blocks only (their nblocks). Parameter names are those of
// the authors' state_dict (time_mlp.0, inblock.0, midblocks.<k>.mlp_1.1,
// outblocks_mean.1, ...), so their weights load by name.
#include "models/score_model.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>
#include <vector>

namespace scorch::models {

struct ResidualMlpOptions {
  std::int64_t units = 64;           // their nunits
  std::int64_t blocks = 4;           // their nblocks: middle blocks; one more is in the output head
  std::int64_t time_embedding = 32;  // their time_emb_size (time_emb_type learnable)
  bool layer_norm = true;            // their group_norm, which builds LayerNorms
  bool skip = true;                  // their skip_connection
};

class ResidualMlpScoreModel final : public ScoreNetwork {
 public:
  ResidualMlpScoreModel(std::vector<std::int64_t> input_shape, ResidualMlpOptions options, Preconditioning preconditioning);

  at::Tensor forward(const at::Tensor& x, const at::Tensor& label) override;
  static constexpr const char* kName = "residual_mlp";
  std::string name() const override { return kName; }
  std::string architecture() const override;
  std::vector<std::int64_t> input_shape() const override { return input_shape_; }

 private:
  std::vector<std::int64_t> input_shape_;
  ResidualMlpOptions options_;
  torch::nn::Sequential time_mlp_{nullptr}, inblock_{nullptr};
  torch::nn::ModuleList midblocks_{nullptr}, outblocks_{nullptr};
};

}  // namespace scorch::models
