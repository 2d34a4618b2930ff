"""Interleaved side-by-side timing of the 2D and 3D shearlet transforms (the summary tables in
bench/RESULTS.md): float64 / float32, 1 / 2 threads, with a fresh output array per call and with
`out=` (a reused one), against the FFT floor (scipy.fft, workers=1) and, in 2D, pyShearLab.

Every round times each variant once, in turn, and the table reports the median over rounds, so a
noisy spell on the shared machine hits all variants alike. Ratios are taken between medians of the
same run.

    .venv/bin/python bench/shearlet_compare.py 3d [--n 96] [--scales 2] [--rounds 7]
    .venv/bin/python bench/shearlet_compare.py 2d [--n 512] [--scales 4] [--rounds 9]
"""
import argparse
import statistics
import time
import warnings

import numpy as np

import fastshear

warnings.simplefilter("ignore", fastshear.ShearletFallbackWarning)


def _variants(dim, n, scales):
    """name -> (callable, label of the group) for one size."""
    shape = (n,) * dim
    cls = fastshear.Shearlet3D if dim == 3 else fastshear.Shearlet2D
    rng = np.random.default_rng(0)
    v = {}
    for dt in ("float64", "float32"):
        x = rng.standard_normal(shape).astype(dt)
        for w in (1, 2):
            sh = cls(shape, scales, dtype=dt, workers=w)
            c = sh.forward(x)
            y = np.empty_like(x)
            v[f"dec {dt} {w}t"] = lambda sh=sh, x=x: sh.forward(x)
            v[f"dec out= {dt} {w}t"] = lambda sh=sh, x=x, c=c: sh.forward(x, out=c)
            v[f"rec {dt} {w}t"] = lambda sh=sh, c=c: sh.inverse(c)
            v[f"rec out= {dt} {w}t"] = lambda sh=sh, c=c, y=y: sh.inverse(c, out=y)
    import scipy.fft as sf

    K = cls(shape, scales).n_shearlets
    for dt in ("float64", "float32"):
        x = rng.standard_normal(shape).astype(dt)
        buf = np.empty((K,) + shape, dt)

        def floor(x=x, buf=buf):  # 1 rfftn + K irfftn into a reused array, workers=1
            X = sf.rfftn(x, workers=1)
            for i in range(K):
                buf[i] = sf.irfftn(X, s=shape, workers=1)

        v[f"FFT floor {dt} 1t"] = floor
    if dim == 2:
        try:
            import pyshearlab_mind as sl
        except ImportError:
            sl = None
        if sl is not None:
            S = sl.SLgetShearletSystem2D(0, n, n, scales)
            x = rng.standard_normal(shape)
            C = sl.SLsheardec2D(x, S)
            v["pyShearLab dec float64 1t"] = lambda: sl.SLsheardec2D(x, S)
            v["pyShearLab rec float64 1t"] = lambda: sl.SLshearrec2D(C, S)
    return v, K


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dim", choices=["2d", "3d"])
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--scales", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    dim = 3 if a.dim == "3d" else 2
    n = a.n or (96 if dim == 3 else 512)
    scales = a.scales or (2 if dim == 3 else 4)
    v, K = _variants(dim, n, scales)
    for f in v.values():  # plans, first touch
        f()
    t = {k: [] for k in v}
    for _ in range(a.rounds):
        for k, f in v.items():
            s = time.perf_counter()
            f()
            t[k].append((time.perf_counter() - s) * 1e3)
    med = {k: statistics.median(x) for k, x in t.items()}
    print(f"{dim}D n={n} scales={scales} K={K}, median of {a.rounds} interleaved rounds (ms)")
    print("| variant | median ms | min ms |")
    print("|---|---|---|")
    for k in v:
        print(f"| {k} | {med[k]:.1f} | {min(t[k]):.1f} |")
    print()
    for op in ("dec", "rec", "dec out=", "rec out="):
        f64, f32 = med[f"{op} float64 1t"], med[f"{op} float32 1t"]
        print(f"{op}: float32 vs float64 (1t) {f64 / f32:.2f}x; second thread: float64 "
              f"{f64 / med[f'{op} float64 2t']:.2f}x, float32 {f32 / med[f'{op} float32 2t']:.2f}x; "
              f"FFT floor / float64 1t {med['FFT floor float64 1t'] / f64:.2f}x")
    for op in ("dec", "rec"):
        k = f"pyShearLab {op} float64 1t"
        if k in med:
            print(f"pyShearLab {op} / fastshear {op} float64 1t: {med[k] / med[f'{op} float64 1t']:.1f}x "
                  f"(with out=: {med[k] / med[f'{op} out= float64 1t']:.1f}x)")


if __name__ == "__main__":
    main()
