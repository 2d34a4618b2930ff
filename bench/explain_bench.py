"""ShearletX vs pixel-RDE on the oriented-bar problem (the explanations section of
bench/RESULTS.md): the CNN of examples/explain_orientation.py, trained here; validation images
from seeds the defaults were not looked at on; the issue's figures; time per explanation; and the
transforms of one ShearletX step with fastshear, pyShearLab and plain torch.fft.

    PYTHONPATH=python:examples nice -n 5 .venv/bin/python bench/explain_bench.py \
        [--images 8] [--seed 0] [--threads N] [--figure bench/explain_orientation.png] [--json out.json]

Threads: torch's own setting (its default: one per core) unless ``--threads`` sets it; the
shearlet transforms use the same number (``fastshear.explain``'s default). The CNN is used in
channels-last memory format (examples/explain_orientation.py). Timings depend on the machine's
load; the ratios between variants of the same run are what to read (bench/explain_speed.py
compares code versions and thread counts in one run).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np
import torch

import fastshear
import fastshear.torch
from fastshear.explain import band_orientations, conciseness_preciseness, oriented_bars

import explain_orientation as eo

warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)


def transform_timing(samples=16, rounds=15, shape=(64, 64), scales=2, workers=1):
    """Median seconds per ShearletX step for the transforms alone: synthesis of `samples`
    obfuscations and of the gray mask (the spatial term), and their backward passes."""
    import pyshearlab_mind as sl

    n, m = shape
    plan = fastshear.Shearlet2D(shape, scales, dtype=np.float32, workers=workers)
    K = plan.n_shearlets
    tsh = fastshear.torch.Shearlet2D(plan)
    rng = np.random.default_rng(0)
    c = torch.from_numpy(rng.standard_normal((samples, K, n, m)).astype(np.float32))
    c1 = c[:1].clone()

    def fs():
        a = c.clone().requires_grad_(True)
        b = c1.clone().requires_grad_(True)
        (tsh.inverse(a).sum() + tsh.inverse(b).sum()).backward()

    # torch.fft with the same filters, as the authors' code does (their transform: c_k =
    # IFFT(FFT(x) psi_k); reconstruction IFFT(sum_k FFT(c_k) psi_k / W)); autograd for backward
    psi = torch.from_numpy(np.fft.ifftshift(plan.spectra.real, axes=(-2, -1)).astype(np.float32))
    w = torch.from_numpy(np.fft.ifftshift(plan.dual_frame_weights, axes=(-2, -1)).astype(np.float32))

    def rec_torch(a):
        return torch.fft.ifft2((torch.fft.fft2(a) * psi).sum(-3) / w).real

    def tf():
        a = c.clone().requires_grad_(True)
        b = c1.clone().requires_grad_(True)
        (rec_torch(a).sum() + rec_torch(b).sum()).backward()

    S = sl.SLgetShearletSystem2D(0, n, m, scales)
    C = np.moveaxis(c.numpy().astype(np.float64), 1, -1)  # (S, N, M, K)
    X = rng.standard_normal((samples, n, m))

    def psl():
        for i in range(samples + 1):
            sl.SLshearrec2D(C[i % samples], S)
            sl.SLshearrecadjoint2D(X[i % samples], S)

    variants = {"fastshear float32 (torch adapter)": fs, "torch.fft float32 (authors' way)": tf,
                "pyShearLab float64": psl}
    times = {k: [] for k in variants}
    for _ in range(rounds):
        for k, f in variants.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}, K


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-seed", type=int, default=5000)
    ap.add_argument("--figure", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's setting)")
    ap.add_argument("--cartoonx", type=int, default=0, help="also CartoonX (paper settings) on this many images")
    ap.add_argument("--figure-cartoonx", default=None, help="with --cartoonx: a figure of the three methods")
    ap.add_argument("--no-transforms", action="store_true", help="skip the transform timing")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    nt = torch.get_num_threads()
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "torch_threads": nt, "workers": nt}
    print(f"torch threads (model and transforms): {nt}")

    model, acc, sec = eo.train(a.seed, verbose=False)
    out["cnn"] = dict(parameters=sum(p.numel() for p in model.parameters()), train_seconds=sec, test_accuracy=acc)
    print(f"CNN: {out['cnn']['parameters']} parameters, trained in {sec:.1f} s, test accuracy {acc:.4f}")

    x, y, bars = oriented_bars(a.images, seed=a.val_seed + a.seed, dtype=np.float32)
    methods = ("shearletx", "pixel")
    res = eo.explain_all(model, x, bars, methods=methods)
    if a.cartoonx:
        n = a.cartoonx
        rc = eo.explain_all(model, x[:n], bars[:n], methods=("cartoonx",))
        res.update(rc)
    plan = fastshear.Shearlet2D((64, 64), res["shearletx"]["result"].settings["scales"])
    orient = band_orientations(plan)
    r = res["shearletx"]["result"]
    c = plan.forward(x[:, 0].astype(np.float64))
    kept = (r.mask * c) ** 2
    directional = ~np.isnan(orient)
    frac = []
    for i in range(len(x)):
        normal = (45.0 if y[i] == 1 else 135.0)  # a bar at 45 deg has its normal at 135 deg
        d = np.abs(((orient - normal) + 90) % 180 - 90)
        e = kept[i].sum((-2, -1))
        frac.append(float(e[directional & (d <= 20)].sum() / e[directional].sum()))
    res["shearletx"]["orientation_within_20deg"] = np.array(frac)
    for name, v in res.items():
        rr = v["result"]
        cp = [conciseness_preciseness(float(rr.explanation_probability[i]), float(rr.probability[i]),
                                      rr.explanation[i, 0], x[i, 0]) for i in range(len(rr.retained))]
        v["cp_l1"] = np.array(cp)
    summary = {}
    for name, v in res.items():
        s = {}
        for k in ("retained", "l1_kept", "inside", "hallucination", "cp_l1", "orientation_within_20deg"):
            if k in v:
                arr = np.asarray(v[k], dtype=np.float64)
                s[k] = dict(median=float(np.median(arr)), min=float(arr.min()), max=float(arr.max()),
                            mean=float(arr.mean()))
        s["seconds_per_image"] = float(v["seconds_per_image"])
        s["settings"] = {k: (list(val) if isinstance(val, tuple) else val) for k, val in v["result"].settings.items()}
        s["images"] = int(len(np.atleast_1d(v["result"].retained)))
        summary[name] = s
    out["methods"] = summary
    if "orientation_within_20deg" in res["shearletx"]:
        print("shearletx kept directional energy within 20 deg of the bar normal: median "
              f"{np.median(res['shearletx']['orientation_within_20deg']):.3f}")
    if not a.no_transforms:
        tt, K = transform_timing(workers=nt)
        out["transforms_per_step"] = dict(K=K, samples=16, seconds=tt)
        base = tt["fastshear float32 (torch adapter)"]
        for k, v in tt.items():
            print(f"transforms of one step ({K} bands, 16 samples + spatial term, forward + backward): "
                  f"{k}: {1e3 * v:.1f} ms ({v / base:.1f}x fastshear)")
    if a.figure:
        eo.figure(a.figure, x, bars, {k: v for k, v in res.items() if k in methods}, n=min(4, a.images))
        print("figure:", a.figure)
    if a.figure_cartoonx and a.cartoonx:
        eo.figure(a.figure_cartoonx, x, bars, res, n=min(a.cartoonx, a.images))
        print("figure:", a.figure_cartoonx)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
