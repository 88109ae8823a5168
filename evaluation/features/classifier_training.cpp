#include "evaluation/features/classifier_training.h"

#include "common/communicator.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/dataset_file.h"
#include "data/epoch_plan.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace scorch::evaluation {
namespace {

struct LabelledImages {
  at::Tensor images;  // uint8 [N, C, H, W]
  at::Tensor labels;  // int64 [N]
};

LabelledImages read_labelled(const std::string& path) {
  data::DatasetFile file(path);
  if (!file.has_labels()) throw UserError(path + ": the classifier needs labels (/labels), and this file has none");
  const std::int64_t count = file.shape().count;
  return {file.read_images(0, count), file.read_labels(0, count)};
}

LabelledImages select(const LabelledImages& all, const at::Tensor& indices) {
  return {all.images.index_select(0, indices), all.labels.index_select(0, indices)};
}

// Every tenth image (index ≡ 9 mod 10) is held out.
std::pair<LabelledImages, LabelledImages> hold_out(const LabelledImages& all) {
  const at::Tensor index = at::arange(all.images.size(0), at::kLong);
  const at::Tensor held = index.remainder(10) == 9;
  return {select(all, index.masked_select(held.logical_not())), select(all, index.masked_select(held))};
}

void average_gradients(torch::nn::Module& module, Communicator& communicator) {
  if (communicator.world_size() == 1) return;
  for (at::Tensor& parameter : module.parameters()) {
    parameter.mutable_grad().copy_(summed_over_ranks(communicator, parameter.grad()) / communicator.world_size());
  }
}

double accuracy(ImageClassifierImpl& classifier, const LabelledImages& test, Communicator& communicator,
                const at::Device& device) {
  torch::NoGradGuard no_grad;
  classifier.eval();
  at::Tensor counts = at::zeros({2}, at::kDouble);  // correct, seen
  const std::int64_t n = test.images.size(0), batch = 512;
  for (std::int64_t start = communicator.rank() * batch; start < n; start += communicator.world_size() * batch) {
    const std::int64_t end = std::min(n, start + batch);
    const at::Tensor predicted = classifier.forward(test.images.slice(0, start, end).to(device)).logits.argmax(1).cpu();
    counts[0] += (predicted == test.labels.slice(0, start, end)).sum().item<double>();
    counts[1] += static_cast<double>(end - start);
  }
  counts = summed_over_ranks(communicator, counts);
  return counts[0].item<double>() / counts[1].item<double>();
}

}  // namespace

ClassifierTrainingResult train_classifier(const std::string& train_path, const std::string& test_path,
                                          const ClassifierTrainingSettings& settings, Communicator& communicator,
                                          const at::Device& device) {
  const int world = communicator.world_size();
  if (settings.epochs < 1) throw UserError("--epochs must be at least 1");
  if (settings.batch_size < world || settings.batch_size % world != 0) {
    throw UserError(fmt::format("--batch-size {} must be a positive multiple of the {} ranks", settings.batch_size, world));
  }
  const LabelledImages all = read_labelled(train_path);
  auto [train, test] = test_path.empty() ? hold_out(all) : std::make_pair(all, read_labelled(test_path));
  if (test.images.sizes().slice(1) != train.images.sizes().slice(1)) {
    throw UserError(fmt::format("{}: test images [{}] differ from training images [{}]", test_path,
                                fmt::join(test.images.sizes().slice(1), "x"), fmt::join(train.images.sizes().slice(1), "x")));
  }
  if (train.images.size(2) != train.images.size(3)) throw UserError(train_path + ": the classifier needs square images");
  const std::int64_t classes = std::max(train.labels.max().item<std::int64_t>(), test.labels.max().item<std::int64_t>()) + 1;
  const ClassifierShape shape{train.images.size(1), train.images.size(2), classes};

  // Same seed on every rank: identical initial weights without a broadcast.
  torch::manual_seed(derive_seed({settings.seed, RandomPurpose::parameter_init, 0}, 0));
  ImageClassifier classifier(shape);
  classifier->to(device);
  torch::optim::Adam optimizer(classifier->parameters(), torch::optim::AdamOptions(settings.learning_rate));

  const data::EpochPlan plan({train.images.size(0), communicator.rank(), world, settings.batch_size / world,
                              /*shuffle=*/true, /*drop_last=*/true, settings.seed});
  const std::int64_t steps = settings.epochs * plan.batches_per_epoch();
  if (steps < 1) throw UserError(fmt::format("{}: fewer images than one batch of {}", train_path, settings.batch_size));
  ProgressMeter progress("train-classifier", steps, "steps");
  double last_loss = 0.0;
  for (std::int64_t step = 0; step < steps; ++step) {
    classifier->train();
    const data::BatchIndices batch = plan.batch(step / plan.batches_per_epoch(), step % plan.batches_per_epoch());
    const at::Tensor indices = at::tensor(batch.dataset_indices, at::kLong);
    const at::Tensor logits = classifier->forward(train.images.index_select(0, indices).to(device)).logits;
    const at::Tensor loss = torch::cross_entropy_loss(logits, train.labels.index_select(0, indices).to(device));
    optimizer.zero_grad();
    loss.backward();
    average_gradients(*classifier, communicator);
    optimizer.step();
    last_loss = summed_over_ranks(communicator, loss.detach().to(at::kDouble)).item<double>() / world;
    progress.set_detail(fmt::format("loss {:.4f}", last_loss));
    progress.update(step + 1);
  }

  ClassifierTrainingResult result;
  result.description = {shape, accuracy(*classifier, test, communicator, device), train_path};
  result.classifier = classifier;
  result.test_images = test.images.size(0);
  result.held_out = test_path.empty();
  result.final_loss = last_loss;
  return result;
}

}  // namespace scorch::evaluation
