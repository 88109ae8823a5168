#!/usr/bin/python3
"""Runs score_sde_pytorch's (and NCSNv2's) training, loss, ODE and likelihood
code to make fixtures that scorch's C++ tests compare against.

  fixtures       writes tests/fixtures/score_sde/ (see below)
  verify-export  EXPORTED.pth --like ORIGINAL.pth --net ncsnpp|ddpmpp: loads a
                 checkpoint (e.g. one scorch exported) with the reference
                 utils.restore_checkpoint into a fresh reference training
                 state, checks that everything restored is bit-identical to
                 torch.load(ORIGINAL) (model state dict, EMA decay/num_updates/
                 shadow_params, Adam exp_avg/exp_avg_sq/step and param_groups,
                 step; the raw pickles are compared as well, dtypes included,
                 because load_state_dict silently casts), then runs one
                 reference training step from it. Exits 1 on any difference
                 or missing/unexpected entry; only Adam's option flags
                 (amsgrad, maximize, foreach, capturable, differentiable,
                 fused) may be absent, as Adam.__setstate__ defaults them, and
                 tuple-vs-list or int-vs-float spellings of equal numbers are
                 printed as notes.

The reference code is imported from the checkouts given on the command line
(none of it is copied here), reusing reference_networks.py (beside this file)
for the ml_collections/`op` stubs, the checkout switch, the tiny model config
and randomise(). Needs Debian's python3-torch (1.13), python3-numpy,
python3-scipy, python3-h5py; cross-check only, scorch never runs Python.

How the fixtures are made
-------------------------
Everything runs on the CPU with torch.set_num_threads(1) (fixed reduction
order). Seeds: ncsnpp state 1, its training batches 11; ddpmpp state 2,
batches 12; loss inputs 100/101/102, ODE latents 200/201/202, likelihood
images 300/301/302 (ve/vp/subvp); NCSNv2 state 4, batches 14, probe input 15.

Networks (score_sde models/ncsnpp.py NCSNpp, image [1, 8, 8], nf 4, ch_mult
(1, 2), num_res_blocks 1, attn_resolutions (4,), dropout 0, init_scale 0,
GroupNorm, swish, attention ddpm, resamp_with_conv, conv_size 3; nf 4 keeps the
fixtures at about 3 MB and still gives GroupNorms of 1, 2 and 3 groups; nf 6 is
impossible, the reference's min(C // 4, 32) groups do not divide 18 channels):
  ncsnpp   biggan blocks, skip_rescale, FIR [1,3,3,1], progressive output_skip,
           progressive_input residual, combine sum, Fourier embedding (scale
           16), conditional, scale_by_sigma, not centered          -> VE
  ddpmpp   ddpm blocks, skip_rescale, no FIR, progressive none/none,
           positional embedding, conditional, no scale_by_sigma, centered
                                                                   -> VP, subVP
The training state is built as run_lib.train builds it: mutils.create_model
(DataParallel, CPU), then rn.randomise on the inner module (every parameter,
so zero-initialised paths matter; for ddpmpp the output convolution is then
scaled by 0.02, see TAMED_OUTPUT), then ExponentialMovingAverage(decay 0.999)
and losses.get_optimizer (Adam lr 2e-4, betas (0.9, 0.999), eps 1e-8,
weight_decay 0); 3 steps of losses.get_step_fn(train=True, continuous=True,
likelihood_weighting=False; reduce_mean False for VE, True for VP) with
optimization_manager (warmup 0, grad_clip 1) on float32 batches uniform in the
model's range ([0, 1] VE, 2u-1 VP); the loss draws its own t and z from the
seeded global generator. Saved with the checkout's utils.save_checkpoint:
  ncsnpp_ve.pth, ddpmpp_vp.pth       torch.save zip format (the default)
  ddpmpp_vp_legacy.pth               the same state, legacy (non-zip) format
                                     (utils.torch.save wrapped for that call
                                     with _use_new_zipfile_serialization=False)
  ve.yaml, vp.yaml, subvp.yaml       the same models/SDEs/training for scorch
                                     (validated with `scorch config`; they set
                                     data.random_flip false, as the reference
                                     steps saw unflipped batches)
Per SDE (ve: ncsnpp_ve.pth; vp and subvp: ddpmpp_vp.pth), sde_lib VESDE(0.01,
50, 1000), VPSDE(0.1, 20, 1000), subVPSDE(0.1, 20, 1000):
  <sde>_loss.h5        losses.get_sde_loss_fn(sde, train=True, reduce_mean=R,
                       continuous=True, likelihood_weighting=W, eps=1e-5) on a
                       float64 copy of the `model` weights (train mode). Its
                       torch.rand / torch.randn_like draws are replaced (the
                       losses module gets a torch namespace whose rand/randn_like
                       return fixed float64 tensors), so t = u*(T-eps)+eps (u[0]
                       = 0, i.e. t = eps) and z are known; the t the loss
                       actually passed to sde.marginal_prob is stored.
                       x, t, z, x_t = mean + std*z, score = mutils.get_score_fn(
                       sde, model, train=False, continuous=True)(x_t, t); groups
                       mean_original, sum_original, mean_likelihood,
                       sum_likelihood with `loss` (float64) and `gradients/<name>`
                       (d loss/d parameter for each requires_grad parameter,
                       state-dict name without `module.`, float64 computed,
                       stored float32).
  <sde>_ode.h5         sampling.get_ode_sampler(sde, shape, identity inverse
                       scaler, denoise=False, rtol=atol=1e-5, RK45, eps 1e-5 VE /
                       1e-3 VP, subVP, device cpu) with the EMA weights
                       (ema.copy_to on a copy), float32. latents =
                       sde.prior_sampling([4,1,8,8]); samples/nfe from one run
                       per image (shape [1,1,8,8]), samples_batched from one run
                       on all four.
  <sde>_likelihood.h5  likelihood.get_likelihood_fn(sde, inverse_scaler,
                       'Rademacher', rtol=atol=1e-5, RK45, eps=1e-5), EMA
                       weights, float32, one image per call, with
                       likelihood.get_div_fn replaced by the exact divergence
                       (trace of the Jacobian: the 64 per-dimension autograd
                       passes batched over 64 copies of the image, see
                       exact_div_fn; the Rademacher draw is made but unused).
                       x = scaler((k + u)/256), k uniform in 0..255, u ~ U[0, 1).
                       bpd, latent, nfe.
NCSNv2 (ermongroup/ncsnv2 models/ncsnv2.py NCSNv2: channels 1, image 28, ngf 4,
10 geometric sigmas 1 .. 0.01, InstanceNorm++, elu), built as
runners/ncsn_runner.py train() builds it: DataParallel, rn.randomise on the
inner module, losses.get_optimizer (Adam lr 1e-4, beta1 0.9, eps 1e-8,
weight_decay 0, amsgrad False), EMAHelper(mu=0.999).register; 2 steps of
losses.dsm.anneal_dsm_score_estimation(score, X, sigmas, None, 2) on uniform
[0, 1] batches of 4 (data_transform is the identity for this config, so it is
not called), optimizer.step(), ema_helper.update(score). Saved as the runner
does: torch.save([score.state_dict(), optimizer.state_dict(), epoch 0, step 2,
ema_helper.state_dict()], ncsnv2.pth). ncsnv2.yaml describes it for scorch;
ncsnv2_output.h5 holds input [3,1,28,28], level [0,4,9], sigma, output_model =
model(input, level) (eval, no grad) and output_ema (ema_helper.ema_copy).

Patches and stubs (nothing else is changed):
  * ml_collections.ConfigDict, the CUDA `op` package (the checkout's own
    upfirdn2d_native), and the layerspp F.interpolate erratum: see
    reference_networks.py.
  * tensorflow: utils.py imports it only for tf.io.gfile.exists/makedirs;
    a stub maps them to os.path.exists / os.makedirs(exist_ok=True).
  * datasets.py needs jax, tensorflow and tensorflow_datasets at import, so it
    is not imported; its get_data_scaler/get_data_inverse_scaler (2x-1 and
    (x+1)/2 when centered, identity otherwise) are written inline.
  * Precision patch: layers.get_timestep_embedding computes in float32 even for
    a float64 model. For float64 timesteps (only the float64 loss fixtures) the
    same sinusoidal embedding is computed entirely in float64, so the float64
    comparison can be held to 1e-6 relative; float32 timesteps (training, ODE,
    likelihood) get the checkout's own function unchanged.

Regenerate (a few minutes on one core, mostly the likelihoods):
  mkdir -p /tmp/ref/score_sde /tmp/ref/ncsnv2
  git -C MIRROR/yang-song+score_sde_pytorch/repo archive HEAD | tar -x -C /tmp/ref/score_sde
  git -C MIRROR/ermongroup+ncsnv2/repo archive HEAD | tar -x -C /tmp/ref/ncsnv2
  /usr/bin/python3 scripts/crosscheck/reference_score_sde.py fixtures \\
      --score-sde /tmp/ref/score_sde --ncsnv2 /tmp/ref/ncsnv2 --out tests/fixtures/score_sde
  /usr/bin/python3 scripts/crosscheck/reference_score_sde.py verify-export \\
      tests/fixtures/score_sde/ncsnpp_ve.pth --like tests/fixtures/score_sde/ncsnpp_ve.pth --net ncsnpp
(`fixtures` runs build/launch/scorch config on each YAML when that binary
exists; --scorch names another.)
"""
import argparse
import contextlib
import copy
import functools
import importlib
import math
import os
import subprocess
import sys
import time
import types

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_networks as rn  # noqa: E402

