"""Cost of one ADMM iteration of ct.reconstruct's shearlet-l1 problem: the fused C++ splitting
and momentum steps (solvers.ADMM's default for l1 terms) against the generic NumPy steps of the
same iteration, for one problem and a batch, in milliseconds per iteration and problem (medians of
interleaved rounds), beside the transforms' own cost.

    .venv/bin/python bench/ct_admm_step.py [--sizes 128 256] [--batch 8] [--iter 20] [--rounds 5]
"""
import argparse
import math
import time
import warnings

import numpy as np

import fastshear
from fastshear import ct, phantoms, solvers

warnings.simplefilter("ignore")


def run(R, S, f, g, fused, iters):
    a = solvers.ADMM(R, g, S, f, support=R.support, max_iter=iters, tol=0)
    if not fused:
        a._use_numpy_steps()
    t = time.perf_counter()
    a.run()
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iter", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    theta = np.arange(-60, 61, 1.0)
    print(f"threads: {fastshear._core.default_threads()}; ms per iteration and problem (medians of {a.rounds})")
    print("| size | problems | fused | NumPy steps | NumPy / fused | R pair + SH pair |")
    print("|---|---|---|---|---|---|")
    for n in a.sizes:
        R = fastshear.Radon2D((n, n), theta, dtype=np.float32)
        S = fastshear.Shearlet2D((n, n), 4, dtype=np.float32)
        gs = np.stack([phantoms.ellipse_sinogram(phantoms.random_ellipses((n, n), seed=s), theta, n)
                       for s in range(a.batch)]).astype(np.float32)
        f = solvers.L1(ct.default_weights(S, ct.SHEARLET_FACTOR * ct.estimate_noise(gs[0] + 0.01) *
                                          math.sqrt(theta.size)), band_ndim=2)
        x = np.ascontiguousarray(R.fbp(gs[0]), np.float32)
        for g in (gs[0], gs):
            nb = 1 if g.ndim == 2 else g.shape[0]
            t = {True: [], False: []}
            tt = []
            for _ in range(a.rounds):
                for fused in (True, False):
                    t[fused].append(run(R, S, f, g, fused, a.iter) / (a.iter * nb))
                t0 = time.perf_counter()
                S.adjoint(S.forward(x)), R.adjoint(R.forward(x))
                tt.append(time.perf_counter() - t0)
            mf, mn = np.median(t[True]) * 1e3, np.median(t[False]) * 1e3
            print(f"| {n} | {nb} | {mf:.2f} | {mn:.2f} | {mn / mf:.2f}x | {np.median(tt) * 1e3:.2f} |", flush=True)


if __name__ == "__main__":
    main()
