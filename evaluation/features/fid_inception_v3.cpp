#include "evaluation/features/fid_inception_v3.h"

#include "common/user_error.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <utility>

namespace scorch::evaluation {
namespace {

namespace F = torch::nn::functional;

using Pair = std::pair<std::int64_t, std::int64_t>;

class BasicConv2d final : public InceptionStage {
 public:
  BasicConv2d(std::int64_t in, std::int64_t out, Pair kernel, std::int64_t stride = 1, Pair padding = {0, 0}) {
    conv_ = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, {kernel.first, kernel.second})
                                      .stride(stride)
                                      .padding(std::vector<std::int64_t>{padding.first, padding.second})
                                      .bias(false)));
    bn_ = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001)));
  }
  BasicConv2d(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride = 1, std::int64_t padding = 0)
      : BasicConv2d(in, out, Pair{kernel, kernel}, stride, Pair{padding, padding}) {}

  at::Tensor forward(const at::Tensor& x) override { return torch::relu(bn_->forward(conv_->forward(x))); }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

class MaxPool final : public InceptionStage {
 public:
  at::Tensor forward(const at::Tensor& x) override { return torch::max_pool2d(x, {3, 3}, {2, 2}); }
};

// TensorFlow's 3×3 average pool: the padding does not count in the average.
at::Tensor tf_average_pool(const at::Tensor& x) {
  return torch::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
}

class Block : public InceptionStage {
 protected:
  std::shared_ptr<BasicConv2d> conv(const std::string& name, std::shared_ptr<BasicConv2d> module) {
    return register_module(name, std::move(module));
  }
};

// InceptionA (Mixed_5b–d).
class MixedA final : public Block {
 public:
  MixedA(std::int64_t in, std::int64_t pool_features)
      : b1x1_(conv("branch1x1", std::make_shared<BasicConv2d>(in, 64, 1))),
        b5x5_1_(conv("branch5x5_1", std::make_shared<BasicConv2d>(in, 48, 1))),
        b5x5_2_(conv("branch5x5_2", std::make_shared<BasicConv2d>(48, 64, 5, 1, 2))),
        b3dbl_1_(conv("branch3x3dbl_1", std::make_shared<BasicConv2d>(in, 64, 1))),
        b3dbl_2_(conv("branch3x3dbl_2", std::make_shared<BasicConv2d>(64, 96, 3, 1, 1))),
        b3dbl_3_(conv("branch3x3dbl_3", std::make_shared<BasicConv2d>(96, 96, 3, 1, 1))),
        pool_(conv("branch_pool", std::make_shared<BasicConv2d>(in, pool_features, 1))) {}

  at::Tensor forward(const at::Tensor& x) override {
    return torch::cat({b1x1_->forward(x), b5x5_2_->forward(b5x5_1_->forward(x)),
                       b3dbl_3_->forward(b3dbl_2_->forward(b3dbl_1_->forward(x))), pool_->forward(tf_average_pool(x))},
                      1);
  }

 private:
  std::shared_ptr<BasicConv2d> b1x1_, b5x5_1_, b5x5_2_, b3dbl_1_, b3dbl_2_, b3dbl_3_, pool_;
};

// InceptionB (Mixed_6a): the grid reduction from 35×35 to 17×17.
class MixedB final : public Block {
 public:
  explicit MixedB(std::int64_t in)
      : b3x3_(conv("branch3x3", std::make_shared<BasicConv2d>(in, 384, 3, 2))),
        b3dbl_1_(conv("branch3x3dbl_1", std::make_shared<BasicConv2d>(in, 64, 1))),
        b3dbl_2_(conv("branch3x3dbl_2", std::make_shared<BasicConv2d>(64, 96, 3, 1, 1))),
        b3dbl_3_(conv("branch3x3dbl_3", std::make_shared<BasicConv2d>(96, 96, 3, 2))) {}

  at::Tensor forward(const at::Tensor& x) override {
    return torch::cat({b3x3_->forward(x), b3dbl_3_->forward(b3dbl_2_->forward(b3dbl_1_->forward(x))),
                       torch::max_pool2d(x, {3, 3}, {2, 2})},
                      1);
  }

 private:
  std::shared_ptr<BasicConv2d> b3x3_, b3dbl_1_, b3dbl_2_, b3dbl_3_;
};

