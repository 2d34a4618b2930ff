"""Construction of ShearLab-compatible 2D digital shearlet filters (frequency responses).

This module implements the construction described in the project's specification of the
ShearLab 3D v1.1 system (Kutyniok, Lim, Reisenhofer, ACM TOMS 42, 2016). It is written from
that description, not from ShearLab's code. It is shared by the 2D and the 3D transforms:
the 3D (pyramid-adapted) system is assembled from three *full* 2D systems.

Conventions
-----------
"Centred" arrays have the origin of space and frequency at index ``(R // 2, C // 2)``;
``F(x) = fftshift(fft2(ifftshift(x)))`` and ``Finv`` its inverse (the order of the shifts matters
for odd sizes). Spectra are returned band-major, ``(K, R, C)``.

The construction is a one-off per system (it is cached by :func:`shearlet_spectra_2d`); the
transforms themselves run in the C++ core.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = [
    "default_shear_levels",
    "choose_filters",
    "smallest_side",
    "full_from_half",
    "shearlet_indices_2d",
    "shearlet_spectra_2d",
    "shearlet_spectra_2d_uncentred",
    "shearlet_indices_3d",
    "FilterConfig",
    "MAX_SCALES",
    "MAX_SHEAR_LEVEL",
    "check_scales_levels",
]


@functools.lru_cache(maxsize=None)
def _filter_table() -> dict:
    with resources.files("fastshear").joinpath("data/shearlab_filters.json").open() as f:
        raw = json.load(f)
    return {k: np.asarray(v, dtype=np.float64) for k, v in raw.items() if not k.startswith("_")}


def default_shear_levels(scales: int) -> tuple[int, ...]:
    """ShearLab's default shear levels ``ceil(j / 2)`` for ``j = 1..scales``."""
    return tuple(int(math.ceil(j / 2)) for j in range(1, scales + 1))


# ShearLab's fallback list for small images: (directional filter, first scaling filter).
# The wavelet filter and the second scaling filter always stay the caller's (QMF9-based).
_CONFIGS = (
    ("dmaxflat4", "shearlab9"),  # 1: the caller's filters (the defaults here)
    ("dmaxflat4", "shearlab9"),  # 2
    ("cd", "shearlab9"),  # 3
    ("cd", "shearlab9"),  # 4
    ("cd", "Coiflet1"),  # 5
    ("cd", "Daubechies4"),  # 6
    ("oqf_362", "Daubechies4"),  # 7
    ("oqf_362", "Haar"),  # 8
)


@dataclass(frozen=True)
class FilterConfig:
    """The filters a 2D system is built from (ShearLab's ``SLcheckFilterSizes`` outcome)."""

    config: int  # 1-based index into ShearLab's fallback list
    directional: np.ndarray  # un-normalised directional filter (R_d x C_d)
    scaling: np.ndarray  # first scaling filter h (cascade of the bandpasses and lowpass)
    wavelet: np.ndarray  # wavelet filter g = MirrorFilt(h_caller)
    scaling2: np.ndarray  # second scaling filter h2 = h_caller (wedge construction)


def _mirror(h: np.ndarray) -> np.ndarray:
    return h * (-1.0) ** np.arange(h.size)


#: The most scales and the largest shear level a system may ask for: at 30 scales (or level 30)
#: the filters alone are longer than 2^31 samples, far beyond any plane the core indexes.
MAX_SCALES = 30
MAX_SHEAR_LEVEL = 30


def _cascade_length(first: int, step: int, times: int) -> int:
    """Length after ``times`` rounds of l -> step + 2 l - 2, from ``first`` (closed form:
    l_t = 2^t (first - 2 + step) - step + 2)."""
    return (2 ** times) * (first - 2 + step) - step + 2


def _config_side(scales, lmax, directional, scaling, wavelet, scaling2) -> int:
    """The smallest side a plane of one configuration needs (both sides at least this)."""
    l1 = _cascade_length(wavelet.size, scaling.size, scales - 1)
    l2h = _cascade_length(scaling2.size, scaling2.size, lmax)
    rd, cd = directional.shape
    l2 = l2h + (rd - 1) * 2 ** (lmax + 1)
    return max(l1, l2, cd)


def _config_fits(rows, cols, scales, lmax, directional, scaling, wavelet, scaling2) -> bool:
    return _config_side(scales, lmax, directional, scaling, wavelet, scaling2) <= min(rows, cols)


