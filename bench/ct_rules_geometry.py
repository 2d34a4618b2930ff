"""ct's regularisation rules off the geometry they were fitted on (bench/RESULTS.md, issue:
converged solvers): the PSNR of TV or shearlet-l1 at multiples of the default level, for parallel
and fan beams with other angular ranges and steps. Random ellipses with exact line integrals (no
inverse crime: the earlier note that a quarter of the level does better on a fan beam used
`Radon2D.forward` data, which favours weak regularisation), 1 % noise, 128 x 128 by default,
each solve to ct's stopping rule (at most 600 iterations). Where the geometry's
``ct.noise_gain`` is not 1, also the PSNR at the level without it (the rule before the gain).

    .venv/bin/python bench/ct_rules_geometry.py [--method tv|shearlet-l1] [--size 128] [--seeds 0 1]
        [--geometries par120 fan360 ...] [--mults 0.25 0.5 1 2 4] [--json out.jsonl]
"""
import argparse
import json
import time
import warnings

import numpy as np

from fastshear import ct, phantoms

warnings.simplefilter("ignore")


def geometries(n):
    fan = dict(geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n, n_det=int(1.6 * n))
    return {
        "par120": (np.arange(-60, 61, 1.0), {}),  # the fit's geometry
        "par90": (np.arange(-45, 46, 1.0), {}),
        "par120s3": (np.arange(-60, 61, 3.0), {}),
        "par180": (np.arange(0, 180, 1.0), {}),
        "par180s4": (np.arange(0, 180, 4.0), {}),
        "fan360": (np.arange(0, 360, 2.0), fan),
        "fan150": (np.arange(0, 150, 1.0), fan),
        # not used when the noise gain was introduced (validation)
        "fan270": (np.arange(0, 270, 1.5), dict(geometry="fan", source_distance=3.0 * n, detector_distance=1.0 * n,
                                                n_det=int(1.5 * n))),
        "par180d05": (np.arange(0, 180, 1.0), dict(det_spacing=0.5, n_det=2 * n)),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--method", default="tv", choices=["tv", "shearlet-l1"])
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    p.add_argument("--geometries", nargs="*", default=None)
    p.add_argument("--mults", type=float, nargs="*", default=[0.25, 0.5, 1, 2, 4])
    p.add_argument("--json", default=None)
    a = p.parse_args()
    n = a.size
    geo = geometries(n)
    print(f"{a.method}, {n}x{n}: PSNR (dB) at the default level x " + " / ".join(f"{m:g}" for m in a.mults)
          + "; the best multiple; the default's loss to the best; iterations at the default; seconds")
    for name in a.geometries or list(geo):
        theta, kw = geo[name]
        nd = kw.get("n_det", n)
        ek = {k: v for k, v in kw.items() if k != "n_det"}
        for seed in a.seeds:
            e = phantoms.random_ellipses((n, n), seed=seed)
            img = phantoms.ellipse_image(e, (n, n))
            g = phantoms.ellipse_sinogram(e, theta, nd, **ek)
            g = g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(100 + seed).standard_normal(g.shape)
            t = time.perf_counter()
            _, info = ct.reconstruct(g, theta, (n, n), a.method, radon_kwargs=dict(kw), return_info=True,
                                     dtype=np.float32, max_iter=1)
            lam0, ps, its = info["lam"], [], {}
            gain = info["noise_gain"]
            for mu in a.mults:
                x, inf = ct.reconstruct(g, theta, (n, n), a.method, lam=lam0 * mu, radon_kwargs=dict(kw),
                                        return_info=True, dtype=np.float32, max_iter=600)
                ps.append(ct.metrics(x, img)["psnr"])
                its[mu] = f"{inf['iterations']}{'c' if inf['converged'] else 'l'}"
            b = int(np.argmax(ps))
            loss = ps[b] - ps[a.mults.index(1)] if 1 in a.mults else float("nan")
            row = dict(method=a.method, geometry=name, seed=seed, n_angles=int(theta.size), psnr=ps, best=a.mults[b],
                       loss=loss, iterations=its, gain=gain, seconds=round(time.perf_counter() - t, 1))
            if gain != 1.0:
                x, _ = ct.reconstruct(g, theta, (n, n), a.method, lam=lam0 / gain, radon_kwargs=dict(kw),
                                      return_info=True, dtype=np.float32, max_iter=600)
                row["psnr_without_gain"] = ct.metrics(x, img)["psnr"]
            print(f"| {name} | {seed} | " + " / ".join(f"{v:.2f}" for v in ps)
                  + f" | x{a.mults[b]:g} | {loss:.2f} | {its.get(1, '')} | gain {gain:.3f}"
                  + (f", without it {row['psnr_without_gain']:.2f}" if gain != 1.0 else "") + f" | {row['seconds']} |",
                  flush=True)
            if a.json:
                with open(a.json, "a") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