// InceptionC (Mixed_6b–e): factorised 7×7 convolutions.
class MixedC final : public Block {
 public:
  MixedC(std::int64_t in, std::int64_t c7)
      : b1x1_(conv("branch1x1", std::make_shared<BasicConv2d>(in, 192, 1))),
        b7_1_(conv("branch7x7_1", std::make_shared<BasicConv2d>(in, c7, 1))),
        b7_2_(conv("branch7x7_2", std::make_shared<BasicConv2d>(c7, c7, Pair{1, 7}, 1, Pair{0, 3}))),
        b7_3_(conv("branch7x7_3", std::make_shared<BasicConv2d>(c7, 192, Pair{7, 1}, 1, Pair{3, 0}))),
        b7dbl_1_(conv("branch7x7dbl_1", std::make_shared<BasicConv2d>(in, c7, 1))),
        b7dbl_2_(conv("branch7x7dbl_2", std::make_shared<BasicConv2d>(c7, c7, Pair{7, 1}, 1, Pair{3, 0}))),
        b7dbl_3_(conv("branch7x7dbl_3", std::make_shared<BasicConv2d>(c7, c7, Pair{1, 7}, 1, Pair{0, 3}))),
        b7dbl_4_(conv("branch7x7dbl_4", std::make_shared<BasicConv2d>(c7, c7, Pair{7, 1}, 1, Pair{3, 0}))),
        b7dbl_5_(conv("branch7x7dbl_5", std::make_shared<BasicConv2d>(c7, 192, Pair{1, 7}, 1, Pair{0, 3}))),
        pool_(conv("branch_pool", std::make_shared<BasicConv2d>(in, 192, 1))) {}

  at::Tensor forward(const at::Tensor& x) override {
    const at::Tensor b7 = b7_3_->forward(b7_2_->forward(b7_1_->forward(x)));
    const at::Tensor b7dbl =
        b7dbl_5_->forward(b7dbl_4_->forward(b7dbl_3_->forward(b7dbl_2_->forward(b7dbl_1_->forward(x)))));
    return torch::cat({b1x1_->forward(x), b7, b7dbl, pool_->forward(tf_average_pool(x))}, 1);
  }

 private:
  std::shared_ptr<BasicConv2d> b1x1_, b7_1_, b7_2_, b7_3_, b7dbl_1_, b7dbl_2_, b7dbl_3_, b7dbl_4_, b7dbl_5_, pool_;
};

// InceptionD (Mixed_7a): the grid reduction from 17×17 to 8×8.
class MixedD final : public Block {
 public:
  explicit MixedD(std::int64_t in)
      : b3_1_(conv("branch3x3_1", std::make_shared<BasicConv2d>(in, 192, 1))),
        b3_2_(conv("branch3x3_2", std::make_shared<BasicConv2d>(192, 320, 3, 2))),
        b7_1_(conv("branch7x7x3_1", std::make_shared<BasicConv2d>(in, 192, 1))),
        b7_2_(conv("branch7x7x3_2", std::make_shared<BasicConv2d>(192, 192, Pair{1, 7}, 1, Pair{0, 3}))),
        b7_3_(conv("branch7x7x3_3", std::make_shared<BasicConv2d>(192, 192, Pair{7, 1}, 1, Pair{3, 0}))),
        b7_4_(conv("branch7x7x3_4", std::make_shared<BasicConv2d>(192, 192, 3, 2))) {}

  at::Tensor forward(const at::Tensor& x) override {
    return torch::cat({b3_2_->forward(b3_1_->forward(x)),
                       b7_4_->forward(b7_3_->forward(b7_2_->forward(b7_1_->forward(x)))),
                       torch::max_pool2d(x, {3, 3}, {2, 2})},
                      1);
  }

 private:
  std::shared_ptr<BasicConv2d> b3_1_, b3_2_, b7_1_, b7_2_, b7_3_, b7_4_;
};

// InceptionE (Mixed_7b, 7c): the pool branch averages in 7b and takes the
// maximum in 7c, as the TensorFlow graph does.
class MixedE final : public Block {
 public:
  enum class Pool { tf_average, max };
  MixedE(std::int64_t in, Pool pool)
      : pool_kind_(pool),
        b1x1_(conv("branch1x1", std::make_shared<BasicConv2d>(in, 320, 1))),
        b3_1_(conv("branch3x3_1", std::make_shared<BasicConv2d>(in, 384, 1))),
        b3_2a_(conv("branch3x3_2a", std::make_shared<BasicConv2d>(384, 384, Pair{1, 3}, 1, Pair{0, 1}))),
        b3_2b_(conv("branch3x3_2b", std::make_shared<BasicConv2d>(384, 384, Pair{3, 1}, 1, Pair{1, 0}))),
        b3dbl_1_(conv("branch3x3dbl_1", std::make_shared<BasicConv2d>(in, 448, 1))),
        b3dbl_2_(conv("branch3x3dbl_2", std::make_shared<BasicConv2d>(448, 384, 3, 1, 1))),
        b3dbl_3a_(conv("branch3x3dbl_3a", std::make_shared<BasicConv2d>(384, 384, Pair{1, 3}, 1, Pair{0, 1}))),
        b3dbl_3b_(conv("branch3x3dbl_3b", std::make_shared<BasicConv2d>(384, 384, Pair{3, 1}, 1, Pair{1, 0}))),
        pool_(conv("branch_pool", std::make_shared<BasicConv2d>(in, 192, 1))) {}

