#!/usr/bin/python3
"""Runs two reference samplers with the exact score of a 2-D Gaussian
mixture and saves what they return next to the exact probability-flow ODE
endpoint, for scorch's edm_heun and dpmpp_2m tests:

  reference_samplers.py fixtures [--edm DIR] [--dpm-solver DIR] [--out tests/fixtures]

writes edm/edm_heun_two_modes.json (EDM's own edm_sampler, NVlabs/edm
generate.py, under VE) and dpm_solver/dpmpp_2m_two_modes_vp.json (the
DPM-Solver authors' DPM-Solver++(2M), LuChengTHU/dpm-solver
dpm_solver_pytorch.py, under VP).

Both use the fast-sampler tests' two-mode toy: weights 10 : 1 (normalised),
means ±(1.5, 1.5), covariance s² I with s² = 0.2, and report `mean_error`,
the mean over images of ‖the sampler's output − exact‖₂.

How the fixtures are made
-------------------------
EDM (edm/edm_heun_two_modes.json):
- Under the VE SDE with σ_min = 0.01 and σ_max = 20 (scorch's VE defaults
  for the toy tests) the denoiser is exact:
  D(x; σ) = Σ_k r_k(x) (μ_k + s²/(s² + σ²)(x − μ_k)), with
  r_k ∝ w_k N(x; μ_k, (s² + σ²) I), computed in float64.
- `net` is a small object with EDM's interface (sigma_min, sigma_max,
  round_sigma = identity, net(x, sigma, labels) = D). Its sigma_min is
  σ(ε) = 0.01·2000^ε for ε = 1e-5, the smallest level of scorch's grid, and
  sigma_max = 20, so EDM's ρ = 7 grid is scorch's.
- edm_sampler is taken from the checkout's generate.py by its source (the
  module itself imports click, dnnlib and the distributed helpers, which a
  sampler does not need) and called with S_churn = 0: the deterministic
  2nd-order Heun sampler, 2N − 1 network calls for N steps.
- Latents: 64 draws of torch.randn(64, 2) after torch.manual_seed(2024), in
  float64; EDM multiplies them by σ_max itself, so scorch receives 20·z.
- For N = 9, 18, 36 and 72 (17, 35, 71 and 143 calls) the fixture holds EDM's
  output. `exact` is the ODE dx/dσ = (x − D(x; σ))/σ from σ_max to 0, which
  for isotropic components is σ Σ_k r_k (x − μ_k)/(s² + σ²), integrated per
  image by scipy's solve_ivp (RK45, rtol 1e-12, atol 1e-12).

DPM-Solver++(2M) (dpm_solver/dpmpp_2m_two_modes_vp.json):
- The VP SDE is score_sde's, β from 0.1 to 20 (NoiseScheduleVP('linear',
  0.1, 20)). Marginals: x_t = a_t x_0 + σ_t z with
  a_t = exp(−t²(β₁ − β₀)/4 − tβ₀/2), σ_t² = 1 − a_t². The exact data
  prediction is E[x_0 | x_t] = Σ_k r_k (μ_k + a s²/(a² s² + σ²)(x − a μ_k)),
  r_k ∝ w_k N(x; a μ_k, (a² s² + σ²) I).
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

Needs Debian's python3-torch, python3-numpy and python3-scipy, and the two
checkouts (defaults /tmp/ref/edm and /tmp/ref/dpm), made by
  git -C MIRROR/NVlabs+edm/repo archive HEAD | tar -x -C /tmp/ref/edm
  git -C MIRROR/LuChengTHU+dpm-solver/repo archive HEAD dpm_solver_pytorch.py | tar -x -C /tmp/ref/dpm
"""
import argparse
import ast
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
IMAGES = 64


def write_fixture(path, fixture):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(fixture, f)


def record(fixture, name, steps, nfe, out, exact):
    error = float(np.linalg.norm(out - exact, axis=1).mean())
    fixture["runs"].append(dict(steps=steps, nfe=nfe, samples=out.tolist(), mean_error=error))
    print(f"{name}, {steps} steps ({nfe} calls): mean error against the exact endpoint {error:.3e}")


# ---- EDM under VE ----
SIGMA_MIN, SIGMA_MAX, VE_EPS = 0.01, 20.0, 1e-5
EDM_STEPS = (9, 18, 36, 72)
EDM_SEED = 2024


def ve_responsibilities(x, sigma):
    """r_k(x) [B, K] for the perturbed mixture at level sigma; x [B, 2]."""
    squared = ((x[:, None, :] - MEANS[None, :, :]) ** 2).sum(-1)
    logits = np.log(WEIGHTS)[None, :] - 0.5 * squared / (VARIANCE + sigma ** 2)
    unnormalised = np.exp(logits - logits.max(1, keepdims=True))
    return unnormalised / unnormalised.sum(1, keepdims=True)


def ve_denoiser(x, sigma):
    r = ve_responsibilities(x, sigma)
    shrink = VARIANCE / (VARIANCE + sigma ** 2)
    return (r[:, :, None] * (MEANS[None] + shrink * (x[:, None, :] - MEANS[None]))).sum(1)


