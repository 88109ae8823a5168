#!/usr/bin/python3
"""Runs pytorch-fid's and torch-fidelity's own code to cross-check scorch's
native FID Inception-v3, its torch.save reader, and its FID, IS and KID.

  torch-save  small torch.save files in the legacy and zip formats, with
              contents that tests/torch_save_file_test.cpp spells out (the
              legacy format names storages by object id, so a rerun writes
              other bytes with the same contents)
  weights-files
              end to end through the CLI, nothing committed: the seeded
              weights saved full-size by torch.save in the legacy and the zip
              format (named with their SHA-256 prefix), loaded by
              `scorch stats --features pytorch-fid:FILE --out S.npz`, and
              compared with pytorch-fid's statistics of the same PNG files
  inception   pytorch-fid's InceptionV3 with seeded random weights on seeded
              random images: pool3 features, FID, and torch-fidelity's IS and
              KID, precision and recall, for tests/fid_inception_test.cpp

How the inception fixture is made. The published weights are 95 MB and cannot
be committed, so both sides make the same random weights from one simple
generator: the value j of the tensor named N is a uniform u in [0, 1) from
splitmix64(fnv1a64(N) + j), mapped by the tensor's kind (see `weight_value`;
tests/fid_inception_test_support.cpp does the same in C++). pytorch-fid's own
fid_inception_v3() is built with those weights in place of the download, and
its InceptionV3 wrapper, ImagePathDataset (PNG files, PIL, ToTensor), resize
and get_activations run unchanged. Only the images, the outputs and per-tensor
weight sums (to tell a generator mismatch from a network mismatch) are saved.

The reference code is imported from checkouts given on the command line; none
of it is copied here. Needs Debian's python3-torch, python3-torchvision,
python3-numpy, python3-scipy, python3-h5py, python3-pil and python3-tqdm
(cross-check only: scorch itself never uses Python).

  git -C MIRROR/mseitzer+pytorch-fid/repo archive HEAD | tar -x -C /tmp/pytorch-fid
  git -C MIRROR/toshas+torch-fidelity/repo archive HEAD | tar -x -C /tmp/torch-fidelity
  /usr/bin/python3 scripts/crosscheck/reference_fid.py torch-save --out tests/fixtures/torch_save
  /usr/bin/python3 scripts/crosscheck/reference_fid.py weights-files \
      --pytorch-fid /tmp/pytorch-fid --scorch build/launch/scorch
  /usr/bin/python3 scripts/crosscheck/reference_fid.py inception \
      --pytorch-fid /tmp/pytorch-fid --torch-fidelity /tmp/torch-fidelity \
      --out tests/fixtures/inception/pytorch_fid_reference.h5
"""
import argparse
import collections
import json
import os
import sys
import tempfile

import h5py
import numpy as np
import torch

MASK64 = (1 << 64) - 1


def fnv1a64(text):
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x100000001B3) & MASK64
    return value


