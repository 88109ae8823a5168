#!/usr/bin/env python3
"""The heavy-tailed DSM paper's Table 1, measured with the authors' own code.

Runs the 10:1 two-mode experiment of jacobdeasy/heavy-tail-dsm's
notebooks/example_2d.ipynb, cell for cell, over several seeds, for the four
cells of Table 1: training noise (DSM: Gaussian, beta = 2; HTDSM: Laplace,
beta = 1) x Langevin noise (Gaussian or Laplace diffusion). Each run reports
the share of the 1000 particles that end nearest the majority mode (5, 5),
in percent, as the notebook's last cell does.

What is taken from the notebook unchanged (its code cells are executed as
they are): the data (10000 points at (5, 5) and 1000 at (-5, -5), covariance
0.2 I), the loader (batch 256, shuffled), the MLP 2-16-16-2 without a noise
level input, Adam with amsgrad, get_noise, the sigma-weighted MSE, the 1000
training iterations with sigma drawn from {1, 0.25}, and the Langevin loop
(1000 particles from U(-6, 6)^2, 1000 steps per level at eps = 0.1, noise
sigma * get_noise).

What is changed, and why:
- the training noise `beta` (the notebook's cell 5) and the Langevin noise
  family (hard-coded `beta=1.0` in the sampling cell) are set per Table 1
  cell: the authors switched them by hand between runs, as the notebook's
  commented-out figure names show;
- `.cuda()` is the identity (CPU only here); plotting and progress bars are
  stubs; the notebook's cell 0 (imports and a plotting helper module that is
  not in the repository) is replaced by the imports it makes;
- numpy's and torch's global generators are seeded per run (the notebook
  does not seed them).

A run is counted as divergent when any particle ends farther than 100 from
the origin or not finite (the paper's footnote: "approaching very large
values"); its share is still reported.

Usage (Debian's python3-torch and python3-numpy; a checkout made with
`git clone https://github.com/jacobdeasy/heavy-tail-dsm`):
  python3 scripts/crosscheck/heavy_tail_dsm_two_modes.py --checkout PATH \
      [--seeds 10] [--first-seed 0] [--drop-last] [--cells A,B] [--out results.json]
It prints one JSON object: per cell the shares, their mean and a bootstrap
95% interval over the seeds (10000 resamples, as the paper's caption says).

  python3 scripts/crosscheck/heavy_tail_dsm_two_modes.py --checkout PATH \
      --loss-fixture tests/fixtures/heavy_tail_dsm/notebook_training_step.h5
writes, instead, one training step of the notebook for each training noise
(groups beta_2 and beta_1): its data cell's first shuffled batch x [256, 2],
the per-example sigma and noise its get_noise drew, the network's weights
before the step (the notebook's own initialisation under torch.manual_seed(0);
model.model.<i> saved as network.<i>, scorch's MLP names), the
weighted_mse_loss value, the gradients, and the weights after the notebook's
Adam (amsgrad, lr 1e-3) step. tests/heavy_tail_dsm_authors_test.cpp replays
the step through scorch's configs toy_two_modes_dsm.yaml / _gn.yaml.

  python3 scripts/crosscheck/heavy_tail_dsm_two_modes.py --checkout PATH \
      --sample-checkpoints CKPT.h5 ... [--langevin-beta 2]
runs the notebook's Langevin loop and share on networks that scorch trained
(the model/ weights of scorch checkpoints of toy_two_modes_*.yaml): it
separates a difference in training from one in sampling.

The fixture tests/fixtures/heavy_tail_dsm/two_modes_authors_code.json was
made with --seeds 10 --out on the notebook of commit ba01c93, with Debian's
python3-torch 1.13 on the CPU (about 11 s a run on one thread).
htdsm_gaussian_diffusion_30_seeds.json beside it: --seeds 30 --cells
htdsm_gaussian_diffusion (seeds 0-29; the first 10 are the fixture's).
htdsm_gaussian_diffusion_seeds_30_99.json: --first-seed 30 --seeds 70 --cells
htdsm_gaussian_diffusion (with the file before, 100 seeds).
htdsm_laplace_diffusion_seeds_10_99.json: --first-seed 10 --seeds 90 --cells
htdsm_laplace_diffusion (with the first fixture's seeds 0-9, 100 seeds).
htdsm_gaussian_diffusion_drop_last_30_seeds.json: --seeds 30 --drop-last
--cells htdsm_gaussian_diffusion: the loader drops each epoch's partial batch
of 248 points, as scorch's does (the one edit of a notebook cell, made only
with --drop-last).
notebook_training_step.h5: --loss-fixture, as described above.
"""
import argparse
import json
import sys
import types

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CELLS = {  # Table 1: (training beta, Langevin beta)
    "dsm_gaussian_diffusion": (2.0, 2.0),
    "dsm_laplace_diffusion": (2.0, 1.0),
    "htdsm_gaussian_diffusion": (1.0, 2.0),
    "htdsm_laplace_diffusion": (1.0, 1.0),
}
# The notebook's code cells this script runs, by index.
DATA, LOADER, MODEL, NOISE, LOSS, TRAIN, SAMPLE, SHARE = 1, 2, 3, 4, 6, 7, 14, 15