ConfigDict = rn.ConfigDict
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Top-level names the two checkouts (and score_sde's scripts) both may define.
TOP_LEVEL = ("models", "configs", "sde_lib", "losses", "utils", "sampling", "likelihood", "datasets", "runners",
             "evaluation")

SHAPE = (1, 8, 8)
BATCH = 4
COMMON = dict(nf=4, ch_mult=(1, 2), num_res_blocks=1, attn_resolutions=(4,))
NETS = {
    "ncsnpp": dict(resblock_type="biggan", skip_rescale=True, fir=True, progressive="output_skip",
                   progressive_input="residual", progressive_combine="sum", embedding_type="fourier",
                   conditional=True, scale_by_sigma=True, centered=False),
    "ddpmpp": dict(resblock_type="ddpm", skip_rescale=True, fir=False, progressive="none",
                   progressive_input="none", progressive_combine="sum", embedding_type="positional",
                   conditional=True, scale_by_sigma=False, centered=True),
}
TRAIN_SDE = {"ncsnpp": "ve", "ddpmpp": "vp"}
NET_OF_SDE = {"ve": "ncsnpp", "vp": "ddpmpp", "subvp": "ddpmpp"}
CHECKPOINT_OF_SDE = {"ve": "ncsnpp_ve.pth", "vp": "ddpmpp_vp.pth", "subvp": "ddpmpp_vp.pth"}
STATE_SEED = {"ncsnpp": 1, "ddpmpp": 2}
SDE_INDEX = {"ve": 0, "vp": 1, "subvp": 2}
SAMPLING_EPS = {"ve": 1e-5, "vp": 1e-3, "subvp": 1e-3}  # run_lib's sampling_eps
LOSS_EPS = 1e-5
TOL = 1e-5
TRAIN_STEPS = 3


def use_checkout(directory):
    """Makes `directory` the checkout whose top-level modules import."""
    for name in [n for n in sys.modules if n.split(".")[0] in TOP_LEVEL]:
        del sys.modules[name]
    rn.use_checkout(directory)


def install_tensorflow_stub():
    gfile = types.SimpleNamespace(exists=os.path.exists, makedirs=lambda path: os.makedirs(path, exist_ok=True))
    tf = types.ModuleType("tensorflow")
    tf.io = types.SimpleNamespace(gfile=gfile)
    sys.modules["tensorflow"] = tf


class ScoreSDE:
    """The score_sde checkout's modules, imported with the stubs and patches."""

    def __init__(self, directory):
        rn.install_stubs(directory)
        install_tensorflow_stub()
        use_checkout(directory)
        self.NCSNpp = rn.ncsnpp_class(directory)  # registers 'ncsnpp'; casting + F.interpolate fixes
        self.layers = importlib.import_module("models.layers")
        self._install_float64_embedding()
        self.mutils = importlib.import_module("models.utils")
        self.ema = importlib.import_module("models.ema")
        self.sde_lib = importlib.import_module("sde_lib")
        self.losses = importlib.import_module("losses")
        self.utils = importlib.import_module("utils")
        self.sampling = importlib.import_module("sampling")
        self.likelihood = importlib.import_module("likelihood")
        assert self.mutils.get_model("ncsnpp") is self.NCSNpp

    def _install_float64_embedding(self):
        checkout_embedding = self.layers.get_timestep_embedding  # rn's cast around the checkout's function

        def embedding(timesteps, embedding_dim, max_positions=10000):
            if timesteps.dtype != torch.float64:
                return checkout_embedding(timesteps, embedding_dim, max_positions)
            # Precision patch: the same sinusoidal embedding, all in float64.
            half = embedding_dim // 2
            rate = math.log(max_positions) / (half - 1)
            frequencies = torch.exp(-rate * torch.arange(half, dtype=torch.float64, device=timesteps.device))
            phase = timesteps[:, None] * frequencies[None, :]
            result = torch.cat([torch.sin(phase), torch.cos(phase)], dim=1)
            if embedding_dim % 2 == 1:
                result = torch.nn.functional.pad(result, (0, 1))
            return result

        self.layers.get_timestep_embedding = embedding

    def make_sde(self, name):
        if name == "ve":
            return self.sde_lib.VESDE(sigma_min=0.01, sigma_max=50, N=1000)
        if name == "vp":
            return self.sde_lib.VPSDE(beta_min=0.1, beta_max=20, N=1000)
        return self.sde_lib.subVPSDE(beta_min=0.1, beta_max=20, N=1000)


def make_config(net):
    sde = TRAIN_SDE[net]
    config = rn.ncsnpp_config(SHAPE[0], SHAPE[1], **COMMON, **NETS[net])
    config.model.update(name="ncsnpp", ema_rate=0.999, sigma_min=0.01, sigma_max=50, num_scales=1000,
                        beta_min=0.1, beta_max=20., dropout=0.0)
    config.training = ConfigDict(sde={"ve": "vesde", "vp": "vpsde"}[sde], continuous=True,
                                 reduce_mean=sde != "ve", likelihood_weighting=False, batch_size=BATCH)
    config.optim = ConfigDict(optimizer="Adam", lr=2e-4, beta1=0.9, eps=1e-8, weight_decay=0, warmup=0,
                              grad_clip=1.)
    config.data.update(dataset="random", random_flip=False, uniform_dequantization=False)
    config.device = torch.device("cpu")
    config.seed = STATE_SEED[net]
    return config


def data_scaler(config):
    """datasets.get_data_scaler, inline (datasets.py imports tensorflow/jax)."""
    return (lambda x: x * 2. - 1.) if config.data.centered else (lambda x: x)


def data_inverse_scaler(config):
    """datasets.get_data_inverse_scaler, inline."""
    return (lambda x: (x + 1.) / 2.) if config.data.centered else (lambda x: x)


# The random DDPM++ outputs O(1) noise predictions that do not fit the data,
# so its VP/subVP probability-flow ODE runs far outside [-1, 1] and turns stiff
# near t = eps. Its output convolution (the last module; progressive 'none',
# so the only output path) is scaled by this factor before training: the
# score stays smooth and O(1)/sigma, samples stay in range, and RK45 needs few
# steps. The comparisons need a smooth network, not a trained one.
TAMED_OUTPUT = {"ddpmpp": 0.02}


def tame_output(module, factor):
    with torch.no_grad():
        for parameter in module.all_modules[-1].parameters():
            parameter.mul_(factor)


def build_state(score, net, randomise=True):
    """The reference training state, as run_lib.train builds it."""
    config = make_config(net)
    torch.manual_seed(STATE_SEED[net])
    model = score.mutils.create_model(config)
    if randomise:
        rn.randomise(model.module)
        if net in TAMED_OUTPUT:
            tame_output(model.module, TAMED_OUTPUT[net])
    ema = score.ema.ExponentialMovingAverage(model.parameters(), decay=config.model.ema_rate)
    optimizer = score.losses.get_optimizer(config, model.parameters())
    return config, dict(optimizer=optimizer, model=model, ema=ema, step=0)


def train_step_fn(score, config, sde):
    return score.losses.get_step_fn(sde, train=True, optimize_fn=score.losses.optimization_manager(config),
                                    reduce_mean=config.training.reduce_mean, continuous=True,
                                    likelihood_weighting=False)


def train(score, net, config, state, steps, seed):
    sde = score.make_sde(TRAIN_SDE[net])
    step_fn = train_step_fn(score, config, sde)
    scaler = data_scaler(config)
    torch.manual_seed(seed)
    losses = []
    for _ in range(steps):
        batch = scaler(torch.rand(BATCH, *SHAPE))
        losses.append(step_fn(state, batch).item())
    return losses


def state_dict_keys(module):
    return list(module.state_dict().keys())


@contextlib.contextmanager
def legacy_torch_save(utils_module):
    original = utils_module.torch
    namespace = types.SimpleNamespace(**vars(torch))
    namespace.save = functools.partial(torch.save, _use_new_zipfile_serialization=False)
    utils_module.torch = namespace
    try:
        yield
    finally:
        utils_module.torch = original


@contextlib.contextmanager
def fixed_draws(losses_module, u, z):
    """Gives the losses module a torch whose rand/randn_like return u and z."""
    original = losses_module.torch
    namespace = types.SimpleNamespace(**vars(torch))

    def rand(*size, **kwargs):
        assert tuple(size) == tuple(u.shape), (size, u.shape)
        return u.clone()

    def randn_like(tensor, **kwargs):
        assert tensor.shape == z.shape and tensor.dtype == z.dtype
        return z.clone()

    namespace.rand, namespace.randn_like = rand, randn_like
    losses_module.torch = namespace
    try:
        yield
    finally:
        losses_module.torch = original


@contextlib.contextmanager
def recording_marginal_prob(sde):
    """Records the t of every sde.marginal_prob call (the t the loss used)."""
    calls = []
    method = sde.marginal_prob

    def marginal_prob(x, t):
        calls.append(t.detach().clone())
        return method(x, t)

    sde.marginal_prob = marginal_prob
    try:
        yield calls
    finally:
        del sde.marginal_prob


def ema_copy(score_sde_state):
    """A copy of the model carrying the EMA weights (run_lib: ema.copy_to)."""
    model = copy.deepcopy(score_sde_state["model"])
    score_sde_state["ema"].copy_to(model.parameters())
    return model.eval()


def h5_file(path):
    return h5py.File(path, "w", libver="latest")


LOSS_CASES = [("mean_original", True, False), ("sum_original", False, False),
              ("mean_likelihood", True, True), ("sum_likelihood", False, True)]


def loss_fixture(score, sde_name, config, state, path):
    sde = score.make_sde(sde_name)
    model = copy.deepcopy(state["model"]).double()
    torch.manual_seed(100 + SDE_INDEX[sde_name])
    x = data_scaler(config)(torch.rand(BATCH, *SHAPE).double())
    u = torch.rand(BATCH, dtype=torch.float64)
    u[0] = 0.0  # t = eps exactly
    z = torch.randn(BATCH, *SHAPE, dtype=torch.float64)
    names = [n for n, p in model.module.named_parameters() if p.requires_grad]
    results, used_t = {}, None
    for case, reduce_mean, likelihood_weighting in LOSS_CASES:
        loss_fn = score.losses.get_sde_loss_fn(sde, train=True, reduce_mean=reduce_mean, continuous=True,
                                               likelihood_weighting=likelihood_weighting, eps=LOSS_EPS)
        model.zero_grad(set_to_none=True)
        with fixed_draws(score.losses, u, z), recording_marginal_prob(sde) as calls:
            loss = loss_fn(model, x)
        loss.backward()
        t = calls[0]
        assert all(torch.equal(c, t) for c in calls), "the loss used different t"
        assert used_t is None or torch.equal(used_t, t)
        used_t = t
        grads = dict(model.module.named_parameters())
        results[case] = (loss.item(), {n: grads[n].grad.detach().float().numpy() for n in names})
    assert torch.equal(used_t, u * (sde.T - LOSS_EPS) + LOSS_EPS)
    mean, std = sde.marginal_prob(x, used_t)
    x_t = mean + std[:, None, None, None] * z
    with torch.no_grad():
        score_value = score.mutils.get_score_fn(sde, model, train=False, continuous=True)(x_t, used_t)
    with h5_file(path) as f:
        f.attrs["sde"] = sde_name
        f.attrs["eps"] = LOSS_EPS
        f.attrs["net"] = NET_OF_SDE[sde_name]
        f.attrs["checkpoint"] = CHECKPOINT_OF_SDE[sde_name]
        f.attrs["weights"] = "model"
        for name, value in [("x", x), ("t", used_t), ("z", z), ("x_t", x_t), ("score", score_value)]:
            f.create_dataset(name, data=value.detach().numpy())
        for case, (loss, grads) in results.items():
            group = f.create_group(case)
            group.create_dataset("loss", data=np.float64(loss))
            gradients = group.create_group("gradients")
            for name in names:
                gradients.create_dataset(name, data=grads[name])
    print(f"{sde_name} loss: " + ", ".join(f"{case} {loss:.10g}" for case, (loss, _) in results.items()))
    return {case: loss for case, (loss, _) in results.items()}


def ode_fixture(score, sde_name, state, path):
    sde = score.make_sde(sde_name)
    model = ema_copy(state)
    eps = SAMPLING_EPS[sde_name]
    torch.manual_seed(200 + SDE_INDEX[sde_name])
    latents = sde.prior_sampling((BATCH, *SHAPE))

    def sampler(shape):
        return score.sampling.get_ode_sampler(sde, shape, inverse_scaler=lambda x: x, denoise=False, rtol=TOL,
                                              atol=TOL, method="RK45", eps=eps, device="cpu")

    samples, nfes = [], []
    for i in range(BATCH):
        sample, nfe = sampler((1, *SHAPE))(model, z=latents[i:i + 1])
        samples.append(sample)
        nfes.append(nfe)
    samples = torch.cat(samples)
    batched, batched_nfe = sampler((BATCH, *SHAPE))(model, z=latents)
    with h5_file(path) as f:
        f.attrs.update(sde=sde_name, eps=eps, rtol=TOL, atol=TOL, method="RK45", weights="ema",
                       checkpoint=CHECKPOINT_OF_SDE[sde_name], nfe_batched=batched_nfe)
        f.create_dataset("latents", data=latents.numpy())
        f.create_dataset("samples", data=samples.numpy())
        f.create_dataset("nfe", data=np.array(nfes, dtype=np.int64))
        f.create_dataset("samples_batched", data=batched.numpy())
    difference = (samples - batched).abs().max().item()
    print(f"{sde_name} ODE: nfe {nfes} (batched {batched_nfe}); max |samples - samples_batched| {difference:.3g}; "
          f"sample range [{samples.min().item():.3g}, {samples.max().item():.3g}]")
    return difference


def exact_div_fn(fn):
    """Replaces likelihood.get_div_fn: the exact trace of d fn / d x per example.

    The D = C*H*W vector-Jacobian products (one per dimension) are batched: each
    example is replicated D times, copy i's output i is differentiated, and the
    diagonal is summed. Exact, since in eval mode examples do not interact.
    """

    def div_fn(x, t, eps):  # eps (the Hutchinson probe) is ignored
        batch, dims = x.shape[0], x[0].numel()
        with torch.enable_grad():
            copies = x.detach().repeat_interleave(dims, dim=0).requires_grad_(True)
            out = fn(copies, t.repeat_interleave(dims)).reshape(batch, dims, dims)
            diagonal = torch.arange(dims)
            rows = torch.autograd.grad(out[:, diagonal, diagonal].sum(), copies)[0].reshape(batch, dims, dims)
        return rows[:, diagonal, diagonal].sum(dim=1)

    return div_fn


def likelihood_fixture(score, sde_name, config, state, path):
    sde = score.make_sde(sde_name)
    model = ema_copy(state)
    torch.manual_seed(300 + SDE_INDEX[sde_name])
    k = torch.randint(0, 256, (BATCH, *SHAPE))
    u = torch.rand(BATCH, *SHAPE)
    x = data_scaler(config)((k + u) / 256.).float()
    original = score.likelihood.get_div_fn
    score.likelihood.get_div_fn = exact_div_fn
    try:
        likelihood_fn = score.likelihood.get_likelihood_fn(sde, data_inverse_scaler(config),
                                                           hutchinson_type="Rademacher", rtol=TOL, atol=TOL,
                                                           method="RK45", eps=LOSS_EPS)
        bpds, latents, nfes = [], [], []
        for i in range(BATCH):
            bpd, latent, nfe = likelihood_fn(model, x[i:i + 1])
            bpds.append(bpd.item())
            latents.append(latent)
            nfes.append(nfe)
    finally:
        score.likelihood.get_div_fn = original
    with h5_file(path) as f:
        f.attrs.update(sde=sde_name, eps=LOSS_EPS, rtol=TOL, atol=TOL, method="RK45", weights="ema",
                       divergence="exact", checkpoint=CHECKPOINT_OF_SDE[sde_name])
        f.create_dataset("x", data=x.numpy())
        f.create_dataset("bpd", data=np.array(bpds, dtype=np.float64))
        f.create_dataset("latent", data=torch.cat(latents).numpy())
        f.create_dataset("nfe", data=np.array(nfes, dtype=np.int64))
    print(f"{sde_name} likelihood: bpd {[round(b, 6) for b in bpds]}, nfe {nfes}")


# --------------------------------------------------------------------------- YAML for scorch

def yaml_bool(value):
    return "true" if value else "false"


def scorch_yaml(sde_name):
    net = NET_OF_SDE[sde_name]
    m = dict(COMMON, **NETS[net])
    sde = ("  name: ve\n  sigma_min: 0.01\n  sigma_max: 50\n" if sde_name == "ve" else
           f"  name: {sde_name}\n  beta_min: 0.1\n  beta_max: 20\n")
    reference = {"ve": "ncsnpp_ve.pth (VESDE)", "vp": "ddpmpp_vp.pth (VPSDE)",
                 "subvp": "ddpmpp_vp.pth's network with subVPSDE"}[sde_name]
    return f"""\
# Tiny {net} on [1, 8, 8] with the {sde_name} SDE: the network and training of
# tests/fixtures/score_sde/{reference}, made by
# scripts/crosscheck/reference_score_sde.py fixtures. Set data.train with --set.
seed: 0
sde:
{sde}  T: 1
  num_scales: 1000
objective:
  kind: sde
  weighting: original
  time_sampling: uniform
  eps: 1.0e-5
  reduction: {"sum" if sde_name == "ve" else "mean"}
model:
  name: ncsnpp
  input_shape: [1, 8, 8]
  ncsnpp:
    nf: {m["nf"]}
    ch_mult: [{", ".join(map(str, m["ch_mult"]))}]
    num_res_blocks: {m["num_res_blocks"]}
    attn_resolutions: [{", ".join(map(str, m["attn_resolutions"]))}]
    dropout: 0
    resblock_type: {m["resblock_type"]}
    skip_rescale: {yaml_bool(m["skip_rescale"])}
    fir: {yaml_bool(m["fir"])}
    fir_kernel: [1, 3, 3, 1]
    progressive: {m["progressive"]}
    progressive_input: {m["progressive_input"]}
    progressive_combine: {m["progressive_combine"]}
    embedding_type: {m["embedding_type"]}
    fourier_scale: 16
    conditional: {yaml_bool(m["conditional"])}
    init_scale: 0
    scale_by_sigma: {yaml_bool(m["scale_by_sigma"])}
    centered: {yaml_bool(m["centered"])}
    resamp_with_conv: true
    nonlinearity: swish
data:
  random_flip: false  # the reference steps used unflipped random batches
train:
  steps: 6
  batch_size: 4
  log_every: 1
optim:
  lr: 2.0e-4
  beta1: 0.9
  eps: 1.0e-8
  warmup: 0
  grad_clip: 1
ema:
  rate: 0.999
  warmup: true
checkpoint:
  every: 3
  keep: 3
"""


NCSNV2_YAML = """\
# Tiny NCSNv2 (ngf 4) on [1, 28, 28] with 10 geometric sigmas 1 .. 0.01: the
# network and training of tests/fixtures/score_sde/ncsnv2.pth (ermongroup/ncsnv2
# runner: Adam without warm-up or clipping, EMAHelper without warm-up), made by
# scripts/crosscheck/reference_score_sde.py fixtures. Set data.train with --set.
seed: 0
objective:
  kind: ncsn
sigmas:
  scheme: geometric
  max: 1
  min: 0.01
  count: 10
model:
  name: ncsnv2
  input_shape: [1, 28, 28]
  ncsnv2:
    nf: 4
    nonlinearity: elu
data:
  random_flip: false
train:
  steps: 6
  batch_size: 4
  log_every: 1
optim:
  lr: 1.0e-4
  beta1: 0.9
  eps: 1.0e-8
  warmup: 0
  grad_clip: 0
ema:
  rate: 0.999
  warmup: false
checkpoint:
  every: 3
  keep: 3
"""


def validate_yaml(scorch, path):
    if not (scorch and os.path.exists(scorch)):
        print(f"not validated (no scorch binary): {path}")
        return
    result = subprocess.run([scorch, "config", "--config", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"scorch config --config {path} failed:\n{result.stdout}{result.stderr}")
    print(f"validated {path} with scorch config")


# --------------------------------------------------------------------------- NCSNv2

def ncsnv2_fixtures(args):
    use_checkout(args.ncsnv2)
    NCSNv2 = rn.ncsnv2_class(args.ncsnv2)
    get_sigmas = importlib.import_module("models").get_sigmas
    EMAHelper = importlib.import_module("models.ema").EMAHelper
    losses = importlib.import_module("losses")
    dsm = importlib.import_module("losses.dsm")
    config = rn.ncsnv2_config(1, 28, 4, num_classes=10, sigma_begin=1.0)
    config.data.update(dataset="random", uniform_dequantization=False, gaussian_dequantization=False)
    config.model.update(ema=True, ema_rate=0.999)
    config.training = ConfigDict(batch_size=BATCH, anneal_power=2, log_all_sigmas=False)
    config.optim = ConfigDict(weight_decay=0.000, optimizer="Adam", lr=0.0001, beta1=0.9, amsgrad=False,
                              eps=0.00000001)
    torch.manual_seed(4)
    score = torch.nn.DataParallel(NCSNv2(config).to(config.device))
    rn.randomise(score.module)
    optimizer = losses.get_optimizer(config, score.parameters())
    ema_helper = EMAHelper(mu=config.model.ema_rate)
    ema_helper.register(score)
    sigmas = get_sigmas(config)
    torch.manual_seed(14)
    step, values = 0, []
    for _ in range(2):
        score.train()
        step += 1
        X = torch.rand(BATCH, 1, 28, 28)
        loss = dsm.anneal_dsm_score_estimation(score, X, sigmas, None, config.training.anneal_power)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_helper.update(score)
        values.append(loss.item())
    states = [score.state_dict(), optimizer.state_dict(), 0, step, ema_helper.state_dict()]
    path = os.path.join(args.out, "ncsnv2.pth")
    torch.save(states, path)
    params = sum(p.numel() for p in score.parameters())
    frozen = [n for n, p in score.module.named_parameters() if not p.requires_grad]
    print(f"ncsnv2: {params} parameters, requires_grad False: {frozen or 'none'}; training losses {values}")
    print(f"ncsnv2 state-dict keys[:10]: {state_dict_keys(score)[:10]}")
    print(f"ncsnv2 EMA shadow keys[:3]: {list(ema_helper.state_dict())[:3]}")
    yaml_path = os.path.join(args.out, "ncsnv2.yaml")
    with open(yaml_path, "w") as f:
        f.write(NCSNV2_YAML)
    validate_yaml(args.scorch, yaml_path)

    torch.manual_seed(15)
    x = torch.rand(3, 1, 28, 28)
    level = torch.tensor([0, 4, 9], dtype=torch.int64)
    ema_model = ema_helper.ema_copy(score)
    score.eval()
    ema_model.eval()
    with torch.no_grad():
        output_model = score(x, level)
        output_ema = ema_model(x, level)
    with h5_file(os.path.join(args.out, "ncsnv2_output.h5")) as f:
        f.attrs.update(checkpoint="ncsnv2.pth", ngf=4, num_classes=10, sigma_begin=1.0, sigma_end=0.01)
        f.create_dataset("input", data=x.numpy())
        f.create_dataset("level", data=level.numpy())
        f.create_dataset("sigma", data=score.module.sigmas[level].double().numpy())
        f.create_dataset("output_model", data=output_model.numpy())
        f.create_dataset("output_ema", data=output_ema.numpy())
    print(f"ncsnv2 output: |model - ema| max {(output_model - output_ema).abs().max().item():.3g}")


# --------------------------------------------------------------------------- subcommands

def fixtures(args):
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    score = ScoreSDE(args.score_sde)
    states = {}
    for net in ("ncsnpp", "ddpmpp"):
        config, state = build_state(score, net)
        model = state["model"]
        total = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        frozen = [n for n, p in model.module.named_parameters() if not p.requires_grad]
        buffers = [(n, str(b.dtype), tuple(b.shape)) for n, b in model.module.named_buffers()]
        print(f"{net}: {total} parameters ({trainable} trainable); requires_grad False: {frozen or 'none'}; "
              f"buffers {buffers}")
        seed = 10 + STATE_SEED[net]
        losses = train(score, net, config, state, TRAIN_STEPS, seed)
        print(f"{net} ({TRAIN_SDE[net]}) training losses {losses}; step {state['step']}")
        print(f"{net} state-dict keys[:10]: {state_dict_keys(model)[:10]}")
        name = f"{net}_{TRAIN_SDE[net]}.pth"
        score.utils.save_checkpoint(os.path.join(args.out, name), state)
        if net == "ddpmpp":
            with legacy_torch_save(score.utils):
                score.utils.save_checkpoint(os.path.join(args.out, f"{net}_{TRAIN_SDE[net]}_legacy.pth"), state)
        saved = torch.load(os.path.join(args.out, name))
        adam_steps = {type(s["step"]).__name__ + ("/" + str(s["step"].dtype) if torch.is_tensor(s["step"]) else "")
                      for s in saved["optimizer"]["state"].values()}
        print(f"{name}: keys {list(saved)}; Adam state for {len(saved['optimizer']['state'])} of "
              f"{len(saved['optimizer']['param_groups'][0]['params'])} parameters, step type {adam_steps}; "
              f"param_group keys {list(saved['optimizer']['param_groups'][0])}; "
              f"ema num_updates {saved['ema']['num_updates']} ({len(saved['ema']['shadow_params'])} shadows); "
              f"step {saved['step']!r}")
        states[net] = (config, state)
    for sde_name in ("ve", "vp", "subvp"):
        path = os.path.join(args.out, f"{sde_name}.yaml")
        with open(path, "w") as f:
            f.write(scorch_yaml(sde_name))
        validate_yaml(args.scorch, path)
    summary = {}
    for sde_name in ("ve", "vp", "subvp"):
        config, state = states[NET_OF_SDE[sde_name]]
        begin = time.time()
        losses = loss_fixture(score, sde_name, config, state, os.path.join(args.out, f"{sde_name}_loss.h5"))
        difference = ode_fixture(score, sde_name, state, os.path.join(args.out, f"{sde_name}_ode.h5"))
        likelihood_fixture(score, sde_name, config, state, os.path.join(args.out, f"{sde_name}_likelihood.h5"))
        summary[sde_name] = (losses, difference)
        print(f"{sde_name}: {time.time() - begin:.1f} s")
    ncsnv2_fixtures(args)
    print("\nsummary")
    for sde_name, (losses, difference) in summary.items():
        print(f"  {sde_name}: max |samples - samples_batched| {difference:.3g}; losses {losses}")
    total = 0
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, name))
        total += size
        print(f"  {name:28s} {size:9d}")
    print(f"  {'total':28s} {total:9d}")


