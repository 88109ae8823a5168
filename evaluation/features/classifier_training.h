#pragma once
// Training the FID/IS classifier of image_classifier.h on a labelled dataset
// file, split over the ranks of a job like the score-model trainer: a shared
// epoch plan, each rank's share of the global batch, gradients summed by
// all-reduce. Accuracy is measured on a test file, or on every tenth image
// held out from the training file when none is given.
#include "evaluation/features/image_classifier.h"

#include <cstdint>
#include <string>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

struct ClassifierTrainingSettings {
  std::int64_t epochs = 3;
  std::int64_t batch_size = 128;  // global
  double learning_rate = 1e-3;
  std::uint64_t seed = 0;
};

struct ClassifierTrainingResult {
  ImageClassifier classifier{nullptr};
  ClassifierFile description;
  std::int64_t test_images = 0;
  bool held_out = false;  // accuracy from held-out training images, not a test file
  double final_loss = 0.0;
};

// `test_path` may be empty.
ClassifierTrainingResult train_classifier(const std::string& train_path, const std::string& test_path,
                                          const ClassifierTrainingSettings& settings, Communicator& communicator,
                                          const at::Device& device);

}  // namespace scorch::evaluation