def _find_config(rows: int, cols: int, scales: int, levels: tuple[int, ...]) -> FilterConfig | None:
    """The first configuration of ShearLab's fallback list that fits, or None."""
    tab = _filter_table()
    h0 = tab["qmf_shearlab9"]
    g0 = _mirror(h0)
    lmax = max(levels)
    for k, (dname, sname) in enumerate(_CONFIGS, start=1):
        d = tab["directional_" + dname]
        h = tab["qmf_" + sname]
        if _config_fits(rows, cols, scales, lmax, d, h, g0, h0):
            return FilterConfig(k, d, h, g0, h0)
    return None


def smallest_side(scales: int, levels: tuple[int, ...]) -> int:
    """Smallest n such that an n x n plane accepts these scales and shear levels (closed form:
    the smallest, over ShearLab's fallback list, of the side each configuration needs)."""
    tab = _filter_table()
    h0 = tab["qmf_shearlab9"]
    g0 = _mirror(h0)
    lmax = max(levels)
    return min(_config_side(scales, lmax, tab["directional_" + d], tab["qmf_" + s], g0, h0)
               for d, s in _CONFIGS)


def check_scales_levels(scales, shear_levels) -> tuple[int, tuple[int, ...]]:
    """``scales`` and ``shear_levels`` (None: the defaults) checked: integers, one level per
    scale, within :data:`MAX_SCALES` and :data:`MAX_SHEAR_LEVEL`; TypeError/ValueError naming
    the parameter otherwise."""
    from ._validation import integer, integer_sequence

    scales = integer(scales, "scales", lo=1, hi=MAX_SCALES)
    if shear_levels is None:
        return scales, default_shear_levels(scales)
    levels = integer_sequence(shear_levels, "shear_levels", lo=0, hi=MAX_SHEAR_LEVEL)
    if len(levels) != scales:
        raise ValueError(f"shear_levels must hold {scales} integers >= 0 (one per scale), "
                         f"got {shear_levels!r}")
    return scales, levels


def choose_filters(rows: int, cols: int, scales: int, levels: tuple[int, ...]) -> FilterConfig:
    """Pick the filters as ShearLab does: the first configuration of its fallback list that fits.

    Raises
    ------
    ValueError
        When no configuration fits ``rows x cols``; the message names the smallest size that
        fits these parameters and the largest number of scales that fits this size.
    """
    cfg = _find_config(rows, cols, scales, levels)
    if cfg is not None:
        return cfg
    msg = (
        f"no ShearLab filter configuration fits a {rows}x{cols} plane with scales={scales}, "
        f"shear_levels={list(levels)}: these need at least "
        f"{smallest_side(scales, levels)}x{smallest_side(scales, levels)}"
    )
    fits = [s for s in range(scales - 1, 0, -1)
            if _find_config(rows, cols, s, default_shear_levels(s)) is not None]
    if fits:
        msg += f"; at {rows}x{cols}, scales={fits[0]} with the default shear levels fits"
    else:
        msg += f"; no number of scales fits {rows}x{cols}"
    raise ValueError(msg)


# --------------------------------------------------------------------------------------------
# ShearLab's centred zero padding.


