#include "trainer/training_loop.h"

#include "common/communicator.h"
#include "common/device_copy.h"
#include "common/durable_file.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/random_stream.h"
#include "common/user_error.h"
#include "data/sharded_loader.h"
#include "models/module_state.h"
#include "models/score_model.h"
#include "trainer/adam.h"
#include "trainer/ema.h"
#include "trainer/gradient_sync.h"
#include "trainer/objective.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

namespace scorch::trainer {
namespace {

using Clock = std::chrono::steady_clock;

// Drops metrics records past `step`, left by a run that died after its last checkpoint.
void truncate_metrics_after(const std::string& path, std::int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::stringstream kept;
  std::string line;
  while (std::getline(in, line)) {
    const auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_discarded() && record.value("step", std::int64_t{0}) <= step) kept << line << '\n';
  }
  in.close();
  write_text_file_atomically(path, kept.str());
}

// The global L2 norm of the gradients as a float64 tensor on their device,
// from per-tensor norms (one multi-tensor kernel on a GPU, as
// torch.nn.utils.clip_grad_norm_): no host synchronisation here.
at::Tensor global_gradient_norm(const std::vector<at::Tensor>& gradients, const at::TensorOptions& options) {
  if (gradients.empty()) return at::zeros({}, options.dtype(at::kDouble));
  return at::stack(at::_foreach_norm(gradients)).to(at::kDouble).square().sum().sqrt();
}

std::vector<at::Tensor> defined_gradients(const std::vector<at::Tensor>& parameters) {
  std::vector<at::Tensor> gradients;
  for (const at::Tensor& p : parameters) {
    if (p.grad().defined()) gradients.push_back(p.grad());
  }
  return gradients;
}

}  // namespace

