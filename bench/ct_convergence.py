"""Convergence of the CT solvers on one limited-angle problem (bench/RESULTS.md, issue: converged
solvers): shearlet-l1 with ct's default weights, solved by

- ``admm``: solvers.ADMM as ct.reconstruct runs it (FBP start, PCG x-updates with the Fourier
  preconditioner, momentum with restart on the regulariser's split, support constraint with the
  penalty ``ct.SHEARLET_CONSTRAINT_RHO * rho``);
- ``admm-rho``: the same with the constraint penalty equal to rho (the previous default);
- ``admm-plain``: ``admm`` without momentum;
- ``pdhg``: the first default (plain PDHG from zero, tau/sigma = 0.1 of the normalised problem,
  no support constraint);

or, with ``--tv``, TV by SPDHG (ct's solver) against ADMM (ct's previous TV solver).

Cost is counted in transform sets (one R.forward + R.adjoint + SH.forward + SH.adjoint, timed in
the same run, each into a reused output as the solver applies it): "sets" counts the transforms an
iteration applies (3 R pairs + 1 SH pair), "wall sets" its measured wall time (median of 3 runs of
20 steps) over that of one set. The minimiser is approximated by ``--ref-iter`` iterations of
ADMM with 4 CG steps (float32); the relative objective gap and the PSNR difference to it are
reported at checkpoints, with the first iteration from which both stay within 1e-3 and 0.1 dB,
and a log-scale plot.

    .venv/bin/python bench/ct_convergence.py [--size 128] [--iter 150] [--ref-iter 1500] [--seed 7]
        [--tv] [--scan 0.2 0.4 1]
"""
import argparse
import time

import numpy as np

import fastshear
from fastshear import ct, phantoms, solvers


def timed(f, k=5):
    ts = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def pair_times(R, S, x):
    """Median times of ``R.adjoint(R.forward(x))`` and ``S.adjoint(S.forward(x))`` written into
    reused outputs, as the solvers apply them (a fresh 13 MB coefficient array per call would time
    the page faults of its first touch too)."""
    out = []
    for T in (R, S):
        if T is None:
            out.append(None)
            continue
        y = T.forward(x)
        xb = np.empty_like(x)
        out.append(timed(lambda T=T, y=y, xb=xb: T.adjoint(T.forward(x, out=y), out=xb), k=15))
    return out


def per_iteration(make, iters=20, k=3):
    """Median wall time of one solver step (``iters`` steps after a first one, ``k`` times)."""
    ts = []
    for _ in range(k):
        sv = make()
        sv.step()
        t = time.perf_counter()
        for _ in range(iters):
            sv.step()
        ts.append((time.perf_counter() - t) / iters)
    return float(np.median(ts))


def default_level(g, theta, n, method):
    """ct's default regularisation level for this sinogram (its rule, read from its info)."""
    return ct.reconstruct(g, theta, (n, n), method, max_iter=1, return_info=True)[1]["lam"]


def problem(n, seed):
    """The problem of this script and bench/ct_pdhg_variants.py: random ellipses (``seed``), angles
    -60..60 in 1 degree steps, exact line integrals, 1 % Gaussian noise (seed ``100 + seed``),
    float32; ground truth, sinogram, Radon and 4-scale shearlet plans, ct's default weights."""
    theta = np.arange(-60, 61, 1.0)
    e = phantoms.random_ellipses((n, n), seed=seed)
    gt = phantoms.ellipse_image(e, (n, n))
    g = phantoms.ellipse_sinogram(e, theta, n)
    g = (g + 0.01 * np.sqrt(np.mean(g ** 2)) * np.random.default_rng(100 + seed).standard_normal(g.shape))
    g = g.astype(np.float32)
    R = fastshear.Radon2D((n, n), theta, dtype=np.float32)
    S = fastshear.Shearlet2D((n, n), 4, dtype=np.float32)
    return gt, g, R, S, ct.default_weights(S, default_level(g, theta, n, "shearlet-l1"))


def first_hit(pts):
    """The first checkpoint from which the gap stays <= 1e-3 and the PSNR within 0.1 dB."""
    hit = None
    for it, gap, dp in pts:
        hit = (hit or it) if (gap <= 1e-3 and abs(dp) <= 0.1) else None
    return hit


