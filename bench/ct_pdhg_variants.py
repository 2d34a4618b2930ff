"""The PDHG family and smoothed FISTA on ct's shearlet-l1 problem (bench/RESULTS.md, issue: converged
solvers): the candidates of the issue's list that apply one transform set (R pair + SH pair) per
iteration, against ct's ADMM (about 1.5 sets per iteration).

``min_{f >= 0, support} ||R f - g||^2 / 2 + sum_i w_i ||SH_i f||_1`` (ct's default weights),
random ellipses, angles -60..60 in 1 degree steps, 1 % noise, float32, FBP start, the data dual
started at ``R f0 - g`` (its value at the start), the l1 dual at 0:

- ``pdhg``: PDHG with Pock & Chambolle's diagonal steps (sigma = 1 / row sums of |K|, tau = 1 /
  column sums, K = [R; SH], |SH|'s sums from the filters' l1 norms), scaled by a primal weight
  omega (tau * omega, sigma / omega): one set per iteration;
- ``pdhg-restart``: the same, restarted every ``--restart`` iterations at the average of the
  cycle's iterates (PDLP's restart to the average, at a fixed frequency);
- ``mp``: Malitsky & Pock's PDHG with linesearch (2018, Alg. 1; delta 0.99, mu 0.7) in the same
  diagonal metric, ``beta`` the dual-to-primal step ratio: one set per iteration plus an adjoint
  pair per backtrack;
- ``fista``: FISTA on the problem with the l1 term smoothed (Nesterov 2005: the weighted Huber
  function of width ``mu``), with O'Donoghue & Candes' adaptive restart, in the diagonal metric
  ``D = R^T R 1 + ||SH^T W SH|| / mu`` (a majoriser of the smoothed objective's Hessian, so the
  projected step onto the support / non-negativity is exact), ``mu`` continued from ``mu0`` by
  x0.7 every 10 iterations down to ``mu_min`` (``--fista MU0:MU_MIN``): one set per iteration.

The minimiser: ``--ref-iter`` ADMM iterations with 4 CG steps, as bench/ct_convergence.py. Prints
the relative objective gap and the PSNR difference to it every 25 iterations, with the transform
sets spent.

    .venv/bin/python bench/ct_pdhg_variants.py [--size 128] [--seed 7] [--iter 300] [--ref-iter 2000]
        [--omega 0.03 0.1 0.3 1] [--restart 25 60] [--beta 10 100 300 1000] [--fista 2e-3:7e-5 1e-2:1e-4]
"""
import argparse
import math
import warnings

import numpy as np

from ct_convergence import problem  # bench/ is the script's folder
from fastshear import ct, solvers

