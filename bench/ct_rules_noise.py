"""How ct's regularisation levels should follow the noise level (bench/RESULTS.md, issue: converged
solvers): the fit family of the rules (random ellipses seeds 0-2, 128 x 128, angles -60..60 in 1
degree steps, exact line integrals) at several noise levels (fractions of the sinogram's RMS),
TV and shearlet-l1 at multiples 2^(k/2), k = -4..4, of ct's default level, each solved to ct's
stopping rule. Prints the mean PSNR per noise level and multiple, the best multiple (a parabola
through the best three in log scale), the estimated relative noise ``sigma_hat / RMS(g)``, and
the exponent ``a`` of the least-squares fit ``log best = a log(sigma_hat_rel / ref)`` with ``ref``
the fit's relative noise at 1 % (so the rule at the fitted point is unchanged).

    .venv/bin/python bench/ct_rules_noise.py [--noise 0.003 0.01 0.03 0.1] [--methods tv shearlet-l1]
        [--json rules_noise.json]
"""
import argparse
import json
import math
import warnings

import numpy as np

from fastshear import ct, phantoms

warnings.simplefilter("ignore")
N, SEEDS = 128, (0, 1, 2)
THETA = np.arange(-60, 61, 1.0)
KS = range(-4, 5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--noise", type=float, nargs="*", default=[0.003, 0.01, 0.03, 0.1])
    p.add_argument("--methods", nargs="*", default=["tv", "shearlet-l1"], choices=["tv", "shearlet-l1"])
    p.add_argument("--json", default="rules_noise.json")
    a = p.parse_args()
    res = {}
    rel = {}
    for nz in a.noise:
        for sd in SEEDS:
            e = phantoms.random_ellipses((N, N), seed=sd)
            gt = phantoms.ellipse_image(e, (N, N))
            g = phantoms.ellipse_sinogram(e, THETA, N)
            g = g + nz * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(1000 + sd).standard_normal(g.shape)
            rel.setdefault(nz, []).append(ct.estimate_noise(g) / float(np.sqrt(np.mean(g ** 2))))
            for m in a.methods:
                _, info = ct.reconstruct(g, THETA, (N, N), m, return_info=True, max_iter=1)
                lev = info["lam"]
                for k in KS:
                    x = ct.reconstruct(g, THETA, (N, N), m, lam=2 ** (k / 2) * lev)
                    res.setdefault(f"{m} {nz} {k}", []).append(ct.metrics(x, gt)["psnr"])
                print(f"noise {nz}, seed {sd}, {m}: " + " ".join(f"{res[f'{m} {nz} {k}'][-1]:.2f}" for k in KS),
                      flush=True)
        json.dump({"psnr": res, "rel": rel}, open(a.json, "w"), indent=1)
    ref = float(np.mean(rel[0.01])) if 0.01 in rel else None
    print("relative noise estimates (mean over the seeds): " + ", ".join(f"{nz}: {np.mean(v):.4f}" for nz, v in rel.items()))
    for m in a.methods:
        print(f"\n{m}: mean PSNR (dB) over seeds {SEEDS} at multiples of the default level")
        print("| noise | " + " | ".join(f"x{2 ** (k / 2):.3g}" for k in KS) + " | best multiple | best - default (dB) |")
        print("|---|" + "---|" * (len(KS) + 2))
        xs, ys = [], []
        for nz in a.noise:
            v = np.array([np.mean(res[f"{m} {nz} {k}"]) for k in KS])
            i = int(np.clip(np.argmax(v), 1, len(v) - 2))
            c = np.polyfit([-1, 0, 1], v[i - 1:i + 2], 2)
            off = -c[1] / (2 * c[0]) if c[0] < 0 else 0.0
            best = 2 ** ((list(KS)[i] + float(np.clip(off, -1, 1))) / 2)
            xs.append(math.log(np.mean(rel[nz]) / ref) if ref else 0.0)
            ys.append(math.log(best))
            print(f"| {nz * 100:g} % | " + " | ".join(f"{u:.2f}" for u in v)
                  + f" | x{best:.2f} | {v.max() - v[list(KS).index(0)]:.2f} |")
        if ref:
            ex = float(np.dot(xs, ys) / np.dot(xs, xs))
            print(f"fit: best multiple = (sigma_hat_rel / {ref:.4f})^a, a = {ex:.3f}")


if __name__ == "__main__":
    main()
