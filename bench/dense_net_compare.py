"""Interleaved side-by-side timing of fastshear.DenseNet, onnxruntime and torch (the table in
bench/RESULTS.md, "Dense networks").

On a shared, noisy machine pytest-benchmark's back-to-back groups can put one backend in a quiet
spell and the next in a busy one. Here every round times each backend once, in turn, on the same
input, and the table reports the median over rounds (each round: the mean of n calls).

    .venv/bin/python bench/dense_net_compare.py [--rounds 15] [--markdown]
"""
import argparse
import os
import statistics
import sys
import time


sys.path.insert(0, os.path.dirname(__file__))
import fastshear  # noqa: E402
from bench_dense_net import KERNELS, NETS, _onnx_session, _weights, _x  # noqa: E402


def _timer(f, n):
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n * 1e6


def _compare(fns, work, rounds):
    n = max(1, min(3000, int(2e8 / max(work, 1))))
    for f in fns.values():
        f()
    t = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t[k].append(_timer(f, n))
    return {k: statistics.median(v) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    import torch

    fmt = lambda v: f"{v:.1f}" if v < 1000 else f"{v:.0f}"  # noqa: E731
    res = {}
    for name, widths in NETS.items():
        W, b = _weights(widths)
        macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
        for B in (1, 64, 4096):
            x = _x(widths, B)
            xt = torch.from_numpy(x)
            for th in (1, 2):
                f = fastshear.DenseNet(W, b, workers=th)
                s = _onnx_session(W, b, th)
                torch.set_num_threads(th)
                m = f.to_torch().eval()

                def tr():
                    with torch.inference_mode():
                        return m(xt)
                r = _compare({"fastshear": lambda: f(x), "onnxruntime": lambda: s.run(None, {"x": x}),
                              "torch": tr}, B * macs, args.rounds)
                res[(name, B, th)] = r
                print(f"{name} B={B} {th}t: " + ", ".join(f"{k} {fmt(v)}" for k, v in r.items()), file=sys.stderr)
    print("Microseconds per call (median of rounds), 1 thread || 2 threads; ratio = onnxruntime / fastshear.\n")
    print("| net | backend | B = 1 | B = 64 | B = 4096 |\n|---|---|---|---|---|")
    for name in NETS:
        for be in ("fastshear", "onnxruntime", "torch", "ratio"):
            cells = []
            for B in (1, 64, 4096):
                if be == "ratio":
                    cells.append(" || ".join(f"{res[(name, B, t)]['onnxruntime'] / res[(name, B, t)]['fastshear']:.2f}x"
                                             for t in (1, 2)))
                else:
                    cells.append(" || ".join(fmt(res[(name, B, t)][be]) for t in (1, 2)))
            print(f"| {name if be == 'fastshear' else ''} | {be} | " + " | ".join(cells) + " |")

    widths = NETS["64-512x6-256"]
    W, b = _weights(widths)
    x = _x(widths, 64)
    macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    print("\n64-512x6-256, batch 64, 90 % of each layer's weights pruned (magnitude):\n")
    print("| threads | dense | pruned, sparse (CSR) | pruned, run dense | dense / sparse |\n|---|---|---|---|---|")
    for th in (1, 2):
        d = fastshear.DenseNet(W, b, workers=th)
        p = d.prune(fraction=0.9)
        pd = fastshear.DenseNet(p.weights, p.biases, workers=th, sparse_threshold=0)
        r = _compare({"d": lambda: d(x), "p": lambda: p(x), "pd": lambda: pd(x)}, 64 * macs, args.rounds)
        print(f"| {th} | {fmt(r['d'])} | {fmt(r['p'])} | {fmt(r['pd'])} | {r['d'] / r['p']:.1f}x |")

    print("\nLRP, batch 256, 1 thread (cost relative to the forward pass):\n")
    print("| net | forward us | epsilon | zplus | alphabeta (2, 1) |\n|---|---|---|---|---|")
    for name in ("16-256x4-16", "64-512x6-256"):
        widths = NETS[name]
        W, b = _weights(widths)
        x = _x(widths, 256)
        macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
        f = fastshear.DenseNet(W, b, workers=1)
        r = _compare({"fwd": lambda: f(x), "epsilon": lambda: f.relevance(x, rule="epsilon"),
                      "zplus": lambda: f.relevance(x, rule="zplus"),
                      "alphabeta": lambda: f.relevance(x, rule="alphabeta")}, 256 * macs * 4, args.rounds)
        print(f"| {name} | {fmt(r['fwd'])} | " + " | ".join(f"{r[k] / r['fwd']:.2f}x" for k in
                                                              ("epsilon", "zplus", "alphabeta")) + " |")
    print("\nKernels:", "; ".join(f"{k}: {v}" for k, v in KERNELS.items()))


if __name__ == "__main__":
    main()