class _Anything:
    """Absorbs every call and attribute: stands in for matplotlib and tqdm."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self):
        return iter(())


def _trange(n, **kwargs):
    bar = _Anything()
    return bar


def _tqdm(iterable, **kwargs):
    return iterable


def notebook_cells(checkout):
    with open(f"{checkout}/notebooks/example_2d.ipynb") as f:
        notebook = json.load(f)
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def notebook_up_to_training(cells, train_beta, seed, drop_last=False):
    """Seeds the generators and runs the notebook's cells up to its training loop.

    drop_last: the loader drops each epoch's final partial batch (248 of the
    11 000 points), as scorch's loader does, instead of training on it.
    """
    np.random.seed(seed)
    torch.manual_seed(seed)
    loader = cells[LOADER]
    if drop_last:
        assert "shuffle=True)" in loader, "the loader cell changed"
        loader = loader.replace("shuffle=True)", "shuffle=True, drop_last=True)")
    names = {
        "np": np, "torch": torch, "nn": nn, "DataLoader": DataLoader, "TensorDataset": TensorDataset,
        "plt": _Anything(), "Line2D": _Anything(), "os": types.SimpleNamespace(path=types.SimpleNamespace(join=lambda *a: "")),
        "tqdm": _tqdm, "trange": _trange,
    }
    for code in (cells[DATA], loader, cells[MODEL], cells[NOISE]):
        exec(code, names)
    names["beta"] = train_beta
    names["sigmas"] = [1.0, 0.25]
    exec(cells[LOSS], names)
    return names


def run(cells, train_beta, langevin_beta, seed, drop_last=False):
    names = notebook_up_to_training(cells, train_beta, seed, drop_last)
    exec(cells[TRAIN], names)
    sample = cells[SAMPLE]
    assert "beta=1.0" in sample, "the sampling cell no longer hard-codes its Langevin noise"
    exec(sample.replace("beta=1.0", f"beta={langevin_beta!r}"), names)
    exec(cells[SHARE], names)
    final = names["path_arr"][:, -1, :]
    share = 100.0 * names["close_to_1"][:, -1].sum() / names["n_points"]
    divergent = bool((~np.isfinite(final)).any() or (np.abs(final) > 100).any())
    return float(share), divergent, float(names["losses"][-1])


def training_step(cells, train_beta, seed):
    """The notebook's first training iteration, with everything it used."""
    names = notebook_up_to_training(cells, train_beta, seed)
    model, optimizer = names["model"], names["optimizer"]
    before = {k.replace("model.", "network.", 1): v.detach().clone() for k, v in model.state_dict().items()}
    # The body of the training cell's loop for its first batch, as it is written there.
    x = next(iter(names["dataloader"]))[0]
    used_sigmas = np.random.choice(names["sigmas"], (x.shape[0], 1))
    noise, score = names["get_noise"](x, train_beta, sigmas=used_sigmas)
    score_estimate = model(x + noise)
    loss = names["weighted_mse_loss"](score_estimate, score, weight=torch.tensor(used_sigmas, device=x.device))
    for q in model.parameters():
        q.grad = None
    loss.backward()
    grads = {n.replace("model.", "network.", 1): q.grad.detach().clone() for n, q in model.named_parameters()}
    optimizer.step()
    after = {k.replace("model.", "network.", 1): v.detach().clone() for k, v in model.state_dict().items()}
    return {"x": x, "sigma": torch.tensor(used_sigmas[:, 0]), "noise": noise, "loss": loss.detach(),
            "before": before, "grads": grads, "after": after}


