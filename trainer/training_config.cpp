#include "trainer/training_config.h"

#include "common/compute_settings.h"
#include "common/config.h"
#include "common/distributed_keys.h"
#include "common/user_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace scorch::trainer {

void declare_training_config(ConfigSchema& schema) {
  using T = ConfigType;
  // Defaults come from the settings structs, so each is stated once.
  const TrainingSettings d;
  schema.add({"train.steps", T::integer, config_default_integer(d.steps), "total optimiser steps (a resumed run continues to this)", {}, 1.0});
  schema.add({"train.batch_size", T::integer, config_default_integer(d.global_batch), "global batch over all ranks and micro-batches", {}, 1.0});
  schema.add({"train.micro_batches", T::integer, config_default_integer(d.micro_batches), "gradient accumulation: micro-batches per step", {}, 1.0});
  schema.add({"train.log_every", T::integer, config_default_integer(d.log_every), "steps between metrics records and progress lines", {}, 1.0});
  schema.add({"train.time_limit_min", T::number, config_default(d.time_limit_seconds / 60.0),
              "stop after this many minutes in this process, with a checkpoint; --resume auto goes on (0: none)", {},
              0.0});
  schema.add({"train.max_bad_steps", T::integer, config_default_integer(d.max_bad_steps),
              "abort after this many consecutive steps with a non-finite loss or gradient", {}, 1.0});
  schema.add({"train.precision", T::choice, to_string(d.precision),
              "the network's arithmetic: fp32, or bf16 autocast of its convolutions and matrix products in the "
              "forward and backward passes (weights, loss, Adam and EMA stay fp32)",
              table_names(precision_table())});
  schema.add({"optim.lr", T::number, config_default(d.lr), "Adam learning rate", {}, 0.0});
  schema.add({"optim.beta1", T::number, config_default(d.adam.beta1), "Adam beta1", {}, 0.0, false, 1.0});
  schema.add({"optim.beta2", T::number, config_default(d.adam.beta2), "Adam beta2", {}, 0.0, false, 1.0});
  schema.add({"optim.eps", T::number, config_default(d.adam.eps), "Adam epsilon", {}, 0.0, true});
  schema.add({"optim.amsgrad", T::boolean, config_default_boolean(d.adam.amsgrad),
              "Adam with the running maximum of the second moment (torch.optim.Adam amsgrad=True)"});
  schema.add({"optim.weight_decay", T::number, config_default(d.adam.weight_decay),
              "decoupled weight decay λ of torch.optim.AdamW, θ ← θ(1 − lr·λ) each step (0: Adam)", {}, 0.0});
  schema.add({"optim.warmup", T::integer, config_default_integer(d.warmup), "linear learning-rate warm-up steps (0: none)", {}, 0.0});
  schema.add({"optim.grad_clip", T::number, config_default(d.grad_clip), "global gradient-norm clip (0 or negative: off)"});
  schema.add({"ema.rate", T::number, config_default(d.ema.rate), "EMA decay (0.9999 VP/subVP, 0.999 VE in score_sde)", {}, 0.0, false, 1.0});
  schema.add({"ema.warmup", T::boolean, config_default_boolean(d.ema.warmup), "use min(rate, (1+n)/(10+n)) after n updates"});
  schema.add({"ema.halflife_kimg", T::number, config_default(d.ema.halflife_images / 1000.0), "EMA half-life in thousands of images; > 0 replaces ema.rate",
              {}, 0.0});
  schema.add({"checkpoint.every", T::integer, config_default_integer(d.checkpoint_every), "steps between checkpoints", {}, 1.0});
  schema.add({"checkpoint.keep", T::integer, config_default_integer(d.checkpoint_keep), "recent checkpoints kept (older ones are deleted)", {}, 1.0});
  schema.add({"checkpoint.archive_every", T::integer, config_default_integer(d.archive_every), "also keep every checkpoint at a multiple of this (0: none)",
              {}, 0.0});
  schema.add({"checkpoint.preview_images", T::integer, "0",
              "PNG grid of this many EMA samples beside each checkpoint, in previews/ (0: off)", {}, 0.0});
  schema.add({"distributed.bucket_mb", T::number, config_default(static_cast<double>(d.bucket_bytes) / (1 << 20)), "gradient all-reduce bucket size in MiB", {}, 0.0, true});
  declare_distributed_keys(schema);
  declare_compute_keys(schema);
  // A resumed run may train longer, log, checkpoint and place itself differently;
  // train.batch_size and train.micro_batches stay: they fix the global batch.
  schema.allow_change_on_resume({"train.steps", "train.log_every", "train.time_limit_min", "train.max_bad_steps",
                                 "checkpoint.", "distributed."});
}

TrainingSettings training_settings_from(const Config& config) {
  TrainingSettings s;
  s.seed = static_cast<std::uint64_t>(config.integer("seed"));
  s.steps = config.integer("train.steps");
  s.global_batch = config.integer("train.batch_size");
  s.micro_batches = config.integer("train.micro_batches");
  s.log_every = config.integer("train.log_every");
  s.max_bad_steps = config.integer("train.max_bad_steps");
  s.precision = precision_named(config.string("train.precision"), "train.precision");
  s.time_limit_seconds = config.number("train.time_limit_min") * 60.0;
  s.lr = config.number("optim.lr");
  s.adam = {config.number("optim.beta1"), config.number("optim.beta2"), config.number("optim.eps"),
            config.boolean("optim.amsgrad"), config.number("optim.weight_decay")};
  s.warmup = config.integer("optim.warmup");
  s.grad_clip = config.number("optim.grad_clip");
  s.ema = {config.number("ema.rate"), config.boolean("ema.warmup"), config.number("ema.halflife_kimg") * 1000.0};
  s.checkpoint_every = config.integer("checkpoint.every");
  s.checkpoint_keep = config.integer("checkpoint.keep");
  s.archive_every = config.integer("checkpoint.archive_every");
  s.bucket_bytes = static_cast<std::int64_t>(std::llround(config.number("distributed.bucket_mb") * (1 << 20)));
  s.distributed = distributed_settings_from(config);
  return s;
}

std::int64_t per_rank_batch(const TrainingSettings& settings, std::int64_t world_size) {
  if (settings.global_batch % (world_size * settings.micro_batches) != 0) {
    throw UserError(fmt::format("train.batch_size {} must be divisible by {} rank(s) × train.micro_batches {}",
                                settings.global_batch, world_size, settings.micro_batches));
  }
  return settings.global_batch / (world_size * settings.micro_batches);
}

double learning_rate(const TrainingSettings& settings, std::int64_t completed_steps) {
  if (settings.warmup <= 0) return settings.lr;
  return settings.lr * std::min(1.0, static_cast<double>(completed_steps) / static_cast<double>(settings.warmup));
}

}  // namespace scorch::trainer
