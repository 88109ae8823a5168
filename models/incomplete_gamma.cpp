#include "models/incomplete_gamma.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace scorch::models {
namespace {

constexpr double kTolerance = 1e-15;

// log of x^a e^{-x} / Γ(a), the common factor of the series and the fraction.
double log_prefactor(double a, double x) { return a * std::log(x) - x - std::lgamma(a); }

// P(a, x) by its power series; converges fast for x < a + 1.
double series_p(double a, double x) {
  double term = 1.0 / a, sum = term;
  for (int n = 1; n < 100000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * kTolerance) break;
  }
  return sum * std::exp(log_prefactor(a, x));
}

// Q(a, x) = 1 − P(a, x) by its continued fraction (modified Lentz); for x >= a + 1.
double fraction_q(double a, double x) {
  constexpr double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::abs(step - 1.0) < kTolerance) break;
  }
  return std::exp(log_prefactor(a, x)) * h;
}

}  // namespace

double regularized_gamma_p(double a, double x) {
  if (!(a > 0.0) || !(x >= 0.0)) throw std::invalid_argument("regularized_gamma_p needs a > 0 and x >= 0");
  if (x == 0.0) return 0.0;
  return x < a + 1.0 ? series_p(a, x) : 1.0 - fraction_q(a, x);
}

double gamma_quantile(double a, double p) {
  if (!(a > 0.0) || !(p > 0.0 && p < 1.0)) throw std::invalid_argument("gamma_quantile needs a > 0 and 0 < p < 1");
  // Bracket the root, then Newton steps kept inside the bracket (bisection when they leave it).
  double low = 0.0, high = std::max(1.0, 2.0 * a);
  while (regularized_gamma_p(a, high) < p) {
    low = high;
    high *= 2.0;
  }
  double x = 0.5 * (low + high);
  for (int i = 0; i < 200; ++i) {
    const double error = regularized_gamma_p(a, x) - p;
    if (error < 0.0) {
      low = x;
    } else {
      high = x;
    }
    const double density = std::exp((a - 1.0) * std::log(x) - x - std::lgamma(a));
    double next = density > 0.0 ? x - error / density : 0.5 * (low + high);
    if (!(next > low && next < high)) next = 0.5 * (low + high);
    if (std::abs(next - x) <= 4.0 * std::numeric_limits<double>::epsilon() * x) return next;
    x = next;
  }
  return x;
}

}  // namespace scorch::models
