"""Fit of ct.reconstruct's regularisation constants (bench/RESULTS.md): random-ellipse training phantoms
(seeds 0-2), 128 x 128, angles -60..60, 1 % noise, PSNR over a grid of level factors.

    .venv/bin/python bench/ct_rules_fit.py   (writes fit.json)
"""
import json
import numpy as np
import math

import fastshear
from fastshear import ct, phantoms
import warnings; warnings.simplefilter("ignore")
n = 128; theta = np.arange(-60, 61, 1.0)
seeds = [0, 1, 2]
res = {}
S = fastshear.Shearlet2D((n, n), 4, dtype=np.float32)
idx = np.asarray(S.indices); scale = idx[:, 1].astype(float); J = scale.max(); rms = np.asarray(S.rms, float)
def wts(base, lp):
    w = rms * base ** (scale - J)
    w[idx[:, 0] == 0] = lp * rms[idx[:, 0] == 0]
    return w
for sd in seeds:
    e = phantoms.random_ellipses((n, n), seed=sd)
    gt = phantoms.ellipse_image(e, (n, n))
    g = phantoms.ellipse_sinogram(e, theta, n)
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(1000 + sd).standard_normal(g.shape)
    s = ct.estimate_noise(g) * math.sqrt(theta.size)
    for f in [0.25, 0.5, 1.0, 2.0]:
        x, info = ct.reconstruct(g, theta, (n, n), "tv", lam=f * s, max_iter=150, return_info=True)
        res.setdefault(f"tv {f}", []).append(ct.metrics(x, gt)["psnr"])
        print(sd, "tv", f, res[f"tv {f}"][-1], info["iterations"], flush=True)
    for base, lp in [(3, 0), (1.5, 0.5)]:
        for f in [4, 8, 16, 32]:
            x = ct.reconstruct(g, theta, (n, n), "shearlet-l1", weights=f * s * wts(base, lp), max_iter=150)
            res.setdefault(f"sh {base} {lp} {f}", []).append(ct.metrics(x, gt)["psnr"])
            print(sd, "sh", base, lp, f, res[f"sh {base} {lp} {f}"][-1], flush=True)
    json.dump(res, open("fit.json", "w"))
for k, v in res.items():
    print(k, np.round(v, 2), round(float(np.mean(v)), 2))
