#include "models/score_function.h"

namespace scorch::models {

at::Tensor per_example_factor(const at::Tensor& coefficient, const at::Tensor& x) {
  at::Tensor c = coefficient.to(x.device(), x.scalar_type());
  if (c.dim() == 0 || x.dim() <= 1) return c;
  std::vector<int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
  shape[0] = c.size(0);
  return c.reshape(shape);
}

at::Tensor sum_per_example(const at::Tensor& x) { return x.reshape({x.size(0), -1}).sum(1); }
at::Tensor mean_per_example(const at::Tensor& x) { return x.reshape({x.size(0), -1}).mean(1); }

}  // namespace scorch::models
