#!/usr/bin/python3
"""Runs the DPM-Solver authors' own DPM-Solver++(2M) (LuChengTHU/dpm-solver,
dpm_solver_pytorch.py) with the exact data prediction of a 2-D Gaussian
mixture under the VP SDE, and saves its samples next to the exact
probability-flow ODE endpoint, for scorch's dpmpp_2m test.

  dpm_solver.py fixtures [--dpm-solver DIR] [--out tests/fixtures/dpm_solver]

How the fixture is made
-----------------------
- The mixture is the fast-sampler tests' two-mode toy: weights 10 : 1
  (normalised), means ±(1.5, 1.5), covariance s² I with s² = 0.2. The VP SDE
  is score_sde's, β from 0.1 to 20 (NoiseScheduleVP('linear', 0.1, 20)).
  Marginals: x_t = a_t x_0 + σ_t z with a_t = exp(−t²(β₁ − β₀)/4 − tβ₀/2),
  σ_t² = 1 − a_t². The exact data prediction is
  E[x_0 | x_t] = Σ_k r_k (μ_k + a s²/(a² s² + σ²)(x − a μ_k)), r_k ∝
  w_k N(x; a μ_k, (a² s² + σ²) I).
- The solver module is imported from the checkout unchanged, with
  torch.set_default_dtype(float64) so that its time grid and steps run in
  float64 (it builds its grid with torch.tensor of Python floats). It is
  called as model_wrapper(model, schedule, model_type="x_start") and
  DPM_Solver(..., algorithm_type="dpmsolver++").sample(x_T, steps=M,
  t_start=1, t_end=1e-3, order=2, skip_type="logSNR", method="multistep",
  lower_order_final=True, denoise_to_zero=True): M steps uniform in
  log-SNR, then E[x_0 | x_ε], M + 1 calls. These are scorch's dpmpp_2m
  defaults (grid uniform in λ, ε = 1e-3 for VP, denoising on).
- Latents: 64 draws of torch.randn(64, 2) after torch.manual_seed(2025),
  float64 (the VP prior is N(0, I)).
- M = 17, 34 and 68. `exact` is the PF-ODE
  dx/dt = −½β(t)(x + ∇log p_t(x)) from t = 1 to 1e-3, per image by scipy's
  solve_ivp (RK45, rtol = atol = 1e-12), followed by the same E[x_0 | x_ε].
- `mean_error` is the mean over images of ‖the solver's output − exact‖₂.

Needs Debian's python3-torch, python3-numpy and python3-scipy, and a checkout
of LuChengTHU/dpm-solver (--dpm-solver, default /tmp/ref/dpm; made by
  git -C MIRROR/LuChengTHU+dpm-solver/repo archive HEAD dpm_solver_pytorch.py | tar -x -C /tmp/ref/dpm).
"""
import argparse
import importlib
import json
import math
import os
import sys

import numpy as np
import scipy.integrate
import torch

WEIGHTS = np.array([10.0, 1.0]) / 11.0
MEANS = np.array([[1.5, 1.5], [-1.5, -1.5]])
VARIANCE = 0.2
BETA_0, BETA_1, EPS = 0.1, 20.0, 1e-3
STEPS = (17, 34, 68)
SEED, IMAGES = 2025, 64


def alpha(t):
    return math.exp(-0.25 * t * t * (BETA_1 - BETA_0) - 0.5 * t * BETA_0)


def data_prediction(x, t):
    """E[x_0 | x_t] for x [B, 2] (numpy) at time t."""
    a = alpha(t)
    sigma2 = 1.0 - a * a
    variance = a * a * VARIANCE + sigma2
    squared = ((x[:, None, :] - a * MEANS[None]) ** 2).sum(-1)
    logits = np.log(WEIGHTS)[None] - 0.5 * squared / variance
    r = np.exp(logits - logits.max(1, keepdims=True))
    r /= r.sum(1, keepdims=True)
    posterior = MEANS[None] + (a * VARIANCE / variance) * (x[:, None, :] - a * MEANS[None])
    return (r[:, :, None] * posterior).sum(1)


def exact_endpoint(x_T):
    def drift(t, x):
        a = alpha(t)
        beta = BETA_0 + t * (BETA_1 - BETA_0)
        score = (a * data_prediction(x[None], t)[0] - x) / (1.0 - a * a)
        return -0.5 * beta * (x + score)

    out = []
    for row in x_T:
        solution = scipy.integrate.solve_ivp(drift, (1.0, EPS), row, method="RK45", rtol=1e-12, atol=1e-12)
        out.append(solution.y[:, -1])
    return data_prediction(np.array(out), EPS)


def fixtures(args):
    sys.path.insert(0, args.dpm_solver)
    solver = importlib.import_module("dpm_solver_pytorch")
    torch.set_default_dtype(torch.float64)
    schedule = solver.NoiseScheduleVP("linear", continuous_beta_0=BETA_0, continuous_beta_1=BETA_1,
                                      dtype=torch.float64)

    def model(x, t):
        return torch.from_numpy(data_prediction(x.numpy(), float(t.reshape(-1)[0])))

    model_fn = solver.model_wrapper(model, schedule, model_type="x_start")
    torch.manual_seed(SEED)
    x_T = torch.randn(IMAGES, 2, dtype=torch.float64)
    exact = exact_endpoint(x_T.numpy())
    fixture = dict(made_by="scripts/crosscheck/dpm_solver.py fixtures", beta_min=BETA_0, beta_max=BETA_1, eps=EPS,
                   weights=WEIGHTS.tolist(), means=MEANS.tolist(), variance=VARIANCE, x_T=x_T.tolist(),
                   exact=exact.tolist(), runs=[])
    for steps in STEPS:
        dpm = solver.DPM_Solver(model_fn, schedule, algorithm_type="dpmsolver++")
        out = dpm.sample(x_T.clone(), steps=steps, t_start=1.0, t_end=EPS, order=2, skip_type="logSNR",
                         method="multistep", lower_order_final=True, denoise_to_zero=True).numpy()
        error = float(np.linalg.norm(out - exact, axis=1).mean())
        fixture["runs"].append(dict(steps=steps, nfe=steps + 1, samples=out.tolist(), mean_error=error))
        print(f"DPM-Solver++(2M), {steps} steps ({steps + 1} calls): mean error against the exact endpoint "
              f"{error:.3e}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "dpmpp_2m_two_modes_vp.json"), "w") as f:
        json.dump(fixture, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("fixtures")
    make.add_argument("--dpm-solver", default="/tmp/ref/dpm", help="LuChengTHU/dpm-solver checkout")
    make.add_argument("--out", default="tests/fixtures/dpm_solver")
    fixtures(parser.parse_args())


if __name__ == "__main__":
    main()
