#pragma once
// The regularised lower incomplete gamma function and its inverse, in float64:
// the χ² and gamma quantiles behind the noise-level overlap scheme (the role
// scipy.special.gammaincinv plays in the heavy-tailed DSM paper).

namespace scorch::models {

// P(a, x) = γ(a, x) / Γ(a) for a > 0, x >= 0.
double regularized_gamma_p(double a, double x);

// The x with P(a, x) = p, for a > 0 and 0 < p < 1: the p-quantile of Gamma(a, 1).
double gamma_quantile(double a, double p);

}  // namespace scorch::models
