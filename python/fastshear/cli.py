"""The ``fastshear`` command line.

``fastshear demo``     shearlet denoising of a built-in cartoon-like image (figure + PSNRs)
``fastshear denoise``  hard-threshold shearlet denoising of a user's image (.npy or .png) or
                       volume (3D .npy, with 3D shearlets)
``fastshear info``     version, threads, FFTW wisdom location
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


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
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as e:
            raise CLIError(f"cannot read {path} as a numpy array: {e}") from None
    if path.suffix.lower() == ".png":
        try:
            import matplotlib.image as mpimg
        except ImportError:
            raise CLIError("reading PNG needs matplotlib: pip install 'fastshear[plot]'") from None
        img = mpimg.imread(path)
        return img[..., :3].mean(axis=-1) if img.ndim == 3 else img
    raise CLIError(f"{path}: expected a .npy or .png file")


def cmd_demo(args) -> int:
    from . import phantoms, shearlet_denoise

    n = args.size
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    clean = phantoms.cartoon((n, n), seed=args.seed)
    noisy = clean + args.sigma * np.random.default_rng(args.seed + 1).standard_normal(clean.shape)
    t = time.perf_counter()
    den = shearlet_denoise(noisy, args.sigma, scales=args.scales, workers=args.workers)
    dt = time.perf_counter() - t
    p_noisy, p_den = psnr(clean, noisy), psnr(clean, den)
    print(f"fastshear demo: shearlet denoising of a {n}x{n} cartoon-like image "
          f"(Kutyniok Def. 3.2), noise sigma {args.sigma}, {args.scales} scales")
    print(f"  PSNR noisy     {p_noisy:6.2f} dB")
    print(f"  PSNR denoised  {p_den:6.2f} dB   (+{p_den - p_noisy:.2f} dB, {dt * 1e3:.0f} ms)")
    fig = out / "denoise.png"
    _save_panels(fig, [("clean", clean), (f"noisy, {p_noisy:.2f} dB", noisy),
                       (f"shearlet denoised, {p_den:.2f} dB", den)],
                 "fastshear: hard-threshold shearlet denoising")
    np.save(out / "denoised.npy", den)
    print(f"  wrote {fig} and {out / 'denoised.npy'}")
    return 0


def cmd_denoise(args) -> int:
    from . import shearlet_denoise, shearlet_denoise3d

    img = _load_image(Path(args.image))
    if img.ndim not in (2, 3) or (img.ndim == 3 and Path(args.image).suffix != ".npy"):
        raise CLIError(f"{args.image}: expected a 2D image or a 3D volume (.npy), got shape {img.shape}")
    if img.dtype.kind not in "biuf":
        raise CLIError(f"{args.image}: expected a real numeric array, got dtype {img.dtype}")
    if args.sigma is None or args.sigma < 0:
        raise CLIError("--sigma (the noise level, >= 0) is required")
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
    except ValueError as e:
        raise CLIError(str(e)) from None
    dt = time.perf_counter() - t
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out.with_suffix(".npy"), den)
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
    _save_panels(out.with_suffix(".png"), panels, title)
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastshear", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="denoise a built-in cartoon-like image and write a figure")
    d.add_argument("-o", "--output", default="fastshear-output", help="output folder")
    d.add_argument("--size", type=int, default=256, help="image side (default 256)")
    d.add_argument("--sigma", type=float, default=0.1, help="noise level (image range is 0..1)")
    d.add_argument("--scales", type=int, default=4)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--workers", type=int, default=None)
    d.set_defaults(func=cmd_demo)

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
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CLIError as e:
        print(f"fastshear {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as e:
        print(f"fastshear {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
