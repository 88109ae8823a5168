#!/usr/bin/env python3
"""DLPM's imbalanced 3x3 Gaussian grid, measured with the authors' own code.

Trains and evaluates darioShar/DLPM on its 2-D experiment (config
dlpm/configs/2d_data.yml) for several alpha values and seeds, by importing the
checkout and calling its own functions in the order its run.py and eval.py do:
script_utils.parse_args / update_parameters_before_loading (argv
`--config 2d_data --alpha A --set_seed S`), bem.Experiments.Experiment with
dlpm_experiment's init functions, Experiment.prepare, update_experiment_after_loading,
Experiment.run (progress, n_max_batch and no_ema_eval as run.py passes them),
then TrainingManager.evaluate(evaluate_emas=False), the call eval.py makes
after loading the epoch-20 checkpoint (here the model is still in memory, so
no checkpoint is written or read). The numbers reported are the ones that
evaluation stores: 'precision', 'recall' (bem/evaluate/prd_legacy.py ->
prd_score.py, max F_8 and max F_{1/8} of the PRD curve) and 'f_1_pr', their
harmonic mean (EvaluationManager.py). In addition, this script counts the mode
shares: the fraction of the generated samples (the 15000 the evaluation made,
after its clamp to [-6, 6]) nearest each of the 9 grid means, and the same
for the 15000 real points the evaluation compared them with.

Taken unchanged from the checkout: the config (gmm_grid, 9 modes at (i, j),
i, j in {0, 1, 2}, weights [.01, .1, .3, .2, .02, .15, .02, .15, .05], std
0.1 -- theta 3.0 is in the config but the grid sampler does not use it --,
32000 points, no normalisation; DLPM with 100 steps, cosine schedule,
epsilon prediction, isotropic noise; the MLP (4 blocks of 64 units,
LayerNorm, SiLU, learnable time embedding of size 32); loss lploss 2.0;
AdamW lr 5e-3, batch 1024, 20 epochs, no schedule, no EMA, no grad clip;
evaluation with 15000 generated vs 15000 real points, the stochastic DLPM
sampler over 100 steps, PRD with 100 clusters, 201 angles, 10 runs), the
seeding (Experiment._set_seed: torch.manual_seed and np.random.seed), and all
the code that trains, samples and scores.

Stubbed or changed, and why (none of it touches the numbers reported):
- modules that Debian does not package and that this path imports but never
  calls are stand-ins whose functions raise if called: torchquad
  (set_up_backend, Simpson, MonteCarlo: used only by torchlevy's pdf/score
  code), transformers (get_scheduler: the config has no LR schedule) and prdc
  (compute_prdc: image datasets only). The Neptune logger is not imported
  (run.py only builds it with --log).
- EvaluationManager's MMD_loss is replaced by one that returns NaN: the
  authors' version builds dense 30000 x 30000 kernels (about 25 GB at peak),
  more memory than this machine has; it is deterministic and draws no random
  numbers, so the PRD that follows sees the same inputs and RNG state.
- the device is the CPU (Experiment._get_device falls back to it; no .cuda()
  edit was needed); matplotlib uses the Agg backend; the process runs with one
  thread (OMP_NUM_THREADS=1, torch.set_num_threads(1)); the working directory
  is a temporary folder because the code writes eval_files/ there.
- the wrapper records what EvaluationManager's gen_manager.load_original_data
  returns (it calls the original and keeps a reference) to count the real data
  mode shares.

Usage (Debian 12 packages: python3-torch python3-numpy python3-scipy
python3-sklearn python3-matplotlib python3-yaml python3-torchvision
python3-tqdm python3-pyemd cython3 python3-pil; a checkout made with
`git --git-dir=<mirror of darioShar/DLPM> archive HEAD | tar -x -C PATH`):
  /usr/bin/python3 scripts/crosscheck/dlpm_grid.py --checkout PATH \
      [--seeds 10] [--alphas 1.7 1.8 1.9 2.0] [--out results.json]
  /usr/bin/python3 scripts/crosscheck/dlpm_grid.py --checkout PATH \
      --network-fixture tests/fixtures/dlpm/residual_mlp.h5
Seeds are 0 .. N-1. It prints one JSON object: per alpha the per-seed values
and, for F1, precision, recall and every mode share, the mean and a bootstrap
95% interval over the seeds (10000 resamples of the seeds with replacement,
percentiles 2.5 and 97.5 of the resampled means; a fresh
numpy.random.default_rng(0) for each quantity).

The fixture tests/fixtures/dlpm/grid_authors_code.json was made with
--seeds 10 --alphas 1.7 1.8 1.9 2.0 on the checkout of commit
faecd3a8bcea2f1eb59dfc8dc31b5d8a8d278dd5, with Debian 12's python3-torch
1.13.1+dfsg-4 (scikit-learn 1.2.1, scipy 1.10.1, numpy 1.24.2) on the CPU,
one thread: 18 to 40 s a run, about 17 minutes for the 40 runs.

--network-fixture writes tests/fixtures/dlpm/residual_mlp.h5 instead: the
authors' MLPModel built from the same 2d_data.yml (torch.manual_seed(0), its
own initialisation, then every parameter redrawn so that LayerNorm weights
and biases are not 1 and 0), in float32 as their forward computes the time
embedding, with an input batch x [8, 2], times
t/100 for t in 0 .. 99 and its output. The parameters are saved under the
names of their nn.Sequential paths (time_mlp.0, inblock.0, ...); the aliases
that state_dict() also lists for the same tensors (time_emb, linear_in,
group_norm_in, group_norm1/2) are left out. tests/residual_mlp_test.cpp loads
them by name into scorch's residual_mlp and compares the outputs.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import types

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

GRID = np.array([[i, j] for i in range(3) for j in range(3)], dtype=np.float64)


def _raiser(name):
    def f(*args, **kwargs):
        raise RuntimeError(f"stand-in {name} was called; it should not be on this path")
    return f


def install_stand_ins():
    """Stand-ins for modules Debian does not package; each raises if used."""
    for modname, attrs in {
        "torchquad": ["set_up_backend", "Simpson", "MonteCarlo"],
        "transformers": ["get_scheduler"],
        "prdc": ["compute_prdc"],
    }.items():
        try:
            __import__(modname)
        except ImportError:
            mod = types.ModuleType(modname)
            for a in attrs:
                setattr(mod, a, _raiser(f"{modname}.{a}"))
            sys.modules[modname] = mod


class NanMMD:
    """Replaces MMD_loss (dense O(N^2) kernels do not fit in memory here)."""

    def __call__(self, x, y):
        return float("nan")


def mode_shares(x):
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    d = ((x[:, None, :] - GRID[None, :, :]) ** 2).sum(-1)
    idx = d.argmin(1)
    return (np.bincount(idx, minlength=9) / len(idx)).tolist()


def bootstrap(values, n_resamples=10000):
    v = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(0)
    means = v[rng.integers(0, len(v), size=(n_resamples, len(v)))].mean(1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(v.mean()), "ci95": [float(lo), float(hi)]}


def one_run(checkout, alpha, seed, log):
    import bem.Experiments as Exp
    import bem.evaluate.EvaluationManager as EM
    from bem.utils_exp import FileHandler
    import dlpm.dlpm_experiment as dlpm_exp
    import script_utils

    EM.MMD_loss = NanMMD
    config_path = os.path.join(checkout, "dlpm", "configs")
    argv = sys.argv
    sys.argv = ["run.py", "--config", "2d_data", "--name", "grid",
                "--alpha", repr(alpha), "--set_seed", str(seed)]
    try:
        args = script_utils.parse_args()
    finally:
        sys.argv = argv
    p = FileHandler.get_param_from_config(config_path, args.config + ".yml")
    script_utils.update_parameters_before_loading(p, args)

    t0 = time.time()
    with contextlib.redirect_stdout(log):
        exp = Exp.Experiment(checkpoint_dir=os.path.join("models", args.name),
                             p=p,
                             logger=None,
                             exp_hash=dlpm_exp.exp_hash,
                             eval_hash=None,
                             init_method_by_parameter=dlpm_exp.init_method_by_parameter,
                             init_models_by_parameter=dlpm_exp.init_models_by_parameter,
                             reset_models=dlpm_exp.reset_models)
        exp.prepare()
        script_utils.update_experiment_after_loading(exp, args)
        exp.run(progress=p["run"]["progress"],
                max_batch_per_epoch=args.n_max_batch,
                no_ema_eval=args.no_ema_eval)
        t1 = time.time()

        gm = exp.manager.eval.gen_manager
        seen = {}
        original = gm.load_original_data

        def recording_load(n):
            data = original(n)
            seen.setdefault("real", data)  # the first call is the PRD's real set
            return data

        gm.load_original_data = recording_load
        exp.manager.evaluate(evaluate_emas=False)
        gm.load_original_data = original
        t2 = time.time()
    ev = exp.manager.eval.evals
    gen = gm.samples.numpy()
    res = {
        "seed": seed,
        "alpha": float(exp.p["dlpm"]["alpha"]),
        "precision": float(ev["precision"][-1]),
        "recall": float(ev["recall"][-1]),
        "f1": float(ev["f_1_pr"][-1]),
        "wasserstein_1d_pyemd": float(ev["wass"][-1]),
        "mode_shares": mode_shares(gen),
        "real_mode_shares": mode_shares(seen["real"].numpy()),
        "n_generated": int(gen.shape[0]),
        "n_real": int(seen["real"].shape[0]),
        "final_epoch_loss": float(ev["losses"][-1]),
        "train_s": round(t1 - t0, 2),
        "eval_s": round(t2 - t1, 2),
    }
    exp.terminate()
    return res


ALIASES = ("time_emb.", "linear_in.", "group_norm_in.", ".group_norm1.", ".group_norm2.")


def network_fixture(checkout, path):
    import h5py
    import yaml
    from dlpm.models.Model import MLPModel
    with open(os.path.join(checkout, "dlpm", "configs", "2d_data.yml")) as f:
        p = yaml.safe_load(f)
    p["device"] = "cpu"
    torch.manual_seed(0)
    model = MLPModel(p).eval()  # float32: their forward casts the time to float32
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.3)
    x = torch.randn(8, 2) * 1.5
    t = torch.tensor([0, 1, 17, 42, 50, 63, 88, 99], dtype=torch.float32) / 100.0
    with torch.no_grad():
        # Their forward takes x [B, 1, D] (a channel axis) and the time [B].
        out = model(x.unsqueeze(1), t).squeeze(1)
    with h5py.File(path, "w", libver="latest") as f:
        group = f.create_group("parameters")
        for name, tensor in model.state_dict().items():
            if any(a in name if a.startswith(".") else name.startswith(a) for a in ALIASES):
                continue
            group.create_dataset(name, data=tensor.numpy())
        f.create_dataset("input", data=x.numpy())
        f.create_dataset("label", data=t.numpy())
        f.create_dataset("output", data=out.numpy())
        f.attrs["options"] = json.dumps({k: p["model"][k] for k in ("nunits", "nblocks", "time_emb_size",
                                                                    "group_norm", "skip_connection")})
    print(f"wrote {path}: {sum(1 for _ in model.parameters())} parameter tensors, output {tuple(out.shape)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", required=True, help="DLPM checkout (read only)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--alphas", type=float, nargs="+", default=[1.7, 1.8, 1.9, 2.0])
    ap.add_argument("--out", default=None, help="also write the JSON here")
    ap.add_argument("--log", default=None, help="the authors' stdout goes here")
    ap.add_argument("--network-fixture", default=None, help="write the network fixture here and stop")
    a = ap.parse_args()

    checkout = os.path.abspath(a.checkout)
    install_stand_ins()
    if a.network_fixture:
        sys.path.insert(0, checkout)
        network_fixture(checkout, os.path.abspath(a.network_fixture))
        return
    import matplotlib
    matplotlib.use("Agg")
    sys.path.insert(0, checkout)
    workdir = tempfile.mkdtemp(prefix="dlpm_grid_")
    os.chdir(workdir)  # the authors' code writes eval_files/ under the cwd
    log = open(a.log, "w") if a.log else io.StringIO()

    from bem.utils_exp import FileHandler
    cfg = FileHandler.get_param_from_config(os.path.join(checkout, "dlpm", "configs"), "2d_data.yml")
    weights = [float(w) for w in cfg["data"]["weights"]]

    out = {
        "source": "darioShar/DLPM, dlpm/configs/2d_data.yml, run with the authors' code",
        "seeds": list(range(a.seeds)),
        "grid_means": GRID.tolist(),
        "weights": weights,
        "smallest_weight_modes": [int(i) for i in np.argsort(weights, kind="stable")[:3]],
        "torch": torch.__version__,
        "alphas": {},
    }
    small = out["smallest_weight_modes"]
    for alpha in a.alphas:
        runs = []
        for seed in range(a.seeds):
            r = one_run(checkout, alpha, seed, log)
            r["smallest_modes_share"] = float(sum(r["mode_shares"][k] for k in small))
            runs.append(r)
            print(f"alpha={alpha} seed={seed} f1={r['f1']:.4f} P={r['precision']:.4f} "
                  f"R={r['recall']:.4f} small={r['smallest_modes_share']:.4f} "
                  f"t={r['train_s'] + r['eval_s']:.0f}s", file=sys.stderr, flush=True)
        summary = {k: bootstrap([r[k] for r in runs])
                   for k in ("f1", "precision", "recall", "smallest_modes_share")}
        summary["mode_shares"] = [bootstrap([r["mode_shares"][m] for r in runs]) for m in range(9)]
        summary["real_mode_shares_mean"] = np.mean([r["real_mode_shares"] for r in runs], 0).tolist()
        summary["seconds_per_run_mean"] = float(np.mean([r["train_s"] + r["eval_s"] for r in runs]))
        out["alphas"][repr(alpha)] = {"summary": summary, "runs": runs}
        if a.out:  # keep what is done so far
            with open(a.out, "w") as f:
                json.dump(out, f, indent=1)
    text = json.dumps(out, indent=1)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
