"""Parameters per second: the surrogate in fastshear.DenseNet, torch and onnxruntime vs the solver.

    .venv/bin/python bench/pde_throughput.py [--rounds 7] [--grids 32,100]
    .venv/bin/python bench/pde_throughput.py --gemm-only       # the output layer alone, GFLOP/s

Backends: ``fastshear out=`` (the engine writing into one preallocated array, the multi-query
use), ``fastshear`` (a new result array each call), ``onnxruntime iobind`` (its IOBinding into
one preallocated array), ``onnxruntime`` (``run``: a result array each call, from its arena),
torch (eager, inference mode).

Interleaved: every round times each backend once, in turn (median of the rounds; each round starts
with the next backend, and a 50 ms pause precedes each one), so that the ratios of a row survive
a busy machine. Net: 2 -> 256 x 3 -> (n-1)^2 ReLU, float32, random
weights (the pde-demo's shape at n = 32; at n = 100 the output layer of 9 801 units is 95 % of the
work), and the same net with its output layer factored through ``--rank`` units (identity between
the two affine maps; pde.train_surrogate(rank=...)). Solver: fastshear.pde.solve on T1 (p = 2) parameters, one thread, timed over a batch of
``--solves`` parameters per round (its cost per parameter does not depend on the batch).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import fastshear  # noqa: E402
from fastshear import pde  # noqa: E402


def _timer(run, min_seconds=0.05):
    """Seconds per call, over as many calls as fill ``min_seconds`` (at least one)."""
    reps, total = 0, 0.0
    t = time.perf_counter()
    while total < min_seconds:
        run()
        reps += 1
        total = time.perf_counter() - t
    return total / reps


def _onnx(W, b, acts, threads):
    """onnxruntime session of Gemm layers with Relu where ``acts`` says relu (identity: none)."""
    from bench_dense_net import _onnx_session

    return _onnx_session(W, b, threads, acts)


def _ort_bound(s, x, out):
    """``s`` run with x bound as input and ``out`` (preallocated) as its output."""
    io = s.io_binding()
    io.bind_cpu_input("x", x)
    io.bind_output(s.get_outputs()[0].name, "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)
    return lambda: s.run_with_iobinding(io)


def fma_peak():
    """(isa, GFLOP/s per CPU second, GFLOP/s wall) of bench/fma_peak.cpp, or None without g++."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "fma_peak")
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fma_peak.cpp")
        if subprocess.run([cxx, "-O2", src, "-o", exe], capture_output=True).returncode:
            return None
        isa, c, w = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()
    return isa, float(c), float(w)


