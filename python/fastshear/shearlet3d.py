"""3D pyramid-adapted digital shearlets, compatible with ShearLab 3D.

The system is ShearLab 3D v1.1's ``SLgetShearletSystem3D`` (Kutyniok, Lim, Reisenhofer 2016):
the same number of shearlets, index order, RMS, frame bounds and coefficients, the small-volume
filter fallbacks included (decided per coordinate plane), for odd and non-cubic sizes too.

Every 3D shearlet is the product of two 2D ShearLab filters that live on two coordinate planes
of the volume (n1 x n2, n1 x n3, n3 x n2). Only these 2D stacks are held (a few MB); each band's
3D response is formed while it is applied, fused with the multiply that precedes its inverse
FFT. ShearLab stores all K complex 3D filters instead (1.4 GB at 96^3 with two scales).
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from . import _core, _fftw
from ._shearlab import (
    _find_config,
    default_shear_levels,
    shearlet_indices_3d,
    shearlet_spectra_2d,
    shearlet_spectra_2d_uncentred,
    smallest_side,
)
from ._plan import ShearletPlan, denoise_inputs, plan_warning
from ._validation import (MISSING, call_threads, check_alloc, check_shape, integer, output_array,
                          real_array)
from .shearlet2d import ShearletFallbackWarning

__all__ = ["Shearlet3D", "shearlet_denoise3d"]


def _check_fits(shape, scales, levels):
    """ValueError naming the smallest cube that works when a plane of ``shape`` is too small."""
    n1, n2, n3 = shape
    planes = (("n1 x n2", n1, n2), ("n1 x n3", n1, n3), ("n3 x n2", n3, n2))
    bad = [(name, r, c) for name, r, c in planes if _find_config(r, c, scales, levels) is None]
    if not bad:
        return
    m = smallest_side(scales, levels)
    name, r, c = bad[0]
    msg = (
        f"no ShearLab filter configuration fits the {n1}x{n2}x{n3} volume with scales={scales}, "
        f"shear_levels={list(levels)} (its {name} plane is {r}x{c}): the smallest volume these "
        f"parameters accept is {m}x{m}x{m}"
    )
    fits = [s for s in range(scales - 1, 0, -1)
            if all(_find_config(r2, c2, s, default_shear_levels(s)) is not None for _, r2, c2 in planes)]
    msg += (f"; at {n1}x{n2}x{n3}, scales={fits[0]} with the default shear levels fits" if fits
            else f"; no number of scales fits {n1}x{n2}x{n3}")
    raise ValueError(msg)


def _plane_stacks(shape, scales, levels):
    """Uncentred full 2D stacks of the three planes (full=True systems) and their configs."""
    n1, n2, n3 = shape
    f12, idx2, c12 = shearlet_spectra_2d_uncentred(n1, n2, scales, levels, True)
    f13, _, c13 = shearlet_spectra_2d_uncentred(n1, n3, scales, levels, True)
    f32, _, c32 = shearlet_spectra_2d_uncentred(n3, n2, scales, levels, True)
    return (f12, f13, f32), idx2, (c12, c13, c32)


def _band_table(idx3, idx2):
    """(K, 3) rows (form, ia, ib) of the C++ bank (forms: 0 'xy,zy', 1 'xz,zy', 2 'xy,xz')."""
    pos = {tuple(int(v) for v in r): i for i, r in enumerate(idx2)}
    low = len(idx2) - 1
    out = np.empty((len(idx3), 3), dtype=np.int32)
    for i, (p, s, u, v) in enumerate(idx3):
        if p == 0:
            out[i] = (0, low, low)
        elif p == 1:  # P12 cone 1 (x, y) * P32 cone 1 (z, y)
            out[i] = (0, pos[(1, s, u)], pos[(1, s, v)])
        elif p == 2:  # P13 cone 1 (x, z) * P32 cone 2 (z, y)
            out[i] = (1, pos[(1, s, u)], pos[(2, s, v)])
        else:  # P12 cone 2 (x, y) * P13 cone 2 (x, z)
            out[i] = (2, pos[(2, s, u)], pos[(2, s, v)])
    return out


def _rms(stacks, bands, n):
    """sqrt(sum |S_j|^2 / N) for every band from the 2D factors (sum over the full grid)."""
    f12, f13, f32 = stacks
    q12, q13, q32 = (np.abs(f) ** 2 for f in stacks)
    out = np.empty(len(bands))
    for i, (form, a, b) in enumerate(bands):
        if form == 0:  # sum_y (sum_x |a(x,y)|^2)(sum_z |b(z,y)|^2)
            out[i] = q12[a].sum(0) @ q32[b].sum(0)
        elif form == 1:  # sum_z (sum_x |a(x,z)|^2)(sum_y |b(z,y)|^2)
            out[i] = q13[a].sum(0) @ q32[b].sum(1)
        else:  # sum_x (sum_y |a(x,y)|^2)(sum_z |b(x,z)|^2)
            out[i] = q12[a].sum(1) @ q13[b].sum(1)
    return np.sqrt(out / n)


@functools.lru_cache(maxsize=4)
def _system(shape, scales, levels, full, dtype_name):
    n1, n2, n3 = shape
    h3 = n3 // 2 + 1
    stacks, idx2, configs = _plane_stacks(shape, scales, levels)
    f12, f13, f32 = stacks
    # The bank's layout: P12 full, P13 half along z, P32 half along z and transposed to (y, z).
    p13 = shearlet_spectra_2d(n1, n3, scales, levels, True)[0]
    p32t = np.ascontiguousarray(f32[:, :h3, :].transpose(0, 2, 1))
    idx3 = shearlet_indices_3d(levels, full)
    bands = _band_table(idx3, idx2)
    bank_cls = _core.FilterBank3D_f32 if dtype_name == "float32" else _core.FilterBank3D_f64
    _fftw.load()
    bank = bank_cls(n1, n2, n3, f12, p13, p32t, bands)
    _fftw.save_if_new()
    rms = _rms(stacks, bands, n1 * n2 * n3)
    dw = bank.dual_weights
    idx3.setflags(write=False)
    rms.setflags(write=False)
    bands.setflags(write=False)
    return bank, idx3, bands, configs, rms, (float(dw.min()), float(dw.max()))


def _half_full_3d(half: np.ndarray, n3: int) -> np.ndarray:
    """Full uncentred (n1, n2, n3) array from the half (n1, n2, n3//2+1) of a Hermitian one."""
    n1, n2, h3 = half.shape
    full = np.empty((n1, n2, n3), dtype=half.dtype)
    full[..., :h3] = half
    if n3 > h3:
        i = (-np.arange(n1)) % n1
        j = (-np.arange(n2)) % n2
        k = (-np.arange(h3, n3)) % n3
        full[..., h3:] = np.conj(half[i[:, None, None], j[None, :, None], k[None, None, :]])
    return full


class Shearlet3D(ShearletPlan):
    """ShearLab-compatible 3D pyramid-adapted shearlet system: a plan built once, applied many
    times, that never holds the K 3D filters.

    Parameters
    ----------
    shape : (int, int, int)
        Volume size ``(n1, n2, n3)``. Any size ShearLab accepts (each side at least 33 for one or
        two scales, 73 for three or four), cubic or not, odd or even.
    scales : int, default 2
        Number of scales J >= 1 (scale 1 is the coarsest).
    shear_levels : sequence of int, optional
        Shear level per scale (level l gives shears -2^l..2^l in both shear directions); default
        ``ceil(j / 2)``.
    full : bool, default False
        Keep the pyramid-border shearlets that pyramids 2 and 3 drop by default (ShearLab's
        ``full=1``).
    dtype : numpy.float32 or numpy.float64, optional
        Precision of filters, coefficients and results. Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).
    workers : int, optional
        Threads per call (default: OpenMP's, i.e. ``OMP_NUM_THREADS`` or all cores).

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        ``(n1, n2, n3)`` and ``(K, n1, n2, n3)`` (the plan protocol of :mod:`fastshear._plan`).
    n_shearlets : int
        K, the number of shearlets (lowpass included): 50, 99, 292 for 1, 2, 3 scales.
    indices : ndarray (K, 4)
        Rows ``[pyramid, scale, shear1, shear2]`` in ShearLab's order, lowpass ``[0, 0, 0, 0]``
        last.
    rms : ndarray (K,), read-only
        Spatial l2 norm of each shearlet over sqrt(n1 n2 n3) (ShearLab's RMS), used to scale
        thresholds.
    frame_bounds : (float, float)
        Min and max of sum_j |S_j|^2 over frequency.
    filter_config : (int, int, int)
        ShearLab's filter configuration of the planes n1 x n2, n1 x n3, n3 x n2 (1 default;
        3, 7, 8 small-size fallbacks, decided per plane as ShearLab does).

    Notes
    -----
    Coefficients are ``(..., K, n1, n2, n3)``: band-major, each band a contiguous volume.
    ShearLab's layout is ``(n1, n2, n3, K)``: ``numpy.moveaxis(c, -4, -1)`` converts.
    ``forward`` computes ``c_j = real(Finv(F(x) conj(S_j)))`` with real FFTs (one r2c, one c2r
    per band); ``adjoint`` is its exact transpose and ``inverse`` the canonical dual frame
    (ShearLab's ``SLshearrec3D``). The spectra of the small-volume fallback configurations are
    genuinely complex, yet the filters are real in space, so the coefficients are real.

    A decomposition holds its output, the input's half spectrum and one scratch half spectrum
    per thread; ``bands=`` computes a subset, so a volume's coefficients can be streamed.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet3D((48, 48, 48), scales=1)
    >>> x = np.random.default_rng(0).standard_normal((48, 48, 48))
    >>> c = sh.forward(x)
    >>> c.shape
    (50, 48, 48, 48)
    >>> bool(np.allclose(sh.inverse(c), x))
    True
    >>> bool(np.allclose(sh.forward(x, bands=[0, 49]), c[[0, 49]]))
    True
    """

    ndim = 3

    def __init__(self, shape, scales: int = 2, *, shear_levels=None, full: bool = False,
                 dtype=None, workers=None):
        levels = self._init_common(shape, scales, shear_levels, full, dtype, workers)
        _check_fits(self.shape, self.scales, levels)
        n1, n2, n3 = self.shape
        k2 = sum(2 * 2 ** (lv + 1) + 2 for lv in levels) + 1  # bands of one full 2D system
        check_alloc(4 * k2 * (n1 * n2 + n1 * n3 + n3 * n2) * 16 + 4 * n1 * n2 * (n3 // 2 + 1) * 16,
                    f"a Shearlet3D plan of shape {self.shape} with shear_levels={list(levels)}")
        bank, idx, bands, configs, rms, bounds = _system(self.shape, self.scales, levels,
                                                         self.full, self.dtype.name)
        if max(configs) > 1:
            plan_warning(
                "{}x{}x{} is too small for the default shearlet filters; using ShearLab's fallback "
                "configurations {} (planes n1 x n2, n1 x n3, n3 x n2)".format(*self.shape, configs),
                ShearletFallbackWarning,
            )
        self._bank = bank
        self._bands = bands
        self.indices = idx
        self.filter_config = configs
        self.rms = rms
        self.frame_bounds = bounds

    def _selection(self, bands):
        """(index array or None, whether an int dropped the band axis)."""
        if bands is None:
            return None, False
        if isinstance(bands, (bool, np.bool_)):
            raise TypeError(f"bands must be an int, a slice or an array of band indices, got {bands!r}")
        K = self.n_shearlets
        if isinstance(bands, numbers.Integral):
            if not -K <= bands < K:
                raise ValueError(f"bands: index {bands} is out of range for K={K} shearlets")
            return np.array([int(bands) % K], dtype=np.int32), True
        if isinstance(bands, slice):
            return np.arange(K, dtype=np.int32)[bands], False
        sel = np.asarray(bands)
        if sel.dtype.kind == "b":
            if sel.shape != (K,):
                raise ValueError(f"bands: a boolean mask must have shape ({K},), got {sel.shape}")
            return np.flatnonzero(sel).astype(np.int32), False
        if sel.dtype.kind not in "iu" and not (sel.size == 0 and sel.dtype.kind == "f"):
            raise TypeError(f"bands must be an int, a slice or an array of band indices, got dtype {sel.dtype}")
        if sel.ndim != 1:
            raise ValueError(f"bands must be a 1D array of band indices, got shape {sel.shape}")
        sel = sel.astype(np.int64)
        if sel.size and (sel.min() < -K or sel.max() >= K):
            raise ValueError(f"bands: indices must lie in -{K}..{K - 1}, got {bands!r}")
        return (sel % K).astype(np.int32), False

    def forward(self, x, *, bands=None, out=None, workers=None) -> np.ndarray:
        """Shearlet coefficients of ``x``.

        Parameters
        ----------
        x : array_like, (..., n1, n2, n3)
            Real volume or batch of volumes; converted to the plan's dtype.
        bands : int, slice or array of int, optional
            Compute only these bands (numpy indexing semantics on the band axis, so the result
            equals ``forward(x)[..., bands, :, :, :]``; an int drops the band axis). Only the
            asked-for bands are computed and held.
        out : ndarray, optional
            Where to write the coefficients: the shape of the result, the plan's dtype,
            C-contiguous, not overlapping ``x``; returned. Reusing one array across calls saves
            the allocation and the first touch of fresh memory (at 96^3 with K = 99, 700 MB in
            float64, whose page faults can cost a fifth of a call).
        workers : int, optional
            Threads for this call (default: the plan's).

        Returns
        -------
        ndarray, (..., K, n1, n2, n3) (or the selected bands), the plan's dtype (``out`` when
        given).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> sh = fastshear.Shearlet3D((40, 40, 40), scales=1)
        >>> x = np.random.default_rng(0).standard_normal((40, 40, 40))
        >>> c = sh.forward(x, bands=slice(0, 10))
        >>> c.shape
        (10, 40, 40, 40)
        >>> sh.forward(-x, bands=slice(0, 10), out=c) is c   # reuses c's memory
        True
        """
        sel, drop = self._selection(bands)
        a = real_array(x, self.dtype, "x")
        check_shape(a, self.shape, "x", "volume size of this Shearlet3D")
        lead = a.shape[:-3]
        k = self.n_shearlets if sel is None else len(sel)
        shape = lead + (() if drop else (k,)) + self.shape
        if out is None:
            check_alloc(math.prod(shape) * self.dtype.itemsize, f"coefficients of shape {shape}")
        else:
            output_array(out, shape, self.dtype, (a,))
        c = self._bank.forward(a.reshape((-1,) + self.shape), sel, call_threads(self._threads, workers),
                               None if out is None else out.reshape((-1, k) + self.shape))
        return c.reshape(shape) if out is None else out

    def _synth(self, c, bands, workers, dual, out):
        sel, drop = self._selection(bands)
        a = real_array(c, self.dtype, "coefficients")
        if drop:
            check_shape(a, self.shape, "coefficients", "one shearlet band (bands is an int)")
            a = a[..., None, :, :, :]
        k = self.n_shearlets if sel is None else len(sel)
        check_shape(a, (k,) + self.shape, "coefficients",
                    f"{k} shearlet bands of {'x'.join(map(str, self.shape))}")
        lead = a.shape[:-4]
        batch = int(np.prod(lead, dtype=np.int64))
        if out is not None:
            output_array(out, lead + self.shape, self.dtype, (a,))
        x = self._bank.adjoint(np.ascontiguousarray(a).reshape((batch, k) + self.shape), sel,
                               call_threads(self._threads, workers), dual,
                               None if out is None else out.reshape((batch,) + self.shape))
        return x.reshape(lead + self.shape) if out is None else out

    def adjoint(self, c, *, bands=None, out=None, workers=None) -> np.ndarray:
        """The exact adjoint (transpose) of :meth:`forward`: ``sum_j S_j * c_j``.

        Parameters
        ----------
        c : array_like, (..., K, n1, n2, n3)
            Coefficients (of the bands ``bands`` only, when given).
        bands : int, slice or array of int, optional
            The bands ``c`` holds: the result is the sum of their terms only, so the adjoint of
            a streamed decomposition is the sum of the adjoints of its parts.
        out : ndarray, (..., n1, n2, n3), optional
            Where to write the result (as in :meth:`forward`).

        Returns
        -------
        ndarray, (..., n1, n2, n3)

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> sh = fastshear.Shearlet3D((40, 40, 40), scales=1)
        >>> rng = np.random.default_rng(0)
        >>> x, y = rng.standard_normal((40, 40, 40)), rng.standard_normal((50, 40, 40, 40))
        >>> bool(np.isclose(np.vdot(sh.forward(x), y), np.vdot(x, sh.adjoint(y))))
        True
        """
        return self._synth(c, bands, workers, False, out)

    def inverse(self, c, *, bands=None, out=None, workers=None) -> np.ndarray:
        """Reconstruction with the canonical dual frame: ``inverse(forward(x)) == x``.

        Parameters
        ----------
        c : array_like, (..., K, n1, n2, n3)
            Coefficients (of the bands ``bands`` only, when given).
        bands : int, slice or array of int, optional
            The bands ``c`` holds; the terms of the others are left out (the weights are the
            whole system's), so the sum over a partition of the bands is the full inverse.
        out : ndarray, (..., n1, n2, n3), optional
            Where to write the result (as in :meth:`forward`).

        Returns
        -------
        ndarray, (..., n1, n2, n3)

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> sh = fastshear.Shearlet3D((40, 40, 40), scales=1)
        >>> x = np.random.default_rng(0).standard_normal((40, 40, 40))
        >>> parts = [sh.inverse(sh.forward(x, bands=b), bands=b) for b in (slice(0, 25), slice(25, None))]
        >>> bool(np.allclose(sum(parts), x))
        True
        """
        return self._synth(c, bands, workers, True, out)

    def spectrum(self, j: int) -> np.ndarray:
        """Centred frequency response of shearlet ``j`` (ShearLab's ``shearlets[:, :, :, j]``),
        ``(n1, n2, n3)`` complex128, formed on request from the 2D factors.

        Examples
        --------
        >>> import fastshear
        >>> sh = fastshear.Shearlet3D((40, 40, 40), scales=1)
        >>> sh.spectrum(49).shape
        (40, 40, 40)
        """
        form, a, b = self._bands[self._band_index(j)]
        (f12, f13, f32), _, _ = _plane_stacks(self.shape, self.scales, self.shear_levels)
        if form == 0:
            s = np.einsum("xy,zy->xyz", f12[a], f32[b])
        elif form == 1:
            s = np.einsum("xz,zy->xyz", f13[a], f32[b])
        else:
            s = np.einsum("xy,xz->xyz", f12[a], f13[b])
        return np.fft.fftshift(s)

    @property
    def dual_frame_weights(self) -> np.ndarray:
        """sum_j |S_j|^2, centred, ``(n1, n2, n3)`` (ShearLab's ``dualFrameWeights``)."""
        return np.fft.fftshift(_half_full_3d(self._bank.dual_weights, self.shape[2]))


def shearlet_denoise3d(volume, noise_level: float = MISSING, *, scales: int = 2, k: float = 3.0,
                       workers=None, chunk: int = 16, sigma: float = MISSING) -> np.ndarray:
    """Hard-threshold 3D shearlet denoising (ShearLab's example): zero every coefficient with
    ``|c_j| <= k * noise_level * RMS_j`` (the lowpass included) and reconstruct with the dual frame.

    The bands are streamed ``chunk`` at a time, so memory stays at ``chunk`` volumes of
    coefficients instead of K.

    Parameters
    ----------
    volume : array_like, (..., n1, n2, n3)
        Noisy volume(s).
    noise_level : float
        Standard deviation of the additive white Gaussian noise (the one name of the noise level
        across fastshear: ``ct.reconstruct``, the command line's ``--noise-level``).
    scales : int
        Number of shearlet scales.
    k : float
        Threshold in units of the noise level in each band.
    sigma : float, deprecated
        The old name of ``noise_level`` (a DeprecationWarning; removed in the next release).
    chunk : int
        Bands decomposed, thresholded and reconstructed at a time.

    Returns
    -------
    ndarray, same shape as ``volume``

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> clean = fastshear.phantoms.cartoon3d((48, 48, 48), seed=0)
    >>> noisy = clean + 0.1 * np.random.default_rng(1).standard_normal(clean.shape)
    >>> den = fastshear.shearlet_denoise3d(noisy, 0.1, scales=1)
    >>> bool(np.linalg.norm(den - clean) < np.linalg.norm(noisy - clean))
    True
    """
    vol, dtype, noise_level, k = denoise_inputs(volume, noise_level, sigma, k, name="volume",
                                                owner="shearlet_denoise3d", ndim=3)
    chunk = integer(chunk, "chunk", lo=1)
    sh = Shearlet3D(vol.shape[-3:], scales, dtype=dtype, workers=workers)
    out = None
    for lo in range(0, sh.n_shearlets, int(chunk)):
        sel = slice(lo, min(lo + int(chunk), sh.n_shearlets))
        c = sh.forward(vol, bands=sel)
        thr = (k * noise_level * sh.rms[sel]).astype(dtype)[:, None, None, None]
        c[np.abs(c) <= thr] = 0
        part = sh.inverse(c, bands=sel)
        out = part if out is None else out + part
    return out
