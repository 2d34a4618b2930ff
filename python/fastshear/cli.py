"""The ``fastshear`` command line.

``fastshear demo``         limited-angle CT of a built-in phantom: FBP, TV and shearlet-l1
                          (metrics table, figure, JSON)
``fastshear reconstruct``  a user's sinogram (.npy) to an image (.npy and .png)
``fastshear denoise``      hard-threshold shearlet denoising of a user's image (.npy or .png) or
                          volume (3D .npy, with 3D shearlets)
``fastshear pde-demo``  parametric diffusion surrogates (T1, T2): train, run in the engine,
                          relative H^1 errors and evaluations per second vs the solver
``fastshear train-lti``    train a "learning the invisible" model (shearlet-domain U-net) for
                          limited-angle CT (needs PyTorch)
``fastshear info``     version, threads, FFTW version and wisdom location, loaded native
                          libraries, CPU features and the kernels chosen
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


#: The most angles --theta / --step may ask for.
MAX_ANGLES = 100_000
#: The most iterations --iterations may ask for.
MAX_ITERATIONS = 100_000


class _Outputs:
    """Files of one command, written under temporary names in their final folders and renamed
    into place only when the whole command succeeded: a failing command leaves nothing behind
    (neither a partial result nor an earlier run's file half-replaced)."""

    def __init__(self):
        self._pending = []  # (temporary, final)
        self._made_dirs = []

    def folder(self, path: Path) -> Path:
        missing = []
        p = path
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CLIError(f"cannot create the output folder {path}: {e.strerror or e}") from None
        if not path.is_dir():
            raise CLIError(f"the output path {path} is not a folder")
        self._made_dirs.extend(missing)
        return path

    def path(self, final: Path) -> Path:
        """A temporary name (same folder, same suffix) to write ``final`` to."""
        import os

        self.folder(final.parent)
        tmp = final.parent / f".{final.stem}.{os.getpid()}.tmp{final.suffix}"
        self._pending.append((tmp, final))
        return tmp

    def commit(self) -> None:
        import os

        for tmp, final in self._pending:
            os.replace(tmp, final)
        self._pending = []
        self._made_dirs = []

    def discard(self) -> None:
        for tmp, _ in self._pending:
            try:
                tmp.unlink()
            except OSError:
                pass
        for d in self._made_dirs:  # the folders this command created, deepest first
            try:
                d.rmdir()
            except OSError:
                pass
        self._pending = []
        self._made_dirs = []


def _finite_array(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` checked by the validation layer's rule for data arrays (real, non-empty, finite),
    its error as the CLI's one line."""
    from ._validation import data_array

    try:
        return data_array(a, what)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None


def psnr(ref: np.ndarray, x: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB, peak = the data range of ``ref``."""
    mse = float(np.mean((np.asarray(ref, np.float64) - x) ** 2))
    rng = float(np.ptp(ref))
    return float("inf") if mse == 0 else 10 * np.log10(rng**2 / mse)


def _save_panels(path: Path, panels, suptitle: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError("writing figures needs matplotlib: pip install 'fastshear[plot]'") from None
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4.4))
    for ax, (title, img) in zip(np.atleast_1d(axes), panels):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _load_image(path: Path) -> np.ndarray:
    """A .npy array or a .png image (grey levels) as a finite, non-empty real array; any file
    that is not one is a CLIError naming the file."""
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if not path.is_file():
        raise CLIError(f"{path}: not a file")
    if path.suffix == ".npy":
        from ._validation import check_alloc

        try:
            m = np.load(path, allow_pickle=False, mmap_mode="r")  # the header only, so far
            if isinstance(m, np.ndarray):
                check_alloc(math.prod(m.shape) * 8, f"the array in {path} (shape {m.shape})")
            a = np.array(m) if isinstance(m, np.ndarray) else m
            del m
        except MemoryError as e:
            raise CLIError(str(e)) from None
        except Exception as e:  # numpy's parser raises many kinds on corrupt headers (even TokenError)
            raise CLIError(f"cannot read {path} as a numpy array: {_one_line(e)}") from None
        if not isinstance(a, np.ndarray):
            raise CLIError(f"cannot read {path} as a numpy array")
        return _finite_array(a, str(path))
    if path.suffix.lower() == ".png":
        try:
            import matplotlib.image as mpimg
        except ImportError:
            raise CLIError("reading PNG needs matplotlib: pip install 'fastshear[plot]'") from None
        try:
            img = np.asarray(mpimg.imread(path))
        except Exception as e:  # PIL raises several kinds on corrupt files
            raise CLIError(f"cannot read {path} as a PNG image: {_one_line(e)}") from None
        img = img[..., :3].mean(axis=-1) if img.ndim == 3 else img
        return _finite_array(img, str(path))
    raise CLIError(f"{path}: expected a .npy or .png file")


def _one_line(e) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def _parse_theta(text: str) -> np.ndarray:
    """``START:STOP:STEP`` in degrees, STOP included (``-60:60:1`` gives 121 angles)."""
    try:
        start, stop, step = (float(v) for v in text.split(":"))
    except ValueError:
        raise CLIError(f"--theta must be START:STOP:STEP in degrees (e.g. -60:60:1), got {text!r}") from None
    if not all(np.isfinite([start, stop, step])) or not (step > 0) or stop < start:
        raise CLIError(f"--theta needs finite values, STEP > 0 and STOP >= START, got {text!r}")
    count = (stop - start) / step + 1
    if count > MAX_ANGLES:
        raise CLIError(f"--theta gives {count:.4g} angles, more than {MAX_ANGLES}, got {text!r}")
    return np.arange(start, stop + 0.5 * step, step)


def _parse_shape(text: str):
    try:
        n, m = (int(v) for v in text.split(","))
    except ValueError:
        raise CLIError(f"--shape must be N,M (rows,columns), got {text!r}") from None
    if n < 1 or m < 1:
        raise CLIError(f"--shape must be positive, got {text!r}")
    from ._validation import check_alloc

    try:
        check_alloc(8 * n * m, f"--shape {n},{m}: an image")
    except MemoryError as e:
        raise CLIError(str(e)) from None
    return n, m


def _step_unit(info) -> str:
    """What ct.reconstruct's ``iterations`` count: SPDHG's epochs (TV) or iterations."""
    return "epochs" if info.get("solver") == "spdhg" else "iterations"


def _check_count(value, option: str, lo: int, hi: int):
    if value is not None and not lo <= value <= hi:
        raise CLIError(f"{option} must be between {lo} and {hi}, got {value}")


def _check_real(value, option: str, lo: float, hi: float = float("inf"), *, lo_open=False):
    if value is None:
        return
    if not np.isfinite(value) or value < lo or (lo_open and value == lo) or value > hi:
        bound = f"{'>' if lo_open else '>='} {lo:g}" + (f" and <= {hi:g}" if np.isfinite(hi) else "")
        raise CLIError(f"{option} must be a finite number {bound}, got {value}")


def _ct_figure(path: Path, gt, sino, theta, recs, parts, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError("writing figures needs matplotlib: pip install 'fastshear[plot]'") from None
    fig, axes = plt.subplots(2, 4, figsize=(16, 8.6))
    ax = axes.ravel()
    ax[0].imshow(gt, cmap="gray", vmin=0, vmax=1)
    ax[0].set_title("ground truth")
    ax[1].imshow(sino.T, cmap="gray", aspect="auto",
                 extent=[theta[0], theta[-1], sino.shape[1], 0])
    ax[1].set_title(f"sinogram, {theta[0]:g}..{theta[-1]:g} degrees")
    ax[1].set_xlabel("angle (degrees)")
    for a, (name, (img, m)) in zip(ax[2:5], recs.items()):
        a.imshow(img, cmap="gray", vmin=0, vmax=1)
        a.set_title(f"{name}: err {m['rel_error']:.3f}, {m['psnr']:.1f} dB, SSIM {m['ssim']:.3f}", fontsize=9)
    for a, (name, img) in zip(ax[5:7], parts.items()):
        lim = float(np.abs(img).max()) or 1.0
        a.imshow(img, cmap="gray", vmin=-lim, vmax=lim)
        a.set_title(name, fontsize=9)
    for a in ax:
        if a is not ax[1]:
            a.axis("off")
    if len(recs) > 3:
        name, (img, m) = list(recs.items())[3]
        ax[7].imshow(img, cmap="gray", vmin=0, vmax=1)
        ax[7].set_title(f"{name}: err {m['rel_error']:.3f}, {m['psnr']:.1f} dB, SSIM {m['ssim']:.3f}", fontsize=9)
    ax[7].axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def cmd_demo(args) -> int:
    import json

    from . import Shearlet2D, ct, phantoms

    n = args.size
    if n < 73:
        raise CLIError(f"--size must be at least 73 (4-scale shearlets), got {n}")
    _check_count(n, "--size", 73, 8192)
    if not (0 < args.angle <= 90):
        raise CLIError(f"--angle (phi, the half range) must be in (0, 90], got {args.angle}")
    _check_real(args.step, "--step", 0, 180, lo_open=True)
    if 2 * args.angle / args.step + 1 > MAX_ANGLES:
        raise CLIError(f"--step {args.step:g} gives more than {MAX_ANGLES} angles")
    _check_real(args.noise, "--noise", 0)
    _check_count(args.iterations, "--iterations", 1, MAX_ITERATIONS)
    _check_count(args.seed, "--seed", 0, 2**63 - 2)
    from ._shearlab import check_scales_levels
    from ._validation import resolve_workers

    if args.scales is not None:
        check_scales_levels(args.scales, None)
    resolve_workers(args.workers)
    files = args.outputs
    out = files.folder(Path(args.output))
    theta = np.arange(-args.angle, args.angle + 0.5 * args.step, args.step)
    scales = args.scales if args.scales is not None else ct.default_scales((n, n))
    if args.phantom == "shepp-logan":
        ell = phantoms.shepp_logan_ellipses((n, n))
    else:
        ell = phantoms.random_ellipses((n, n), seed=args.seed)
    gt = phantoms.ellipse_image(ell, (n, n))
    clean = phantoms.ellipse_sinogram(ell, theta, n)  # exact line integrals: no inverse crime
    rng = np.random.default_rng(args.seed + 1)
    sigma = args.noise * float(np.sqrt(np.mean(clean ** 2)))
    sino = clean + sigma * rng.standard_normal(clean.shape)
    print(f"fastshear demo: limited-angle CT of a {n}x{n} {args.phantom} phantom, "
          f"{theta.size} angles in [{-args.angle:g}, {args.angle:g}] degrees, {args.noise * 100:g} % noise")
    print(f"  (the main job: `fastshear reconstruct SINOGRAM.npy --theta={-args.angle:g}:{args.angle:g}:{args.step:g} "
          f"--shape {n},{n} --method shearlet-l1 -o OUT` does the same on your data)")
    recs, table = {}, {}
    for method, label in (("fbp", "FBP"), ("tv", "TV"), ("shearlet-l1", "shearlet-l1")):
        t = time.perf_counter()
        kw = {} if method == "fbp" else {"max_iter": args.iterations, "tol": args.tol}
        x, info = ct.reconstruct(sino, theta, (n, n), method, scales=scales, workers=args.workers, dtype=np.float32,
                                 progress=f"  {label}" if not args.quiet else False, return_info=True, **kw)
        dt = time.perf_counter() - t
        m = ct.metrics(x, gt)
        m["seconds"] = dt
        if method != "fbp":
            m["iterations"], m["converged"] = int(info["iterations"]), bool(info["converged"])
            m["unit"] = _step_unit(info)
        recs[label] = (x, m)
        table[method] = m
        np.save(files.path(out / f"{method}.npy"), x)
    if args.lti is not None:
        from . import lti

        model = _demo_lti_model(args, n, theta)
        t = time.perf_counter()
        x = lti.reconstruct(sino, theta, model, workers=args.workers, progress=not args.quiet)
        dt = time.perf_counter() - t
        m = ct.metrics(x, gt)
        m["seconds"] = dt
        recs["LtI"] = (x, m)
        table["lti"] = m
        np.save(files.path(out / "lti.npy"), x)
    print(f"  {'method':<12} {'rel. error':>10} {'PSNR (dB)':>10} {'SSIM':>7} {'time (s)':>9}  iterations")
    for label, (x, m) in recs.items():
        its = (f"  {m['iterations']} {m['unit']} ({'converged' if m['converged'] else 'limit reached'})"
               if "iterations" in m else "")
        print(f"  {label:<12} {m['rel_error']:>10.4f} {m['psnr']:>10.2f} {m['ssim']:>7.4f} {m['seconds']:>9.2f}{its}")
    sh = Shearlet2D((n, n), scales, workers=args.workers)
    vis = ct.visibility(sh, theta)
    c_vis, c_inv = ct.split(sh.forward(gt), vis)
    parts = {f"visible part of the truth ({int(vis.sum())} of {vis.size} shearlets)": sh.inverse(c_vis),
             f"invisible part ({int((~vis).sum())} shearlets, edges in the missing wedge)": sh.inverse(c_inv)}
    fig = out / "limited_angle_ct.png"
    _ct_figure(files.path(fig), gt, sino, theta, recs, parts,
               f"fastshear: limited-angle CT, [{-args.angle:g}, {args.angle:g}] degrees, {args.noise * 100:g} % noise")
    report = {"phantom": args.phantom, "size": n, "theta": {"start": -args.angle, "stop": args.angle,
                                                              "step": args.step, "count": int(theta.size)},
              "noise": args.noise, "scales": scales, "max_iter": args.iterations, "tol": args.tol,
              "visible_shearlets": int(vis.sum()), "shearlets": int(vis.size), "metrics": table}
    with open(files.path(out / "metrics.json"), "w") as f:
        json.dump(report, f, indent=2)
    np.save(files.path(out / "sinogram.npy"), sino)
    files.commit()
    print(f"  wrote {fig}, {out / 'metrics.json'} and the reconstructions (.npy) into {out}")
    return 0


def _demo_lti_model(args, n, theta):
    """The LtI model of ``demo --lti``: the given path, or a small model for the demo's geometry
    trained on first use and cached (``$FASTSHEAR_CACHE_DIR/lti/demo-*.npz``)."""
    import hashlib
    import json

    from . import _fftw, lti

    if args.lti != "auto":
        path = Path(args.lti)
        if not path.exists():
            raise CLIError(f"no such LtI model: {path}")
        return lti.load(path)
    s4 = 4 if args.scales is None else args.scales  # the LtI demo model's scales (not ct.default_scales)
    cfg = lti.LtIConfig(shape=[n, n], theta=[-args.angle, args.angle, args.step], noise=args.noise,
                        scales=s4 if n >= 128 else min(s4, 3))
    key = hashlib.sha256(json.dumps({**cfg.data_key(), "demo": DEMO_LTI}, sort_keys=True).encode()).hexdigest()[:16]
    path = _fftw.cache_dir() / "lti" / f"demo-{key}.npz"
    if path.exists():
        try:
            return lti.load(path)
        except ValueError:
            pass
    print(f"  training a small LtI model for this geometry on first use ({DEMO_LTI['n_train']} phantoms, "
          f"{DEMO_LTI['epochs']} epochs; cached in {path}; `fastshear train-lti` trains the full one)")
    model = lti.train(cfg, n_train=DEMO_LTI["n_train"], n_val=DEMO_LTI["n_val"], epochs=DEMO_LTI["epochs"],
                      progress=not args.quiet, workers=args.workers)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model


DEMO_LTI = {"n_train": 64, "n_val": 8, "epochs": 10}


def cmd_train_lti(args) -> int:
    from . import lti

    try:
        widths = [int(w) for w in args.widths.split(",")]
    except ValueError:
        raise CLIError(f"--widths must be comma-separated integers, got {args.widths!r}") from None
    theta = _parse_theta(args.theta)
    step = float(theta[1] - theta[0]) if theta.size > 1 else 1.0
    cfg = lti.LtIConfig(shape=[args.size, args.size], theta=[float(theta[0]), float(theta[-1]), step],
                        noise=args.noise, scales=args.scales, widths=widths, step1_iter=args.step1_iter)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    progress = not args.quiet
    print(f"fastshear train-lti: {args.size}x{args.size}, {theta.size} angles {theta[0]:g}..{theta[-1]:g}, "
          f"{args.noise * 100:g} % noise, {args.scales} scales; {args.n_train} training + {args.n_val} "
          f"validation phantoms, up to {args.epochs} epochs")
    data = lti.generate(cfg, args.n_train, 1000 * args.seed + 1, progress=progress, workers=args.workers)
    val = lti.generate(cfg, args.n_val, 1000 * args.seed + 2, progress=progress, workers=args.workers)
    t_data = time.perf_counter() - t0
    print(f"  data: {t_data:.0f} s")
    model = lti.train(cfg, data=data, val_data=val, epochs=args.epochs, batch_size=args.batch_size,
                      lr=args.lr, patience=args.patience, seed=args.seed, progress=progress,
                      workers=args.workers)
    model.save(out)
    h = model.history
    print(f"  training: {h['epochs']} epochs, best {h.get('best_epoch', h['epochs'] - 1) + 1}, "
          f"{h['seconds']:.0f} s; {model.n_parameters} parameters; "
          f"{int(model.mask.sum())} visible / {int((~model.mask).sum())} invisible shearlets")
    res = lti.evaluate(model, val)
    print(f"  validation ({args.n_val} phantoms, means):")
    print("  " + lti.summary_table(res).replace("\n", "\n  "))
    print(f"  wrote {out} ({time.perf_counter() - t0:.0f} s in all)")
    return 0


def cmd_reconstruct(args) -> int:
    from . import ct

    path = Path(args.sinogram)
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.suffix != ".npy":
        raise CLIError(f"{path}: expected a .npy sinogram (n_angles, n_det)")
    sino = _load_image(path)
    if sino.ndim != 2:
        raise CLIError(f"{path}: expected a 2D sinogram (n_angles, n_det), got shape {sino.shape}")
    theta = _parse_theta(args.theta)
    if theta.size != sino.shape[0]:
        hint = " (transposed? fastshear stores angles first)" if theta.size == sino.shape[1] else ""
        raise CLIError(f"--theta gives {theta.size} angles but the sinogram has {sino.shape[0]} rows{hint}")
    shape = _parse_shape(args.shape)
    args.outputs.folder(Path(args.output).parent)  # an unwritable output fails now, not after the work
    if sino.shape[1] < min(shape):
        raise CLIError(f"the sinogram has {sino.shape[1]} detector bins but a {shape[0]}x{shape[1]} image "
                       f"needs at least {min(shape)} (its inscribed circle); check --shape")
    _check_count(args.iterations, "--iterations", 1, MAX_ITERATIONS)
    _check_real(args.noise_level, "--noise-level", 0)
    _check_real(args.lam, "--lam", 0)
    _check_real(args.tol, "--tol", 0)
    try:
        x, info = ct.reconstruct(sino, theta, shape, args.method, noise_level=args.noise_level,
                                 lam=args.lam, scales=args.scales, max_iter=args.iterations, tol=args.tol,
                                 workers=args.workers, progress=f"{args.method}" if not args.quiet else False,
                                 dtype=np.float32, return_info=True)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    if "iterations" in info:
        print(f"{args.method}: {info['iterations']} {_step_unit(info)}, "
              f"{'converged' if info['converged'] else 'stopped at the iteration limit (not converged)'}")
    out = Path(args.output)
    files = args.outputs
    npy, png = out.with_suffix(".npy"), out.with_suffix(".png")
    np.save(files.path(npy), x)
    lo, hi = float(x.min()), float(x.max())
    _save_panels(files.path(png), [(args.method, (x - lo) / ((hi - lo) or 1.0))], "fastshear reconstruct")
    files.commit()
    print(f"wrote {npy} and {png}")
    return 0


def cmd_denoise(args) -> int:
    from . import shearlet_denoise, shearlet_denoise3d

    img = _load_image(Path(args.image))
    if img.ndim not in (2, 3) or (img.ndim == 3 and Path(args.image).suffix != ".npy"):
        raise CLIError(f"{args.image}: expected a 2D image or a 3D volume (.npy), got shape {img.shape}")
    if img.dtype.kind not in "biuf":
        raise CLIError(f"{args.image}: expected a real numeric array, got dtype {img.dtype}")
    if args.noise_level is None or not np.isfinite(args.noise_level) or args.noise_level < 0:
        raise CLIError(f"--noise-level must be a finite number >= 0, got {args.noise_level}")
    args.outputs.folder(Path(args.output).parent)  # an unwritable output fails now, not after the work
    volume = img.ndim == 3
    scales = args.scales if args.scales is not None else (2 if volume else 4)
    t = time.perf_counter()
    try:
        if volume:
            den = shearlet_denoise3d(img.astype(np.float64), args.noise_level, scales=scales,
                                     workers=args.workers)
        else:
            den = shearlet_denoise(img.astype(np.float64), args.noise_level, scales=scales,
                                   workers=args.workers)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    dt = time.perf_counter() - t
    out = Path(args.output)
    files = args.outputs
    np.save(files.path(out.with_suffix(".npy")), den)
    lo, hi = float(img.min()), float(img.max())
    scale = (hi - lo) or 1.0
    if volume:  # the three central slices of input and result
        mid = [n // 2 for n in img.shape]
        panels = []
        for name, v in (("input", img), ("denoised", den)):
            for ax, label in enumerate(("n1", "n2", "n3")):
                sl = np.take(v, mid[ax], axis=ax)
                panels.append((f"{name}, central {label} slice", (sl - lo) / scale))
        title = f"fastshear denoise: {'x'.join(map(str, img.shape))} volume, 3D shearlets, {scales} scales"
    else:
        panels = [("input", (img - lo) / scale), ("denoised", (den - lo) / scale)]
        title = "fastshear denoise"
    _save_panels(files.path(out.with_suffix(".png")), panels, title)
    files.commit()
    kind = "volume" if volume else "image"
    print(f"denoised the {'x'.join(map(str, img.shape))} {kind} in {dt:.2f} s "
          f"({scales} scales); wrote {out.with_suffix('.npy')} and {out.with_suffix('.png')}")
    return 0


def _parse_case(text: str):
    """``T1:2`` (trigonometric, p=2), ``T2:3`` (3x3 chessboard), ``T3:2`` (2x2 cookies), ``T4:2`` (degree 2)."""
    from . import pde

    try:
        name, arg = text.split(":")
        arg = int(arg)
    except ValueError:
        raise CLIError(f"a case must be FAMILY:INT (T1:p, T2:s, T3:s, T4:k), got {text!r}") from None
    key = {"trigonometric": "p", "chessboard": "s", "cookies": "s", "polynomial": "k"}
    try:
        kind = pde._ALIASES.get(name.lower(), name.lower())
        return pde.family(kind, **{key[kind]: arg})
    except (KeyError, ValueError) as e:
        raise CLIError(f"bad case {text!r}: {e}") from None


def _pde_figure(path: Path, records, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError("writing figures needs matplotlib: pip install 'fastshear[plot]'") from None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    fams = sorted({r["family"] for r in records})
    for fam, mk in zip(fams, "osD^v"):
        rs = sorted((r for r in records if r["family"] == fam), key=lambda r: (r["p"], r["complexity"]))
        axes[0].loglog([r["complexity"] for r in rs], [r["rel_h1_error"] for r in rs], mk, label=fam)
        for i, r in enumerate(rs):
            axes[0].annotate(f"p={r['p']}", (r["complexity"], r["rel_h1_error"]), fontsize=8,
                             xytext=(5, 2 - 9 * i), textcoords="offset points")
        ps = sorted({r["p"] for r in rs})
        best = [min(r["rel_h1_error"] for r in rs if r["p"] == p) for p in ps]
        mean = [min(r["rel_h1_error_mean_predictor"] for r in rs if r["p"] == p) for p in ps]
        line, = axes[1].loglog(ps, best, mk + "-", label=f"{fam}: network")
        axes[1].loglog(ps, mean, mk + ":", color=line.get_color(), alpha=0.6, label=f"{fam}: training mean")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    cs = [r["complexity"] for r in records]
    lo, hi = 10 ** math.floor(math.log10(min(cs))), 10 ** math.ceil(math.log10(max(cs)))
    axes[0].set_xlim(lo, max(hi, 10 * lo))  # at least a decade: readable log ticks
    axes[0].xaxis.set_minor_formatter(NullFormatter())
    ps = sorted({r["p"] for r in records})
    axes[1].set_xticks(ps)
    axes[1].xaxis.set_major_formatter(ScalarFormatter())
    axes[1].xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_xlabel("complexity C(Phi) (non-zero weights and biases)")
    axes[0].set_ylabel("relative H^1 test error")
    axes[1].set_xlabel("parameter dimension p")
    axes[1].set_ylabel("relative H^1 test error")
    for a in axes:
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cmd_pde_demo(args) -> int:
    import json

    from . import pde

    try:
        import torch
    except ImportError:
        raise CLIError("pde-demo trains networks with PyTorch: pip install 'fastshear[torch]'") from None
    fams = [_parse_case(c) for c in args.cases.split(",") if c.strip()]
    if not fams:
        raise CLIError("--cases is empty")
    for name in ("n", "train", "test", "epochs", "width", "depth", "batch_size", "bench_batch"):
        if getattr(args, name) < (2 if name == "n" else 1):
            raise CLIError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    t_all = time.perf_counter()
    print(f"fastshear pde-demo: -div(a_y grad u) = 20 + 10 x0 - 5 x1 on (0,1)^2, n = {args.n} "
          f"({(args.n - 1) ** 2} unknowns); {args.train} training / {args.test} test samples; "
          f"{args.depth} x {args.width} ReLU MLP, {args.epochs} epochs, relative H^1 loss")
    records = []
    for fam in fams:
        print(f"  {fam.label}")
        s = pde.train_surrogate(fam, args.n, n_train=args.train, n_test=args.test,
                                hidden=[args.width] * args.depth, epochs=args.epochs,
                                batch_size=args.batch_size, lr=args.lr, rank=args.rank, seed=args.seed,
                                cache=not args.no_cache, progress=not args.quiet)
        x = s.y_test[:256].astype(np.float32)
        with torch.no_grad():
            ref = s.model(torch.from_numpy(x)).numpy()
        agree = float(np.abs(s.net(x) - ref).max() / max(np.abs(ref).max(), 1e-30))
        e_eng = pde.engine_throughput(s.net, fam.p, args.bench_batch, workers=1)
        e_sol = pde.solver_throughput(fam, args.n, args.bench_batch)
        s.net.save(out / f"net_{fam.name}_p{fam.p}.npz")
        rec = {"family": fam.label.rsplit(" p=", 1)[0], "p": fam.p, "n": args.n,
               "rel_h1_error": s.test_error, "complexity": s.net.complexity,
               "evals_per_s_engine": e_eng, "evals_per_s_solver": e_sol,
               "rel_h1_error_mean_predictor": s.mean_error, "widths": list(s.net.widths),
               "epochs": args.epochs, "n_train": args.train, "n_test": args.test,
               "train_seconds": s.train_seconds, "engine_vs_torch_max_rel_diff": agree,
               "final_train_loss": s.history["loss"][-1]}
        records.append(rec)
        print(f"    rel. H^1 test error {s.test_error:.4f} (training mean: {s.mean_error:.4f}); "
              f"C(Phi) = {s.net.complexity}; trained in {s.train_seconds:.0f} s; "
              f"{e_eng:,.0f} vs {e_sol:,.0f} parameters/s (engine vs solver, 1 thread)")
    head = ("| case | p | n | rel. H^1 error | training mean | C(Phi) | engine evals/s | solver evals/s | ratio |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    rows = "".join(f"| {r['family']} | {r['p']} | {r['n']} | {r['rel_h1_error']:.4f} | "
                   f"{r['rel_h1_error_mean_predictor']:.4f} | {r['complexity']} | "
                   f"{r['evals_per_s_engine']:,.0f} | {r['evals_per_s_solver']:,.0f} | "
                   f"{r['evals_per_s_engine'] / r['evals_per_s_solver']:,.0f} |\n" for r in records)
    table = head + rows
    print(table, end="")
    (out / "results.md").write_text(
        f"# fastshear pde-demo\n\nn = {args.n}, {args.train} training / {args.test} test samples, "
        f"{args.depth} x {args.width} ReLU, {args.epochs} epochs; evaluations per second at batch "
        f"{args.bench_batch}, 1 thread each.\n\n" + table)
    with open(out / "results.json", "w") as f:
        json.dump(records, f, indent=2)
    fig = out / "pde_errors.png"
    _pde_figure(fig, records, f"fastshear pde-demo: relative H^1 test error, n = {args.n}, "
                              f"{args.depth} x {args.width} ReLU")
    print(f"  wrote {fig}, {out / 'results.md'}, {out / 'results.json'} and the networks (.npz) "
          f"into {out} in {time.perf_counter() - t_all:.0f} s")
    return 0


def cmd_info(args) -> int:
    from . import _fftw, _platform

    d = _platform.info()
    print(f"fastshear {d['version']} ({d['arch']})")
    print(f"  OpenMP threads (default): {d['threads']}")
    print(f"  FFTW: {d['fftw_version']} (double), {d['fftwf_version']} (float)")
    print(f"  FFTW wisdom: {_fftw.cache_dir()}")
    feats = d["cpu_features"]
    print("  CPU features: " + (" ".join(f"{n}{'+' if ok else '-'}" for n, ok in feats) or "(no run-time checks on this architecture)"))
    print("  kernels: " + ", ".join(f"{fam}: {k}" for fam, k in d["kernels"]))
    print("  native libraries loaded:")
    for p in d["libraries"] or ["(not reported on this platform)"]:
        print(f"    {p}")
    return 0


TRAIN_LTI_DEFAULTS = {"n_train": 400, "n_val": 32, "epochs": 20}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _join_negative_values(argv):
    """``--theta -60:60:1`` -> ``--theta=-60:60:1`` (argparse takes ``-60:60:1`` for an option)."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--theta" and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"--theta={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fastshear", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="limited-angle CT of a built-in phantom: FBP, TV, shearlet-l1")
    d.add_argument("-o", "--output", default="fastshear-output", help="output folder (default fastshear-output)")
    d.add_argument("--size", type=int, default=256, help="image side (default 256)")
    d.add_argument("--phantom", choices=["shepp-logan", "random-ellipses"], default="shepp-logan")
    d.add_argument("--angle", type=float, default=60.0, help="measured angles [-ANGLE, ANGLE] (default 60)")
    d.add_argument("--step", type=float, default=1.0, help="angular step in degrees (default 1)")
    d.add_argument("--noise", type=float, default=0.01, help="Gaussian noise, relative to the sinogram's RMS")
    d.add_argument("--iterations", type=int, default=None,
                   help="TV (epochs) and shearlet-l1 iteration limit (default: ct.reconstruct's, 500)")
    d.add_argument("--tol", type=float, default=None,
                   help="TV and shearlet-l1 stopping tolerance (default: ct.reconstruct's, ct.TV_TOL for TV, "
                        "1e-3 for shearlet-l1)")
    d.add_argument("--scales", type=int, default=None,
                   help="shearlet scales (default: ct.default_scales, 4 from 128x128 up)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    d.add_argument("--lti", nargs="?", const="auto", default=None, metavar="MODEL",
                   help="also learning the invisible: a model file, or (no value) a small model for this "
                        "geometry trained on first use and cached (needs PyTorch)")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("reconstruct", help="reconstruct an image from a sinogram (.npy, angles first)")
    r.add_argument("sinogram", help="(n_angles, n_det) array in a .npy file")
    r.add_argument("--theta", required=True, help="angles START:STOP:STEP in degrees, STOP included")
    r.add_argument("--shape", required=True, help="image size N,M")
    r.add_argument("--method", choices=["fbp", "sirt", "tv", "shearlet-l1"], default="shearlet-l1")
    r.add_argument("-o", "--output", required=True, help="output path (.npy and .png are written)")
    r.add_argument("--noise-level", type=float, default=None, help="sinogram noise std (default: estimated)")
    r.add_argument("--lam", type=float, default=None, help="regularisation level (default: the documented rule)")
    r.add_argument("--iterations", type=int, default=None, help="iteration limit (default: ct.reconstruct's)")
    r.add_argument("--tol", type=float, default=None, help="stopping tolerance (default: ct.reconstruct's)")
    r.add_argument("--scales", type=int, default=None,
                   help="shearlet scales (default: ct.default_scales, 4 from 128x128 up)")
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_reconstruct)

    n = sub.add_parser("denoise", help="hard-threshold shearlet denoising of IMAGE (.npy or .png; "
                                       "a 3D .npy volume uses 3D shearlets)")
    n.add_argument("image")
    n.add_argument("-o", "--output", required=True, help="output path (.npy and .png are written)")
    n.add_argument("--noise-level", "--sigma", dest="noise_level", type=float, required=True,
                   help="noise standard deviation (--sigma: its old name, still accepted)")
    n.add_argument("--scales", type=int, default=None,
                   help="number of scales (default 4 for images, 2 for volumes)")
    n.add_argument("--workers", type=int, default=None)
    n.set_defaults(func=cmd_denoise)

    e = sub.add_parser("pde-demo", help="parametric diffusion surrogates: train, evaluate in the engine, "
                                        "errors and throughput vs the solver")
    e.add_argument("-o", "--output", default="fastshear-pde", help="output folder (default fastshear-pde)")
    e.add_argument("--cases", default="T1:2,T1:8,T2:3",
                   help="comma-separated FAMILY:INT (T1:p, T2:s, T3:s, T4:k); default T1:2,T1:8,T2:3")
    e.add_argument("--n", type=int, default=32, help="grid intervals per side (default 32: 961 unknowns)")
    e.add_argument("--train", type=int, default=4000, help="training samples (default 4000)")
    e.add_argument("--test", type=int, default=500, help="test samples (default 500)")
    e.add_argument("--width", type=int, default=256, help="hidden width (default 256)")
    e.add_argument("--depth", type=int, default=3, help="hidden layers (default 3)")
    e.add_argument("--epochs", type=int, default=150, help="epochs (default 150)")
    e.add_argument("--batch-size", type=int, default=128)
    e.add_argument("--lr", type=float, default=1e-3, help="Adam's initial learning rate (cosine schedule)")
    e.add_argument("--rank", type=int, default=None,
                   help="factor the output layer through RANK units, POD-initialised (default: dense)")
    e.add_argument("--bench-batch", type=int, default=4096, help="batch of the throughput measurement")
    e.add_argument("--threads", type=int, default=1, help="torch threads for training (default 1)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--no-cache", action="store_true", help="neither read nor write cached data sets")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    e.set_defaults(func=cmd_pde_demo)

    t = sub.add_parser("train-lti", help="train a learning-the-invisible model (needs PyTorch); the "
                                         "defaults give the documented default model")
    t.add_argument("-o", "--output", required=True, help="model file (.npz)")
    t.add_argument("--size", type=int, default=128, help="image side (default 128)")
    t.add_argument("--theta", default="-60:60:1", help="angles START:STOP:STEP in degrees (default -60:60:1)")
    t.add_argument("--noise", type=float, default=0.01, help="Gaussian noise relative to the sinogram's RMS "
                                                           "(default 0.01)")
    t.add_argument("--scales", type=int, default=3, help="shearlet scales (default 3)")
    t.add_argument("--widths", default="16,32,64", help="U-net channels per level (default 16,32,64)")
    t.add_argument("--n-train", type=int, default=TRAIN_LTI_DEFAULTS["n_train"])
    t.add_argument("--n-val", type=int, default=TRAIN_LTI_DEFAULTS["n_val"])
    t.add_argument("--epochs", type=int, default=TRAIN_LTI_DEFAULTS["epochs"])
    t.add_argument("--batch-size", type=int, default=8)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--patience", type=int, default=5, help="early stopping on the validation loss")
    t.add_argument("--step1-iter", type=int, default=None, help="step-1 iterations (default: the solver's)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--workers", type=int, default=None)
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train_lti)

    i = sub.add_parser("info", help="version and runtime settings")
    i.set_defaults(func=cmd_info)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    args.outputs = files = _Outputs()
    import warnings

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        print(f"fastshear {args.command}: warning: {_one_line(message)}", file=sys.stderr)

    saved = warnings.showwarning
    warnings.showwarning = one_line_warning
    try:
        return args.func(args)
    except (CLIError, ValueError, TypeError, MemoryError) as e:
        print(f"fastshear {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except OSError as e:  # an unwritable output path, a full disk
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"fastshear {args.command}: error: {e.strerror or _one_line(e)}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fastshear {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still one line (FASTSHEAR_TRACEBACK=1 shows the traceback)
        import os

        if os.environ.get("FASTSHEAR_TRACEBACK"):
            raise
        print(f"fastshear {args.command}: internal error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return 1
    finally:
        files.discard()
        warnings.showwarning = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