def gemm_section(M, K, Ns, rounds):
    """The output layer alone, Y = X W^T + b with X (M x K) >= 0 (ReLU outputs), one thread: the
    engine, onnxruntime's Gemm (MLAS) and numpy's matmul (OpenBLAS; no bias) each writing into a
    preallocated array; GFLOP/s (2 M K N flops) in wall time and in the calling thread's CPU
    time (what a busy machine's time slicing does not change), median of the rounds."""
    from bench_dense_net import _weights
    from threadpoolctl import threadpool_limits
    peak = fma_peak()
    print(f"\nOutput layer alone: M = {M}, K = {K}, one thread, median of {rounds} rounds; FMA peak "
          + (f"{peak[1]:.1f} GFLOP/s per CPU second ({peak[0]}, bench/fma_peak.cpp)" if peak else "not measured"))
    print("\n| N | backend | ms (wall) | GFLOP/s (wall) | GFLOP/s (CPU time) | % of peak (CPU time) |")
    print("|---|---|---|---|---|---|")
    for N in Ns:
        W, b = _weights([K, N])
        x = np.maximum(np.random.default_rng(2).standard_normal((M, K)), 0).astype(np.float32)
        f = fastshear.DenseNet(W, b, workers=1)
        s = _onnx(W, b, [], 1)
        WT = np.ascontiguousarray(W[0].T)
        out = {k: np.zeros((M, N), np.float32) for k in ("e", "o", "n")}
        runs = {"fastshear out=": lambda: f(x, out=out["e"]), "onnxruntime iobind": _ort_bound(s, x, out["o"]),
                "numpy matmul out= (no bias)": lambda: np.matmul(x, WT, out=out["n"])}
        wall = {k: [] for k in runs}
        cpu = {k: [] for k in runs}
        with threadpool_limits(1):
            for r in runs.values():
                r()
            for _ in range(rounds):
                for k, r in runs.items():
                    c, t = time.thread_time(), time.perf_counter()
                    r()
                    wall[k].append(time.perf_counter() - t)
                    cpu[k].append(time.thread_time() - c)
        ref = out["n"] + b[0]
        for k in ("e", "o"):
            err = np.abs(out[k] - ref).max() / np.abs(ref).max()
            assert err < 1e-5, (k, err)
        flops = 2.0 * M * K * N
        for k in runs:
            w, c = statistics.median(wall[k]), statistics.median(cpu[k])
            pk = f"{100 * flops / c / 1e9 / peak[1]:.0f} %" if peak else "-"
            print(f"| {N} | {k} | {1e3 * w:.1f} | {flops / w / 1e9:.1f} | {flops / c / 1e9:.1f} | {pk} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--grids", default="32,100")
    ap.add_argument("--batches", default="1,4096")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rank", type=int, default=32,
                    help="also time the net with its output layer factored through RANK units (0: not)")
    ap.add_argument("--solves", type=int, default=0, help="parameters per solver round (default 64 at n<=32, 8 above)")
    ap.add_argument("--gemm", default="9801,10201",
                    help="output widths N of the output-layer-alone table (M = 4096, K = 256; empty: none)")
    ap.add_argument("--gemm-only", action="store_true", help="only the output-layer-alone table")
    args = ap.parse_args()
    print(f"fastshear {fastshear.__version__}, kernel "
          f"{fastshear.DenseNet([np.ones((1, 1))], [np.zeros(1)]).kernel}, load average {os.getloadavg()[0]:.1f}")
    if args.gemm_only:
        gemm_section(4096, 256, [int(v) for v in args.gemm.split(",")], args.rounds)
        return
    import torch
    from bench_dense_net import _weights
    from threadpoolctl import threadpool_limits

    grids = [int(v) for v in args.grids.split(",")]
    batches = [int(v) for v in args.batches.split(",")]
    threads = [int(v) for v in args.threads.split(",")]
    T1 = pde.trigonometric(2)
    rows = []
    for n, (net_name, mid) in [(n, v) for n in grids for v in
                               [("3x256", [])] + ([(f"3x256, rank {args.rank}", [args.rank])] if args.rank else [])]:
        N = (n - 1) ** 2
        W, b = _weights([2, 256, 256, 256] + mid + [N])
        acts = ["relu"] * 3 + ["identity"] * len(mid)
        solves = args.solves or (64 if n <= 32 else 8)
        ys = T1.sample(solves, seed=11)
        pde.solve(T1, ys[:1], n)
        for B in batches:
            x = np.random.default_rng(1).uniform(0, 1, (B, 2)).astype(np.float32)
            for th in threads:
                f = fastshear.DenseNet(W, b, acts, workers=th)
                s = _onnx(W, b, acts, th)
                torch.set_num_threads(th)
                m = f.to_torch().eval()
                xt = torch.from_numpy(x)
                y_e, y_o = np.zeros((B, N), np.float32), np.zeros((B, N), np.float32)

                def run_torch():
                    with torch.inference_mode():
                        return m(xt)
                runs = {"fastshear out=": lambda: f(x, out=y_e), "fastshear": lambda: f(x),
                        "onnxruntime iobind": _ort_bound(s, x, y_o), "onnxruntime": lambda: s.run(None, {"x": x}),
                        "torch": run_torch}
                for r in runs.values():
                    r()
                ref = f(x)
                for y in (y_e, y_o):
                    assert np.abs(y - ref).max() <= 1e-4 * np.abs(ref).max()
                times = {k: [] for k in runs}
                times["solver"] = []
                names = list(runs)
                for i in range(args.rounds):
                    # each round starts with another backend, and a pause before each lets the
                    # previous one's spinning threads (torch's OpenMP, onnxruntime's pool) sleep
                    for k in names[i % len(names):] + names[:i % len(names)]:
                        time.sleep(0.05)
                        times[k].append(_timer(runs[k]) / B)
                    if th == 1 and not mid:
                        with threadpool_limits(1):
                            t = time.perf_counter()
                            pde.solve(T1, ys, n)
                            times["solver"].append((time.perf_counter() - t) / solves)
                med = {k: statistics.median(v) for k, v in times.items() if v}
                rows.append((n, net_name, f.complexity, B, th, med))
                print(f"n={n} {net_name} B={B} {th}t: " + ", ".join(f"{k} {1 / v:,.0f}/s" for k, v in med.items()), flush=True)
    solver = {n: med["solver"] for n, _, _, B, th, med in rows if "solver" in med}
    print("\nParameters per second (median of rounds); ratios of the engine writing into a preallocated array"
          " (out=) against the solver (1 thread) and onnxruntime (run; IOBinding into a preallocated array)\n")
    print("| n | net | C(Phi) | batch | threads | fastshear out= | fastshear | onnxruntime iobind | onnxruntime | "
          "torch | solver (1t) | out= / solver | out= / onnxruntime | out= / ort iobind | fastshear / onnxruntime |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, net_name, c, B, th, med in rows:
        sv = solver[n]
        e, o = med["fastshear out="], med["onnxruntime"]
        print(f"| {n} | {net_name} | {c:,} | {B} | {th} | {1 / e:,.0f} | {1 / med['fastshear']:,.0f} | "
              f"{1 / med['onnxruntime iobind']:,.0f} | {1 / o:,.0f} | {1 / med['torch']:,.0f} | {1 / sv:,.0f} | "
              f"{sv / e:,.0f}x | {o / e:.2f}x | {med['onnxruntime iobind'] / e:.2f}x | {o / med['fastshear']:.2f}x |")
    print(f"\nrounds {args.rounds}, load average {os.getloadavg()[0]:.1f}")
    if args.gemm:
        gemm_section(4096, 256, [int(v) for v in args.gemm.split(",")], args.rounds)

if __name__ == "__main__":
    main()