TrainingOutcome train(TrainingRun& run, const std::optional<Checkpoint>& resume_from) {
  const TrainingSettings& s = run.settings;
  Communicator& comm = run.communicator;
  models::ScoreModel& model = run.model;
  const int rank = comm.rank();
  const std::int64_t world = comm.world_size();
  per_rank_batch(s, world);  // validates the split

  std::vector<at::Tensor> all_parameters, trainable;
  std::vector<std::pair<std::string, at::Tensor>> trainable_named;
  for (const auto& item : model.named_parameters()) {
    all_parameters.push_back(item.value());
    if (item.value().requires_grad()) {
      trainable.push_back(item.value());
      trainable_named.emplace_back(item.key(), item.value());
    }
  }
  Adam adam(trainable_named, s.adam);
  GradientSynchronizer gradients(trainable, comm, s.bucket_bytes);
  GradientSynchronizer all_weights(all_parameters, comm, s.bucket_bytes);

  std::int64_t step = 0;
  std::optional<Ema> ema;
  if (resume_from) {
    const Checkpoint& c = *resume_from;
    models::load_parameters(model, c.model, "the checkpoint's weights");
    ema.emplace(model, s.ema);
    ema->load(c.ema, c.state.ema_updates);
    adam.load_state(c.optimizer, c.state.optimizer_steps);
    step = c.state.step;
    run.loader.seek(c.state.cursor);
  } else {
    all_weights.broadcast_parameters();
    ema.emplace(model, s.ema);
  }
  require_same_on_all_ranks(comm, parameter_checksum(all_parameters), "the model parameters");
  if (rank == 0 && resume_from) truncate_metrics_after(run.metrics_path, step);

  const models::ScoreFunction score = model.as_function();
  // Returns whether the checkpoint was written (on every rank).
  auto save = [&](std::int64_t at_step) {
    double written = 1.0;
    if (rank == 0) {
      Checkpoint c;
      c.state = {at_step, ema->updates(), adam.steps(), run.loader.cursor(), s.global_batch, world,
                 run.config_yaml, model.name(), model.parameterisation()};
      c.model = models::parameter_map(model);
      c.ema = ema->weights();
      c.optimizer = adam.state();
      try {
        const std::string path = run.checkpoints.save(c);
        log::info("step {}: checkpoint {}", at_step, path);
        if (run.after_checkpoint) run.after_checkpoint(at_step, c.ema);
      } catch (const UserError& e) {
        // A failed write (disk full, permissions) keeps the previous checkpoint; training goes on.
        log::error("step {}: checkpoint not written, the previous one is kept: {}", at_step, e.what());
        written = 0.0;
      }
    }
    at::Tensor outcome_of_write = at::tensor({written}, at::kDouble).to(comm.device());
    comm.broadcast(outcome_of_write, 0);
    return outcome_of_write.cpu().item<double>() > 0.0;
  };

  TrainingOutcome outcome;
  ProgressMeter progress("train", s.steps, "steps");
  progress.start_at(step);
  if (s.time_limit_seconds > 0.0) progress.set_deadline(s.time_limit_seconds);
  std::int64_t bad_in_a_row = 0;
  double interval_loss = 0.0;
  std::int64_t interval_steps = 0;  // finite steps, for the mean loss
  std::int64_t interval_all_steps = 0;
  // From the end of backward to the step's one read of the device: the
  // gradient and loss all-reduces, waiting for peers included, and on a GPU
  // also the queued forward and backward work that the read waits for.
  double interval_sync_seconds = 0.0;
  auto interval_start = Clock::now();
  const auto run_start = Clock::now();
  model.train();
  const models::PrecisionScope precision(model, s.precision);
  const at::TensorOptions on_device = at::TensorOptions().device(comm.device());
  while (step < s.steps) {
    const double lr = learning_rate(s, step);
    model.zero_grad();
    // Summed on the device; read once per step with the stop flag and the gradient norm.
    at::Tensor local_loss_sum = at::zeros({}, on_device.dtype(at::kDouble));
    for (std::int64_t m = 0; m < s.micro_batches; ++m) {
      // Dropout draws from the global generator: key it by (seed, step, rank, micro-batch).
      at::manual_seed(derive_seed({s.seed, RandomPurpose::dropout, static_cast<std::uint64_t>(step)},
                                  static_cast<std::uint64_t>(rank * s.micro_batches + m)));
      const data::Batch batch = run.loader.next();
      const at::Tensor positions = batch.positions.contiguous();
      const std::vector<std::int64_t> indices(positions.data_ptr<std::int64_t>(),
                                              positions.data_ptr<std::int64_t>() + positions.numel());
      const at::Tensor losses = run.objective.per_example_loss(score, to_device(batch.images, comm.device()), s.seed,
                                                               static_cast<std::uint64_t>(step), indices);
      // Only the last micro-batch synchronises; its backward starts the bucket sums.
      if (m + 1 == s.micro_batches) gradients.overlap_next_backward();
      (losses.sum() / static_cast<double>(s.global_batch)).backward();
      local_loss_sum += losses.detach().to(at::kDouble).sum();
    }
    const auto sync_start = Clock::now();
    gradients.sum_gradients();
    const bool out_of_time = s.time_limit_seconds > 0.0 &&
                             std::chrono::duration<double>(Clock::now() - run_start).count() >= s.time_limit_seconds;
    const bool stop_here = (run.stop_requested != nullptr && run.stop_requested->load()) || out_of_time;
    at::Tensor shared = at::stack({local_loss_sum, at::full({}, stop_here ? 1.0 : 0.0, on_device.dtype(at::kDouble))});
    comm.all_reduce_sum(shared);
    const std::vector<at::Tensor> trainable_gradients = defined_gradients(trainable);
    // The step's one host synchronisation: whether to update (a non-finite loss
    // or norm skips it) and whether to stop must be known here, the same on
    // every rank. The norm is of the summed gradients, so it is the same everywhere.
    const at::Tensor read = at::cat({shared, global_gradient_norm(trainable_gradients, on_device).reshape({1})}).cpu();
    interval_sync_seconds += std::chrono::duration<double>(Clock::now() - sync_start).count();
    const double loss = read[0].item<double>() / static_cast<double>(s.global_batch);
    const bool stop = read[1].item<double>() > 0.0;
    const double grad_norm = read[2].item<double>();

    if (std::isfinite(loss) && std::isfinite(grad_norm)) {
      bad_in_a_row = 0;
      if (s.grad_clip > 0.0) {
        const double coefficient = s.grad_clip / (grad_norm + 1e-6);
        if (coefficient < 1.0) {
          torch::NoGradGuard no_grad;
          at::_foreach_mul_(trainable_gradients, coefficient);
        }
      }
      adam.step(lr);
      ema->update(model, s.global_batch);
      interval_loss += loss;
      ++interval_steps;
    } else {
      ++bad_in_a_row;
      ++outcome.skipped_steps;
      log::warn("step {}: non-finite loss ({}) or gradient norm ({}); update skipped ({} in a row)", step + 1, loss,
                grad_norm, bad_in_a_row);
      if (bad_in_a_row >= s.max_bad_steps) {
        throw UserError(fmt::format("{} consecutive steps had a non-finite loss or gradient (train.max_bad_steps); "
                                    "lower optim.lr or check the data",
                                    bad_in_a_row));
      }
    }
    ++step;
    ++interval_all_steps;

    if (step % s.log_every == 0 || step == s.steps || stop) {
      const double seconds = std::chrono::duration<double>(Clock::now() - interval_start).count();
      const double images_per_s = static_cast<double>(interval_all_steps * s.global_batch) / seconds;
      if (rank == 0) {
        nlohmann::ordered_json record = {
            {"step", step},
            {"loss", interval_steps > 0 ? interval_loss / static_cast<double>(interval_steps) : NAN},
            {"grad_norm", grad_norm},
            {"lr", lr},
            {"images_per_s", images_per_s},
            {"sync_share", interval_sync_seconds / seconds},
            {"time", std::chrono::duration<double>(Clock::now() - run_start).count()},
            {"skipped_steps", outcome.skipped_steps}};
        std::ofstream(run.metrics_path, std::ios::app) << record.dump() << '\n';
        log::info("step {}: loss {:.5g}, grad norm {:.3g}, lr {:.3g}", step, record["loss"].get<double>(), grad_norm, lr);
      }
      interval_loss = 0.0;
      interval_steps = 0;
      interval_all_steps = 0;
      interval_sync_seconds = 0.0;
      interval_start = Clock::now();
    }
    progress.update(step);
    const bool last = step == s.steps || stop;
    if ((step % s.checkpoint_every == 0 || last) && !save(step) && last) {
      // The run's end must be on disk; a failed intermediate checkpoint only costs progress.
      const auto previous = run.checkpoints.latest();
      throw UserError(fmt::format("the final checkpoint (step {}) could not be written; the last good one is {}", step,
                                  previous ? *previous : std::string("none")));
    }
    if (stop) {
      outcome.stopped_early = step < s.steps;
      log::info("{}: checkpoint written at step {}", out_of_time ? "train.time_limit_min reached" : "stop requested",
                step);
      break;
    }
  }
  outcome.final_step = step;
  return outcome;
}

}  // namespace scorch::trainer
