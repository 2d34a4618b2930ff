"""Wall time of one ADMM iteration of ct's problems at fixed solver settings, for comparing two
builds (run it alternately with ``PYTHONPATH=<other build>``; bench/RESULTS.md, issue: converged
solvers): shearlet-l1 (3 CG steps, momentum, constraint penalty 0.4 rho) or TV (the earlier
settings: 4 CG steps, no momentum, penalty 3 and constraint penalty 9 times the default rho, so
that every build runs the same iteration), random-ellipse sinograms, float32, the support
constraint. Prints the median of 3 timings of ``--iter`` steps (after 2 steps), in ms.

    .venv/bin/python bench/ct_iteration.py [--method shearlet-l1|tv] [--size 256] [--batch 1] [--iter 20]
"""
import argparse
import time
import warnings

import numpy as np

import fastshear
from fastshear import ct, phantoms, solvers
from fastshear.operators import Gradient2D

warnings.simplefilter("ignore")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--method", default="shearlet-l1", choices=["shearlet-l1", "tv"])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--iter", type=int, default=20)
    a = p.parse_args()
    n, theta = a.size, np.arange(-60, 61, 1.0)
    R = fastshear.Radon2D((n, n), theta, dtype=np.float32)
    gs = np.stack([phantoms.ellipse_sinogram(phantoms.random_ellipses((n, n), seed=s), theta, n)
                   for s in range(a.batch)]).astype(np.float32)
    g = gs if a.batch > 1 else gs[0]
    if a.method == "tv":
        K, f = Gradient2D((n, n), dtype=np.float32), solvers.L21(0.05)
        r0 = solvers.ADMM.default_rho(R, K)
        kw = dict(rho=3 * r0, constraint_rho=9 * r0, cg_steps=4, restart=0.0)
    else:
        K = fastshear.Shearlet2D((n, n), 4, dtype=np.float32)
        f = solvers.L1(ct.default_weights(K, 0.05), band_ndim=2)
        r0 = solvers.ADMM.default_rho(R, K)
        kw = dict(rho=r0, constraint_rho=0.4 * r0, cg_steps=3, restart=0.999)
    ts = []
    for _ in range(3):
        s = solvers.ADMM(R, g, K, f, support=R.support, max_iter=a.iter + 2, tol=0, **kw)
        s.step(), s.step()
        t = time.perf_counter()
        for _ in range(a.iter):
            s.step()
        ts.append((time.perf_counter() - t) / a.iter * 1e3)
    print(f"{a.method} {n}x{n} B={a.batch} ({fastshear.__file__}): {np.median(ts):.2f} ms per iteration "
          f"(threads: {fastshear._core.default_threads()})")


if __name__ == "__main__":
    main()
