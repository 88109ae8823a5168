#!/usr/bin/python3
"""Runs the reference PyTorch networks to cross-check scorch's C++ ports.

  count     parameter counts of the score_sde CIFAR-10 configs (and NCSNv2's)
  fixtures  small HDF5 fixtures (weights, input, label, output) that
            tests/network_fixture_test.cpp loads into our networks

The reference code is imported from checkouts given on the command line; none
of it is copied here. Needs Debian's python3-torch, python3-numpy, python3-h5py
(cross-check only: scorch itself never uses Python).

  git -C MIRROR/yang-song+score_sde_pytorch/repo archive HEAD | tar -x -C /tmp/score_sde
  git -C MIRROR/ermongroup+ncsnv2/repo archive HEAD | tar -x -C /tmp/ncsnv2
  /usr/bin/python3 scripts/crosscheck/reference_networks.py count
  /usr/bin/python3 scripts/crosscheck/reference_networks.py fixtures --out tests/fixtures/networks
"""
import argparse
import ast
import importlib
import json
import os
import sys
import types

import h5py
import numpy as np
import torch


class ConfigDict(dict):
    """Stand-in for ml_collections.ConfigDict (not packaged in Debian)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(name) from error

    def __setattr__(self, name, value):
        self[name] = value


def install_stubs(score_sde_dir):
    ml_collections = types.ModuleType("ml_collections")
    ml_collections.ConfigDict = ConfigDict
    sys.modules["ml_collections"] = ml_collections
    # The reference `op` package compiles CUDA kernels at import. Its CPU
    # fallback, upfirdn2d_native, is taken from the checkout itself so the FIR
    # arithmetic stays the reference's.
    source = open(os.path.join(score_sde_dir, "op", "upfirdn2d.py")).read()
    tree = ast.parse(source)
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upfirdn2d_native"]
    namespace = {"torch": torch, "F": torch.nn.functional}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "upfirdn2d_native", "exec"), namespace)
    native = namespace["upfirdn2d_native"]

    def upfirdn2d(input, kernel, up=1, down=1, pad=(0, 0)):
        return native(input, kernel.to(input.dtype), up, up, down, down, pad[0], pad[1], pad[0], pad[1])

    op = types.ModuleType("op")
    op.upfirdn2d = upfirdn2d
    sys.modules["op"] = op


def use_checkout(directory):
    """Makes `directory`'s top-level `models` package the importable one."""
    for name in [n for n in sys.modules if n.split(".")[0] in ("models", "configs", "sde_lib")]:
        del sys.modules[name]
    while directory in sys.path:
        sys.path.remove(directory)
    sys.path.insert(0, directory)


def score_sde_config(score_sde_dir, relative_path):
    use_checkout(score_sde_dir)
    module = importlib.import_module("configs." + relative_path[:-3].replace("/", "."))
    config = module.get_config()
    config.device = torch.device("cpu")
    return config


def ncsnpp_class(score_sde_dir):
    use_checkout(score_sde_dir)
    ncsnpp = importlib.import_module("models.ncsnpp")
    layers = importlib.import_module("models.layers")
    # The reference positional embedding is computed in float32; cast it so a
    # float64 model can consume it (the embedding itself keeps float32 rounding).
    original = layers.get_timestep_embedding

    def embedding(timesteps, dim, max_positions=10000):
        return original(timesteps, dim, max_positions).to(timesteps.dtype)

    layers.get_timestep_embedding = embedding
    # Reference erratum: layerspp.Upsample calls F.interpolate(x, size, 'nearest'),
    # which passes the mode as scale_factor and raises. Route the third
    # positional argument to `mode`, the evident intent.
    layerspp = importlib.import_module("models.layerspp")
    functional = types.SimpleNamespace(**vars(torch.nn.functional))
    functional.interpolate = lambda x, size=None, mode="nearest", **kw: torch.nn.functional.interpolate(
        x, size=size, mode=mode, **kw)
    layerspp.F = functional
    return ncsnpp.NCSNpp


def ncsnv2_class(ncsnv2_dir):
    use_checkout(ncsnv2_dir)
    return importlib.import_module("models.ncsnv2").NCSNv2


def count(args):
    install_stubs(args.score_sde)
    for path in ["vp/cifar10_ddpmpp_continuous.py", "vp/cifar10_ddpmpp_deep_continuous.py",
                 "ve/cifar10_ncsnpp_continuous.py", "ve/cifar10_ncsnpp_deep_continuous.py"]:
        config = score_sde_config(args.score_sde, path)
        model = ncsnpp_class(args.score_sde)(config)
        report(f"score_sde configs/{path}", model)
    config = ncsnv2_config(3, 32, 128, num_classes=232, sigma_begin=50.0)
    report("ncsnv2 configs/cifar10.yml", ncsnv2_class(args.ncsnv2)(config))


def report(name, model):
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"{name}: parameters {total} (trainable {trainable}); buffers {[n for n, _ in model.named_buffers()]}")


def ncsnv2_config(channels, size, nf, num_classes=10, sigma_begin=1.0):
    c = ConfigDict()
    c.device = torch.device("cpu")
    c.data = ConfigDict(channels=channels, image_size=size, logit_transform=False, rescaled=False)
    c.model = ConfigDict(ngf=nf, num_classes=num_classes, sigma_begin=sigma_begin, sigma_end=0.01,
                         sigma_dist="geometric", normalization="InstanceNorm++", nonlinearity="elu", spec_norm=False)
    return c


