"""Radon2D with pixel footprints wider than 2 detector bins (fan beam magnifying the object up to
2x and more, parallel beam with bins finer than a pixel): the AVX-512 kernels with 4 to 6 taps
against the portable kernels those geometries ran before (the kernels a CPU without AVX-512
runs), in the same process.

float32, circle=True, one image, random values; forward and adjoint, wall-clock ms per call:
the median over --rounds rounds, each timing every case once per kernel in turn (the mean of
--reps calls). Threads: the process's default (OMP_NUM_THREADS).

    .venv/bin/python bench/radon_wide_footprint.py [--sizes 128 256] [--rounds 7] [--reps 3]
"""
import argparse
import statistics
import time

import numpy as np

import fastshear
from fastshear import _testing


def geometries(n):
    return {
        "fan 360 deg, source 2N, detector N": (np.arange(0, 360, 2.0), dict(
            geometry="fan", source_distance=2.0 * n, detector_distance=1.0 * n, n_det=2 * n)),
        "fan 360 deg, source N, detector 1.2N": (np.arange(0, 360, 2.0), dict(
            geometry="fan", source_distance=1.0 * n, detector_distance=1.2 * n, n_det=5 * n)),
        "parallel 180 deg, bins 0.3 pixel": (np.arange(0, 180, 1.0), dict(det_spacing=0.3, n_det=4 * n)),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="*", default=[128, 256])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    cases = []
    for n in a.sizes:
        x = rng.random((n, n)).astype(np.float32)
        for name, (theta, kw) in geometries(n).items():
            R = fastshear.Radon2D((n, n), theta, dtype=np.float32, **kw)
            y = rng.random(R.sinogram_shape).astype(np.float32)
            cases.append((f"{name}, {n}x{n}", R, x, y))
    times = {}
    for _ in range(a.rounds):
        for label, R, x, y in cases:
            for kern in ("auto", "portable"):
                with _testing.radon_kernel(R, kern):
                    for op, f in (("forward", lambda: R.forward(x)), ("adjoint", lambda: R.adjoint(y))):
                        f()
                        t = time.perf_counter()
                        for _ in range(a.reps):
                            f()
                        times.setdefault((label, op, kern), []).append((time.perf_counter() - t) / a.reps * 1e3)
    print(f"threads: {fastshear._core.default_threads()}; medians of {a.rounds} interleaved rounds (ms per call)")
    print("| geometry | op | AVX-512 kernels chosen | default kernels | portable | portable / default |")
    print("|---|---|---|---|---|---|")
    for label, R, *_ in cases:
        for op in ("forward", "adjoint"):
            v = statistics.median(times[(label, op, "auto")])
            q = statistics.median(times[(label, op, "portable")])
            print(f"| {label} | {op} | {_testing.radon_vector_kernels(R)} | {v:.2f} | {q:.2f} | {q / v:.1f}x |")


if __name__ == "__main__":
    main()