warnings.simplefilter("ignore")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--iter", type=int, default=300)
    p.add_argument("--ref-iter", type=int, default=2000)
    p.add_argument("--omega", type=float, nargs="*", default=[0.03, 0.1, 0.3, 1.0])
    p.add_argument("--restart", type=int, nargs="*", default=[25, 60])
    p.add_argument("--beta", type=float, nargs="*", default=[10.0, 100.0, 300.0, 1000.0])
    p.add_argument("--fista", nargs="*", default=["2e-3:7e-5", "1e-2:1e-4"], help="MU0:MU_MIN pairs")
    a = p.parse_args()
    n = a.size
    gt, g, R, S, w = problem(n, a.seed)
    sup = R.support
    f = solvers.L1(w, band_ndim=2)
    fbp = (np.maximum(R.fbp(g), 0) * sup).astype(np.float32)

    def obj(x):
        return 0.5 * float(np.sum((R.forward(x).astype(np.float64) - g) ** 2)) + f.value(S.forward(x))

    rho = solvers.ADMM.default_rho(R, S)
    ref = solvers.ADMM(R, g, S, f, support=sup, x0=fbp, cg_steps=4, max_iter=a.ref_iter, tol=0, restart=0.999,
                       rho=rho, constraint_rho=ct.SHEARLET_CONSTRAINT_RHO * rho).run().x
    f_ref, p_ref = obj(ref), ct.metrics(ref, gt)["psnr"]
    print(f"{n}x{n}, random ellipses seed {a.seed}; minimiser: {a.ref_iter} ADMM iterations, objective {f_ref:.2f}, "
          f"PSNR {p_ref:.2f} dB; cells: iteration (transform sets): gap / dB")

    def report(label, pts):
        print(f"{label}: " + " ".join(f"{k}({s:.0f}): {(fx - f_ref) / f_ref:.1e}/{px - p_ref:+.2f}"
                                      for k, s, fx, px in pts), flush=True)

    # Pock-Chambolle diagonal steps
    rs_r = R.forward(sup.astype(np.float32))
    sig_r = np.where(rs_r > 0, 1 / np.maximum(rs_r, 1e-12), 0).astype(np.float32)
    d = np.zeros((n, n), np.float32)
    d[n // 2, n // 2] = 1
    l1 = np.abs(S.forward(d)).sum(axis=(1, 2)).astype(np.float32)  # row sums of |SH| per band
    sig_s = (1 / l1)[:, None, None]
    T = (sup / np.maximum(R.adjoint(np.ones_like(g)) * sup + l1.sum(), 1e-12)).astype(np.float32)
    W = np.asarray(w, np.float32)[:, None, None]

    def pdhg(omega, restart=None):
        x = fbp.copy()
        y = R.forward(x) - g
        z = np.zeros((S.n_shearlets, n, n), np.float32)
        kty = R.adjoint(y) + S.adjoint(z)
        sums, cnt, pts = None, 0, []
        for k in range(1, a.iter + 1):
            xn = np.maximum(x - omega * T * kty, 0) * sup
            xb = 2 * xn - x
            y = (y + sig_r / omega * (R.forward(xb) - g)) / (1 + sig_r / omega)
            z = np.clip(z + sig_s / omega * S.forward(xb), -W, W)
            x = xn
            if restart:
                sums = [x.copy(), y.copy(), z.copy()] if sums is None else [s + v for s, v in zip(sums, (x, y, z))]
                cnt += 1
                if cnt == restart:
                    x, y, z = (s / cnt for s in sums)
                    sums, cnt = None, 0
            kty = R.adjoint(y) + S.adjoint(z)
            if k % 25 == 0:
                pts.append((k, k, obj(x), ct.metrics(x, gt)["psnr"]))
        return pts

    def mp(beta, mu=0.7, delta=0.99):
        x = fbp.copy()
        y = R.forward(x) - g
        z = np.zeros((S.n_shearlets, n, n), np.float32)
        kty = R.adjoint(y) + S.adjoint(z)
        rx, sx = R.forward(x), S.forward(x)
        tau, theta, extra, pts = 1 / math.sqrt(beta), 1.0, 0, []
        for k in range(1, a.iter + 1):
            xn = np.maximum(x - tau * T * kty, 0) * sup
            rxn, sxn = R.forward(xn), S.forward(xn)
            tn = tau * math.sqrt(1 + theta)
            while True:
                th = tn / tau
                rb, sb = rxn + th * (rxn - rx), sxn + th * (sxn - sx)
                yn = (y + beta * tn * sig_r * (rb - g)) / (1 + beta * tn * sig_r)
                zn = np.clip(z + beta * tn * sig_s * sb, -W, W)
                ktyn = R.adjoint(yn) + S.adjoint(zn)
                dk = ktyn - kty
                lhs = math.sqrt(beta) * tn * math.sqrt(float(np.sum(T * dk * dk)))
                rhs = delta * math.sqrt(float(np.sum((yn - y) ** 2 / np.where(sig_r > 0, sig_r, 1)))
                                        + float(np.sum((zn - z) ** 2 / sig_s)))
                if lhs <= rhs:
                    break
                tn *= mu
                extra += 1
            theta, tau = tn / tau, tn
            x, rx, sx, y, z, kty = xn, rxn, sxn, yn, zn, ktyn
            if k % 25 == 0:
                pts.append((k, k + extra / 2, obj(x), ct.metrics(x, gt)["psnr"]))
        return pts

    def fista(mu0, mu_min):
        # ||SH^T W SH||: the largest value of the weighted symbol sum_b w_b |psi_b|^2 (exact: SH is
        # a bank of circular Fourier multipliers)
        lw = float(np.max(np.tensordot(np.asarray(w, float), np.abs(S.spectra) ** 2, axes=1)))
        dr = R.adjoint(R.forward(sup.astype(np.float32)))  # R^T R 1 on the support (>= R^T R, Schur)
        x = fbp.copy()
        y, t, mu, pts = x.copy(), 1.0, mu0, []
        for k in range(1, a.iter + 1):
            if k % 10 == 0:
                mu = max(0.7 * mu, mu_min)
            grad = R.adjoint(R.forward(y) - g) + S.adjoint(W * np.clip(S.forward(y) / mu, -1, 1))
            xn = np.maximum(y - grad / (dr + 1.05 * lw / mu), 0) * sup
            tn = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
            if float(np.vdot(y - xn, xn - x)) > 0:  # adaptive restart
                tn, y = 1.0, xn.copy()
            else:
                y = xn + ((t - 1) / tn) * (xn - x)
            x, t = xn, tn
            if k % 25 == 0:
                pts.append((k, k, obj(x), ct.metrics(x, gt)["psnr"]))
        return pts

    for spec in a.fista:
        mu0, mu_min = (float(v) for v in spec.split(":"))
        report(f"fista mu {mu0:g} -> {mu_min:g}", fista(mu0, mu_min))
    for om in a.omega:
        report(f"pdhg omega {om:g}", pdhg(om))
    for rs in a.restart:
        for om in a.omega:
            report(f"pdhg-restart {rs} omega {om:g}", pdhg(om, rs))
    for b in a.beta:
        report(f"mp beta {b:g}", mp(b))


if __name__ == "__main__":
    main()
