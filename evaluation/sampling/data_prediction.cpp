#include "evaluation/sampling/data_prediction.h"

#include "models/sde.h"

#include <ATen/ATen.h>

namespace scorch::evaluation {
namespace {

at::Tensor one(double value) { return at::full({1}, value, at::kDouble); }

}  // namespace

SchedulePoint schedule_point(const models::Sde& sde, double t) {
  const at::Tensor time = one(t);
  return {t, sde.mean_coeff(time).item<double>(), sde.marginal_std(time).item<double>(),
          sde.log_snr(time).item<double>()};
}

double time_of_log_snr(const models::Sde& sde, double lambda) { return sde.time_of_log_snr(one(lambda)).item<double>(); }

at::Tensor data_prediction(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x, double t) {
  const at::Tensor time = at::full({x.size(0)}, t, at::kDouble);
  return sde.denoised_mean(x, time, score(x, time));
}

}  // namespace scorch::evaluation
