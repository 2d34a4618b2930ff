"""Parameters per second: the surrogate in fastshear.DenseNet, torch and onnxruntime vs the solver.

    .venv/bin/python bench/pde_throughput.py [--rounds 7] [--grids 32,100]

Interleaved: every round times each backend once, in turn (median of the rounds), so that the
ratios of a row survive a busy machine. Net: 2 -> 256 x 3 -> (n-1)^2 ReLU, float32, random
weights (the pde-demo's shape at n = 32; at n = 100 the output layer of 9 801 units is 95 % of the
work), and the same net with its output layer factored through ``--rank`` units (identity between
the two affine maps; pde.train_surrogate(rank=...)). Solver: fastshear.pde.solve on T1 (p = 2) parameters, one thread, timed over a batch of
``--solves`` parameters per round (its cost per parameter does not depend on the batch).
"""
import argparse
import os
import statistics
import sys
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
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, cur = [], [], "x"
    for l in range(len(W)):
        inits += [numpy_helper.from_array(W[l], f"W{l}"), numpy_helper.from_array(b[l], f"b{l}")]
        nodes.append(helper.make_node("Gemm", [cur, f"W{l}", f"b{l}"], [f"z{l}"], transB=1))
        cur = f"z{l}"
        if l + 1 < len(W) and acts[l] == "relu":
            nodes.append(helper.make_node("Relu", [cur], [f"a{l}"]))
            cur = f"a{l}"
    g = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", W[0].shape[1]])],
                          [helper.make_tensor_value_info(cur, TensorProto.FLOAT, ["B", W[-1].shape[0]])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--grids", default="32,100")
    ap.add_argument("--batches", default="1,4096")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rank", type=int, default=32,
                    help="also time the net with its output layer factored through RANK units (0: not)")
    ap.add_argument("--solves", type=int, default=0, help="parameters per solver round (default 64 at n<=32, 8 above)")
    args = ap.parse_args()
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

                def run_torch():
                    with torch.inference_mode():
                        return m(xt)
                runs = {"fastshear": lambda: f(x), "onnxruntime": lambda: s.run(None, {"x": x}), "torch": run_torch}
                for r in runs.values():
                    r()
                times = {k: [] for k in runs}
                times["solver"] = []
                for _ in range(args.rounds):
                    for k, r in runs.items():
                        times[k].append(_timer(r) / B)
                    if th == 1 and not mid:
                        with threadpool_limits(1):
                            t = time.perf_counter()
                            pde.solve(T1, ys, n)
                            times["solver"].append((time.perf_counter() - t) / solves)
                med = {k: statistics.median(v) for k, v in times.items() if v}
                rows.append((n, net_name, f.complexity, B, th, med))
                print(f"n={n} {net_name} B={B} {th}t: " + ", ".join(f"{k} {1 / v:,.0f}/s" for k, v in med.items()), flush=True)
    solver = {n: med["solver"] for n, _, _, B, th, med in rows if "solver" in med}
    print("\nParameters per second (median of rounds); ratios against the solver (1 thread) and onnxruntime\n")
    print("| n | net | C(Phi) | batch | threads | fastshear | onnxruntime | torch | solver (1t) | fastshear / solver | fastshear / onnxruntime |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, net_name, c, B, th, med in rows:
        sv = solver[n]
        print(f"| {n} | {net_name} | {c:,} | {B} | {th} | {1 / med['fastshear']:,.0f} | {1 / med['onnxruntime']:,.0f} | "
              f"{1 / med['torch']:,.0f} | {1 / sv:,.0f} | {sv / med['fastshear']:,.0f}x | "
              f"{med['onnxruntime'] / med['fastshear']:.2f}x |")
    print(f"\nkernel {fastshear.DenseNet([np.ones((1, 1))], [np.zeros(1)]).kernel}, rounds {args.rounds}, "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
