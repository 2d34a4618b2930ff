"""Cost of SPDHG's fused TV steps: `_core.tv_dual_step` (gradient, projection onto the discs of
radius lam, the gradient's adjoint of the dual change, z / e updates, the sum of d^2) and
`_core.spdhg_primal_step` against the same updates in NumPy (operators.Gradient2D), in
microseconds per call (medians of interleaved rounds; each round times every variant once, in
turn, as the mean of --reps calls). Threads: set OMP_NUM_THREADS per command.

    OMP_NUM_THREADS=1 .venv/bin/python bench/spdhg_kernels.py [--rounds 15] [--reps 20]
"""
import argparse
import time

import numpy as np

import fastshear
from fastshear import _core
from fastshear.operators import Gradient2D

SIGMA, LAM, SCALE = 0.3, 0.05, 4.0


def numpy_dual(G, x, y, z, e):
    v = y + SIGMA * G.forward(x)
    r = np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2)
    v /= np.maximum(1, r / LAM)[:, None]
    d = v - y
    dd = d.reshape(d.shape[0], -1)
    s = np.einsum("ij,ij->i", dd, dd, dtype=np.float64)
    y[...] = v
    dz = G.adjoint(d)
    z += dz
    np.multiply(dz, SCALE, out=e)
    return s


def numpy_primal(x, z, e, tau):
    xn = x - tau * (z + e)
    np.maximum(xn, 0, out=xn)
    d = (xn - x).reshape(x.shape[0], -1)
    s = np.einsum("ij,ij->i", d, d, dtype=np.float64)
    x[...] = xn
    return s


def timed(f, reps):
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps * 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    a = p.parse_args()
    print(f"threads: {fastshear._core.default_threads()}; us per call, medians of {a.rounds} interleaved rounds")
    print("| image | nb | dtype | tv_dual_step | NumPy | NumPy / fused | spdhg_primal_step | NumPy | NumPy / fused |")
    print("|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n, nb in ((256, 1), (128, 8)):
        for name in a.dtypes:
            dt = np.dtype(name)
            G = Gradient2D((n, n), dtype=dt)
            x = rng.standard_normal((nb, n, n)).astype(dt)
            y = (LAM * rng.standard_normal((nb, 2, n, n))).astype(dt)
            z = rng.standard_normal((nb, n, n)).astype(dt)
            e = np.zeros_like(z)
            tau = rng.uniform(0.01, 0.02, (n, n)).astype(dt)
            xp = np.abs(x)
            variants = {
                "dual_fused": lambda: _core.tv_dual_step(x, y, z, e, SIGMA, LAM, SCALE),
                "dual_numpy": lambda: numpy_dual(G, x, y, z, e),
                "primal_fused": lambda: _core.spdhg_primal_step(xp, z, e, tau, True),
                "primal_numpy": lambda: numpy_primal(xp, z, e, tau),
            }
            for f in variants.values():  # warm-up
                f()
            times = {k: [] for k in variants}
            for _ in range(a.rounds):
                for k, f in variants.items():
                    times[k].append(timed(f, a.reps))
            m = {k: float(np.median(v)) for k, v in times.items()}
            print(f"| {n} x {n} | {nb} | {name} | {m['dual_fused']:.0f} | {m['dual_numpy']:.0f} | "
                  f"{m['dual_numpy'] / m['dual_fused']:.1f}x | {m['primal_fused']:.0f} | {m['primal_numpy']:.0f} | "
                  f"{m['primal_numpy'] / m['primal_fused']:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