def splitmix64(x):
    """x: numpy uint64 array; arithmetic wraps modulo 2**64 as in C++."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniforms(name, count):
    with np.errstate(over="ignore"):
        x = np.uint64(fnv1a64(name)) + np.arange(count, dtype=np.uint64)
    return (splitmix64(x) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def weight_value(name, shape):
    """The seeded stand-in for the published weights (float64, then float32)."""
    count = int(np.prod(shape)) if len(shape) else 1
    if name.endswith("num_batches_tracked"):
        return torch.zeros(shape, dtype=torch.int64)
    u = uniforms(name, count)
    if name.endswith("conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        v = (2.0 * u - 1.0) * np.sqrt(6.0 / fan_in)  # He-uniform: ReLU layers keep their scale
    elif name.endswith("bn.weight") or name.endswith("bn.running_var"):
        v = 0.8 + 0.4 * u
    elif name.endswith("bn.bias") or name.endswith("bn.running_mean"):
        v = 0.2 * u - 0.1
    elif name == "fc.weight":
        v = (2.0 * u - 1.0) * np.sqrt(3.0 / shape[1]) * 2.0
    elif name == "fc.bias":
        v = u - 0.5
    else:
        raise ValueError("no rule for " + name)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def seeded_images(name, count, channels, size, gammas):
    """Noise images u^gamma, one gamma per image, so that the features differ between images."""
    u = uniforms(name, count * channels * size * size).reshape(count, channels, size, size)
    u = u ** np.asarray(gammas, dtype=np.float64).reshape(count, 1, 1, 1)
    return np.floor(u * 256.0).astype(np.uint8)


# -- torch-save ---------------------------------------------------------------

def small_contents():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    model = collections.OrderedDict()
    model["w"] = base
    model["w_t"] = base.t()  # a strided view of w's storage
    model["row"] = base[1]  # an offset view
    model["p"] = torch.nn.Parameter(torch.linspace(-1.0, 1.0, 5, dtype=torch.float64))
    model["half"] = torch.tensor([0.5, -2.0], dtype=torch.float16)
    model["steps"] = torch.tensor(7)
    model["mask"] = torch.tensor([True, False, True])
    model["bytes"] = torch.arange(4, dtype=torch.uint8)
    return {
        "model": model,
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": torch.full((2,), 0.25)}},
            "param_groups": [{"lr": 2e-4, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0]}],
        },
        "ema": {"decay": 0.9999, "num_updates": 10, "shadow_params": [base * 2.0, torch.zeros(0)]},
        "step": 123456789012,
        "negative": -3,
        "big": 2**70 + 5,
        "name": "scorch",
        "flag": True,
        "nothing": None,
    }


def torch_save(args):
    os.makedirs(args.out, exist_ok=True)
    contents = small_contents()
    torch.save(contents, os.path.join(args.out, "small_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(contents, os.path.join(args.out, "small_zip.pth"))
    torch.save(contents, os.path.join(args.out, "small_zip_protocol4.pth"), pickle_protocol=4)
    print("torch", torch.__version__, "wrote", sorted(os.listdir(args.out)))


# -- inception ----------------------------------------------------------------

def seeded_fid_inception(inception_module):
    """pytorch-fid's fid_inception_v3() with seeded weights in place of the download."""
    holder = {}

    def no_download(url, progress=True):
        return holder["state_dict"]

    original_loader = inception_module.load_state_dict_from_url
    original_load = torch.nn.Module.load_state_dict
    try:
        # First build it without loading, to learn the state dict's names and shapes.
        torch.nn.Module.load_state_dict = lambda self, state_dict, strict=True: None
        inception_module.load_state_dict_from_url = lambda url, progress=True: {}
        skeleton = inception_module.fid_inception_v3()
        holder["state_dict"] = collections.OrderedDict(
            (name, weight_value(name, tuple(tensor.shape))) for name, tensor in skeleton.state_dict().items())
        torch.nn.Module.load_state_dict = original_load
        inception_module.load_state_dict_from_url = no_download
        network = inception_module.fid_inception_v3()  # loads strictly, as with the real file
    finally:
        torch.nn.Module.load_state_dict = original_load
        inception_module.load_state_dict_from_url = original_loader
    return network, holder["state_dict"]


def write_pngs(images, directory):
    from PIL import Image
    paths = []
    for index, image in enumerate(images):
        path = os.path.join(directory, "{:04d}.png".format(index))
        if image.shape[0] == 1:
            Image.fromarray(image[0], mode="L").save(path)
        else:
            Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0)), mode="RGB").save(path)
        paths.append(path)
    return paths