class ExactNet:
    """EDM's network interface around the exact denoiser."""

    def __init__(self, sigma_min, sigma_max):
        self.sigma_min, self.sigma_max = sigma_min, sigma_max

    def round_sigma(self, sigma):
        return torch.as_tensor(sigma)

    def __call__(self, x, sigma, class_labels=None):
        return torch.from_numpy(ve_denoiser(x.to(torch.float64).numpy(), float(sigma)))


def edm_sampler_from(edm_dir):
    source = open(os.path.join(edm_dir, "generate.py")).read()
    tree = ast.parse(source)
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "edm_sampler"]
    namespace = {"torch": torch, "np": np}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "edm_sampler", "exec"), namespace)
    return namespace["edm_sampler"]


def ve_exact_endpoint(x_T):
    def slope(sigma, x):
        r = ve_responsibilities(x[None, :], sigma)
        return sigma * (r[0, :, None] * (x[None, :] - MEANS)).sum(0) / (VARIANCE + sigma ** 2)

    out = []
    for row in x_T:
        solution = scipy.integrate.solve_ivp(slope, (SIGMA_MAX, 0.0), row, method="RK45", rtol=1e-12, atol=1e-12)
        out.append(solution.y[:, -1])
    return np.array(out)


def edm_fixture(args):
    edm_sampler = edm_sampler_from(args.edm)
    sigma_eps = SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** VE_EPS
    net = ExactNet(sigma_eps, SIGMA_MAX)
    torch.manual_seed(EDM_SEED)
    z = torch.randn(IMAGES, 2, dtype=torch.float64)
    x_T = (z * SIGMA_MAX).numpy()
    exact = ve_exact_endpoint(x_T)
    fixture = dict(made_by="scripts/crosscheck/reference_samplers.py fixtures", sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX,
                   eps=VE_EPS, sigma_eps=sigma_eps, weights=WEIGHTS.tolist(), means=MEANS.tolist(), variance=VARIANCE,
                   x_T=x_T.tolist(), exact=exact.tolist(), runs=[])
    for steps in EDM_STEPS:
        out = edm_sampler(net, z, num_steps=steps, sigma_min=sigma_eps, sigma_max=SIGMA_MAX, rho=7).numpy()
        record(fixture, "EDM edm_sampler", steps, 2 * steps - 1, out, exact)
    write_fixture(os.path.join(args.out, "edm", "edm_heun_two_modes.json"), fixture)



# ---- DPM-Solver++(2M) under VP ----
BETA_0, BETA_1, VP_EPS = 0.1, 20.0, 1e-3
DPM_STEPS = (17, 34, 68)
DPM_SEED = 2025


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


def vp_exact_endpoint(x_T):
    def drift(t, x):
        a = alpha(t)
        beta = BETA_0 + t * (BETA_1 - BETA_0)
        score = (a * data_prediction(x[None], t)[0] - x) / (1.0 - a * a)
        return -0.5 * beta * (x + score)

    out = []
    for row in x_T:
        solution = scipy.integrate.solve_ivp(drift, (1.0, VP_EPS), row, method="RK45", rtol=1e-12, atol=1e-12)
        out.append(solution.y[:, -1])
    return data_prediction(np.array(out), VP_EPS)


def dpm_solver_fixture(args):
    sys.path.insert(0, args.dpm_solver)
    solver = importlib.import_module("dpm_solver_pytorch")
    torch.set_default_dtype(torch.float64)
    schedule = solver.NoiseScheduleVP("linear", continuous_beta_0=BETA_0, continuous_beta_1=BETA_1,
                                      dtype=torch.float64)

    def model(x, t):
        return torch.from_numpy(data_prediction(x.numpy(), float(t.reshape(-1)[0])))

    model_fn = solver.model_wrapper(model, schedule, model_type="x_start")
    torch.manual_seed(DPM_SEED)
    x_T = torch.randn(IMAGES, 2, dtype=torch.float64)
    exact = vp_exact_endpoint(x_T.numpy())
    fixture = dict(made_by="scripts/crosscheck/reference_samplers.py fixtures", beta_min=BETA_0, beta_max=BETA_1,
                   eps=VP_EPS, weights=WEIGHTS.tolist(), means=MEANS.tolist(), variance=VARIANCE, x_T=x_T.tolist(),
                   exact=exact.tolist(), runs=[])
    for steps in DPM_STEPS:
        dpm = solver.DPM_Solver(model_fn, schedule, algorithm_type="dpmsolver++")
        out = dpm.sample(x_T.clone(), steps=steps, t_start=1.0, t_end=VP_EPS, order=2, skip_type="logSNR",
                         method="multistep", lower_order_final=True, denoise_to_zero=True).numpy()
        record(fixture, "DPM-Solver++(2M)", steps, steps + 1, out, exact)
    write_fixture(os.path.join(args.out, "dpm_solver", "dpmpp_2m_two_modes_vp.json"), fixture)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("fixtures")
    make.add_argument("--edm", default="/tmp/ref/edm", help="NVlabs/edm checkout")
    make.add_argument("--dpm-solver", default="/tmp/ref/dpm", help="LuChengTHU/dpm-solver checkout")
    make.add_argument("--out", default="tests/fixtures", help="fixture root; edm/ and dpm_solver/ go below it")
    args = parser.parse_args()
    edm_fixture(args)
    dpm_solver_fixture(args)


if __name__ == "__main__":
    main()
