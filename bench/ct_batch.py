"""Throughput of batched CT reconstructions: ct.reconstruct on a stack of B sinograms (one ADMM
over the batched transforms) against B separate calls, the same iteration count each (tol=0).

    .venv/bin/python bench/ct_batch.py [--size 128] [--batch 8] [--iter 30] [--rounds 3]
"""
import argparse
import time

import numpy as np

from fastshear import ct, phantoms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iter", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--method", default="shearlet-l1")
    a = p.parse_args()
    n, theta = a.size, np.arange(-60, 61, 1.0)
    gs = np.stack([phantoms.ellipse_sinogram(phantoms.random_ellipses((n, n), seed=s), theta, n)
                   for s in range(a.batch)])
    gs += 0.01 * np.sqrt(np.mean(gs ** 2)) * np.random.default_rng(0).standard_normal(gs.shape)
    kw = dict(max_iter=a.iter, tol=0.0, dtype=np.float32)  # float32, as measured so far
    ct.reconstruct(gs[:1], theta, (n, n), a.method, **kw)  # plans and wisdom
    tb, ts = [], []
    for _ in range(a.rounds):  # interleaved
        t = time.perf_counter()
        xb = ct.reconstruct(gs, theta, (n, n), a.method, **kw)
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        xs = np.stack([ct.reconstruct(g, theta, (n, n), a.method, **kw) for g in gs])
        ts.append(time.perf_counter() - t)
    err = float(np.max(np.abs(xb - xs)) / np.max(np.abs(xs)))
    mb, ms = np.median(tb), np.median(ts)
    print(f"{a.method}, {n}x{n}, B = {a.batch}, {a.iter} iterations, {a.rounds} interleaved rounds (medians):")
    print(f"  batched {mb:.2f} s, one by one {ms:.2f} s: {ms / mb:.2f}x throughput; max rel. difference {err:.1e}")


if __name__ == "__main__":
    main()
