"""Learning the invisible: the hybrid shearlet + U-net reconstruction for limited-angle CT.

Bubba, Kutyniok, Lassas, Maerz, Samek, Siltanen, Srinivasan, "Learning the invisible", Inverse
Problems 35 (2019) 064002 (Kutyniok Sec. 4.1):

1. **visible part** (model-based): ``f* = argmin_{f >= 0} ||R f - g||^2 / 2 + ||SH f||_{1,w}``
   (``fastshear.ct.reconstruct(..., "shearlet-l1")``); its shearlet coefficients are reliable on
   the *visible* shearlets, those whose frequency directions the measured angles sample;
2. **invisible part** (learned): a U-net in the shearlet domain predicts the invisible
   coefficients of the truth from the visible coefficients of ``f*``;
3. **combination**: ``f_LtI = max(0, SH^-1(c_vis(f*) + F))`` with the dual-frame inverse.

Visibility is decided by the data (:func:`visibility_fractions`): the fraction of each shearlet's
spectral energy whose direction the projector samples, the directions measured from
:class:`fastshear.Radon2D` itself (:func:`detector_axes`), never typed in. :func:`visibility_ratios`
checks the split by the projector: ``rho_i >= 1`` for visible bands, ``< 1`` for invisible ones.

PyTorch is optional and imported only where a network is built, trained or run.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np

from ._validation import float_dtype, positive_shape

__all__ = ["detector_axes", "visibility_fractions", "visibility", "visibility_ratios", "soft_split",
           "random_phantom", "phantom_sinogram", "LtIConfig", "generate", "LtIDataset", "UNet",
           "LtIModel", "train", "reconstruct", "combine", "load", "PHANTOM_KINDS"]

PHANTOM_KINDS = ("ellipses", "polygons", "cartoon")
_FORMAT = "fastshear.lti"
_VERSION = 1


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("learning the invisible needs PyTorch, an optional dependency: "
                          "pip install 'fastshear[torch]'") from None
    return torch


def _shearlets(shape, scales, dtype=np.float32, workers=None):
    from .shearlet2d import Shearlet2D, ShearletFallbackWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShearletFallbackWarning)
        return Shearlet2D(shape, scales, dtype=dtype, workers=workers)


# ---------------------------------------------------------------------------------------------
# visibility, from the data
# ---------------------------------------------------------------------------------------------
def detector_axes(radon) -> np.ndarray:
    """The detector axis of every projection, measured from the projector itself.

    A single pixel projects (Radon2D's pixel-driven projector: linear interpolation) to a
    bump centred at its detector coordinate ``s``. Moving the pixel one row down and one column
    right moves the centroids by ``ds/di`` and ``ds/dj``: the detector axis in numpy's
    ``(row, col)`` index space. By the Fourier slice theorem the projection at that angle samples
    the image spectrum along this axis. Nothing here uses a formula for the angle convention.

    Parameters
    ----------
    radon : Radon2D

    Returns
    -------
    ndarray (n_angles, 2)
        Unit vectors ``(d_row, d_col)``.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> R = fastshear.Radon2D((64, 64), [0.0, 90.0])
    >>> np.round(fastshear.lti.detector_axes(R), 6) + 0.0
    array([[ 0.,  1.],
           [-1.,  0.]])
    """
    from .radon import Radon2D

    n, m = radon.shape
    i0, j0 = n // 2, m // 2
    pts = np.zeros((3, n, m))
    pts[0, i0, j0] = pts[1, i0 + 1, j0] = pts[2, i0, j0 + 1] = 1.0
    kw = dict(n_det=radon.n_det, det_spacing=radon.det_spacing, circle=radon.circle,
              geometry=radon.geometry, dtype=np.float64)
    if radon.geometry == "fan":
        kw.update(source_distance=radon.source_distance, detector_distance=radon.detector_distance)
    s = Radon2D(radon.shape, radon.theta, **kw).forward(pts)  # (3, n_angles, n_det)
    u = np.arange(radon.n_det, dtype=np.float64)
    cen = (s * u).sum(-1) / np.maximum(s.sum(-1), 1e-300)
    ax = np.stack([cen[1] - cen[0], cen[2] - cen[0]], axis=-1)
    return ax / np.maximum(np.linalg.norm(ax, axis=-1, keepdims=True), 1e-300)


def _axis_angles(radon) -> tuple[np.ndarray, float]:
    """Measured directions (degrees modulo 180, in (row, col) frequency space) and the angular
    sampling step (the median gap, as Radon2D's quadrature weights)."""
    ax = detector_axes(radon)
    a = np.mod(np.degrees(np.arctan2(ax[:, 0], ax[:, 1])), 180.0)
    if a.size < 2:
        return a, 1.0
    s = np.sort(a)
    gaps = np.diff(np.concatenate([s, s[:1] + 180.0]))
    gaps = gaps[gaps > 1e-9]
    return a, float(np.median(gaps)) if gaps.size else 1.0


def visibility_fractions(shearlets, radon, *, spectra=None) -> np.ndarray:
    """For each shearlet, the fraction of its spectral energy (zero frequency excluded) whose
    direction the projector samples.

    ``v_i = sum_{xi != 0, dir(xi) in Theta} |psi_i(xi)|^2 / sum_{xi != 0} |psi_i(xi)|^2``, where
    ``Theta`` is the set of detector axes of ``radon`` (:func:`detector_axes`), each covering
    half an angular step on either side, and ``dir(xi)`` the direction of the frequency
    ``(k_row / N, k_col / M)`` (cycles per pixel) modulo 180 degrees.

    Parameters
    ----------
    shearlets : Shearlet2D
    radon : Radon2D
        The geometry of the data (same image shape).
    spectra : ndarray (K, N, M), optional
        Centred frequency responses to use instead of ``shearlets.spectra``.

    Returns
    -------
    ndarray (K,), values in [0, 1] (the lowpass' fraction too; :func:`visibility` counts the
    lowpass as visible whatever it is).

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
    >>> R = fastshear.Radon2D((64, 64), np.arange(-60, 61.0))
    >>> v = fastshear.lti.visibility_fractions(sh, R)
    >>> v.shape, bool(v.min() < 0.2), bool(v.max() > 0.95)
    ((17,), True, True)
    """
    n, m = shearlets.shape
    if tuple(radon.shape) != (n, m):
        raise ValueError(f"the shearlets are {n}x{m} but the Radon geometry is "
                         f"{radon.shape[0]}x{radon.shape[1]}")
    ang, step = _axis_angles(radon)
    kr = (np.arange(n) - n // 2)[:, None] / n
    kc = (np.arange(m) - m // 2)[None, :] / m
    phi = np.mod(np.degrees(np.arctan2(np.broadcast_to(kr, (n, m)), np.broadcast_to(kc, (n, m)))), 180.0)
    sa = np.sort(ang)
    # distance (mod 180) from each frequency direction to its nearest measured axis
    pos = np.searchsorted(sa, phi.ravel())
    lo = sa[(pos - 1) % sa.size]
    hi = sa[pos % sa.size]

    def dist(a, b):
        return np.abs(np.mod(a - b + 90.0, 180.0) - 90.0)

    d = np.minimum(dist(phi.ravel(), lo), dist(phi.ravel(), hi)).reshape(n, m)
    covered = d <= 0.5 * step * (1 + 1e-9)
    covered[n // 2, m // 2] = False
    nonzero = np.ones((n, m), bool)
    nonzero[n // 2, m // 2] = False
    e = np.abs(shearlets.spectra if spectra is None else spectra) ** 2
    tot = (e * nonzero).sum(axis=(-2, -1))
    return (e * covered).sum(axis=(-2, -1)) / np.maximum(tot, 1e-300)


def _lowpass(shearlets) -> np.ndarray:
    return np.asarray(shearlets.indices)[:, 0] == 0


def visibility(shearlets, radon, threshold: float = 0.5) -> np.ndarray:
    """Visible shearlets: ``v_i >= threshold`` (:func:`visibility_fractions`); the lowpass
    always.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
    >>> vis = fastshear.lti.visibility(sh, fastshear.Radon2D((64, 64), np.arange(-60, 61.0)))
    >>> int(vis.sum()), int((~vis).sum()), bool(vis[-1])
    (11, 6, True)
    """
    if not (0.0 <= threshold <= 1.0):
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    return (visibility_fractions(shearlets, radon) >= threshold) | _lowpass(shearlets)


def _full_range(radon):
    """A Radon2D like ``radon`` sampling 180 degrees with its angular step."""
    from .radon import Radon2D

    t = np.asarray(radon.theta)
    _, step = _axis_angles(radon)
    full = t.min() + np.arange(int(round(180.0 / step))) * step
    kw = dict(n_det=radon.n_det, det_spacing=radon.det_spacing, circle=radon.circle,
              geometry=radon.geometry, dtype=np.float64)
    if radon.geometry == "fan":
        kw.update(source_distance=radon.source_distance, detector_distance=radon.detector_distance)
    return Radon2D(radon.shape, full, **kw)


def visibility_ratios(shearlets, radon, *, samples: int = 2, seed: int = 0) -> np.ndarray:
    """The projector's check of the split: for random coefficients ``c`` on band i only,
    ``rho_i = ||R SH^-1 c|| / ||R_full SH^-1 c|| * sqrt(n_full / n_angles)``.

    ``R_full`` samples 180 degrees with the same step, so an isotropic band gives about 1;
    bands whose directions the data sample give more, bands in the missing wedge less (coarse
    shearlets are broad: "invisible" is a matter of degree).

    Parameters
    ----------
    shearlets : Shearlet2D
    radon : Radon2D
    samples : int
        Random coefficient sets per band (the energies are summed).
    seed : int

    Returns
    -------
    ndarray (K,)

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
    >>> R = fastshear.Radon2D((64, 64), np.arange(-60, 61.0))
    >>> rho = fastshear.lti.visibility_ratios(sh, R)
    >>> vis = fastshear.lti.visibility(sh, R)
    >>> bool(rho[vis][:-1].min() >= 1.0), bool(rho[~vis].max() < 1.0)   # the shearlets
    (True, True)
    >>> round(float(rho[-1]), 2)                                        # the lowpass
    0.99
    """
    from .radon import Radon2D

    K = shearlets.n_shearlets
    n, m = shearlets.shape
    rng = np.random.default_rng(seed)
    kw = dict(n_det=radon.n_det, det_spacing=radon.det_spacing, circle=radon.circle,
              geometry=radon.geometry, dtype=np.float64)
    if radon.geometry == "fan":
        kw.update(source_distance=radon.source_distance, detector_distance=radon.detector_distance)
    R = Radon2D(radon.shape, radon.theta, **kw)
    Rf = _full_range(radon)
    e_m = np.zeros(K)
    e_f = np.zeros(K)
    for _ in range(int(samples)):
        c = np.zeros((K, K, n, m))
        c[np.arange(K), np.arange(K)] = rng.standard_normal((K, n, m))
        x = np.asarray(shearlets.inverse(c.astype(shearlets.dtype)), np.float64)
        e_m += (R.forward(x) ** 2).sum(axis=(-2, -1))
        e_f += (Rf.forward(x) ** 2).sum(axis=(-2, -1))
    return np.sqrt(e_m / np.maximum(e_f, 1e-300) * Rf.n_angles / R.n_angles)


def soft_split(coeffs, fractions):
    """``(v c, (1 - v) c)``: each band split by its visible fraction ``v_i``.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> v, i = fastshear.lti.soft_split(np.ones((2, 1, 1)), [0.25, 1.0])
    >>> v.ravel(), i.ravel()
    (array([0.25, 1.  ]), array([0.75, 0.  ]))
    """
    c = np.asarray(coeffs)
    v = np.asarray(fractions, np.float64)
    if v.ndim != 1 or c.ndim < 3 or c.shape[-3] != v.size:
        raise ValueError(f"coeffs must be (..., {v.size}, N, M) to match {v.size} fractions, got {c.shape}")
    w = v.astype(c.dtype if c.dtype.kind == "f" else np.float64)[:, None, None]
    return c * w, c * (1 - w)


# ---------------------------------------------------------------------------------------------
# phantoms and data
# ---------------------------------------------------------------------------------------------
def _random_polygons(shape, rng):
    """Random convex polygons (3-8 vertices on a random ellipse) inside the disc of radius
    0.9 min(N, M)/2: rows ``(rho, vertices (k, 2) as (x, y) pixel units)``."""
    n, m = shape
    R = 0.9 * min(n, m) / 2.0
    out = []
    for _ in range(int(rng.integers(2, 6))):
        k = int(rng.integers(3, 9))
        a, b = rng.uniform(0.1, 0.45, 2) * R
        r_c = rng.uniform(0, max(R - max(a, b), 0.0))
        ang = rng.uniform(0, 2 * np.pi)
        x0, y0 = r_c * np.cos(ang), r_c * np.sin(ang)
        phi = rng.uniform(0, np.pi)
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        px, py = a * np.cos(t), b * np.sin(t)
        c, s = np.cos(phi), np.sin(phi)
        v = np.stack([x0 + c * px - s * py, y0 + s * px + c * py], axis=-1)
        out.append((float(rng.uniform(0.1, 1.0)), v))
    return out


def _halfplanes(v):
    """Outward normals and offsets of a counter-clockwise convex polygon: inside iff
    ``normal . p <= offset`` for every edge."""
    e = np.roll(v, -1, axis=0) - v
    nrm = np.stack([e[:, 1], -e[:, 0]], axis=-1)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-300)
    return nrm, (nrm * v).sum(-1)


def _polygon_image(polys, shape, oversample=4):
    n, m = shape
    o = oversample
    sub = (np.arange(o) + 0.5) / o - 0.5
    y = ((n // 2 - np.arange(n))[:, None] - sub[None, :]).reshape(-1)  # (n*o,)
    x = ((np.arange(m) - m // 2)[:, None] + sub[None, :]).reshape(-1)
    X, Y = np.meshgrid(x, y)
    img = np.zeros((n * o, m * o))
    for rho, v in polys:
        nrm, off = _halfplanes(v)
        inside = np.ones_like(img, bool)
        for (a, b), d in zip(nrm, off):
            inside &= a * X + b * Y <= d
        img += rho * inside
    return img.reshape(n, o, m, o).mean(axis=(1, 3))


def _polygon_sinogram(polys, theta, n_det, det_spacing=1.0):
    """Exact line integrals (chord lengths times densities) of convex polygons, parallel beam."""
    th = np.deg2rad(np.asarray(theta, np.float64))[:, None]
    s = ((np.arange(n_det) - n_det // 2) * det_spacing)[None, :]
    w = np.stack([np.cos(th), np.sin(th)], -1)          # (A, 1, 2)
    wp = np.stack([-np.sin(th), np.cos(th)], -1)
    out = np.zeros((th.shape[0], n_det))
    for rho, v in polys:
        nrm, off = _halfplanes(v)
        # p = s w + t wp; constraint nrm.p <= off: (nrm.wp) t <= off - s (nrm.w)
        a = (wp[..., None, :] * nrm).sum(-1)              # (A, 1, E)
        b = off - s[..., None] * (w[..., None, :] * nrm).sum(-1)  # (A, D, E)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = b / a
        big = 1e30
        upper = np.where(a > 1e-12, t, big).min(-1)
        lower = np.where(a < -1e-12, t, -big).max(-1)
        feasible = np.all(np.where(np.abs(a) <= 1e-12, b >= 0, True), axis=-1)
        out += rho * np.where(feasible, np.clip(upper - lower, 0, None), 0.0)
    return out


def random_phantom(shape, seed, kind: str = "ellipses"):
    """A random phantom (values >= 0, zero outside the disc of radius 0.9 min(N, M) / 2).

    Parameters
    ----------
    shape : (int, int)
    seed : int or sequence of int
        Seed of ``numpy.random.default_rng``.
    kind : {"ellipses", "polygons", "cartoon"}
        3-10 random ellipses with densities in [0.1, 1]; 2-5 random convex polygons with
        densities in [0.1, 1]; a cartoon-like image (Def. 3.2: smooth intensities, jumps across
        smooth curves, :func:`fastshear.phantoms.cartoon`) cut to the disc.

    Returns
    -------
    (image, description)
        The image (N, M) (4 x 4 sub-samples per pixel) and what :func:`phantom_sinogram` needs
        to compute its exact (or 2x finer) sinogram.

    Examples
    --------
    >>> import fastshear
    >>> img, d = fastshear.lti.random_phantom((64, 64), 1, "polygons")
    >>> img.shape, bool(img.min() >= 0)
    ((64, 64), True)
    """
    from . import phantoms

    shape = positive_shape(shape, 2)
    rng = np.random.default_rng(seed)
    if kind == "ellipses":
        e = phantoms.random_ellipses(shape, seed=int(rng.integers(2 ** 31)), n_ellipses=int(rng.integers(3, 11)))
        return phantoms.ellipse_image(e, shape), ("ellipses", e)
    if kind == "polygons":
        p = _random_polygons(shape, rng)
        return _polygon_image(p, shape), ("polygons", p)
    if kind == "cartoon":
        s = int(rng.integers(2 ** 31))
        return _downsample2(_cartoon(shape, s, 2), shape), ("cartoon", s)
    raise ValueError(f"kind must be one of {', '.join(PHANTOM_KINDS)}, got {kind!r}")


def _cartoon(shape, seed, factor):
    """phantoms.cartoon at ``factor`` times the resolution, cut to the disc of radius 0.9."""
    from . import phantoms

    n, m = shape
    img = phantoms.cartoon((n * factor, m * factor), seed=seed)
    y = (n * factor // 2 - np.arange(n * factor))[:, None]
    x = (np.arange(m * factor) - m * factor // 2)[None, :]
    r = 0.9 * min(n, m) * factor / 2.0
    return img * (x * x + y * y <= r * r)


def _downsample2(fine, shape):
    """The coarse pixels of an image rendered at twice the resolution: coarse pixel (i, j) is
    centred on fine pixel (2 i - 2 (N // 2) + N, ...) and covers it and half its neighbours."""
    n, m = shape
    f = np.pad(fine, 1)
    w = (0.25, 0.5, 0.25)
    ri = 2 * (np.arange(n) - n // 2) + n + 1
    ci = 2 * (np.arange(m) - m // 2) + m + 1
    rows = sum(wi * f[ri + d - 1] for wi, d in zip(w, range(3)))
    return sum(wi * rows[:, ci + d - 1] for wi, d in zip(w, range(3)))


def phantom_sinogram(description, shape, theta, n_det):
    """The sinogram ``(n_angles, n_det)`` of a phantom from :func:`random_phantom`: exact line
    integrals for ellipses and polygons (no inverse crime), the projection of the image rendered
    at twice the resolution for cartoons.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> img, d = fastshear.lti.random_phantom((64, 64), 0, "polygons")
    >>> g = fastshear.lti.phantom_sinogram(d, (64, 64), np.arange(0, 180.0), 64)
    >>> R = fastshear.Radon2D((64, 64), np.arange(0, 180.0))
    >>> bool(np.linalg.norm(g - R.forward(img)) < 0.05 * np.linalg.norm(g))
    True
    """
    from . import phantoms
    from .radon import Radon2D

    kind, d = description
    if kind == "ellipses":
        return phantoms.ellipse_sinogram(d, theta, n_det)
    if kind == "polygons":
        return _polygon_sinogram(d, theta, n_det)
    if kind == "cartoon":
        n, m = shape
        fine = _cartoon(shape, d, 2)
        nf = 2 * n_det + 3  # fine bin kf is centred at (kf - n_det - 1) fine = half a coarse pixel
        s = Radon2D((2 * n, 2 * m), theta, n_det=nf, circle=False).forward(fine) / 2.0
        k = 2 * (np.arange(n_det) - n_det // 2) + n_det + 1
        return 0.25 * s[:, k - 1] + 0.5 * s[:, k] + 0.25 * s[:, k + 1]
    raise ValueError(f"unknown phantom kind {kind!r}")


class LtIConfig(dict):
    """The whole configuration of a model (geometry, noise, shearlets, step 1, network, data),
    a plain dict with defaults: the documented default model is ``LtIConfig()``."""

    DEFAULTS = {
        "shape": [128, 128], "theta": [-60.0, 60.0, 1.0], "n_det": None, "noise": 0.01,
        "scales": 3, "threshold": 0.5, "step1_iter": None, "widths": [16, 32, 64],
        "kinds": ["ellipses", "polygons"], "dtype": "float32",
    }

    def __init__(self, **kw):
        unknown = set(kw) - set(self.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown LtI configuration keys: {sorted(unknown)}")
        super().__init__({**self.DEFAULTS, **kw})
        self["shape"] = list(positive_shape(self["shape"], 2))
        if self["n_det"] is None:
            self["n_det"] = min(self["shape"])
        for k in self["kinds"]:
            if k not in PHANTOM_KINDS:
                raise ValueError(f"kinds must be among {PHANTOM_KINDS}, got {k!r}")

    @property
    def angles(self) -> np.ndarray:
        a, b, s = self["theta"]
        return np.arange(a, b + 0.5 * s, s)

    def radon(self, dtype=None, workers=None):
        """The configuration's Radon transform (``dtype`` None: the configuration's ``dtype``)."""
        from .radon import Radon2D

        dt = float_dtype(self["dtype"] if dtype is None else dtype)
        return Radon2D(tuple(self["shape"]), self.angles, n_det=self["n_det"], dtype=dt, workers=workers)

    def shearlets(self, workers=None):
        return _shearlets(tuple(self["shape"]), self["scales"], float_dtype(self["dtype"]), workers)

    def data_key(self) -> dict:
        key = {k: self[k] for k in ("shape", "theta", "n_det", "noise", "scales", "step1_iter", "kinds",
                                    "dtype")}
        key["code"] = _code_hash()
        return key


def _code_hash() -> str:
    """A hash of the code that makes the data (phantoms, projector wrapper, step 1's solver):
    cached data from another version of it are not reused."""
    from . import ct, phantoms, radon, solvers

    h = hashlib.sha256()
    for mod in (ct, phantoms, radon, solvers):
        try:
            h.update(Path(mod.__file__).read_bytes())
        except OSError:  # pragma: no cover
            h.update(mod.__name__.encode())
    src = Path(__file__).read_text()
    h.update(src[src.index("def _random_polygons"):src.index("class LtIConfig")].encode())
    return h.hexdigest()[:16]


def _step1(sinograms, theta, shape, *, noise_level=None, scales=3, dtype=np.float32, workers=None,
           max_iter=None, progress=False):
    """Step 1 for a batch of sinograms ``(B, n_angles, n_det)``: shearlet-l1 + non-negativity.

    The one place that calls the model-based solver (``fastshear.ct.reconstruct``, method
    "shearlet-l1", its default regularisation rule with the noise level estimated from the data
    unless given)."""
    from . import ct

    g = np.asarray(sinograms)
    single = g.ndim == 2
    g = g[None] if single else g
    out = np.empty((g.shape[0],) + tuple(shape), dtype=float_dtype(dtype))
    bar = _bar(g.shape[0], "step 1 (shearlet-l1)", progress)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the stack in one batched solve (per-problem levels and stopping): 1.2x the throughput
        # of separate solves at 128 x 128 with the fused ADMM steps (bench/ct_batch.py)
        out[:] = ct.reconstruct(g, theta, tuple(shape), "shearlet-l1", noise_level=noise_level,
                                scales=scales, dtype=dtype, workers=workers, max_iter=max_iter)
        bar.update(g.shape[0])
    bar.close()
    return out[0] if single else out


def _bar(total, desc, progress):
    """The solvers' progress bar (tqdm, a plain line without it, or nothing)."""
    from .solvers import _progress

    return _progress(progress, total, desc)


def _cache_dir() -> Path:
    from ._fftw import cache_dir

    return cache_dir() / "lti"


CHUNK = 16


def generate(config, n: int, seed: int, *, cache: bool = True, progress: bool = False, workers=None) -> dict:
    """Training (or test) data: phantoms, noisy limited-angle sinograms, FBP and step-1 images.

    Sample k is made from ``numpy.random.default_rng([seed, k])`` (kind chosen in turn from
    ``config["kinds"]``), so data sets of different sizes share their first samples. Results are
    cached in chunks of 16 samples (samples 0-15, 16-31, ...; a last partial chunk on its own) under ``$FASTSHEAR_CACHE_DIR/lti`` (default
    ``~/.cache/fastshear/lti``), keyed by a hash of every parameter, so a second run recomputes
    nothing. Shearlet coefficients are not stored (33 bands of 128 x 128 per image would take
    0.9 GB for 400 images): :class:`LtIDataset` computes them from ``fstar`` and ``truth``.

    Returns
    -------
    dict of ndarray
        ``truth`` (n, N, M), ``sinogram`` (n, n_angles, n_det), ``fbp`` and ``fstar`` (n, N, M).
    """
    cfg = config if isinstance(config, LtIConfig) else LtIConfig(**dict(config))
    shape = tuple(cfg["shape"])
    theta = cfg.angles
    dt = float_dtype(cfg["dtype"])
    R = cfg.radon(dt, workers)
    parts = []
    n = int(n)
    n_chunks = -(-n // CHUNK)
    bar = _bar(n, "LtI data", progress)
    for ci in range(n_chunks):
        lo, hi = ci * CHUNK, min((ci + 1) * CHUNK, n)
        key = json.dumps({"format": "lti-data-2", **cfg.data_key(), "seed": int(seed), "samples": [lo, hi]},
                         sort_keys=True)
        h = hashlib.sha256(key.encode()).hexdigest()[:24]
        path = _cache_dir() / f"data-{h}.npz"
        if cache and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    parts.append({k: z[k] for k in ("truth", "sinogram", "fbp", "fstar")})
                bar.update(hi - lo)
                continue
            except (OSError, KeyError, ValueError):
                pass
        truth, sino = [], []
        for k in range(lo, hi):
            rng = np.random.default_rng([int(seed), k])
            kind = cfg["kinds"][k % len(cfg["kinds"])]
            img, desc = random_phantom(shape, [int(seed), k, 1], kind)
            clean = phantom_sinogram(desc, shape, theta, cfg["n_det"])
            sigma = cfg["noise"] * float(np.sqrt(np.mean(clean ** 2)))
            truth.append(img)
            sino.append(clean + sigma * rng.standard_normal(clean.shape))
        truth = np.asarray(truth, dt)
        sino = np.asarray(sino, dt)
        fbp = R.fbp(sino)
        fstar = np.asarray(_step1(sino, theta, shape, scales=cfg["scales"], dtype=dt, workers=workers,
                                  max_iter=cfg["step1_iter"]), dt)
        bar.update(hi - lo)
        part = {"truth": truth, "sinogram": sino, "fbp": fbp, "fstar": fstar}
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, **part)
            os.replace(tmp, path)
        parts.append(part)
    bar.close()
    return {k: np.concatenate([p[k] for p in parts]) for k in ("truth", "sinogram", "fbp", "fstar")}


# ---------------------------------------------------------------------------------------------
# the network
# ---------------------------------------------------------------------------------------------
_UNET = None


def UNet(c_in: int, c_out: int, widths=(16, 32, 64), residual: bool = False):
    """A plain U-net (``len(widths)`` levels: two 3x3 conv + ReLU per level, max-pool down,
    transposed conv up, skip connections, a 1x1 conv out). ``residual=True`` adds the input
    (``c_in == c_out``): the image-domain post-processing baseline.

    Examples
    --------
    >>> import fastshear, pytest
    >>> torch = pytest.importorskip("torch")
    >>> net = fastshear.lti.UNet(22, 11, (16, 32, 64))
    >>> net(torch.zeros(1, 22, 32, 32)).shape
    torch.Size([1, 11, 32, 32])
    """
    global _UNET
    torch = _torch()
    nn = torch.nn
    if _UNET is None:
        class _UNetModule(nn.Module):
            def __init__(self, c_in, c_out, widths, residual):
                super().__init__()
                widths = [int(w) for w in widths]

                def block(a, b):
                    return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(inplace=True),
                                         nn.Conv2d(b, b, 3, padding=1), nn.ReLU(inplace=True))

                self.residual = bool(residual)
                self.down = nn.ModuleList()
                prev = c_in
                for w in widths:
                    self.down.append(block(prev, w))
                    prev = w
                self.up = nn.ModuleList()
                self.dec = nn.ModuleList()
                for w in reversed(widths[:-1]):
                    self.up.append(nn.ConvTranspose2d(prev, w, 2, stride=2))
                    self.dec.append(block(2 * w, w))
                    prev = w
                self.out = nn.Conv2d(prev, c_out, 1)
                self.pool = nn.MaxPool2d(2)

            def forward(self, x):
                skips = []
                h = x
                for i, blk in enumerate(self.down):
                    h = blk(h)
                    if i + 1 < len(self.down):
                        skips.append(h)
                        h = self.pool(h)
                for up, dec in zip(self.up, self.dec):
                    h = up(h)
                    h = dec(torch.cat([h, skips.pop()], dim=1))
                h = self.out(h)
                return h + x if self.residual else h

        _UNetModule.__name__ = _UNetModule.__qualname__ = "UNet"
        _UNetModule.__module__ = __name__
        _UNET = _UNetModule
    if residual and c_in != c_out:
        raise ValueError("residual=True needs c_in == c_out")
    return _UNET(c_in, c_out, widths, residual)


class LtIDataset:
    """Pairs (normalised visible coefficients of f*, normalised invisible coefficients of the
    truth) as float32 tensors ``(K_vis, N, M)``, ``(K_inv, N, M)``; a map-style dataset for
    ``torch.utils.data.DataLoader`` (``__getitems__`` computes a batch's coefficients in one
    call). With ``mode="fbp"`` or ``"fstar-image"`` the pairs are (image, truth) ``(1, N, M)``
    for the image-domain baselines.
    """

    def __init__(self, data, model, mode: str = "coefficients"):
        self.truth = np.asarray(data["truth"], np.float32)
        self.mode = mode
        if mode == "coefficients":
            self.inp = np.asarray(data["fstar"], np.float32)
        elif mode == "fbp":
            self.inp = np.asarray(data["fbp"], np.float32)
        elif mode == "fstar-image":
            self.inp = np.asarray(data["fstar"], np.float32)
        else:
            raise ValueError(f"mode must be 'coefficients', 'fbp' or 'fstar-image', got {mode!r}")
        self.model = model

    def __len__(self):
        return self.truth.shape[0]

    def __getitems__(self, idx):
        torch = _torch()
        idx = list(idx)
        if self.mode != "coefficients":
            x = torch.from_numpy(self.inp[idx][:, None].copy())
            y = torch.from_numpy(self.truth[idx][:, None].copy())
            return x, y
        x, y = self.model._pairs(self.inp[idx], self.truth[idx])
        return torch.from_numpy(x), torch.from_numpy(y)

    def __getitem__(self, i):
        x, y = self.__getitems__([i])
        return x[0], y[0]

    @staticmethod
    def collate(batch):
        """``DataLoader(..., collate_fn=LtIDataset.collate)``: a batch from ``__getitems__`` is
        already stacked."""
        if isinstance(batch, tuple):
            return batch
        torch = _torch()
        return torch.stack([b[0] for b in batch]), torch.stack([b[1] for b in batch])


class LtIModel:
    """A trained LtI network with its whole configuration (see :func:`train`, :func:`load`).

    Attributes
    ----------
    config : LtIConfig
    fractions : ndarray (K,)
        Visible fractions of the shearlets for this geometry.
    mask : ndarray of bool (K,)
        Visible shearlets.
    stats : dict
        Per-channel means and standard deviations (training data) of inputs and targets.
    net : torch.nn.Module
    history : dict
        Training history (losses per epoch).
    """

    def __init__(self, config, net=None, stats=None, history=None):
        self.config = config if isinstance(config, LtIConfig) else LtIConfig(**dict(config))
        self.sh = self.config.shearlets()
        self.radon = self.config.radon()
        self.fractions = visibility_fractions(self.sh, self.radon)
        self.mask = (self.fractions >= self.config["threshold"]) | _lowpass(self.sh)
        self.stats = stats
        self.history = history or {}
        k_vis, k_inv = int(self.mask.sum()), int((~self.mask).sum())
        self.net = net if net is not None else UNet(k_vis, k_inv, self.config["widths"])

    @property
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net.parameters()))

    def __repr__(self):
        c = self.config
        return (f"LtIModel(shape={tuple(c['shape'])}, theta={c['theta']}, noise={c['noise']}, "
                f"scales={c['scales']}, visible={int(self.mask.sum())}/{self.mask.size}, "
                f"widths={c['widths']}, parameters={self.n_parameters})")

    # -- coefficients ---------------------------------------------------------------------------
    def coefficients(self, images):
        """Shearlet coefficients ``(B, K, N, M)`` of images ``(B, N, M)``, float32."""
        return self.sh.forward(np.asarray(images, np.float32))

    def _fit_stats(self, fstar, truth, max_samples: int = 64):
        """Per-channel means and standard deviations over (at most the first 64) training
        samples (all 33 bands of 400 images would take 0.9 GB)."""
        cv = self.coefficients(fstar[:max_samples])[:, self.mask]
        ci = self.coefficients(truth[:max_samples])[:, ~self.mask]
        self.stats = {"in_mean": cv.mean(axis=(0, 2, 3)).astype(np.float64),
                      "in_std": cv.std(axis=(0, 2, 3)).astype(np.float64) + 1e-8,
                      "out_mean": ci.mean(axis=(0, 2, 3)).astype(np.float64),
                      "out_std": ci.std(axis=(0, 2, 3)).astype(np.float64) + 1e-8}

    def _norm_in(self, cv):
        s = self.stats
        return ((cv - s["in_mean"][:, None, None]) / s["in_std"][:, None, None]).astype(np.float32)

    def _pairs(self, fstar, truth):
        c = self.coefficients(fstar)[:, self.mask]
        t = self.coefficients(truth)[:, ~self.mask]
        s = self.stats
        y = ((t - s["out_mean"][:, None, None]) / s["out_std"][:, None, None]).astype(np.float32)
        return self._norm_in(c), y

    def predict_invisible(self, fstar, *, batch_size: int = 16):
        """The network's invisible coefficients ``(B, K_inv, N, M)`` from step-1 images
        ``(B, N, M)`` (also returns the full coefficients of f*)."""
        torch = _torch()
        f = np.asarray(fstar, np.float32)
        c = self.coefficients(f)
        out = np.empty((f.shape[0], int((~self.mask).sum())) + f.shape[1:], np.float32)
        self.net.eval()
        s = self.stats
        with torch.no_grad():
            for b in range(0, f.shape[0], batch_size):
                x = torch.from_numpy(self._norm_in(c[b:b + batch_size][:, self.mask]))
                y = self.net(x).numpy()
                out[b:b + batch_size] = y * s["out_std"][:, None, None] + s["out_mean"][:, None, None]
        return out, c

    # -- geometry -------------------------------------------------------------------------------
    def check_geometry(self, theta, shape=None, n_det=None, noise=None):
        """Raise ValueError saying what differs when data do not match the trained geometry."""
        c = self.config
        diffs = []
        t = np.asarray(theta, np.float64).ravel()
        want = c.angles
        if t.size != want.size or not np.allclose(t, want, atol=1e-6):
            got = (f"{t.size} angles from {t.min():g} to {t.max():g}" if t.size else "no angles")
            diffs.append(f"angles: the model was trained on {want.size} angles {c['theta'][0]:g}..{c['theta'][1]:g} "
                         f"step {c['theta'][2]:g}, got {got}")
        if shape is not None and tuple(shape) != tuple(c["shape"]):
            diffs.append(f"image shape: trained {tuple(c['shape'])}, got {tuple(shape)}")
        if n_det is not None and int(n_det) != int(c["n_det"]):
            diffs.append(f"detector bins: trained {c['n_det']}, got {n_det}")
        if noise is not None and not math.isclose(float(noise), float(c["noise"]), rel_tol=1e-9):
            diffs.append(f"noise level: trained {c['noise']:g}, got {noise:g}")
        if diffs:
            raise ValueError("this LtI model does not match the data's geometry: " + "; ".join(diffs))

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the model (configuration, normalisation, visibility, history, weights) to one
        ``.npz`` file (no pickle)."""
        arrays = {f"param:{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        arrays.update({f"stats:{k}": np.asarray(v) for k, v in self.stats.items()})
        meta = {"format": _FORMAT, "version": _VERSION, "config": dict(self.config),
                "mask": self.mask.tolist(), "fractions": self.fractions.tolist(),
                "history": self.history}
        with open(os.fspath(path), "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path) -> "LtIModel":
        """Read a model written by :meth:`save`."""
        torch = _torch()
        p = os.fspath(path)
        with np.load(p, allow_pickle=False) as z:
            try:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != _FORMAT:
                    raise KeyError("format")
                state = {k[6:]: torch.from_numpy(z[k].copy()) for k in z.files if k.startswith("param:")}
                stats = {k[6:]: z[k].copy() for k in z.files if k.startswith("stats:")}
            except (KeyError, ValueError) as e:
                raise ValueError(f"{p!r} is not a file written by LtIModel.save ({e})") from None
        m = cls(LtIConfig(**meta["config"]), stats=stats, history=meta.get("history"))
        if m.mask.tolist() != meta["mask"]:
            raise ValueError(f"{p!r}: the visibility split of this fastshear version differs from the "
                             "one the model was trained with")
        m.net.load_state_dict(state)
        m.net.eval()
        return m


def load(path) -> LtIModel:
    """:meth:`LtIModel.load`."""
    return LtIModel.load(path)


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------
def train(config=None, *, n_train: int = 400, n_val: int = 40, epochs: int = 20, batch_size: int = 8,
          lr: float = 1e-3, patience: int | None = 5, seed: int = 0, data=None, val_data=None,
          progress: bool = True, workers=None, cache: bool = True, callbacks=()) -> LtIModel:
    """Train an LtI model: make (or take) the data, fit the normalisation, train the U-net
    through :func:`fastshear.nn.fit` (Adam, MSE on normalised coefficients, early stopping on
    the validation loss, the best epoch's weights kept), deterministic on CPU for a seed.

    Parameters
    ----------
    config : LtIConfig or dict, optional
        Default: the documented default model (128 x 128, -60..60 step 1, 1 % noise, 3 scales,
        16/32/64 channels).
    n_train, n_val : int
        Training and validation phantoms (seeds ``seed`` and ``seed + 1``; disjoint).
    data, val_data : dict, optional
        Data from :func:`generate` (instead of making them).
    """
    torch = _torch()
    from . import nn as fnn

    cfg = LtIConfig() if config is None else (config if isinstance(config, LtIConfig) else LtIConfig(**dict(config)))
    if data is None:
        data = generate(cfg, n_train, 1000 * seed + 1, cache=cache, progress=progress, workers=workers)
    if val_data is None and n_val:
        val_data = generate(cfg, n_val, 1000 * seed + 2, cache=cache, progress=progress, workers=workers)
    torch.manual_seed(seed)
    model = LtIModel(cfg)
    model._fit_stats(data["fstar"], data["truth"])
    train_ds = LtIDataset(data, model)
    val_ds = LtIDataset(val_data, model) if val_data is not None else None
    t0 = time.perf_counter()
    hist = fnn.fit(model.net, train_ds, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                   validation=val_ds, patience=patience, progress=progress, callbacks=callbacks)
    hist["seconds"] = time.perf_counter() - t0
    model.history = {k: v for k, v in hist.items() if k in ("loss", "val_loss", "epochs", "best_epoch", "seconds")}
    return model


def train_image_baseline(data, val_data, mode: str, *, widths=(16, 32, 64), epochs=20, batch_size=8,
                         lr=1e-3, patience=5, seed=0, progress=True):
    """The learned baseline a user would reach for instead: the same U-net post-processing an
    image (``mode="fbp"`` or ``"fstar-image"``) in the image domain (residual), trained on the
    same data with the same budget. Returns the torch module."""
    torch = _torch()
    from . import nn as fnn

    torch.manual_seed(seed)
    net = UNet(1, 1, widths, residual=True)
    fnn.fit(net, LtIDataset(data, None, mode), epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
            validation=LtIDataset(val_data, None, mode) if val_data is not None else None,
            patience=patience, progress=progress)
    return net


def apply_image_baseline(net, images, batch_size=16):
    torch = _torch()
    x = np.asarray(images, np.float32)
    out = np.empty_like(x)
    net.eval()
    with torch.no_grad():
        for b in range(0, x.shape[0], batch_size):
            out[b:b + batch_size] = net(torch.from_numpy(x[b:b + batch_size, None].copy()))[:, 0].numpy()
    return np.maximum(out, 0)


# ---------------------------------------------------------------------------------------------
# combination and the public reconstruction
# ---------------------------------------------------------------------------------------------
def combine(shearlets, coeffs, invisible, mask, *, nonneg: bool = True):
    """Step 3: ``max(0, SH^-1(c_vis + F))`` with the dual-frame inverse (ShearLab's frame is not
    Parseval, so the transpose would be wrong).

    Parameters
    ----------
    shearlets : Shearlet2D
    coeffs : array_like (..., K, N, M)
        Coefficients of the step-1 image (only the visible bands are used).
    invisible : array_like (..., K_inv, N, M)
        The invisible bands (the network's prediction), in the order of ``~mask``.
    mask : ndarray of bool (K,)

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((64, 64), scales=2)
    >>> x = fastshear.phantoms.shepp_logan((64, 64))
    >>> c = sh.forward(x)
    >>> mask = fastshear.lti.visibility(sh, fastshear.Radon2D((64, 64), np.arange(-60, 61.0)))
    >>> y = fastshear.lti.combine(sh, c, c[~mask], mask, nonneg=False)
    >>> bool(np.allclose(y, x))
    True
    """
    c = np.array(coeffs, copy=True)
    mk = np.asarray(mask, bool)
    c[..., ~mk, :, :] = np.asarray(invisible, c.dtype)
    x = shearlets.inverse(c)
    return np.maximum(x, 0) if nonneg else x


def data_consistency(radon, x, g, steps: int):
    """``steps`` projected Landweber steps ``f <- max(0, f - R^T (R f - g) / ||R||^2)`` from
    ``x`` (the optional data-consistency refinement after step 3)."""
    if steps <= 0:
        return x
    from .operators import norm

    L = (1.05 * norm(radon)) ** 2  # power iteration underestimates
    f = np.asarray(x, radon.dtype).copy()
    gg = np.asarray(g, radon.dtype)
    for _ in range(int(steps)):
        f = np.maximum(f - radon.adjoint(radon.forward(f) - gg) / L, 0)
    return f


def reconstruct(sinogram, theta, model, *, noise_level=None, dc_steps: int = 0, workers=None,
                progress=False, return_parts: bool = False):
    """Learning the invisible: step 1 (shearlet-l1 + non-negativity), the network, step 3.

    Parameters
    ----------
    sinogram : array_like, (n_angles, n_det) or (B, n_angles, n_det)
    theta : array_like
        Angles in degrees; must be those the model was trained on.
    model : LtIModel or path
    noise_level : float, optional
        Sinogram noise std for step 1 (default: estimated from the data, as in training).
    dc_steps : int
        Data-consistency steps after step 3 (:func:`data_consistency`; default none).
    return_parts : bool
        Also return a dict with ``fstar`` (step 1) and ``invisible`` (the predicted
        coefficients).

    Returns
    -------
    ndarray (N, M) or (B, N, M)
    """
    m = model if isinstance(model, LtIModel) else LtIModel.load(model)
    g = np.asarray(sinogram)
    if g.dtype.kind not in "biuf":
        raise TypeError(f"sinogram must be a real array, got dtype {g.dtype}")
    if g.ndim not in (2, 3):
        raise ValueError(f"sinogram must be (n_angles, n_det) or (B, n_angles, n_det), got shape {g.shape}")
    m.check_geometry(theta, n_det=g.shape[-1])
    t = np.asarray(theta, np.float64).ravel()
    if g.shape[-2] != t.size:
        raise ValueError(f"the sinogram has {g.shape[-2]} rows (angles) but theta has {t.size} angles")
    single = g.ndim == 2
    gb = g[None] if single else g
    cfg = m.config
    fstar = _step1(gb, t, tuple(cfg["shape"]), noise_level=noise_level, scales=cfg["scales"],
                   dtype=float_dtype(cfg["dtype"]), workers=workers, max_iter=cfg["step1_iter"],
                   progress=progress)
    F, c = m.predict_invisible(fstar)
    x = combine(m.sh, c, F, m.mask)
    if dc_steps:
        x = data_consistency(m.radon, x, gb, dc_steps)
    if single:
        x, fstar, F = x[0], fstar[0], F[0]
    return (x, {"fstar": fstar, "invisible": F}) if return_parts else x


# ---------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------
def evaluate(model, data, *, batch_size: int = 16) -> dict:
    """Metrics of FBP, step 1 (shearlet-l1) and LtI on data from :func:`generate` (the
    ``fstar`` stored there is step 1), and the relative error of the predicted invisible
    coefficients (zero-fill gives 1.0).

    Returns
    -------
    dict
        ``{"fbp": [...], "shearlet-l1": [...], "lti": [...]}`` lists of per-image metric dicts
        (:func:`fastshear.ct.metrics`), ``"invisible_error"`` (per image), and ``"images"``
        (the LtI reconstructions).
    """
    from . import ct

    truth = np.asarray(data["truth"])
    F, c = model.predict_invisible(data["fstar"], batch_size=batch_size)
    x = combine(model.sh, c, F, model.mask)
    ti = model.coefficients(truth)[:, ~model.mask]
    inv_err = [float(np.linalg.norm(F[b] - ti[b]) / max(np.linalg.norm(ti[b]), 1e-300)) for b in range(len(truth))]
    return {"fbp": [ct.metrics(f, t) for f, t in zip(data["fbp"], truth)],
            "shearlet-l1": [ct.metrics(f, t) for f, t in zip(data["fstar"], truth)],
            "lti": [ct.metrics(f, t) for f, t in zip(x, truth)],
            "invisible_error": inv_err, "images": x}


def summary_table(results: dict) -> str:
    """A markdown table of mean metrics (rel. error, PSNR, SSIM) from :func:`evaluate`."""
    rows = ["| method | rel. error | PSNR (dB) | SSIM |", "|---|---|---|---|"]
    for name in ("fbp", "shearlet-l1", "lti"):
        ms = results[name]
        rows.append(f"| {name} | {np.mean([m['rel_error'] for m in ms]):.4f} | "
                    f"{np.mean([m['psnr'] for m in ms]):.2f} | {np.mean([m['ssim'] for m in ms]):.4f} |")
    gain = np.array([a["psnr"] - b["psnr"] for a, b in zip(results["lti"], results["shearlet-l1"])])
    rows.append("")
    rows.append(f"LtI - shearlet-l1: {gain.mean():+.2f} dB mean (min {gain.min():+.2f}, max {gain.max():+.2f}); "
                f"invisible-coefficient relative error {np.mean(results['invisible_error']):.3f} (zero-fill 1.0)")
    return "\n".join(rows)