def plot(curves, xlabel, title, path):
    """Relative objective gap (log scale) and PSNR difference against the cost, one line per
    method (curves: name -> [(cost, gap, dB)]); nothing without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for name, pts in curves.items():
        c = [q[0] for q in pts]
        ax[0].semilogy(c, [max(q[1], 1e-7) for q in pts], label=name)
        ax[1].plot(c, [q[2] for q in pts], label=name)
    ax[0].set_xlabel(xlabel), ax[0].set_ylabel("relative objective gap")
    ax[1].set_xlabel(xlabel), ax[1].set_ylabel("PSNR - minimiser's PSNR (dB)")
    ax[1].set_ylim(-6, 1)
    for x_ in ax:
        x_.grid(True, alpha=0.3), x_.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


def tv_convergence(a, R, g, gt, lev, sup, fbp, x1):
    """TV as ct.reconstruct solves it (its scaled problem): SPDHG over angle subsets (ct's
    settings; cost in R pairs = epochs, each about one R and one R^T, plus 2 for the set-up: the
    step sizes from R on ones and the first duals) against ADMM with the previous ct settings (2
    CG steps = 2 R pairs per iteration, penalty 6 and constraint penalty 9 x the default rho,
    momentum)."""
    from fastshear.operators import Gradient2D

    n = a.size
    K, f = Gradient2D((n, n), dtype=np.float32), solvers.L21(1.0)
    gs, x0 = g / lev, fbp / lev
    theta = R.theta
    tR = pair_times(R, None, x1)[0]

    def obj(x):
        return 0.5 * float(np.sum((R.forward(x).astype(np.float64) - gs) ** 2)) + f.value(K.forward(x))

    r0 = solvers.ADMM.default_rho(R, K)
    ref = solvers.ADMM(R, gs, K, f, support=sup, x0=x0, rho=3 * r0, restart=0.0, cg_steps=6, max_iter=a.ref_iter,
                       tol=0).run().x
    f_ref, p_ref = obj(ref), ct.metrics(ref * lev, gt)["psnr"]
    print(f"{n}x{n}: R pair {tR * 1e3:.2f} ms; reference: {a.ref_iter} iterations of plain ADMM "
          f"(6 CG steps, rho and constraint penalty 3 x the default rho): objective {f_ref:.6g}, PSNR {p_ref:.2f} dB")
    m = max(1, round(theta.size / ct.TV_SUBSET_ANGLES))
    rows = [np.arange(i, theta.size, m) for i in range(m)]
    blocks = [fastshear.Radon2D((n, n), theta[r], dtype=np.float32) for r in rows]

    def make_spdhg(cb=None, it=10 ** 6):
        return solvers.SPDHG(blocks, [gs[r] for r in rows], K, f, support=sup, x0=x0, gamma=ct.TV_GAMMA,
                             reg_prob=ct.TV_REG_PROB, max_iter=it, tol=0, callback=cb)

    def make_admm(cb=None, it=10 ** 6):
        return solvers.ADMM(R, gs, K, f, support=sup, x0=x0, rho=6 * r0, constraint_rho=9 * r0, restart=0.999,
                            cg_steps=2, max_iter=it, tol=0, callback=cb)

    curves = {}
    print("| TV solver | ms per iteration | iterations to 1e-3 and 0.1 dB | R pairs | wall time in R pairs | seconds "
          "| ct's rule (tol) stops at: iteration, gap / dB |")
    print("|---|---|---|---|---|---|---|")
    for name, make, pairs, extra, tol in (
            (f"spdhg ({m} subsets, gamma {ct.TV_GAMMA:g}, reg_prob {ct.TV_REG_PROB:g}; iteration = epoch)",
             make_spdhg, 1, 2, ct.TV_TOL),
            ("admm (previous settings: 2 CG steps, rho 6, constraint 9 x the default rho, momentum)", make_admm, 2, 0,
             1e-3)):
        wall = per_iteration(make, iters=10)
        pts, stop = [], []

        def cb(it, x, info, tol=tol):
            gap, dp = (obj(x) - f_ref) / f_ref, ct.metrics(x * lev, gt)["psnr"] - p_ref
            pts.append((it, gap, dp))
            if not stop and info["rel_residual"] <= tol:
                stop.append((it, gap, dp))

        make(cb=cb, it=a.iter).run()
        hit = first_hit(pts)
        rule = f"{stop[0][0]}: {stop[0][1]:.1e} / {stop[0][2]:+.2f}" if stop else f"> {a.iter}"
        row = (f"{hit} | {hit * pairs + extra} | {hit * wall / tR:.0f} | {hit * wall:.2f}" if hit
               else f"> {a.iter} | > {a.iter * pairs + extra} | > {a.iter * wall / tR:.0f} | > {a.iter * wall:.2f}")
        print(f"| {name} | {wall * 1e3:.1f} | {row} | {rule} (tol {tol:g}) |")
        print("  " + " ".join(f"{it}:{gap:.1e}/{dp:+.2f}" for it, gap, dp in pts if it % 10 == 0))
        curves[name.split(" (")[0]] = [(it * pairs + extra, gap, dp) for it, gap, dp in pts]
    plot(curves, "R pairs (R.forward + R.adjoint)", f"TV, {n}x{n}, angles -60..60, 1 % noise",
         a.plot or f"bench/ct_convergence_tv_{n}.png")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--iter", type=int, default=150)
    p.add_argument("--ref-iter", type=int, default=1500)
    p.add_argument("--plot", default=None, help="default bench/ct_convergence[_tv]_SIZE.png")
    p.add_argument("--tv", action="store_true", help="TV instead of shearlet-l1 (cost in R pairs)")
    p.add_argument("--scan", type=float, nargs="*", default=None,
                   help="only report iterations to 1e-3 / 0.1 dB for these constraint penalties (x rho)")
    a = p.parse_args()
    n = a.size
    gt, g, R, S, w = problem(n, a.seed)
    theta = R.theta
    f = solvers.L1(w, band_ndim=2)
    sup = R.support
    fbp = np.maximum(R.fbp(g), 0) * sup
    x1 = np.ascontiguousarray(gt, np.float32)
    if a.tv:
        return tv_convergence(a, R, g, gt, default_level(g, theta, n, "tv"), sup, fbp, x1)
    tR, tS = pair_times(R, S, x1)
    print(f"{n}x{n}: R pair {tR * 1e3:.2f} ms, SH pair {tS * 1e3:.2f} ms (medians of 15, into reused outputs)")

    def obj(x):
        return 0.5 * float(np.sum((R.forward(x).astype(np.float64) - g) ** 2)) + f.value(S.forward(x))

    rho = solvers.ADMM.default_rho(R, S)
    ref = solvers.admm(R, g, S, f, support=sup, x0=fbp, cg_steps=4, max_iter=a.ref_iter, tol=0).x
    f_ref, p_ref = obj(ref), ct.metrics(ref, gt)["psnr"]
    print(f"reference: {a.ref_iter} ADMM iterations (4 CG steps): objective {f_ref:.6g}, PSNR {p_ref:.2f} dB")
    base = dict(support=sup, x0=fbp, rho=rho)
    if a.scan:
        print("| constraint penalty (x rho) | iterations to 1e-3 and 0.1 dB | gap / dB after --iter |")
        print("|---|---|---|")
        for c in a.scan:
            pts = []
            solvers.admm(R, g, S, f, max_iter=a.iter, tol=0, constraint_rho=c * rho, **base,
                         callback=lambda it, x, info, pts=pts: pts.append(
                             (it, (obj(x) - f_ref) / f_ref, ct.metrics(x, gt)["psnr"] - p_ref)) if it % 10 == 0 else None)
            print(f"| {c:g} | {first_hit(pts) or f'> {a.iter}'} | {pts[-1][1]:.1e} / {pts[-1][2]:+.2f} |", flush=True)
        return
    runs = {
        "admm": dict(base, constraint_rho=ct.SHEARLET_CONSTRAINT_RHO * rho),
        "admm-rho": dict(base, constraint_rho=rho),
        "admm-plain": dict(base, constraint_rho=ct.SHEARLET_CONSTRAINT_RHO * rho, restart=0.0),
    }
    curves, hits, walls = {}, {}, {}
    for name, kw in runs.items():
        walls[name] = per_iteration(lambda kw=kw: solvers.ADMM(R, g, S, f, max_iter=10 ** 6, tol=0, **kw))
        pts = []
        cost = (3 * tR + tS) / (tR + tS)
        cb = (lambda it, x, info, pts=pts:
              pts.append((it, (obj(x) - f_ref) / f_ref, ct.metrics(x, gt)["psnr"] - p_ref))
              if it % 10 == 0 else None)
        solvers.admm(R, g, S, f, max_iter=a.iter, tol=0, callback=cb, **kw)
        curves[name] = [(it * cost, gap, dp) for it, gap, dp in pts]
        hits[name] = first_hit(pts)
    pts = []
    cb = (lambda it, x, info: pts.append((it, (obj(np.maximum(x, 0)) - f_ref) / f_ref,
                                          ct.metrics(np.maximum(x, 0), gt)["psnr"] - p_ref))
          if it % 10 == 0 else None)
    solvers.pdhg([R, S], [solvers.SquaredL2(g), f], solvers.NonNegative(), max_iter=int(a.iter * 2), tol=0,
                 ratio=0.1, callback=cb)
    curves["pdhg"] = pts
    t_set = tR + tS
    print("| method | ms per iteration | wall sets per iteration | iterations to 1e-3 and 0.1 dB "
          "| sets | wall sets | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, hit in hits.items():
        w = walls[name] / t_set
        c = (3 * tR + tS) / t_set
        row = (f"{hit} | {hit * c:.0f} | {hit * w:.0f} | {hit * walls[name]:.2f}" if hit
               else f"> {a.iter} | > {a.iter * c:.0f} | > {a.iter * w:.0f} | > {a.iter * walls[name]:.2f}")
        print(f"| {name} | {walls[name] * 1e3:.1f} | {w:.2f} | {row} |")
    print()
    print("| method | transform sets | rel. objective gap | PSNR - minimiser's (dB) |")
    print("|---|---|---|---|")
    for name, pts in curves.items():
        for c, gap, dp in pts[1::2]:
            print(f"| {name} | {c:.0f} | {gap:.2e} | {dp:+.2f} |")
    plot(curves, "transform sets", f"shearlet-l1, {n}x{n}, angles -60..60, 1 % noise",
         a.plot or f"bench/ct_convergence_{n}.png")

if __name__ == "__main__":
    main()
