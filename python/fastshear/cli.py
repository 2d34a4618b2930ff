"""The ``fastshear`` command line.

``fastshear demo``         limited-angle CT of a built-in phantom: FBP, TV and shearlet-l1
                          (metrics table, figure, JSON)
``fastshear reconstruct``  a user's sinogram (.npy) to an image (.npy and .png)
``fastshear denoise``      hard-threshold shearlet denoising of a user's image (.npy or .png) or
                          volume (3D .npy, with 3D shearlets)
``fastshear info``     version, threads, FFTW wisdom location
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import math

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
    if a.dtype.kind not in "biuf":
        raise CLIError(f"{what}: expected a real numeric array, got dtype {a.dtype}")
    if a.size == 0:
        raise CLIError(f"{what}: the array is empty (shape {a.shape})")
    if not np.all(np.isfinite(a)):
        raise CLIError(f"{what}: holds NaN or infinite values")
    return a


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
    ax[7].axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def cmd_demo(args) -> int:
    import json

    from . import Radon2D, Shearlet2D, ct, phantoms

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

    check_scales_levels(args.scales, None)
    resolve_workers(args.workers)
    files = args.outputs
    out = files.folder(Path(args.output))
    theta = np.arange(-args.angle, args.angle + 0.5 * args.step, args.step)
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
        kw = {} if method == "fbp" else {"max_iter": args.iterations}
        x = ct.reconstruct(sino, theta, (n, n), method, scales=args.scales, workers=args.workers,
                           progress=f"  {label}" if not args.quiet else False, **kw)
        dt = time.perf_counter() - t
        m = ct.metrics(x, gt)
        m["seconds"] = dt
        recs[label] = (x, m)
        table[method] = m
        np.save(files.path(out / f"{method}.npy"), x)
    print(f"  {'method':<12} {'rel. error':>10} {'PSNR (dB)':>10} {'SSIM':>7} {'time (s)':>9}")
    for label, (x, m) in recs.items():
        print(f"  {label:<12} {m['rel_error']:>10.4f} {m['psnr']:>10.2f} {m['ssim']:>7.4f} {m['seconds']:>9.2f}")
    sh = Shearlet2D((n, n), args.scales, workers=args.workers)
    vis = ct.visibility(sh, theta)
    c_vis, c_inv = ct.split(sh.forward(gt), vis)
    parts = {f"visible part of the truth ({int(vis.sum())} of {vis.size} shearlets)": sh.inverse(c_vis),
             f"invisible part ({int((~vis).sum())} shearlets, edges in the missing wedge)": sh.inverse(c_inv)}
    fig = out / "limited_angle_ct.png"
    _ct_figure(files.path(fig), gt, sino, theta, recs, parts,
               f"fastshear: limited-angle CT, [{-args.angle:g}, {args.angle:g}] degrees, {args.noise * 100:g} % noise")
    report = {"phantom": args.phantom, "size": n, "theta": {"start": -args.angle, "stop": args.angle,
                                                              "step": args.step, "count": int(theta.size)},
              "noise": args.noise, "scales": args.scales, "iterations": args.iterations,
              "visible_shearlets": int(vis.sum()), "shearlets": int(vis.size), "metrics": table}
    with open(files.path(out / "metrics.json"), "w") as f:
        json.dump(report, f, indent=2)
    np.save(files.path(out / "sinogram.npy"), sino)
    files.commit()
    print(f"  wrote {fig}, {out / 'metrics.json'} and the reconstructions (.npy) into {out}")
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
    try:
        x = ct.reconstruct(sino, theta, shape, args.method, noise_level=args.noise_level,
                           lam=args.lam, scales=args.scales, max_iter=args.iterations,
                           workers=args.workers, progress=f"{args.method}" if not args.quiet else False)
    except (ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
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
    if args.sigma is None or not np.isfinite(args.sigma) or args.sigma < 0:
        raise CLIError(f"--sigma (the noise level) must be a finite number >= 0, got {args.sigma}")
    args.outputs.folder(Path(args.output).parent)  # an unwritable output fails now, not after the work
    volume = img.ndim == 3
    scales = args.scales if args.scales is not None else (2 if volume else 4)
    t = time.perf_counter()
    try:
        if volume:
            den = shearlet_denoise3d(img.astype(np.float64), args.sigma, scales=scales,
                                     workers=args.workers)
        else:
            den = shearlet_denoise(img.astype(np.float64), args.sigma, scales=scales,
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


def cmd_info(args) -> int:
    from . import __version__, _core, _fftw

    print(f"fastshear {__version__}")
    print(f"  OpenMP threads (default): {_core.default_threads()}")
    print(f"  FFTW wisdom: {_fftw.cache_dir()}")
    return 0


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
    d.add_argument("--iterations", type=int, default=100, help="TV and shearlet-l1 iterations (default 100)")
    d.add_argument("--scales", type=int, default=4)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("reconstruct", help="reconstruct an image from a sinogram (.npy, angles first)")
    r.add_argument("sinogram", help="(n_angles, n_det) array in a .npy file")
    r.add_argument("--theta", required=True, help="angles START:STOP:STEP in degrees, STOP included")
    r.add_argument("--shape", required=True, help="image size N,M")
    r.add_argument("--method", choices=["fbp", "sirt", "tv", "shearlet-l1"], default="shearlet-l1")
    r.add_argument("-o", "--output", required=True, help="output path (.npy and .png are written)")
    r.add_argument("--noise-level", type=float, default=None, help="sinogram noise std (default: estimated)")
    r.add_argument("--lam", type=float, default=None, help="regularisation level (default: the documented rule)")
    r.add_argument("--iterations", type=int, default=None)
    r.add_argument("--scales", type=int, default=4)
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_reconstruct)

    n = sub.add_parser("denoise", help="hard-threshold shearlet denoising of IMAGE (.npy or .png; "
                                       "a 3D .npy volume uses 3D shearlets)")
    n.add_argument("image")
    n.add_argument("-o", "--output", required=True, help="output path (.npy and .png are written)")
    n.add_argument("--sigma", type=float, required=True, help="noise standard deviation")
    n.add_argument("--scales", type=int, default=None,
                   help="number of scales (default 4 for images, 2 for volumes)")
    n.add_argument("--workers", type=int, default=None)
    n.set_defaults(func=cmd_denoise)

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
