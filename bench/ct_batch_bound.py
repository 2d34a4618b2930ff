"""What solving B shearlet-l1 problems together can gain on this machine (bench/RESULTS.md, issue:
converged solvers): ct's ADMM (3 CG steps, momentum, constraint penalty, support), random-ellipse
sinograms, float32, per iteration and problem:

- ``alone``: one problem, ``--threads`` threads (what B separate calls pay);
- ``batch``: the B problems in one solver (per problem);
- the transforms an iteration applies (3.05 R pairs: 3 CG steps and every 20th iteration a
  refresh; 1 SH pair), into reused outputs as the solver applies them: on one image with the
  threads, on the batch with the threads (per image), and on one image with 1 thread divided by
  the threads (``ideal``: perfect scaling over the cores, the least a batch pays for its transforms
  when they share no work between images);
- ``rest``: the iteration less its transforms (the splitting step, the Fourier preconditioner, the
  CG's vector updates, Python).

The bound is ``alone / (ideal + the batch's rest)``: the throughput gain of a batch whose
transforms scale perfectly over the cores and whose other work costs what it costs now; and
``alone's transforms / ideal``, the gain if the other work vanished alone and in the batch alike
(it is per-problem work either way), the most a batch gains without sharing transform work
between images.
Interleaved rounds, medians.

    .venv/bin/python bench/ct_batch_bound.py [--size 128] [--batch 8] [--threads 2] [--rounds 5]
"""
import argparse
import warnings

import numpy as np

import fastshear
from ct_convergence import timed  # bench/ is the script's folder
from fastshear import ct, phantoms, solvers

warnings.simplefilter("ignore")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--iter", type=int, default=20)
    a = p.parse_args()
    n, nb, nt = a.size, a.batch, a.threads
    theta = np.arange(-60, 61, 1.0)
    gs = np.stack([phantoms.ellipse_sinogram(phantoms.random_ellipses((n, n), seed=s), theta, n)
                   for s in range(nb)]).astype(np.float32)
    R = fastshear.Radon2D((n, n), theta, dtype=np.float32, workers=nt)
    K = fastshear.Shearlet2D((n, n), ct.default_scales((n, n)), dtype=np.float32, workers=nt)
    f = solvers.L1(ct.default_weights(K, 0.05), band_ndim=2)
    rho = solvers.ADMM.default_rho(R, K)
    kw = dict(rho=rho, constraint_rho=ct.SHEARLET_CONSTRAINT_RHO * rho, cg_steps=3, restart=0.999)
    pairs = 3 + 1 / solvers.ADMM.REFRESH

    def iteration(g):
        s = solvers.ADMM(R, g, K, f, support=R.support, max_iter=a.iter + 2, tol=0, **kw)
        s.step(), s.step()
        return timed(lambda: [s.step() for _ in range(a.iter)], 1) / a.iter

    def transforms(x, workers):
        y, c = R.forward(x, workers=workers), K.forward(x, workers=workers)
        xr, xs = np.empty_like(x), np.empty_like(x)
        tr = timed(lambda: R.adjoint(R.forward(x, out=y, workers=workers), out=xr, workers=workers), 9)
        ts = timed(lambda: K.adjoint(K.forward(x, out=c, workers=workers), out=xs, workers=workers), 9)
        return pairs * tr + ts

    x1 = np.ascontiguousarray(phantoms.ellipse_image(phantoms.random_ellipses((n, n), seed=0), (n, n)), np.float32)
    xb = np.repeat(x1[None], nb, axis=0)
    cols = {k: [] for k in ("alone", "batch", "T alone", "T batch", "T ideal")}
    for _ in range(a.rounds):
        cols["alone"].append(iteration(gs[0]))
        cols["batch"].append(iteration(gs) / nb)
        cols["T alone"].append(transforms(x1, nt))
        cols["T batch"].append(transforms(xb, nt) / nb)
        cols["T ideal"].append(transforms(x1, 1) / nt)
    m = {k: np.median(v) * 1e3 for k, v in cols.items()}
    rest_a, rest_b = m["alone"] - m["T alone"], m["batch"] - m["T batch"]
    print(f"shearlet-l1 ADMM, {n}x{n}, B = {nb}, {nt} threads, {K.scales} scales; ms per iteration and problem, "
          f"medians of {a.rounds} interleaved rounds:")
    print("| | iteration | its transforms (3.05 R pairs + 1 SH pair) | the rest |")
    print("|---|---|---|---|")
    print(f"| alone | {m['alone']:.2f} | {m['T alone']:.2f} | {rest_a:.2f} |")
    print(f"| batch | {m['batch']:.2f} | {m['T batch']:.2f} | {rest_b:.2f} |")
    print(f"| bound: ideal transforms + the batch's rest | {m['T ideal'] + rest_b:.2f} | {m['T ideal']:.2f} "
          f"| {rest_b:.2f} |")
    print(f"throughput of the batch: {m['alone'] / m['batch']:.2f}x; bound: {m['alone'] / (m['T ideal'] + rest_b):.2f}x; "
          f"without any other work, alone or in the batch: {m['T alone'] / m['T ideal']:.2f}x")


if __name__ == "__main__":
    main()
