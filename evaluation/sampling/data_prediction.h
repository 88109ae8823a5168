#pragma once
// What the fixed-grid samplers (EDM, DPM-Solver++, DDIM) share: the schedule
// at one time, and the model's data prediction there, Tweedie's
// E[x_0 | x_t] = (x + σ_t² s(x, t))/a_t, which they all step with.
#include "models/score_function.h"

#include <ATen/core/Tensor.h>

namespace scorch::models {
class Sde;
}

namespace scorch::evaluation {

// a_t, σ_t and λ_t = log(a_t²/σ_t²) at one time t (float64).
struct SchedulePoint {
  double t = 0.0;
  double a = 1.0;
  double sigma = 0.0;
  double log_snr = 0.0;
};
SchedulePoint schedule_point(const models::Sde& sde, double t);
// The time where λ_t = lambda.
double time_of_log_snr(const models::Sde& sde, double lambda);

// E[x_0 | x_t] for every image of x at the one time t; one network call.
at::Tensor data_prediction(const models::Sde& sde, const models::ScoreFunction& score, const at::Tensor& x, double t);

}  // namespace scorch::evaluation