def _pad(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """ShearLab's centred zero padding of a 2D array (a 1D filter is a row, shape (1, L))."""
    x = np.atleast_2d(x)
    for axis in (0, 1):
        cur = x.shape[axis]
        d = shape[axis] - cur
        if d < 0:
            raise ValueError(f"cannot embed an array of size {cur} into {shape[axis]}")
        if d == 0:
            continue
        half = (d + 1) // 2
        widths = [(0, 0), (0, 0)]
        widths[axis] = (half, half)
        x = np.pad(x, widths)
        if d % 2 == 1:
            sl = [slice(None), slice(None)]
            sl[axis] = slice(1, None) if cur % 2 == 0 else slice(None, -1)
            x = x[tuple(sl)]
    return x


def _up2(f: np.ndarray) -> np.ndarray:
    out = np.zeros(2 * f.size - 1)
    out[::2] = f
    return out


def _cascade(h: np.ndarray, last: np.ndarray, n: int) -> list[np.ndarray]:
    """out[n-1] = last, out[j] = conv(h, up2(out[j+1]))."""
    out = [None] * n
    out[n - 1] = last
    for j in range(n - 2, -1, -1):
        out[j] = np.convolve(h, _up2(out[j + 1]))
    return out


def _rfft2(x: np.ndarray) -> np.ndarray:
    """numpy.fft.rfft2 over the last two axes of a real (k, n, m) stack, with the core's FFTW."""
    from . import _core, _fftw  # the extension; imported here so the construction stays importable

    _fftw.load()  # plan from stored wisdom (FFTW_MEASURE would otherwise time this size anew)
    x = np.ascontiguousarray(x, dtype=np.float64)
    return _core.rfft2(x)


def _embed1(f: np.ndarray, n: int) -> np.ndarray:
    """A 1D filter embedded (centred) into length n, then ifftshifted: index 0 is its centre."""
    return np.fft.ifftshift(_pad(f[None, :], (1, n))[0])


def _wedges(rows, cols, level, d_norm, low2) -> np.ndarray:
    """Spatial wedge filters of shear level ``level`` on a rows x cols plane, ifftshifted
    (origin at index 0), real; slice ``2^l - k`` belongs to shear k."""
    last = len(low2) - 1
    n = 2**level
    # a. upsample the directional filter along the rows
    D = np.zeros(((d_norm.shape[0] - 1) * 2 ** (level + 1) + 1, d_norm.shape[1]))
    D[:: 2 ** (level + 1)] = d_norm
    # b. full 2D convolution with the column filter low2[last - level]
    col = low2[last - level]
    W0 = np.zeros((D.shape[0] + col.size - 1, D.shape[1]))
    for t, c in enumerate(col):
        W0[t : t + D.shape[0]] += c * D
    W0 = _pad(W0, (rows, cols))
    # c. insert 2^l - 1 zero columns
    width = n * (cols - 1) + 1
    U = np.zeros((rows, width))
    U[:, ::n] = W0
    if level >= 1:
        # d./e. ShearLab convolves (centred, circularly, along the columns) with the row filter
        # before the discrete shear and with its mirror image after it. Both convolutions
        # commute with the per-row circular shifts of the shear, so they are applied together,
        # once, as one convolution with the symmetric filter f * mirror(f).
        f = low2[last - max(level - 1, 0)]
        spec = np.fft.rfft(_embed1(f, width)) * np.fft.rfft(_embed1(f[::-1], width))
        U = np.fft.irfft(np.fft.rfft(U, axis=1) * spec, n=width, axis=1)
    out = np.empty((2 * n + 1, rows, cols))
    r = np.arange(rows)[:, None]
    cols_kept = np.arange(0, width, n)[None, :]
    for k in range(-n, n + 1):
        shift = k * (rows // 2 - r)  # discrete shear: row r moves right by shift, circularly
        out[n - k] = np.fft.ifftshift(U[r, (cols_kept - shift) % width] * n)
    return out


def shearlet_indices_2d(levels: tuple[int, ...], full: bool = False) -> np.ndarray:
    """ShearLab's index table ``(K, 3)`` of rows ``[cone, scale, shear]``, lowpass last."""
    rows = []
    for cone in (1, 2):
        for j, lv in enumerate(levels, start=1):
            n = 2**lv
            for k in range(-n, n + 1):
                if cone == 2 and not full and abs(k) == n:
                    continue
                rows.append((cone, j, k))
    rows.append((0, 0, 0))
    return np.array(rows, dtype=np.int64)


def _plane_filters(rows, cols, scales, levels, cfg: FilterConfig):
    """Spatial (ifftshifted) wedges of each level, the 1D bandpass responses along the columns
    (uncentred, length cols) and the lowpass's 1D factor along the columns."""
    low = _cascade(cfg.scaling, cfg.scaling, scales)
    high = _cascade(cfg.scaling, cfg.wavelet, scales)
    low2 = _cascade(cfg.scaling2, cfg.scaling2, max(levels) + 1)
    band = [np.fft.fft(_embed1(high[j], cols)) for j in range(scales)]
    d = cfg.directional / np.abs(cfg.directional).sum()
    wedges = {lv: _wedges(rows, cols, lv, d, low2) for lv in sorted(set(levels))}
    return wedges, band, low[0]


@functools.lru_cache(maxsize=8)
def _half_spectra_cached(rows, cols, scales, levels, full):
    cfg = choose_filters(rows, cols, scales, levels)
    mh = cols // 2 + 1
    W1, B1, low0 = _plane_filters(rows, cols, scales, levels, cfg)
    # Half spectra (uncentred, the last axis cut to cols//2 + 1) of the wedges. Cone 2's wedges
    # are built on the transposed plane (the same plane when square) and transposed back; cut
    # along the plane's columns, they are the rfft2 of the transposed spatial wedges.
    H1 = {lv: _rfft2(w) for lv, w in W1.items()}
    if rows == cols:
        W2, B2 = W1, B1
    else:
        W2, B2, _ = _plane_filters(cols, rows, scales, levels, cfg)
    H2 = {lv: _rfft2(w.transpose(0, 2, 1)) for lv, w in W2.items()}
    idx = shearlet_indices_2d(levels, full)
    spec = np.empty((len(idx), rows, mh), dtype=np.complex128)
    cb1 = [np.conj(b[:mh])[None, :] for b in B1]  # cone 1: bandpass along the columns
    cb2 = [np.conj(b)[:, None] for b in B2]  # cone 2: along the rows
    for i, (cone, j, k) in enumerate(idx):
        if cone == 1:
            n = 2 ** levels[j - 1]
            np.multiply(H1[levels[j - 1]][n - k], cb1[j - 1], out=spec[i])
        elif cone == 2:
            n = 2 ** levels[j - 1]
            np.multiply(H2[levels[j - 1]][n + k], cb2[j - 1], out=spec[i])
        else:
            spec[i] = np.outer(np.fft.fft(_embed1(low0, rows)), np.fft.fft(_embed1(low0, cols))[:mh])
    spec.setflags(write=False)
    idx.setflags(write=False)
    return spec, idx, cfg.config


def _half_full(half: np.ndarray, cols: int) -> np.ndarray:
    """Uncentred full spectra of real signals from their rfft2 halves (Hermitian symmetry)."""
    rows = half.shape[-2]
    mh = cols // 2 + 1
    full = np.empty(half.shape[:-1] + (cols,), dtype=half.dtype)
    full[..., :mh] = half
    ri = (-np.arange(rows)) % rows
    ci = (-np.arange(mh, cols)) % cols
    full[..., mh:] = np.conj(half[..., ri[:, None], ci[None, :]])
    return full


def full_from_half(half: np.ndarray, cols: int) -> np.ndarray:
    """Expand Hermitian half spectra ``(..., rows, cols//2+1)`` (uncentred) to full centred
    spectra ``(..., rows, cols)``, ShearLab's ``sys.shearlets`` layout but band-major."""
    full = _half_full(half, cols)
    return np.fft.fftshift(full, axes=(-2, -1))


def shearlet_spectra_2d(rows: int, cols: int, scales: int, levels=None, full: bool = False):
    """Half frequency responses of ShearLab's 2D system (the form the transforms use).

    Returns
    -------
    spectra : ndarray, complex128, (K, rows, cols // 2 + 1), read-only
        ``ifftshift(psi_i)[:, :cols // 2 + 1]``: uncentred, cut to the non-negative column
        frequencies (every psi_i is Hermitian). :func:`full_from_half` gives ShearLab's centred
        full spectra.
    indices : ndarray, int64, (K, 3), read-only
    config : int
        ShearLab's filter configuration (1 = the default filters; 3, 7, 8 = small-image
        fallbacks).
    """
    levels = default_shear_levels(scales) if levels is None else tuple(int(v) for v in levels)
    return _half_spectra_cached(int(rows), int(cols), int(scales), levels, bool(full))


def shearlet_spectra_2d_uncentred(rows: int, cols: int, scales: int, levels=None, full: bool = False):
    """Full uncentred frequency responses of ShearLab's 2D system, ``(K, rows, cols)`` complex128
    (``ifftshift`` of ShearLab's ``sys.shearlets``, band-major), with its index table and filter
    configuration. The 3D system is built from three such stacks (with ``full=True``)."""
    half, idx, config = shearlet_spectra_2d(rows, cols, scales, levels, full)
    return _half_full(half, int(cols)), idx, config


def shearlet_indices_3d(levels: tuple[int, ...], full: bool = False) -> np.ndarray:
    """ShearLab 3D's index table ``(K, 4)`` of rows ``[pyramid, scale, shear1, shear2]``,
    lowpass ``[0, 0, 0, 0]`` last. Without ``full``, pyramid 2 drops |shear2| = 2^l and pyramid 3
    drops |shear1| = 2^l or |shear2| = 2^l (near-duplicates of earlier pyramids' borders)."""
    rows = []
    for pyramid in (1, 2, 3):
        for j, lv in enumerate(levels, start=1):
            n = 2**lv
            for u in range(-n, n + 1):
                for v in range(-n, n + 1):
                    if (full or pyramid == 1 or (pyramid == 2 and abs(v) < n)
                            or (abs(u) < n and abs(v) < n)):
                        rows.append((pyramid, j, u, v))
    rows.append((0, 0, 0, 0))
    return np.array(rows, dtype=np.int64)
