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
    ap.add_argument("--only", default=None,
                    help="comma-separated parts of variant names to keep, e.g. 'dec out= float64' "
                         "(fewer variants per round: a tighter 1t/2t comparison)")
    a = ap.parse_args()
    dim = 3 if a.dim == "3d" else 2
    n = a.n or (96 if dim == 3 else 512)
    scales = a.scales or (2 if dim == 3 else 4)
    v, K = _variants(dim, n, scales)
    if a.only:
        keep = [p.strip() for p in a.only.split(",")]
        v = {k: f for k, f in v.items() if any(p in k for p in keep)}
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
    def ratio(text, a, b):  # "text a/b" where both were timed
        return f"{text} {med[a] / med[b]:.2f}x" if a in med and b in med else None

    for op in ("dec", "rec", "dec out=", "rec out="):
        parts = [ratio("float32 vs float64 (1t)", f"{op} float64 1t", f"{op} float32 1t"),
                 ratio("second thread: float64", f"{op} float64 1t", f"{op} float64 2t"),
                 ratio("float32", f"{op} float32 1t", f"{op} float32 2t"),
                 ratio("FFT floor / float64 1t", "FFT floor float64 1t", f"{op} float64 1t")]
        parts = [p for p in parts if p]
        if parts:
            print(f"{op}: " + "; ".join(parts))
    for op in ("dec", "rec"):
        for variant in (f"{op} float64 1t", f"{op} out= float64 1t"):
            r = ratio(f"pyShearLab {op} / fastshear {variant}:", f"pyShearLab {op} float64 1t", variant)
            if r:
                print(r)


if __name__ == "__main__":
    main()
