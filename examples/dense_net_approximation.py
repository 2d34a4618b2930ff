"""Approximating a cartoon-like function (Kutyniok, Def. 3.2) by ReLU networks of growing width.

Trains 2 -> w x 3 -> 1 ReLU networks (w = 8 ... 128) with fastshear.nn.fit (PyTorch), evaluates
them with fastshear.DenseNet, and plots the L2 error against the complexity C(Phi) (Def. 3.6,
the number of non-zero weights and biases) on log-log axes with the fitted slope.

    pip install 'fastshear[torch,plot]'      # or: pip install torch==2.13.0 matplotlib
    python examples/dense_net_approximation.py [--quick] [--out DIR]

Takes about a minute of CPU time (--quick: seconds). Writes DIR/dense_net_approximation.png
(default DIR: fastshear-output).
"""
import argparse
import os
import time

import numpy as np

import fastshear


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer widths and epochs (a smoke test)")
    ap.add_argument("--out", default="fastshear-output")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)  # tiny layers: a second thread only adds synchronisation
    n = 64 if args.quick else 96
    f = fastshear.phantoms.cartoon((n, n), seed=3, n_regions=2)
    # pixel centres of [-1, 1]^2 and the function's values there
    t = (np.arange(n) + 0.5) / n * 2 - 1
    X = np.stack(np.meshgrid(t, t[::-1]), -1).reshape(-1, 2).astype(np.float32)
    Y = f.reshape(-1, 1).astype(np.float32)

    widths = [8, 16, 32] if args.quick else [8, 16, 32, 64, 128]
    epochs = 15 if args.quick else 80
    rows = []
    t0 = time.perf_counter()
    for w in widths:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, w), torch.nn.ReLU(), torch.nn.Linear(w, w), torch.nn.ReLU(),
                                    torch.nn.Linear(w, w), torch.nn.ReLU(), torch.nn.Linear(w, 1))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        lr_decay = sched(opt, T_max=epochs)
        fastshear.nn.fit(model, X, Y, epochs=epochs, optimizer=opt, batch_size=256, seed=0, progress=False,
                         callbacks=[lambda epoch, history, m: lr_decay.step()])
        net = fastshear.DenseNet.from_torch(model)
        err = float(np.sqrt(np.mean((net(X) - Y) ** 2)))  # L2 error on [-1, 1]^2 (normalised)
        rows.append((w, net.complexity, err))
        print(f"width {w:4d}   C(Phi) = {net.complexity:6d}   L2 error {err:.4f}   ({time.perf_counter() - t0:.0f} s)")

    C = np.array([r[1] for r in rows], float)
    E = np.array([r[2] for r in rows], float)
    slope, icpt = np.polyfit(np.log(C), np.log(E), 1)
    print(f"fitted slope of log(error) against log(C): {slope:.2f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    ax[0].imshow(f, cmap="gray", extent=(-1, 1, -1, 1))
    ax[0].set_title("cartoon-like f")
    best = fastshear.DenseNet.from_torch(model)
    ax[1].imshow(best(X).reshape(n, n), cmap="gray", extent=(-1, 1, -1, 1))
    ax[1].set_title(f"ReLU net, width {widths[-1]}")
    ax[2].loglog(C, E, "o-", label="trained networks")
    ax[2].loglog(C, np.exp(icpt) * C ** slope, "--", label=f"fit: slope {slope:.2f}")
    ax[2].set_xlabel("complexity C(Phi)")
    ax[2].set_ylabel("L2 error")
    ax[2].legend()
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "dense_net_approximation.png")
    fig.savefig(path, dpi=100)
    print("wrote", path)


if __name__ == "__main__":
    main()
