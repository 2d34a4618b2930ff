"""Parametric diffusion surrogates: relative H^1 error against C(Phi) and against p, per family.

For each coefficient family of Geist et al. (T1 trigonometric, T2 chessboard, T3 cookies, T4
polynomial; fastshear.pde) and a few parameter dimensions p, trains 2 -> w x 3 -> (n-1)^2 ReLU
MLPs of a few widths w with fastshear.nn.fit (relative H^1 loss), moves them to fastshear.DenseNet
and plots the relative H^1 test error (engine output) against the complexity C(Phi) and against p
on log-log axes. The paper's qualitative finding: the error is governed by the family's intrinsic
difficulty (smooth T1 << piecewise-constant T2/T3) and depends only mildly on p.

    pip install 'fastshear[torch,plot]' scipy      # or: pip install torch==2.13.0 matplotlib scipy
    python examples/parametric_pde.py [--quick] [--out DIR]

Full run: n = 32, 4000 training / 500 test samples, 150 epochs, widths 64, 128, 256, ten
(family, p) cases: about an hour of one core (data sets are cached in ~/.cache/fastshear/pde).
--quick: n = 16, 1000 samples, 40 epochs, widths 32 and 128, four cases (a few minutes). Writes
DIR/parametric_pde.png and DIR/parametric_pde.json (default DIR: fastshear-output).
"""
import argparse
import json
import os
import time

from fastshear import pde


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller grid, fewer samples, epochs and cases")
    ap.add_argument("--out", default="fastshear-output")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if args.quick:
        n, n_train, n_test, epochs, widths = 16, 1000, 200, 40, [32, 128]
        cases = [pde.trigonometric(2), pde.trigonometric(8), pde.chessboard(2), pde.chessboard(3)]
    else:
        n, n_train, n_test, epochs, widths = 32, 4000, 500, 150, [64, 128, 256]
        cases = [pde.trigonometric(2), pde.trigonometric(4), pde.trigonometric(8),
                 pde.chessboard(2), pde.chessboard(3), pde.cookies(2), pde.cookies(3),
                 pde.polynomial(1), pde.polynomial(2), pde.polynomial(3)]
    rows = []
    for fam in cases:
        for w in widths:
            t = time.perf_counter()
            s = pde.train_surrogate(fam, n, n_train=n_train, n_test=n_test, hidden=[w] * 3, epochs=epochs,
                                    progress=False)
            rows.append({"family": fam.name, "label": fam.label, "p": fam.p, "width": w,
                         "complexity": s.net.complexity, "rel_h1_error": s.test_error,
                         "mean_predictor": s.mean_error, "seconds": time.perf_counter() - t})
            print(f"{fam.label:<32} width {w:>4}  C(Phi) {s.net.complexity:>8}  rel. H^1 error "
                  f"{s.test_error:.4f} (training mean {s.mean_error:.4f})  {rows[-1]['seconds']:.0f} s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "parametric_pde.json"), "w") as f:
        json.dump({"n": n, "n_train": n_train, "n_test": n_test, "epochs": epochs, "rows": rows}, f, indent=2)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    markers = {"trigonometric": "o", "chessboard": "s", "cookies": "D", "polynomial": "^"}
    for label in dict.fromkeys(r["label"] for r in rows):
        rs = [r for r in rows if r["label"] == label]
        axes[0].loglog([r["complexity"] for r in rs], [r["rel_h1_error"] for r in rs],
                       markers[rs[0]["family"]] + "-", label=label)
    for fam in dict.fromkeys(r["family"] for r in rows):
        for w, ls in zip(widths, [":", "--", "-"][-len(widths):]):
            rs = sorted((r for r in rows if r["family"] == fam and r["width"] == w), key=lambda r: r["p"])
            axes[1].loglog([r["p"] for r in rs], [r["rel_h1_error"] for r in rs], markers[fam] + ls,
                           label=f"{fam}, width {w}")
    axes[0].set_xlabel("complexity C(Phi)")
    axes[1].set_xlabel("parameter dimension p")
    for a in axes:
        a.set_ylabel("relative H^1 test error")
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=7)
    fig.suptitle(f"ReLU surrogates of y -> u_y, n = {n}, {n_train} training samples, {epochs} epochs", fontsize=11)
    fig.tight_layout()
    path = os.path.join(args.out, "parametric_pde.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
