"""Test images and volumes: cartoon-like functions (Kutyniok, Def. 3.2).

A cartoon-like function is ``f = f0 + f1 * 1_B``: two smooth functions ``f0, f1`` and the
indicator of a set ``B`` whose boundary is a smooth closed curve. Shearlets approximate such
functions optimally (error ~ N^-2 (log N)^3 with N terms), wavelets do not (~ N^-1).
Every image here is deterministic given its seed.
"""
from __future__ import annotations

import math

import numpy as np

from ._validation import (bounded_shape, check_alloc, default_dtype, finite_vector, integer, one_of,
                          positive_int, real)


def positive_shape(shape, ndim, name="shape"):
    """A shape of ``ndim`` positive sides (TypeError/ValueError naming ``shape`` otherwise)
    whose float64 image can be allocated (MemoryError naming its size otherwise)."""
    t = bounded_shape(shape, ndim, name)
    check_alloc(8 * int(math.prod(t)), f"an image of shape {t}")
    return t


def _seed(seed):
    """An integer >= 0, None or a numpy Generator (what numpy.random.default_rng takes here)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    return integer(seed, "seed", lo=0)


def positive_float(v, name, allow_zero=False):
    return real(v, name, lo=0, lo_open=not allow_zero)

__all__ = ["cartoon", "cartoon3d"]


def _grid(shape):
    n, m = shape
    # y grows upwards, x to the right, both in [-1, 1] (scikit-image's centre convention)
    y = (n // 2 - np.arange(n))[:, None] / (n / 2)
    x = (np.arange(m) - m // 2)[None, :] / (m / 2)
    return x, y


def cartoon(shape=(256, 256), *, seed: int = 0, n_regions: int = 3, dtype=None) -> np.ndarray:
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
    dtype : numpy.float32 or numpy.float64, optional
        Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).

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
    dtype = default_dtype(dtype)
    n_regions = integer(n_regions, "n_regions", lo=0, hi=10_000)
    check_alloc(8 * 8 * shape[0] * shape[1], f"the intermediate images of a phantom of shape {shape}")
    rng = np.random.default_rng(_seed(seed))
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


def cartoon3d(shape=(96, 96, 96), *, seed: int = 0, n_regions: int = 4, dtype=None) -> np.ndarray:
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
    dtype : numpy.float32 or numpy.float64, optional
        Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).

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
    dtype = default_dtype(dtype)
    n_regions = integer(n_regions, "n_regions", lo=0, hi=10_000)
    check_alloc(8 * 8 * shape[0] * shape[1] * shape[2], f"the intermediate volumes of a phantom of shape {shape}")
    rng = np.random.default_rng(_seed(seed))
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


# ---------------------------------------------------------------------------------------------
# Ellipse phantoms with analytic sinograms (Shepp-Logan, random ellipses), for the Radon transform.
#
# An ellipse set is an ndarray (K, 6), one row [rho, a, b, x0, y0, phi] per ellipse, in PIXEL
# units and Radon2D's geometry: centre (x0, y0) relative to pixel (N // 2, M // 2) with x growing
# with the column index and y with DEcreasing row index; semi-axes a (along the direction phi) and
# b; phi in degrees, counterclockwise from the x axis; rho the density added inside. A point
# (x, y) is inside when
#     ((x-x0) cos phi + (y-y0) sin phi)^2 / a^2 + (-(x-x0) sin phi + (y-y0) cos phi)^2 / b^2 <= 1.
__all__ += ["shepp_logan", "shepp_logan_ellipses", "random_ellipses", "ellipse_image", "ellipse_sinogram"]

# Modified Shepp-Logan (Toft 1996; MATLAB's phantom('Modified Shepp-Logan')), in units of the
# half width: rho, a, b, x0, y0, phi (degrees).
_MODIFIED_SHEPP_LOGAN = np.array([
    [1.0, 0.69, 0.92, 0.0, 0.0, 0.0],
    [-0.8, 0.6624, 0.8740, 0.0, -0.0184, 0.0],
    [-0.2, 0.1100, 0.3100, 0.22, 0.0, -18.0],
    [-0.2, 0.1600, 0.4100, -0.22, 0.0, 18.0],
    [0.1, 0.2100, 0.2500, 0.0, 0.35, 0.0],
    [0.1, 0.0460, 0.0460, 0.0, 0.1, 0.0],
    [0.1, 0.0460, 0.0460, 0.0, -0.1, 0.0],
    [0.1, 0.0460, 0.0230, -0.08, -0.605, 0.0],
    [0.1, 0.0230, 0.0230, 0.0, -0.606, 0.0],
    [0.1, 0.0230, 0.0460, 0.06, -0.605, 0.0],
])


def _ellipses(ellipses) -> np.ndarray:
    from ._validation import as_array

    e = as_array(ellipses, "ellipses")
    if e.dtype.kind not in "biuf":
        raise TypeError(f"ellipses must be a real numeric array (K, 6), got dtype {e.dtype}")
    e = e.astype(np.float64)
    if e.ndim == 1:
        e = e[None, :]
    if e.ndim != 2 or e.shape[1] != 6:
        raise ValueError(f"ellipses must have shape (K, 6): rows [rho, a, b, x0, y0, phi], got {e.shape}")
    if not np.all(np.isfinite(e)) or np.any(e[:, 1:3] <= 0):
        raise ValueError("ellipses must be finite with semi-axes a, b > 0")
    return e


def shepp_logan_ellipses(shape=(256, 256)) -> np.ndarray:
    """The ten ellipses of the modified Shepp-Logan phantom, scaled to an image of ``shape``.

    Parameters
    ----------
    shape : (int, int)
        Image size ``(N, M)``; the phantom's unit (half width) is ``min(N, M) / 2`` pixels, so it
        lies inside the circle of :class:`fastshear.Radon2D` with ``circle=True``.

    Returns
    -------
    ndarray (10, 6)
        Rows ``[rho, a, b, x0, y0, phi]`` in pixel units (see the module notes above
        :func:`ellipse_image`); densities of the modified phantom (Toft): 1, -0.8, -0.2, ...

    Examples
    --------
    >>> import fastshear
    >>> e = fastshear.phantoms.shepp_logan_ellipses((128, 128))
    >>> e.shape, float(e[0, 2])
    ((10, 6), 58.88)
    """
    n, m = positive_shape(shape, 2)
    u = min(n, m) / 2.0
    e = _MODIFIED_SHEPP_LOGAN.copy()
    e[:, 1:5] *= u
    return e


def random_ellipses(shape=(256, 256), *, seed: int = 0, n_ellipses: int = 8) -> np.ndarray:
    """Random ellipses inside the inscribed circle of an image of ``shape``.

    Parameters
    ----------
    shape : (int, int)
        Image size ``(N, M)``; every ellipse lies inside the circle of radius
        ``0.9 * min(N, M) / 2`` around pixel ``(N // 2, M // 2)``.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same ellipses.
    n_ellipses : int
        Number of ellipses.

    Returns
    -------
    ndarray (n_ellipses, 6)
        Rows ``[rho, a, b, x0, y0, phi]`` in pixel units: semi-axes between 4 % and 40 % of the
        radius, densities in [0.1, 1] (so the phantom is non-negative), any orientation.

    Examples
    --------
    >>> import fastshear
    >>> e = fastshear.phantoms.random_ellipses((64, 64), seed=3, n_ellipses=5)
    >>> img = fastshear.phantoms.ellipse_image(e, (64, 64))
    >>> e.shape, img.shape, bool(img.min() >= 0)
    ((5, 6), (64, 64), True)
    """
    n, m = positive_shape(shape, 2)
    n_ellipses = integer(n_ellipses, "n_ellipses", lo=0, hi=10**6)
    rng = np.random.default_rng(_seed(seed))
    R = 0.9 * min(n, m) / 2.0
    out = np.empty((n_ellipses, 6))
    for k in range(n_ellipses):
        a, b = rng.uniform(0.04, 0.4, 2) * R
        r_c = rng.uniform(0, max(R - max(a, b), 0.0))
        ang = rng.uniform(0, 2 * np.pi)
        out[k] = [rng.uniform(0.1, 1.0), a, b, r_c * np.cos(ang), r_c * np.sin(ang), rng.uniform(0, 180)]
    return out


def ellipse_image(ellipses, shape=(256, 256), *, oversample: int = 4, dtype=None) -> np.ndarray:
    """Rasterise ellipses: each pixel holds the mean over ``oversample^2`` sub-pixel points.

    Parameters
    ----------
    ellipses : array_like (K, 6)
        Rows ``[rho, a, b, x0, y0, phi]`` in pixel units (see :func:`shepp_logan_ellipses`).
    shape : (int, int)
    oversample : int
        Sub-samples per pixel side (1: pixel centres only).
    dtype : numpy.float32 or numpy.float64, optional
        Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).

    Returns
    -------
    ndarray (N, M)

    Examples
    --------
    >>> import fastshear
    >>> img = fastshear.phantoms.ellipse_image([[1.0, 10, 5, 0, 0, 0]], (32, 32), oversample=8)
    >>> round(float(img.sum()), 0)  # pi * 10 * 5
    157.0
    """
    e = _ellipses(ellipses)
    n, m = positive_shape(shape, 2)
    o = integer(oversample, "oversample", lo=1, hi=1024)
    dtype = default_dtype(dtype)
    check_alloc(8 * n * m * o * o, f"ellipse_image at shape {(n, m)} with oversample={o}")
    sub = (np.arange(o) + 0.5) / o - 0.5
    y = (n // 2 - np.arange(n))[:, None, None, None] - sub[None, None, :, None]
    x = (np.arange(m) - m // 2)[None, :, None, None] + sub[None, None, None, :]
    img = np.zeros((n, m))
    for rho, a, b, x0, y0, phi in e:
        c, s = np.cos(np.deg2rad(phi)), np.sin(np.deg2rad(phi))
        # only the rows/columns the ellipse can reach
        ext = max(a, b) + 1
        i0, i1 = max(0, int(n // 2 - y0 - ext)), min(n, int(n // 2 - y0 + ext) + 2)
        j0, j1 = max(0, int(m // 2 + x0 - ext)), min(m, int(m // 2 + x0 + ext) + 2)
        if i0 >= i1 or j0 >= j1:
            continue
        dx = x[:, j0:j1] - x0
        dy = y[i0:i1] - y0
        inside = ((dx * c + dy * s) / a) ** 2 + ((-dx * s + dy * c) / b) ** 2 <= 1.0
        img[i0:i1, j0:j1] += rho * inside.mean(axis=(2, 3))
    return img.astype(dtype)


def shepp_logan(shape=(256, 256), *, oversample: int = 4, dtype=None) -> np.ndarray:
    """The modified Shepp-Logan phantom rasterised at ``shape`` (values in [0, 1]).

    Parameters
    ----------
    shape : (int, int)
    oversample : int
        Sub-samples per pixel side (see :func:`ellipse_image`).
    dtype : numpy.float32 or numpy.float64, optional
        Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).

    Returns
    -------
    ndarray (N, M); its exact sinogram is
    ``ellipse_sinogram(shepp_logan_ellipses(shape), theta, n_det)``.

    Examples
    --------
    >>> import fastshear
    >>> p = fastshear.phantoms.shepp_logan((64, 64))
    >>> p.shape, float(p.max()) <= 1.0
    ((64, 64), True)
    """
    return ellipse_image(shepp_logan_ellipses(shape), shape, oversample=oversample, dtype=dtype)


def ellipse_sinogram(ellipses, theta, n_det: int, *, det_spacing: float = 1.0, geometry: str = "parallel",
                     source_distance=None, detector_distance=None) -> np.ndarray:
    """Exact line integrals of a sum of ellipses, in :class:`fastshear.Radon2D`'s geometry.

    For one ellipse ``p(s, theta) = 2 rho a b sqrt(q - s'^2) / q`` where ``s'^2 <= q``, else 0, with
    ``q = a^2 cos^2(theta - phi) + b^2 sin^2(theta - phi)`` and
    ``s' = s - x0 cos(theta) - y0 sin(theta)``. Parallel beam samples ``s`` at the bin centres
    ``(k - n_det // 2) * det_spacing``; fan beam (flat detector) evaluates the same formula on the
    line from the source through each bin centre.

    Parameters
    ----------
    ellipses : array_like (K, 6)
        Rows ``[rho, a, b, x0, y0, phi]`` in pixel units (see :func:`shepp_logan_ellipses`).
    theta : array_like
        Angles in degrees.
    n_det : int
    det_spacing : float
    geometry : {"parallel", "fan"}
    source_distance, detector_distance : float
        Fan beam only, as in :class:`fastshear.Radon2D` (``detector_distance`` defaults to 0).

    Returns
    -------
    ndarray (n_angles, n_det), float64: the layout of ``Radon2D.forward``.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> e = [[1.0, 10.0, 10.0, 0.0, 0.0, 0.0]]   # a disc of radius 10
    >>> s = fastshear.phantoms.ellipse_sinogram(e, [0.0], n_det=41)
    >>> float(s[0, 20])                          # the diameter
    20.0
    """
    e = _ellipses(ellipses)
    th = np.deg2rad(finite_vector(theta, "theta"))[:, None]
    n_det = positive_int(n_det, "n_det")
    d = positive_float(det_spacing, "det_spacing")
    check_alloc(8 * 8 * th.shape[0] * n_det, f"a sinogram of shape {(th.shape[0], n_det)}")
    one_of(geometry, "geometry", ("parallel", "fan"))
    u = ((np.arange(n_det) - n_det // 2) * d)[None, :]
    if geometry == "parallel":
        if source_distance is not None or detector_distance is not None:
            raise ValueError("source_distance and detector_distance are for geometry='fan' only")
        ang = np.broadcast_to(th, (th.shape[0], n_det))
        s = np.broadcast_to(u, ang.shape)
    elif geometry == "fan":
        if source_distance is None:
            raise ValueError("geometry='fan' needs source_distance")
        ds = positive_float(source_distance, "source_distance")
        dd = 0.0 if detector_distance is None else positive_float(detector_distance, "detector_distance",
                                                                  allow_zero=True)
        big_l = ds + dd
        ang = th - np.arctan(u / big_l)
        s = np.broadcast_to(ds * u / np.hypot(big_l, u), ang.shape)
    else:
        raise ValueError(f"geometry must be 'parallel' or 'fan', got {geometry!r}")
    out = np.zeros(ang.shape)
    c, sn = np.cos(ang), np.sin(ang)
    for rho, a, b, x0, y0, phi in e:
        ph = np.deg2rad(phi)
        q = (a * np.cos(ang - ph)) ** 2 + (b * np.sin(ang - ph)) ** 2
        sp = s - x0 * c - y0 * sn
        r = np.clip(q - sp * sp, 0.0, None)
        out += 2 * rho * a * b * np.sqrt(r) / q
    return out
