#!/usr/bin/python3
"""Runs EDM's own deterministic sampler (NVlabs/edm generate.py edm_sampler)
with the exact denoiser of a 2-D Gaussian mixture, and saves what it returns
next to the exact probability-flow ODE endpoint, for scorch's edm_heun test.

  edm_sampler.py fixtures [--edm DIR] [--out tests/fixtures/edm]

How the fixture is made
-----------------------
- The mixture is the fast-sampler tests' two-mode toy: weights 10 : 1
  (normalised), means ±(1.5, 1.5), covariance 0.2 I. Under the VE SDE with
  σ_min = 0.01 and σ_max = 20 (scorch's VE defaults for the toy tests) its
  denoiser is exact: D(x; σ) = Σ_k r_k(x) (μ_k + s²/(s² + σ²)(x − μ_k)), with
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
- `mean_error` is the mean over images of ‖EDM's output − exact‖₂.

Needs Debian's python3-torch, python3-numpy and python3-scipy, and a checkout
of NVlabs/edm (--edm, default /tmp/ref/edm; made by
  git -C MIRROR/NVlabs+edm/repo archive HEAD | tar -x -C /tmp/ref/edm).
"""
import argparse
import ast
import json
import os

import numpy as np
import scipy.integrate
import torch

WEIGHTS = np.array([10.0, 1.0]) / 11.0
MEANS = np.array([[1.5, 1.5], [-1.5, -1.5]])
VARIANCE = 0.2
SIGMA_MIN, SIGMA_MAX, EPS = 0.01, 20.0, 1e-5
STEPS = (9, 18, 36, 72)
SEED, IMAGES = 2024, 64


def responsibilities(x, sigma):
    """r_k(x) [B, K] for the perturbed mixture at level sigma; x [B, 2]."""
    squared = ((x[:, None, :] - MEANS[None, :, :]) ** 2).sum(-1)
    logits = np.log(WEIGHTS)[None, :] - 0.5 * squared / (VARIANCE + sigma ** 2)
    unnormalised = np.exp(logits - logits.max(1, keepdims=True))
    return unnormalised / unnormalised.sum(1, keepdims=True)


def denoiser(x, sigma):
    r = responsibilities(x, sigma)
    shrink = VARIANCE / (VARIANCE + sigma ** 2)
    return (r[:, :, None] * (MEANS[None] + shrink * (x[:, None, :] - MEANS[None]))).sum(1)


class ExactNet:
    """EDM's network interface around the exact denoiser."""

    def __init__(self, sigma_min, sigma_max):
        self.sigma_min, self.sigma_max = sigma_min, sigma_max

    def round_sigma(self, sigma):
        return torch.as_tensor(sigma)

    def __call__(self, x, sigma, class_labels=None):
        return torch.from_numpy(denoiser(x.to(torch.float64).numpy(), float(sigma)))


def edm_sampler_from(edm_dir):
    source = open(os.path.join(edm_dir, "generate.py")).read()
    tree = ast.parse(source)
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "edm_sampler"]
    namespace = {"torch": torch, "np": np}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "edm_sampler", "exec"), namespace)
    return namespace["edm_sampler"]


def exact_endpoint(x_T):
    def slope(sigma, x):
        r = responsibilities(x[None, :], sigma)
        return sigma * (r[0, :, None] * (x[None, :] - MEANS)).sum(0) / (VARIANCE + sigma ** 2)

    out = []
    for row in x_T:
        solution = scipy.integrate.solve_ivp(slope, (SIGMA_MAX, 0.0), row, method="RK45", rtol=1e-12, atol=1e-12)
        out.append(solution.y[:, -1])
    return np.array(out)


def fixtures(args):
    edm_sampler = edm_sampler_from(args.edm)
    sigma_eps = SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** EPS
    net = ExactNet(sigma_eps, SIGMA_MAX)
    torch.manual_seed(SEED)
    z = torch.randn(IMAGES, 2, dtype=torch.float64)
    x_T = (z * SIGMA_MAX).numpy()
    exact = exact_endpoint(x_T)
    fixture = dict(made_by="scripts/crosscheck/edm_sampler.py fixtures", sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX,
                   eps=EPS, sigma_eps=sigma_eps, weights=WEIGHTS.tolist(), means=MEANS.tolist(), variance=VARIANCE,
                   x_T=x_T.tolist(), exact=exact.tolist(), runs=[])
    for steps in STEPS:
        out = edm_sampler(net, z, num_steps=steps, sigma_min=sigma_eps, sigma_max=SIGMA_MAX, rho=7).numpy()
        error = float(np.linalg.norm(out - exact, axis=1).mean())
        fixture["runs"].append(dict(steps=steps, nfe=2 * steps - 1, samples=out.tolist(), mean_error=error))
        print(f"EDM edm_sampler, N = {steps} ({2 * steps - 1} calls): mean error against the exact endpoint {error:.3e}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "edm_heun_two_modes.json"), "w") as f:
        json.dump(fixture, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("fixtures")
    make.add_argument("--edm", default="/tmp/ref/edm", help="NVlabs/edm checkout")
    make.add_argument("--out", default="tests/fixtures/edm")
    args = parser.parse_args()
    fixtures(args)


if __name__ == "__main__":
    main()