  at::Tensor forward(const at::Tensor& x) override {
    const at::Tensor b3 = b3_1_->forward(x);
    const at::Tensor b3dbl = b3dbl_2_->forward(b3dbl_1_->forward(x));
    const at::Tensor pooled = pool_kind_ == Pool::max ? torch::max_pool2d(x, {3, 3}, {1, 1}, {1, 1}) : tf_average_pool(x);
    return torch::cat({b1x1_->forward(x), b3_2a_->forward(b3), b3_2b_->forward(b3), b3dbl_3a_->forward(b3dbl),
                       b3dbl_3b_->forward(b3dbl), pool_->forward(pooled)},
                      1);
  }

 private:
  Pool pool_kind_;
  std::shared_ptr<BasicConv2d> b1x1_, b3_1_, b3_2a_, b3_2b_, b3dbl_1_, b3dbl_2_, b3dbl_3a_, b3dbl_3b_, pool_;
};

}  // namespace

FidInceptionV3Impl::FidInceptionV3Impl() {
  const auto add = [this](const std::string& name, std::shared_ptr<InceptionStage> stage) {
    stages_.push_back(register_module(name, std::move(stage)));
  };
  const auto pool = [this] { stages_.push_back(std::make_shared<MaxPool>()); };
  add("Conv2d_1a_3x3", std::make_shared<BasicConv2d>(3, 32, 3, 2));
  add("Conv2d_2a_3x3", std::make_shared<BasicConv2d>(32, 32, 3));
  add("Conv2d_2b_3x3", std::make_shared<BasicConv2d>(32, 64, 3, 1, 1));
  pool();
  add("Conv2d_3b_1x1", std::make_shared<BasicConv2d>(64, 80, 1));
  add("Conv2d_4a_3x3", std::make_shared<BasicConv2d>(80, 192, 3));
  pool();
  add("Mixed_5b", std::make_shared<MixedA>(192, 32));
  add("Mixed_5c", std::make_shared<MixedA>(256, 64));
  add("Mixed_5d", std::make_shared<MixedA>(288, 64));
  add("Mixed_6a", std::make_shared<MixedB>(288));
  add("Mixed_6b", std::make_shared<MixedC>(768, 128));
  add("Mixed_6c", std::make_shared<MixedC>(768, 160));
  add("Mixed_6d", std::make_shared<MixedC>(768, 160));
  add("Mixed_6e", std::make_shared<MixedC>(768, 192));
  add("Mixed_7a", std::make_shared<MixedD>(768));
  add("Mixed_7b", std::make_shared<MixedE>(1280, MixedE::Pool::tf_average));
  add("Mixed_7c", std::make_shared<MixedE>(2048, MixedE::Pool::max));
  fc_ = register_module("fc", torch::nn::Linear(kFeatures, kClasses));
}

at::Tensor FidInceptionV3Impl::pool3(const at::Tensor& x) {
  at::Tensor h = x;
  for (const auto& stage : stages_) h = stage->forward(h);
  return torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
}

at::Tensor FidInceptionV3Impl::unbiased_logits(const at::Tensor& pool3_features) const {
  return torch::mm(pool3_features, fc_->weight.t());
}

at::Tensor fid_inception_input(const at::Tensor& images) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) || images.scalar_type() != at::kByte) {
    throw UserError(fmt::format("the FID Inception takes uint8 images [B, 1 or 3, H, W], not [{}] {}",
                                fmt::join(images.sizes(), ", "), c10::toString(images.scalar_type())));
  }
  // ToTensor's division, in float32 as pytorch-fid does it.
  at::Tensor x = images.to(at::kFloat).div(255.0);
  if (x.size(1) == 1) x = x.repeat({1, 3, 1, 1});  // PIL's convert("RGB") of a grayscale image
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<std::int64_t>{FidInceptionV3Impl::kInputSize,
                                                            FidInceptionV3Impl::kInputSize})
                            .mode(torch::kBilinear)
                            .align_corners(false));
  return 2.0 * x - 1.0;
}

}  // namespace scorch::evaluation