class Comparison:
    """Collects differences between an original and a candidate pickle tree."""

    OPTIONAL_GROUP_KEYS = {"amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused"}

    def __init__(self):
        self.failures, self.notes, self.largest = [], [], {}

    def _record(self, path, value):
        category = path.split(".")[0].split("[")[0]
        self.largest[category] = max(self.largest.get(category, 0.0), value)

    def compare(self, original, candidate, path):
        if torch.is_tensor(original):
            if not torch.is_tensor(candidate):
                self.failures.append(f"{path}: tensor expected, got {type(candidate).__name__}")
                return
            if original.dtype != candidate.dtype or original.shape != candidate.shape:
                self.failures.append(f"{path}: {original.dtype}{list(original.shape)} expected, got "
                                     f"{candidate.dtype}{list(candidate.shape)}")
                return
            difference = (original.double() - candidate.double()).abs().max().item() if original.numel() else 0.0
            self._record(path, difference)
            if not torch.equal(original, candidate):
                self.failures.append(f"{path}: values differ (max |difference| {difference:.3g})")
        elif isinstance(original, dict):
            if not isinstance(candidate, dict):
                self.failures.append(f"{path}: dict expected, got {type(candidate).__name__}")
                return
            for key, value in original.items():
                if key not in candidate:
                    if ".param_groups[" in path and key in self.OPTIONAL_GROUP_KEYS:
                        self.notes.append(f"{path}.{key} missing (Adam.__setstate__ defaults it)")
                    else:
                        self.failures.append(f"{path}.{key}: missing")
                    continue
                self.compare(value, candidate[key], f"{path}.{key}")
            for key in candidate:
                if key not in original:
                    self.failures.append(f"{path}.{key}: unexpected entry")
        elif isinstance(original, (list, tuple)):
            if not isinstance(candidate, (list, tuple)) or len(candidate) != len(original):
                self.failures.append(f"{path}: {type(original).__name__} of {len(original)} expected, got "
                                     f"{type(candidate).__name__}"
                                     f"{' of %d' % len(candidate) if isinstance(candidate, (list, tuple)) else ''}")
                return
            if type(candidate) is not type(original):
                self.notes.append(f"{path}: {type(original).__name__} written as {type(candidate).__name__}")
            for i, (a, b) in enumerate(zip(original, candidate)):
                self.compare(a, b, f"{path}[{i}]")
        else:
            if torch.is_tensor(candidate) or isinstance(candidate, (dict, list, tuple)):
                self.failures.append(f"{path}: {type(original).__name__} expected, got {type(candidate).__name__}")
                return
            if isinstance(original, (int, float)) and isinstance(candidate, (int, float)) \
                    and not isinstance(original, bool) and not isinstance(candidate, bool):
                difference = abs(float(original) - float(candidate))
                self._record(path, difference)
                if original != candidate:
                    self.failures.append(f"{path}: {original!r} expected, got {candidate!r}")
                elif type(original) is not type(candidate):
                    self.notes.append(f"{path}: {type(original).__name__} {original!r} written as "
                                      f"{type(candidate).__name__} {candidate!r}")
            elif original != candidate or type(original) is not type(candidate):
                self.failures.append(f"{path}: {original!r} expected, got {candidate!r}")