def inception(args):
    sys.path.insert(0, os.path.join(args.pytorch_fid, "src"))
    sys.path.insert(0, args.torch_fidelity)
    from pytorch_fid import fid_score
    from pytorch_fid import inception as inception_module
    from torch_fidelity import metric_isc, metric_kid, metric_prc

    torch.manual_seed(0)
    network, state_dict = seeded_fid_inception(inception_module)
    original = inception_module.fid_inception_v3
    inception_module.fid_inception_v3 = lambda: network
    try:
        model = inception_module.InceptionV3([inception_module.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    finally:
        inception_module.fid_inception_v3 = original
    model.eval()

    sets = {
        # Shuffled, so that every split of the Inception Score holds unlike images.
        "a": seeded_images("images/a", args.count, 3, 32,
                           4.0 ** np.linspace(-1.0, 1.0, args.count)[np.random.RandomState(0).permutation(args.count)]),
        "b": seeded_images("images/b", args.count, 3, 32, 4.0 ** np.linspace(0.0, 1.5, args.count)),
        "gray": seeded_images("images/gray", 6, 1, 28, np.ones(6)),
    }
    features = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, images in sets.items():
            directory = os.path.join(tmp, name)
            os.makedirs(directory)
            files = write_pngs(images, directory)
            features[name] = fid_score.get_activations(files, model, batch_size=8, dims=2048, num_workers=0)

    stats = {name: (np.mean(f, axis=0), np.cov(f, rowvar=False)) for name, f in features.items()}
    fid = fid_score.calculate_frechet_distance(*stats["a"], *stats["b"])
    # With 40 images the 2048-d covariances have rank 39, where scipy's sqrtm
    # loses digits. The exact value: the nonzero eigenvalues of Σa·Σb are the
    # squared singular values of Aa·Abᵀ/(n−1) (A: centred features), a 40×40 SVD.
    centred = {name: f - f.mean(axis=0) for name, f in features.items()}
    n = args.count
    trace_sqrt = np.linalg.svd(centred["a"] @ centred["b"].T / (n - 1), compute_uv=False).sum()
    fid_exact = (np.sum((stats["a"][0] - stats["b"][0]) ** 2) + np.trace(stats["a"][1]) + np.trace(stats["b"][1])
                 - 2.0 * trace_sqrt)
    # Full-rank covariances (the first 32 feature dimensions), where sqrtm is accurate.
    low = {name: (np.mean(f[:, :32], axis=0), np.cov(f[:, :32], rowvar=False)) for name, f in features.items()}
    fid_low = fid_score.calculate_frechet_distance(*low["a"], *low["b"])
    fc = state_dict["fc.weight"]
    # torch-fidelity's "logits_unbiased": pool3 times the fc weight, without its bias.
    logits = {name: torch.mm(torch.from_numpy(f).float(), fc.t()) for name, f in features.items()}
    isc = metric_isc.isc_features_to_metric(logits["a"], splits=10, shuffle=False)
    # With the subset as large as the set, every subset is a permutation of it,
    # so each of torch-fidelity's random subsets gives the full-set MMD².
    kid = metric_kid.kid_features_to_metric(torch.from_numpy(features["a"]).float(),
                                            torch.from_numpy(features["b"]).float(),
                                            kid_subsets=3, kid_subset_size=args.count, verbose=False,
                                            kid_kernel="poly", kid_kernel_poly_degree=3,
                                            kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
                                            rng_seed=2020)

    # Precision and recall of a (as the generated set) against b (as the real one), k = 3.
    prc = metric_prc.prc_features_to_metric(torch.from_numpy(features["a"]).float(),
                                            torch.from_numpy(features["b"]).float(), prc_neighborhood=3,
                                            prc_batch_size=10000, save_cpu_ram=False, verbose=False)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with h5py.File(args.out, "w") as out:
        for name, images in sets.items():
            out["images/" + name] = images
            out["features/" + name] = features[name].astype(np.float32)
        out["logits_unbiased/a"] = logits["a"].numpy()
        out["fid_ab"] = np.float64(fid)
        out["fid_ab_exact"] = np.float64(fid_exact)
        out["fid_ab_first32"] = np.float64(fid_low)
        out["is_a"] = np.array([isc["inception_score_mean"], isc["inception_score_std"]])
        out["precision_recall_ab"] = np.array([prc["precision"], prc["recall"]])
        out["kid_ab"] = np.array([kid["kernel_inception_distance_mean"], kid["kernel_inception_distance_std"]])
        names = list(state_dict.keys())
        out.attrs["weight_names"] = json.dumps(names)
        out["weight_sums"] = np.array([state_dict[n].double().sum().item() for n in names])
        out.attrs["made_by"] = "scripts/crosscheck/reference_fid.py inception"
        out.attrs["torch"] = str(torch.__version__)
    print("fid", fid, "exact", fid_exact, "first 32 dimensions", fid_low, "is", isc, "kid", kid, "prc", prc)
    print("feature range a", features["a"].min(), features["a"].max(), "wrote", args.out,
          os.path.getsize(args.out), "bytes")


def sha256_prefix(path):
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:8]


def weights_files(args):
    import subprocess
    sys.path.insert(0, os.path.join(args.pytorch_fid, "src"))
    from pytorch_fid import fid_score
    from pytorch_fid import inception as inception_module

    network, state_dict = seeded_fid_inception(inception_module)
    original = inception_module.fid_inception_v3
    inception_module.fid_inception_v3 = lambda: network
    try:
        model = inception_module.InceptionV3([3])
    finally:
        inception_module.fid_inception_v3 = original
    model.eval()
    work = tempfile.mkdtemp(prefix="scorch_weights_")
    folder = os.path.join(work, "png")
    os.makedirs(folder)
    images = seeded_images("images/a", args.count, 3, 32, 4.0 ** np.linspace(-1.0, 1.0, args.count))
    files = write_pngs(images, folder)
    mu, sigma = fid_score.calculate_activation_statistics(files, model, batch_size=8, dims=2048, num_workers=0)
    np.savez_compressed(os.path.join(work, "pytorch_fid.npz"), mu=mu, sigma=sigma)
    subprocess.run([args.scorch, "data", "convert", "--format", "image-folder", "--input", folder, "--output", work,
                    "--split", "images"], check=True)
    for kind, zipped in (("legacy", False), ("zip", True)):
        raw = os.path.join(work, "weights.pth")
        torch.save(state_dict, raw, _use_new_zipfile_serialization=zipped)
        named = os.path.join(work, "pt_inception-seeded-{}-{}.pth".format(kind, sha256_prefix(raw)))
        os.rename(raw, named)
        out = os.path.join(work, "scorch_{}.npz".format(kind))
        subprocess.run([args.scorch, "stats", "--data", os.path.join(work, "images.h5"), "--features",
                        "pytorch-fid:" + named, "--out", out], check=True)
        ours = np.load(out)
        print("{}: {} MB; mu differs by at most {:.3g} (of {:.3g}), sigma by {:.3g} (of {:.3g})".format(
            kind, os.path.getsize(named) >> 20, np.abs(ours["mu"] - mu).max(), np.abs(mu).max(),
            np.abs(ours["sigma"] - sigma).max(), np.abs(sigma).max()))
        subprocess.run([args.scorch, "fid", out, os.path.join(work, "pytorch_fid.npz")], check=True)
    print("files in", work)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    save = commands.add_parser("torch-save")
    save.add_argument("--out", required=True)
    ref = commands.add_parser("inception")
    ref.add_argument("--pytorch-fid", required=True)
    ref.add_argument("--torch-fidelity", required=True)
    ref.add_argument("--out", required=True)
    ref.add_argument("--count", type=int, default=40)
    files = commands.add_parser("weights-files")
    files.add_argument("--pytorch-fid", required=True)
    files.add_argument("--scorch", required=True, help="the scorch binary (build/launch/scorch)")
    files.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    {"torch-save": torch_save, "inception": inception, "weights-files": weights_files}[args.command](args)


if __name__ == "__main__":
    main()