def ncsnpp_config(channels, size, **model):
    c = ConfigDict()
    c.training = ConfigDict(continuous=True)
    c.data = ConfigDict(image_size=size, num_channels=channels, centered=model.pop("centered"))
    defaults = dict(sigma_min=0.01, sigma_max=50.0, num_scales=1000, dropout=0.0, normalization="GroupNorm",
                    nonlinearity="swish", resamp_with_conv=True, fir_kernel=[1, 3, 3, 1], progressive_combine="sum",
                    attention_type="ddpm", init_scale=0.0, fourier_scale=16, conv_size=3, name="ncsnpp")
    defaults.update(model)
    c.model = ConfigDict(defaults)
    return c


NCSNPP_FIXTURES = {
    "ncsnpp_fir": (3, 16, dict(nf=8, ch_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(8,),
                               resblock_type="biggan", skip_rescale=True, fir=True, progressive="output_skip",
                               progressive_input="residual", embedding_type="fourier", conditional=True,
                               scale_by_sigma=True, centered=False), "unit", [0.05, 1.3, 20.0]),
    "ddpmpp_residual": (1, 16, dict(nf=8, ch_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(8,),
                                    resblock_type="ddpm", skip_rescale=False, fir=False, progressive="residual",
                                    progressive_input="input_skip", progressive_combine="cat",
                                    embedding_type="positional", conditional=True, scale_by_sigma=False,
                                    centered=True), "symmetric", [0.5, 250.0, 999.0]),
    "ncsnpp_plain28": (1, 28, dict(nf=8, ch_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(14,),
                                   resblock_type="biggan", skip_rescale=True, fir=False, progressive="none",
                                   progressive_input="none", embedding_type="positional", conditional=False,
                                   scale_by_sigma=False, centered=True), "symmetric", [3.0, 400.0, 998.0]),
}


def randomise(model):
    """Replaces every parameter so zero-initialised paths contribute too."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn_like(parameter) * 0.2
            is_scale = name.endswith(("GroupNorm_0.weight", "GroupNorm_1.weight", ".gamma")) or (
                "GroupNorm" in type(model.get_submodule(name.rsplit(".", 1)[0])).__name__)
            value = 1.0 + noise if is_scale else noise
            # Rounded to float32 values so the fixture can store them at half size, exactly.
            parameter.copy_(value.float().double())


def write_fixture(path, model, x, label, output, options, level=None):
    with h5py.File(path, "w", libver="latest") as f:  # compact headers: about half the size
        group = f.create_group("parameters")
        for name, parameter in model.named_parameters():
            group.create_dataset(name, data=parameter.detach().float().numpy())
        f.create_dataset("input", data=x.numpy())
        f.create_dataset("label", data=label.numpy())
        f.create_dataset("output", data=output.detach().numpy())
        if level is not None:
            f.create_dataset("level", data=level.numpy())
        f.attrs["options"] = json.dumps(options)
    print(f"wrote {path}: {sum(p.numel() for p in model.parameters())} parameters, output {tuple(output.shape)}")


def fixtures(args):
    install_stubs(args.score_sde)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    NCSNpp = ncsnpp_class(args.score_sde)
    for name, (channels, size, model_options, data_range, labels) in NCSNPP_FIXTURES.items():
        config = ncsnpp_config(channels, size, **dict(model_options))
        model = NCSNpp(config).double().eval()
        randomise(model)
        x = torch.rand(3, channels, size, size, dtype=torch.float64).float().double()
        if data_range == "symmetric":
            x = 2 * x - 1
        label = torch.tensor(labels, dtype=torch.float64)
        with torch.no_grad():
            output = model(x, label)
        write_fixture(os.path.join(args.out, name + ".h5"), model, x, label, output,
                      dict(model_options, channels=channels, image_size=size))
    NCSNv2 = ncsnv2_class(args.ncsnv2)
    # MSFBlock accumulates into torch.zeros(...) of the default dtype.
    torch.set_default_dtype(torch.float64)
    for channels, size in [(3, 32), (1, 28)]:
        model = NCSNv2(ncsnv2_config(channels, size, 4)).double().eval()
        randomise(model)
        x = torch.rand(3, channels, size, size, dtype=torch.float64).float().double()
        level = torch.tensor([0, 4, 9])
        with torch.no_grad():
            output = model(x, level)
        write_fixture(os.path.join(args.out, f"ncsnv2_{size}.h5"), model, x, model.sigmas.double()[level], output,
                      dict(channels=channels, image_size=size, nf=4, nonlinearity="elu"), level)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["count", "fixtures"])
    parser.add_argument("--score-sde", default="/tmp/score_sde", help="score_sde_pytorch checkout")
    parser.add_argument("--ncsnv2", default="/tmp/ncsnv2", help="ermongroup/ncsnv2 checkout")
    parser.add_argument("--out", default="tests/fixtures/networks")
    args = parser.parse_args()
    args.score_sde, args.ncsnv2 = os.path.abspath(args.score_sde), os.path.abspath(args.ncsnv2)
    {"count": count, "fixtures": fixtures}[args.command](args)


if __name__ == "__main__":
    main()
