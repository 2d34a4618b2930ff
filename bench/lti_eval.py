"""Learning the invisible: the evaluation of bench/RESULTS.md, one command.

    PYTHONPATH=python nice -n 5 python bench/lti_eval.py [--model PATH] [--n-test 12] [--out DIR]

Trains (or loads) the default LtI model (``fastshear.lti.train`` with the defaults of
``fastshear train-lti``) and the image-domain baselines (the same U-net, same data, epochs and
early stopping, post-processing the FBP image and the shearlet-l1 image, residual), then scores
on held-out images never used in training:

- random ellipses (seed 3) and random polygons (seed 4), ``--n-test`` each,
- the modified Shepp-Logan phantom, scikit-image's ``camera`` (rendered at 256, 128 x 128 pixels
  as 2x2 averages, cut to the disc, scaled to [0, 1]),

at 128 x 128, 1 % noise, angles -60..60 and [30, 150] (1 degree steps): FBP, SIRT, TV,
shearlet-l1 (step 1), LtI, U-net(FBP), U-net(shearlet-l1): relative error, PSNR, SSIM, and the
relative error of LtI's invisible coefficients (zero-fill 1.0).

[30, 150] is the transpose of -60..60 (Radon2D: transposing the image maps angle t to
-90 - t, and -150..-30 measures the lines of 30..150 with the detector reversed). FBP, SIRT, TV
and shearlet-l1 run natively on [30, 150]; LtI and the U-nets (trained on -60..60) run on the
transposed problem (the same noisy data, detector reversed) and their images are transposed
back.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import fastshear
from fastshear import ct, lti

warnings.simplefilter("ignore")
N = 128


def camera(n=N):
    from skimage import data
    from skimage.transform import resize

    fine = resize(data.camera().astype(np.float64) / 255.0, (2 * n, 2 * n), anti_aliasing=True)
    y = (n - np.arange(2 * n))[:, None]
    x = (np.arange(2 * n) - n)[None, :]
    fine = fine * (x * x + y * y <= (0.9 * n) ** 2)
    return fine


def fine_sinogram(fine, theta, n_det=N):
    """Sinogram of an image rendered at twice the resolution (as lti.phantom_sinogram's cartoons)."""
    n2 = fine.shape[0]
    nf = 2 * n_det + 3
    s = fastshear.Radon2D((n2, n2), theta, n_det=nf, circle=False).forward(fine) / 2.0
    k = 2 * (np.arange(n_det) - n_det // 2) + n_det + 1
    return 0.25 * s[:, k - 1] + 0.5 * s[:, k] + 0.25 * s[:, k + 1]


def test_sets(noise, n_test):
    """{name: (truth (B,N,N), sinogram -60..60 (B,121,N), sinogram 30..150 (B,121,N))}"""
    tA = np.arange(-60, 61.0)
    tB = np.arange(30, 151.0)
    sets = {}
    for name, kind, seed in (("ellipses", "ellipses", 3), ("polygons", "polygons", 4)):
        truth, gA, gB = [], [], []
        for k in range(n_test):
            img, d = lti.random_phantom((N, N), [seed, k, 1], kind)
            rng = np.random.default_rng([seed, k])
            a = lti.phantom_sinogram(d, (N, N), tA, N)
            b = lti.phantom_sinogram(d, (N, N), tB, N)
            truth.append(img)
            gA.append(a + noise * np.sqrt(np.mean(a ** 2)) * rng.standard_normal(a.shape))
            gB.append(b + noise * np.sqrt(np.mean(b ** 2)) * rng.standard_normal(b.shape))
        sets[name] = (np.array(truth), np.array(gA), np.array(gB))
    e = fastshear.phantoms.shepp_logan_ellipses((N, N))
    rng = np.random.default_rng(5)
    a = fastshear.phantoms.ellipse_sinogram(e, tA, N)
    b = fastshear.phantoms.ellipse_sinogram(e, tB, N)
    sets["shepp-logan"] = (fastshear.phantoms.ellipse_image(e, (N, N))[None],
                           (a + noise * np.sqrt(np.mean(a ** 2)) * rng.standard_normal(a.shape))[None],
                           (b + noise * np.sqrt(np.mean(b ** 2)) * rng.standard_normal(b.shape))[None])
    fine = camera()
    rng = np.random.default_rng(6)
    a, b = fine_sinogram(fine, tA), fine_sinogram(fine, tB)
    sets["camera"] = (lti._downsample2(fine, (N, N))[None],
                      (a + noise * np.sqrt(np.mean(a ** 2)) * rng.standard_normal(a.shape))[None],
                      (b + noise * np.sqrt(np.mean(b ** 2)) * rng.standard_normal(b.shape))[None])
    return sets


def transposed_data(gB):
    """The [30, 150] data as the -60..60 data of the transposed image: row for t in -60..60 is
    the row for 90 - t, detector reversed (bin k <- bin N - k; bin 0, at s = -64, is outside
    the disc)."""
    rows = gB[..., ::-1, :]  # t = -60..60 <- 90 - t = 150..30
    out = np.zeros_like(rows)
    out[..., 1:] = rows[..., :0:-1]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="a trained LtI model (default: train one with train-lti's defaults)")
    p.add_argument("--n-train", type=int, default=400)
    p.add_argument("--n-val", type=int, default=32)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--step1-iter", type=int, default=None)
    p.add_argument("--n-test", type=int, default=12)
    p.add_argument("--tv-iter", type=int, default=200)
    p.add_argument("--out", default="lti-eval-output")
    p.add_argument("--no-baselines", action="store_true", help="skip the image-domain U-nets")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default torch's)")
    args = p.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cfg = lti.LtIConfig(step1_iter=args.step1_iter)
    data = lti.generate(cfg, args.n_train, 1, progress=True)
    val = lti.generate(cfg, args.n_val, 2, progress=True)
    t_data = time.perf_counter() - t0
    if args.model:
        model = lti.load(args.model)
        cfg = model.config
    else:
        model = lti.train(cfg, data=data, val_data=val, epochs=args.epochs, patience=args.patience, seed=0)
        model.save(out / "lti_model.npz")
    t_train = time.perf_counter() - t0 - t_data
    nets = {}
    if not args.no_baselines:
        for mode, label in (("fbp", "U-net(FBP)"), ("fstar-image", "U-net(shearlet-l1)")):
            nets[label] = (mode, lti.train_image_baseline(data, val, mode, widths=cfg["widths"], epochs=args.epochs,
                                                          patience=args.patience, seed=0))
    t_base = time.perf_counter() - t0 - t_data - t_train
    print(f"data {t_data:.0f} s, LtI training {t_train:.0f} s, baselines {t_base:.0f} s", file=sys.stderr)
    tA = cfg.angles
    tB = np.arange(30, 151.0)
    sets = test_sets(cfg["noise"], args.n_test)
    rows, figure = [], {}
    for geom, theta in (("-60..60", tA), ("30..150", tB)):
        for name, (truth, gA, gB) in sets.items():
            g = gA if geom == "-60..60" else gB
            res = {k: [] for k in ("FBP", "SIRT", "TV", "shearlet-l1", "LtI", *nets)}
            inv_err = []
            for b in range(truth.shape[0]):
                x = truth[b]
                recs = {"FBP": ct.reconstruct(g[b], theta, (N, N), "fbp"),
                        "SIRT": ct.reconstruct(g[b], theta, (N, N), "sirt"),
                        "TV": ct.reconstruct(g[b], theta, (N, N), "tv", max_iter=args.tv_iter)}
                if geom == "-60..60":
                    y, parts = lti.reconstruct(g[b], tA, model, return_parts=True)
                    fstar, fbp_in, xt = parts["fstar"], recs["FBP"], x
                    recs["shearlet-l1"] = fstar
                else:  # the transposed problem, through the -60..60 model
                    gt = transposed_data(g[b])
                    y, parts = lti.reconstruct(gt, tA, model, return_parts=True)
                    y = y.T
                    fstar = parts["fstar"]
                    fbp_in = model.radon.fbp(gt)
                    xt = x.T
                    recs["shearlet-l1"] = lti._step1(g[b], theta, (N, N), scales=cfg["scales"],
                                                     max_iter=cfg["step1_iter"])
                recs["LtI"] = y
                ti = model.coefficients(xt[None])[0][~model.mask]
                inv_err.append(float(np.linalg.norm(parts["invisible"] - ti) / np.linalg.norm(ti)))
                for label, (mode, net) in nets.items():
                    inp = fbp_in if mode == "fbp" else fstar
                    z = lti.apply_image_baseline(net, inp[None])[0]
                    recs[label] = z if geom == "-60..60" else z.T
                for k, r in recs.items():
                    res[k].append(ct.metrics(r, x))
                if b == 0:
                    figure[(geom, name)] = {"truth": x, **recs}
            for k, ms in res.items():
                rows.append({"geometry": geom, "set": name, "method": k, "n": len(ms),
                             "rel_error": float(np.mean([m["rel_error"] for m in ms])),
                             "psnr": float(np.mean([m["psnr"] for m in ms])),
                             "ssim": float(np.mean([m["ssim"] for m in ms])),
                             "psnr_each": [m["psnr"] for m in ms],
                             "invisible_error": float(np.mean(inv_err)) if k == "LtI" else None})
            print(f"{geom} {name}: " + ", ".join(f"{r['method']} {r['psnr']:.2f}" for r in rows[-len(res):]),
                  file=sys.stderr)
    with open(out / "results.json", "w") as f:
        json.dump({"rows": rows, "config": dict(cfg), "n_train": args.n_train, "epochs": args.epochs,
                   "history": model.history, "n_parameters": model.n_parameters,
                   "seconds": {"data": t_data, "lti_training": t_train, "baselines": t_base,
                               "total": time.perf_counter() - t0}}, f, indent=1)
    # the table
    lines = ["| angles | test set (n) | " + " | ".join(res) + " | LtI - shearlet-l1 (min..max) | invisible err. |",
             "|---|---|" + "---|" * (len(res) + 2)]
    for geom in ("-60..60", "30..150"):
        for name in sets:
            rs = {r["method"]: r for r in rows if r["geometry"] == geom and r["set"] == name}
            gain = np.array(rs["LtI"]["psnr_each"]) - np.array(rs["shearlet-l1"]["psnr_each"])
            cells = [f"{rs[k]['psnr']:.2f} / {rs[k]['ssim']:.3f}" for k in res]
            lines.append(f"| {geom} | {name} ({rs['LtI']['n']}) | " + " | ".join(cells) +
                         f" | {gain.mean():+.2f} ({gain.min():+.2f}..{gain.max():+.2f}) | "
                         f"{rs['LtI']['invisible_error']:.3f} |")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    print(table)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        keys = list(figure)
        cols = ["truth", "FBP", "TV", "shearlet-l1", "LtI", *nets]
        fig, axes = plt.subplots(len(keys), len(cols), figsize=(2.2 * len(cols), 2.3 * len(keys)))
        for i, key in enumerate(keys):
            for j, c in enumerate(cols):
                ax = axes[i, j]
                ax.imshow(figure[key][c], cmap="gray", vmin=0, vmax=float(figure[key]["truth"].max()))
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(c, fontsize=8)
                if j == 0:
                    ax.set_ylabel(f"{key[1]}\n{key[0]}", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "lti_eval.png", dpi=80)
    except ImportError:
        pass
    print(f"wrote {out}/table.md, results.json, lti_eval.png ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
