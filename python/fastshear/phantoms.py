"""Test images and volumes: cartoon-like functions (Kutyniok, Def. 3.2).

A cartoon-like function is ``f = f0 + f1 * 1_B``: two smooth functions ``f0, f1`` and the
indicator of a set ``B`` whose boundary is a smooth closed curve. Shearlets approximate such
functions optimally (error ~ N^-2 (log N)^3 with N terms), wavelets do not (~ N^-1).
Every image here is deterministic given its seed.
"""
from __future__ import annotations

import numpy as np

from ._validation import positive_shape

__all__ = ["cartoon", "cartoon3d"]


def _grid(shape):
    n, m = shape
    # y grows upwards, x to the right, both in [-1, 1] (scikit-image's centre convention)
    y = (n // 2 - np.arange(n))[:, None] / (n / 2)
    x = (np.arange(m) - m // 2)[None, :] / (m / 2)
    return x, y


def cartoon(shape=(256, 256), seed: int = 0, n_regions: int = 3, dtype=np.float64) -> np.ndarray:
    """A cartoon-like image: a smooth background plus smooth functions on regions with smooth
    (C-infinity, star-shaped) boundaries.

    Parameters
    ----------
    shape : (int, int)
        Image size.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same image.
    n_regions : int
        Number of regions with a jump across their boundary.
    dtype : numpy.float32 or numpy.float64

    Returns
    -------
    ndarray (N, M), values in [0, 1]

    Examples
    --------
    >>> import fastshear
    >>> img = fastshear.phantoms.cartoon((64, 96), seed=1)
    >>> img.shape, float(img.min()) >= 0.0, float(img.max()) <= 1.0
    ((64, 96), True, True)
    """
    shape = positive_shape(shape, 2)
    rng = np.random.default_rng(seed)
    x, y = _grid(shape)
    # smooth background: a gentle gradient and a wide bump
    a, b = rng.uniform(-0.15, 0.15, 2)
    cx, cy = rng.uniform(-0.5, 0.5, 2)
    img = 0.3 + a * x + b * y + 0.1 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.5)
    for _ in range(n_regions):
        x0, y0 = rng.uniform(-0.45, 0.45, 2)
        r0 = rng.uniform(0.18, 0.4)
        harmonics = rng.integers(2, 6, 3)
        amps = rng.uniform(0.0, 0.12, 3) * r0
        phases = rng.uniform(0, 2 * np.pi, 3)
        r = np.hypot(x - x0, y - y0)
        phi = np.arctan2(y - y0, x - x0)
        boundary = r0 + sum(amp * np.cos(h * phi + ph) for amp, h, ph in zip(amps, harmonics, phases))
        inside = r < boundary
        # a smooth function on the region: a linear ramp plus a level
        level = rng.uniform(0.25, 0.5) * rng.choice([-1.0, 1.0])
        gx, gy = rng.uniform(-0.3, 0.3, 2)
        img = img + inside * (level + gx * (x - x0) + gy * (y - y0))
    img = img - img.min()
    img = img / img.max()
    return img.astype(dtype)


def cartoon3d(shape=(96, 96, 96), seed: int = 0, n_regions: int = 4, dtype=np.float64) -> np.ndarray:
    """A cartoon-like volume: a smooth background plus smooth functions on (rotated) ellipsoids,
    i.e. jumps across smooth closed surfaces, the 3D analogue of :func:`cartoon`.

    Parameters
    ----------
    shape : (int, int, int)
        Volume size.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same volume.
    n_regions : int
        Number of ellipsoids.
    dtype : numpy.float32 or numpy.float64

    Returns
    -------
    ndarray (n1, n2, n3), values in [0, 1]

    Examples
    --------
    >>> import fastshear
    >>> vol = fastshear.phantoms.cartoon3d((32, 40, 48), seed=1)
    >>> vol.shape, float(vol.min()) >= 0.0, float(vol.max()) <= 1.0
    ((32, 40, 48), True, True)
    """
    shape = positive_shape(shape, 3)
    rng = np.random.default_rng(seed)
    g = [((np.arange(n) - n // 2) / (n / 2)).reshape([-1 if i == a else 1 for i in range(3)])
         for a, n in enumerate(shape)]
    a = rng.uniform(-0.15, 0.15, 3)
    c = rng.uniform(-0.5, 0.5, 3)
    vol = 0.3 + sum(ai * gi for ai, gi in zip(a, g)) \
        + 0.1 * np.exp(-sum((gi - ci) ** 2 for gi, ci in zip(g, c)) / 0.5)
    for _ in range(n_regions):
        centre = rng.uniform(-0.4, 0.4, 3)
        radii = rng.uniform(0.15, 0.45, 3)
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # a random rotation
        d = [gi - ci for gi, ci in zip(g, centre)]
        u = [sum(q[k, i] * d[i] for i in range(3)) / radii[k] for k in range(3)]
        inside = (u[0] ** 2 + u[1] ** 2 + u[2] ** 2) < 1
        level = rng.uniform(0.25, 0.5) * rng.choice([-1.0, 1.0])
        grad = rng.uniform(-0.3, 0.3, 3)
        vol = vol + inside * (level + sum(gk * dk for gk, dk in zip(grad, d)))
    vol = vol - vol.min()
    vol = vol / vol.max()
    return vol.astype(dtype)
