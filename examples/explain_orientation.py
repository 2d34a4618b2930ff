"""ShearletX and pixel-RDE explanations of a small CNN whose task has a known answer.

The images (:func:`fastshear.explain.oriented_bars`) are 64 x 64: one thin bright bar at 45 or
135 degrees (the class) over random ellipses and noise. A CNN (two convolutions and a dense
head, 46 k parameters) is trained in well under a minute on 2 cores; the bar's pixels are
the true relevance. For test images the script prints, per method, the retained class
probability, the l1 mass of the representation kept, the fraction of the explanation's energy
inside the bar dilated by 3 pixels and the hallucination score, and saves a figure.

Run:  python examples/explain_orientation.py [--images 8] [--figure explain.png] [--threads N]
(needs PyTorch: pip install 'fastshear[torch]').
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import fastshear
from fastshear.explain import hallucination_score, oriented_bars


def make_model() -> torch.nn.Module:
    """conv 5x5 (16) - ReLU - maxpool 2 - conv 3x3 (32) - ReLU - maxpool 2 - adaptive max pool 4x4 -
    dense 512 -> 88 - ReLU - dense 88 -> 2: 46 k parameters."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveMaxPool2d(4), nn.Flatten(),
        nn.Linear(512, 88), nn.ReLU(), nn.Linear(88, 2),
    )


def train(seed: int = 0, n_train: int = 2500, epochs: int = 2, batch: int = 50, lr: float = 2e-3,
          n_test: int = 1000, verbose: bool = True, channels_last: bool = True):
    """Train the CNN on fresh synthetic images; returns (model, test accuracy, seconds).
    Training and test images come from different seeds. The trained model is returned in
    eval mode and, with ``channels_last``, in PyTorch's channels-last memory format: the same
    function (outputs agree to float rounding), but its max pooling on the CPU is several times
    faster, which makes an explanation about 1.6 times faster (bench/RESULTS.md)."""
    torch.manual_seed(seed)
    x, y, _ = oriented_bars(n_train, seed=1000 + seed, dtype=np.float32)
    xt, yt, _ = oriented_bars(n_test, seed=2000 + seed, dtype=np.float32)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n_train)
        for s in range(0, n_train, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
        if verbose:
            print(f"epoch {ep + 1}: loss {loss.item():.4f} ({time.perf_counter() - t0:.1f} s)")
    seconds = time.perf_counter() - t0
    model.eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    with torch.no_grad():
        acc = float((model(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean())
    return model, acc, seconds


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) x (2r+1) square."""
    out = mask.copy()
    H, W = mask.shape[-2:]
    p = np.pad(mask, [(0, 0)] * (mask.ndim - 2) + [(r, r), (r, r)])
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= p[..., r + dy:r + dy + H, r + dx:r + dx + W]
    return out


def energy_inside(expl: np.ndarray, bar: np.ndarray, background: float = 0.0) -> float:
    """Fraction of the explanation's energy sum (e - background)^2 inside the bar dilated by 3
    pixels."""
    e = (np.asarray(expl, dtype=np.float64).reshape(bar.shape) - background) ** 2
    return float(e[dilate(bar, 3)].sum() / max(e.sum(), 1e-300))


def explain_all(model, x, bars, *, methods=("shearletx", "pixel"), verbose=True, **kw):
    """Explain images x (n, 1, H, W) one batch per method; returns {method: dict of arrays}."""
    out = {}
    for name in methods:
        t0 = time.perf_counter()
        if name == "shearletx":
            r = fastshear.explain.shearletx(model, x, **kw)
        elif name == "pixel":
            r = fastshear.explain.rde(model, x, domain="pixel", **kw)
        elif name == "cartoonx":
            r = fastshear.explain.cartoonx(model, x, **{k: v for k, v in kw.items() if k != "workers"})
        else:
            raise ValueError(name)
        sec = time.perf_counter() - t0
        hs = np.array([hallucination_score(x[i, 0], r.explanation[i, 0]) for i in range(len(x))])
        ins = np.array([energy_inside(r.explanation[i, 0], bars[i]) for i in range(len(x))])
        out[name] = dict(result=r, retained=np.asarray(r.retained), l1_kept=np.asarray(r.l1_kept),
                         inside=ins, hallucination=hs, seconds_per_image=sec / len(x))
        if verbose:
            print(f"{name:10s} retained {np.median(r.retained):.3f} (min {np.min(r.retained):.3f})  "
                  f"l1 kept {np.median(r.l1_kept):.3f} (max {np.max(r.l1_kept):.3f})  "
                  f"energy in bar+3 {np.median(ins):.3f} (min {np.min(ins):.3f})  "
                  f"HS {np.median(hs):.4f}  {sec / len(x):.2f} s/image")
    return out


def figure(path, x, bars, res, n=4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(res)
    fig, ax = plt.subplots(n, 1 + len(names), figsize=(2.2 * (1 + len(names)), 2.2 * n), squeeze=False)
    for i in range(n):
        ax[i, 0].imshow(x[i, 0], cmap="gray", vmin=0, vmax=1)
        ax[i, 0].contour(bars[i], levels=[0.5], colors="r", linewidths=0.5)
        for j, name in enumerate(names):
            e = res[name]["result"].explanation[i, 0]
            ax[i, j + 1].imshow(e / max(e.max(), 1e-12), cmap="gray", vmin=0, vmax=1)
            if i == 0:
                ax[i, j + 1].set_title(name)
            ax[i, j + 1].set_xlabel(f"ret {res[name]['retained'][i]:.2f} HS {res[name]['hallucination'][i]:.3f}",
                                    fontsize=7)
        if i == 0:
            ax[i, 0].set_title("image (bar in red)")
    for a in ax.ravel():
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=8, help="test images to explain")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--figure", default=None, help="save a PNG here")
    ap.add_argument("--cartoonx", action="store_true", help="also CartoonX (slow: 2001 steps x 64 samples)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads, used by the model and the shearlet transforms (default: torch's "
                         "own setting; on a busy shared machine one thread can be faster than two)")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    model, acc, sec = train(a.seed)
    print(f"CNN: {sum(p.numel() for p in model.parameters())} parameters, trained in {sec:.1f} s, "
          f"test accuracy {acc:.4f}")
    x, y, bars = oriented_bars(a.images, seed=3000 + a.seed, dtype=np.float32)
    methods = ("shearletx", "pixel") + (("cartoonx",) if a.cartoonx else ())
    res = explain_all(model, x, bars, methods=methods)
    if a.figure:
        figure(a.figure, x, bars, res, n=min(4, a.images))
        print(f"figure: {a.figure}")
    return model, acc, res


if __name__ == "__main__":
    main()