def verify_export(args):
    torch.set_num_threads(1)
    score = ScoreSDE(args.score_sde)
    original = torch.load(args.like, map_location="cpu")
    if not os.path.exists(args.exported):
        raise SystemExit(f"{args.exported} does not exist")
    raw = torch.load(args.exported, map_location="cpu")
    config, state = build_state(score, args.net, randomise=False)  # fresh, default-initialised
    before = {k: v.clone() for k, v in state["model"].state_dict().items()}
    state = score.utils.restore_checkpoint(args.exported, state, device="cpu")
    restored = {"model": state["model"].state_dict(), "ema": state["ema"].state_dict(),
                "optimizer": state["optimizer"].state_dict(), "step": state["step"]}
    checks = [("as written (raw torch.load)", raw), ("as restored by utils.restore_checkpoint", restored)]
    failed = False
    for title, candidate in checks:
        comparison = Comparison()
        comparison.compare(original, candidate, "checkpoint")
        # restore_checkpoint loads the model with strict=False (a missing entry would keep the fresh value)
        # and load_state_dict casts, hence the raw comparison as well.
        print(f"{title}:")
        for key in ("model", "ema", "optimizer", "step"):
            sub = Comparison()
            if key in original:
                sub.compare(original[key], candidate.get(key) if isinstance(candidate, dict) else None, key)
            print(f"  {key:10s} max |difference| {max(sub.largest.values(), default=0.0):.3g}; "
                  f"{len(sub.failures)} failure(s)")
        for note in comparison.notes:
            print(f"  note: {note}")
        for failure in comparison.failures[:40]:
            print(f"  MISMATCH {failure}")
        if len(comparison.failures) > 40:
            print(f"  ... {len(comparison.failures) - 40} more")
        failed |= bool(comparison.failures)
    unchanged = [k for k, v in before.items() if k in restored["model"] and not k.endswith("sigmas")
                 and torch.equal(v, restored["model"][k])]
    if unchanged:
        print(f"  note: {len(unchanged)} model entries equal the fresh state's (e.g. {unchanged[:3]})")
    adam = next(iter(state["optimizer"].state.values()))
    print(f"Adam step before the extra step: {adam['step']!r}; step {state['step']!r}")
    sde = score.make_sde(TRAIN_SDE[args.net])
    torch.manual_seed(99)
    batch = data_scaler(config)(torch.rand(BATCH, *SHAPE))
    loss = train_step_fn(score, config, sde)(state, batch)
    adam = next(iter(state["optimizer"].state.values()))
    finite = all(torch.isfinite(p).all() for p in state["model"].parameters())
    print(f"one reference training step from the restored state: loss {loss.item():.6g}, step {state['step']}, "
          f"Adam step {adam['step']!r}, EMA num_updates {state['ema'].num_updates}, parameters finite {finite}")
    if not (math.isfinite(loss.item()) and finite):
        failed = True
    if failed:
        print("FAILED")
        sys.exit(1)
    print("OK: bit-identical")


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--score-sde", default="/tmp/ref/score_sde", help="score_sde_pytorch checkout")
    common.add_argument("--ncsnv2", default="/tmp/ref/ncsnv2", help="ermongroup/ncsnv2 checkout")
    common.add_argument("--out", default="tests/fixtures/score_sde", help="fixture folder")
    common.add_argument("--scorch", default=os.path.join(REPO, "build", "launch", "scorch"),
                        help="scorch binary used to validate the YAML files")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fixtures", parents=[common], help="write the fixtures into --out")
    verify = commands.add_parser("verify-export", parents=[common],
                                 help="check an exported checkpoint against the original")
    verify.add_argument("exported")
    verify.add_argument("--like", required=True, help="the original reference checkpoint")
    verify.add_argument("--net", required=True, choices=sorted(NETS))
    args = parser.parse_args()
    args.score_sde, args.ncsnv2 = os.path.abspath(args.score_sde), os.path.abspath(args.ncsnv2)
    {"fixtures": fixtures, "verify-export": verify_export}[args.command](args)


if __name__ == "__main__":
    main()
