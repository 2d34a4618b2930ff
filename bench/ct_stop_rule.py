"""Where ct's stopping rule stops shearlet-l1, against the minimiser (bench/RESULTS.md, issue:
converged solvers).

For each phantom, one long ``ct.reconstruct(..., "shearlet-l1", tol=0)`` run records, every
iteration, the rule's relative residual (``info["history"]["rel_residual"]``), the objective and
the PSNR; its last iterate stands for the minimiser. For each tolerance the table gives the
iteration at which the rule (relative residual <= tol) first holds, the relative objective gap
and the PSNR difference to the minimiser there, and the first iteration from which both stay
within 1e-3 and 0.1 dB (the issue's criterion). Phantoms: random ellipses (``ellipses S``, seed
S: exact line integrals) and the six validation phantoms of bench/ct_rules_validate.py (their
names), angles -60..60 in 1 degree steps, 1 % noise, the default level.

    .venv/bin/python bench/ct_stop_rule.py [--size 256] [--ref-iter 3000] [--tols 1e-3 2e-3]
        [--phantoms "ellipses 7" "Shepp-Logan" ...] [--json out.jsonl]
"""
import argparse
import json
import time
import warnings

import numpy as np

import ct_rules_validate as V
from fastshear import ct, phantoms

warnings.simplefilter("ignore")


def case(name, n):
    if name.startswith("ellipses ") and name != "ellipses seed 20":
        e = phantoms.random_ellipses((n, n), seed=int(name.split()[1]))
        g = phantoms.ellipse_sinogram(e, V.THETA, n)
        g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(7).standard_normal(g.shape)
        return phantoms.ellipse_image(e, (n, n)), g
    V.N = n
    for nm, gt, g in V.cases():
        if nm == name:  # the noise of ct_rules_validate.py
            return gt, g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(7).standard_normal(g.shape)
    raise SystemExit(f"unknown phantom {name!r}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--ref-iter", type=int, default=3000)
    p.add_argument("--tols", type=float, nargs="*", default=[1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3])
    p.add_argument("--phantoms", nargs="*", default=["ellipses 7"])
    p.add_argument("--json", default=None)
    a = p.parse_args()
    n = a.size
    for name in a.phantoms:
        gt, g = case(name, n)
        psnr = []
        t = time.perf_counter()
        x, info = ct.reconstruct(g, V.THETA, (n, n), "shearlet-l1", max_iter=a.ref_iter, tol=0.0, return_info=True,
                                 dtype=np.float32,
                                 callback=lambda it, x, i: psnr.append(ct.metrics(x, gt)["psnr"]))
        dt = time.perf_counter() - t
        h = info["history"]
        rel, obj, psnr = np.asarray(h["rel_residual"]), np.asarray(h["objective"]), np.asarray(psnr)
        f_ref, p_ref = obj[-1], psnr[-1]
        gap, dp = (obj - f_ref) / abs(f_ref), psnr - p_ref
        ok = (np.abs(gap) <= 1e-3) & (np.abs(dp) <= 0.1)
        bad = np.nonzero(~ok)[0]
        first_ok = int(bad[-1]) + 2 if bad.size else 1  # iterations count from 1
        row = {"phantom": name, "size": n, "ref_iter": a.ref_iter, "ref_psnr": float(p_ref),
               "ref_gap_last100": float(abs(obj[-101] - f_ref) / abs(f_ref)), "within_from": first_ok,
               "seconds": round(dt, 1)}
        cells = []
        for tol in a.tols:
            hit = np.nonzero(rel <= tol)[0]
            if hit.size:
                k = int(hit[0])
                row[f"tol {tol:g}"] = [k + 1, float(gap[k]), float(dp[k])]
                cells.append(f"{k + 1}: {gap[k]:.1e} / {dp[k]:+.2f}")
            else:
                row[f"tol {tol:g}"] = None
                cells.append("not met")
        print(f"| {name} ({n}) | {p_ref:.2f} | {first_ok} | " + " | ".join(cells) + " |", flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