def write_loss_fixture(cells, path):
    import h5py
    with h5py.File(path, "w", libver="latest") as f:
        for train_beta in (2.0, 1.0):
            step = training_step(cells, train_beta, seed=0)
            g = f.create_group(f"beta_{train_beta:g}")
            for key in ("x", "sigma", "noise", "loss"):
                g.create_dataset(key, data=step[key].numpy())
            for key in ("before", "grads", "after"):
                sub = g.create_group(key)
                for name, tensor in step[key].items():
                    sub.create_dataset(name, data=tensor.numpy())
            print(f"beta {train_beta:g}: loss {step['loss'].item():.6f}", file=sys.stderr)


def sample_weights(cells, weights, langevin_beta, seed):
    """The notebook's sampling and share cells on a network with the given weights."""
    names = notebook_up_to_training(cells, 2.0, seed)
    with torch.no_grad():
        for name, parameter in names["model"].named_parameters():
            parameter.copy_(torch.as_tensor(weights[name.replace("model.", "network.", 1)]))
    np.random.seed(seed)
    torch.manual_seed(seed)
    sample = cells[SAMPLE]
    exec(sample.replace("beta=1.0", f"beta={langevin_beta!r}"), names)
    exec(cells[SHARE], names)
    return float(100.0 * names["close_to_1"][:, -1].sum() / names["n_points"])


def sample_checkpoints(cells, paths, langevin_beta):
    """Shares of scorch-trained networks (model/ weights) under the notebook's own Langevin loop."""
    import h5py
    shares = []
    for seed, path in enumerate(paths):
        with h5py.File(path, "r") as f:
            weights = {k: f["model"][k][()] for k in f["model"]}
        shares.append(sample_weights(cells, weights, langevin_beta, seed))
        print(f"{path}: {shares[-1]:.1f}%", file=sys.stderr)
    return {"checkpoints": paths, "langevin_beta": langevin_beta, "shares": shares,
            "mean": float(np.mean(shares)), "ci95": bootstrap_interval(shares)}


def bootstrap_interval(values, resamples=10000, seed=0):
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(resamples, values.size), replace=True).mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", required=True, help="a checkout of jacobdeasy/heavy-tail-dsm")
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from this one up")
    parser.add_argument("--drop-last", action="store_true", help="drop each epoch's partial batch, as scorch does")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated subset of " + ", ".join(CELLS))
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--loss-fixture", help="write the one-step training fixture here and stop")
    parser.add_argument("--sample-checkpoints", nargs="+", help="scorch checkpoints of the notebook's MLP: sample "
                        "their trained weights with the notebook's Langevin loop (seeds 0, 1, ...) and stop")
    parser.add_argument("--langevin-beta", type=float, default=2.0, help="with --sample-checkpoints")
    args = parser.parse_args()
    torch.set_num_threads(1)
    nn.Module.cuda = lambda self, *a, **k: self
    torch.Tensor.cuda = lambda self, *a, **k: self
    cells = notebook_cells(args.checkout)
    if args.loss_fixture:
        write_loss_fixture(cells, args.loss_fixture)
        return
    if args.sample_checkpoints:
        print(json.dumps(sample_checkpoints(cells, args.sample_checkpoints, args.langevin_beta), indent=1))
        return
    results = {}
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    for name in args.cells.split(","):
        train_beta, langevin_beta = CELLS[name]
        runs = [run(cells, train_beta, langevin_beta, seed, args.drop_last) for seed in seeds]
        shares = [r[0] for r in runs]
        results[name] = {
            "training_beta": train_beta, "langevin_beta": langevin_beta, "seeds": seeds, "shares": shares,
            "mean": float(np.mean(shares)), "ci95": bootstrap_interval(shares),
            "divergent_runs": sum(r[1] for r in runs), "final_losses": [r[2] for r in runs],
        }
        print(f"{name}: mean {results[name]['mean']:.2f}% CI {results[name]['ci95']}, "
              f"divergent {results[name]['divergent_runs']}/{args.seeds}", file=sys.stderr)
    text = json.dumps({"experiment": "heavy-tail-dsm example_2d.ipynb, Table 1", "seeds": args.seeds,
                       "drop_last": args.drop_last, "cells": results}, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
