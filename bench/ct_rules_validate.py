"""Validation of ct.reconstruct's regularisation rules on phantoms not used in the fit (the fit:
bench/ct_rules_fit.py, random ellipses seeds 0-2): 128 x 128, angles -60..60 in 1 degree steps, 1 %
Gaussian noise, PSNR (dB) of FBP, SIRT (100 iterations), TV and shearlet-l1 at the default level
(ct's rule, read from ct.reconstruct's info) x {1/4, 1/2, 1, 2, 4}, each solved to ct's stopping
rule (its default tol, at most 500 iterations).
``--size 256``: the same phantoms drawn at 256 x 256 (the issue's size; the rules were fitted at 128).
``--noise 0.003``: another noise level (a fraction of the sinogram's RMS; the rules were fitted at
1 %); ``--given``: the rules from the true noise level instead of ct.estimate_noise's estimate.

Phantoms: random ellipses (seed 20) and the modified Shepp-Logan (exact line integrals), random
polygons (exact line integrals), two cartoon-like images of Def. 3.2 (smooth intensities, jumps
across smooth curves) and one with a texture added (cos(2 pi (k . x)) patterns of periods 6-12
pixels, amplitude 0.05), both projected at twice the resolution (no inverse crime).

    .venv/bin/python bench/ct_rules_validate.py [--json val.json] [--phantoms NAME ...] [--methods tv] [--size 256]
        [--noise 0.01] [--given]
"""
import argparse
import json
import time
import warnings

import numpy as np

from fastshear import Radon2D, ct, lti, phantoms

warnings.simplefilter("ignore")
N = 128
THETA = np.arange(-60, 61, 1.0)


def _texture(shape, seed):
    """A smooth texture on the 2x finer grid: three plane waves of periods 6-12 coarse pixels."""
    rng = np.random.default_rng(seed)
    n, m = shape
    y, x = np.mgrid[0:n, 0:m] / 2.0
    t = np.zeros(shape)
    for _ in range(3):
        per, ang = rng.uniform(6, 12), rng.uniform(0, np.pi)
        t += np.cos(2 * np.pi * (x * np.cos(ang) + y * np.sin(ang)) / per + rng.uniform(0, 2 * np.pi))
    return 0.05 * t / 3


def textured_cartoon(seed):
    """A cartoon (lti.random_phantom's, cut to the disc) times (1 + texture), rendered at 2x and
    projected there."""
    fine = lti._cartoon((N, N), seed, 2)
    fine = fine * (1 + _texture(fine.shape, seed + 1))
    img = lti._downsample2(fine, (N, N))
    nf = 2 * N + 3
    s = Radon2D((2 * N, 2 * N), THETA, n_det=nf, circle=False).forward(fine) / 2.0
    k = 2 * (np.arange(N) - N // 2) + N + 1
    return img, 0.25 * s[:, k - 1] + 0.5 * s[:, k] + 0.25 * s[:, k + 1]


def cases():
    e = phantoms.random_ellipses((N, N), seed=20)
    yield "ellipses seed 20", phantoms.ellipse_image(e, (N, N)), phantoms.ellipse_sinogram(e, THETA, N)
    e = phantoms.shepp_logan_ellipses((N, N))
    yield "Shepp-Logan", phantoms.ellipse_image(e, (N, N)), phantoms.ellipse_sinogram(e, THETA, N)
    for kind, seed in (("polygons", 21), ("cartoon", 22), ("cartoon", 23)):
        img, d = lti.random_phantom((N, N), seed, kind)
        yield f"{kind} seed {seed}", img, lti.phantom_sinogram(d, (N, N), THETA, N)
    img, g = textured_cartoon(24)
    yield "textured cartoon seed 24", img, g


def main():
    global N  # the phantoms' size (cases() and textured_cartoon read it)
    p = argparse.ArgumentParser()
    p.add_argument("--json", default="val.json")
    p.add_argument("--phantoms", nargs="*", default=None)
    p.add_argument("--methods", nargs="*", default=["tv", "shearlet-l1"], choices=["tv", "shearlet-l1"])
    p.add_argument("--size", type=int, default=N)
    p.add_argument("--noise", type=float, default=0.01, help="noise level, a fraction of the sinogram's RMS")
    p.add_argument("--given", action="store_true", help="the rules from the true noise level, not the estimate")
    a = p.parse_args()
    N = a.size
    rows = []
    for name, gt, g in cases():
        if a.phantoms and name not in a.phantoms:
            continue
        sigma = a.noise * np.sqrt(np.mean(g ** 2))
        g = g + sigma * np.random.default_rng(7).standard_normal(g.shape)
        nl = sigma if a.given else None
        r = {"phantom": name}
        r["fbp"] = ct.metrics(ct.reconstruct(g, THETA, (N, N), "fbp"), gt)["psnr"]
        r["sirt"] = ct.metrics(ct.reconstruct(g, THETA, (N, N), "sirt"), gt)["psnr"]
        for m in ("tv", "shearlet-l1"):
            if m not in a.methods:
                continue
            lev = ct.reconstruct(g, THETA, (N, N), m, noise_level=nl, max_iter=1, return_info=True)[1]["lam"]
            for k in (0.25, 0.5, 1, 2, 4):
                t = time.perf_counter()
                x, info = ct.reconstruct(g, THETA, (N, N), m, lam=k * lev, return_info=True)
                r[f"{m} x{k}"] = ct.metrics(x, gt)["psnr"]
                r[f"{m} x{k} its"] = f"{info['iterations']}{'c' if info['converged'] else 'l'}"
                print(name, m, k, round(r[f"{m} x{k}"], 2), info["iterations"], info["converged"],
                      f"{time.perf_counter() - t:.0f}s", flush=True)
        rows.append(r)
        json.dump(rows, open(a.json, "w"), indent=1)
    label = {"tv": "TV", "shearlet-l1": "shearlet-l1"}
    print("| phantom | FBP | SIRT | " + " | ".join(f"{label[m]} x1/4 | x1/2 | **x1** | x2 | x4" for m in a.methods) + " |")
    print("|---|" + "---|" * (2 + 5 * len(a.methods)))
    for r in rows:
        vals = [r["fbp"], r["sirt"]] + [r[f"{m} x{k}"] for m in a.methods for k in (0.25, 0.5, 1, 2, 4)]
        print(f"| {r['phantom']} | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
    print("iterations (c: the stopping rule held, l: the limit):")
    for r in rows:
        print(f"| {r['phantom']} | " + " | ".join(r[f"{m} x{k} its"] for m in a.methods for k in (0.25, 0.5, 1, 2, 4))
              + " |")


if __name__ == "__main__":
    main()
