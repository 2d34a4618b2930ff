"""Validation of ct.reconstruct's regularisation rules on phantoms not used in the fit (bench/RESULTS.md):
128 x 128, angles -60..60, 1 % noise, PSNR of FBP, SIRT and TV / shearlet-l1 at the default level x
{1/4, 1/2, 1, 2, 4}.

    .venv/bin/python bench/ct_rules_validate.py   (writes val.json)
"""
import json
import time
import numpy as np
import math
from fastshear import ct, phantoms
import warnings; warnings.simplefilter("ignore")
n = 128; theta = np.arange(-60, 61, 1.0)
cases = []
e = phantoms.random_ellipses((n, n), seed=20); cases.append(("ellipses seed 20", phantoms.ellipse_image(e, (n, n)), phantoms.ellipse_sinogram(e, theta, n)))
e = phantoms.shepp_logan_ellipses((n, n)); cases.append(("Shepp-Logan", phantoms.ellipse_image(e, (n, n)), phantoms.ellipse_sinogram(e, theta, n)))
# (a smooth cartoon case needs a correctly scaled simulated sinogram: still to be added)
rows = []
for name, gt, g in cases:
    g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(7).standard_normal(g.shape)
    s = ct.estimate_noise(g) * math.sqrt(theta.size)
    r = {"phantom": name}
    r["fbp"] = ct.metrics(ct.reconstruct(g, theta, (n, n), "fbp"), gt)["psnr"]
    r["sirt"] = ct.metrics(ct.reconstruct(g, theta, (n, n), "sirt"), gt)["psnr"]
    for m, F in (("tv", ct.TV_FACTOR), ("shearlet-l1", ct.SHEARLET_FACTOR)):
        for k in (0.25, 0.5, 1, 2, 4):
            t = time.perf_counter()
            x, info = ct.reconstruct(g, theta, (n, n), m, lam=k * F * s, max_iter=150, return_info=True)
            r[f"{m} x{k}"] = ct.metrics(x, gt)["psnr"]
            r[f"{m} x{k} its"] = int(info["iterations"])
            print(name, m, k, round(r[f"{m} x{k}"], 2), info["iterations"], info["converged"], f"{time.perf_counter()-t:.0f}s", flush=True)
    rows.append(r)
    json.dump(rows, open("val.json", "w"), indent=1)
