"""2D Radon transform: parallel and flat-detector fan beam, an exactly matched adjoint, FBP.

The geometry follows scikit-image (``skimage.transform.radon``), except for the layout: the
sinogram is ``(..., n_angles, n_det)`` (angles first), where scikit-image returns
``(n_det, n_angles)``; ``s.T`` converts one into the other.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from . import _core, _fftw
from ._plan import Plan
from ._validation import (MISSING, bounded_shape, call_threads, check_alloc, check_shape, finite_vector,
                          default_dtype, flag, one_of, output_array, positive_int, real, real_array,
                          renamed, resolve_workers)

#: The largest image side and number of detector bins the core accepts.
MAX_RADON_SIDE = 2**24
#: The largest source and detector distance (pixels) of a fan beam; farther is parallel beam to
#: double precision.
MAX_FAN_DISTANCE = 1e9

__all__ = ["Radon2D", "FBP_FILTERS"]

#: Names accepted by :meth:`Radon2D.fbp`'s ``filter_name`` (``"ramp"`` is another name of
#: ``"ram-lak"``).
FBP_FILTERS = ("ram-lak", "shepp-logan", "cosine", "hamming", "hann")


def _ramp_response(pad: int, spacing: float, name) -> np.ndarray:
    """Half spectrum (pad//2+1) of the band-limited ramp |nu| (cycles per unit length) times a
    window. The ramp is the FFT of the sampled band-limited ramp kernel (Kak & Slaney eq. 61),
    h(0) = 1/4, h(n) = -1/(pi n)^2 for odd n, 0 for even n, which avoids the DC bias of a plain
    |k| ramp."""
    n = np.concatenate([np.arange(0, pad // 2 + 1), np.arange(-(pad - pad // 2 - 1), 0)])
    h = np.zeros(pad)
    odd = n % 2 == 1
    h[0] = 0.25
    h[odd] = -1.0 / (np.pi * n[odd]) ** 2
    ramp = np.fft.rfft(h).real / spacing
    r = np.arange(pad // 2 + 1) * 2.0 / pad  # |nu| / nu_max in [0, 1]
    key = "ram-lak" if name == "ramp" else name
    if key == "ram-lak":
        win = np.ones_like(r)
    elif key == "shepp-logan":
        win = np.sinc(r / 2)
    elif key == "cosine":
        win = np.cos(np.pi * r / 2)
    elif key == "hamming":
        win = 0.54 + 0.46 * np.cos(np.pi * r)
    elif key == "hann":
        win = 0.5 + 0.5 * np.cos(np.pi * r)
    else:
        raise ValueError(f"filter_name must be one of {FBP_FILTERS}, got {name!r}")
    return ramp * win


def _into(result: np.ndarray, out) -> np.ndarray:
    """``result``, or ``out`` holding a copy of it (``out`` already checked)."""
    if out is None:
        return result
    np.copyto(out, result)
    return out


def _sampling_step(gaps: np.ndarray, period: float) -> float:
    """The median of the non-zero gaps (repeated angles share their weight)."""
    pos = gaps[gaps > 1e-12 * period]
    return float(np.median(pos)) if pos.size else period


def _angle_weights(theta_rad: np.ndarray, period: float) -> np.ndarray:
    """Quadrature weights of the angles on a circle of length ``period``: half the gaps to the two
    neighbours, where a gap longer than the median gap (a missing wedge, or the wrap-around of a
    limited range) counts as the median gap."""
    n = theta_rad.size
    if n == 1:
        return np.array([period / 2])
    t = np.mod(theta_rad, period)
    order = np.argsort(t, kind="stable")
    ts = t[order]
    gaps = np.diff(np.concatenate([ts, ts[:1] + period]))  # gap after each sorted angle
    med = _sampling_step(gaps, period)
    gaps = np.minimum(gaps, med)
    w_sorted = 0.5 * (gaps + np.roll(gaps, 1))
    w = np.empty(n)
    w[order] = w_sorted
    return w


class Radon2D(Plan):
    """The 2D Radon transform of a fixed geometry: a plan built once, applied many times.

    Parameters
    ----------
    shape : (int, int)
        Image size ``(N, M)``: rows, columns.
    theta : array_like of float
        Projection angles in degrees, any finite set (a limited range such as
        ``numpy.arange(-60, 61)`` included).
    n_det : int, optional
        Number of detector bins. Default: parallel beam ``min(N, M)`` with ``circle=True``,
        ``ceil(sqrt(2) max(N, M))`` without (as scikit-image); fan beam, enough bins to see the
        whole object.
    det_spacing : float, default 1.0
        Width of a detector bin in pixels (on the detector, for fan beam).
    circle : bool, default True
        Assume the image is zero outside the inscribed circle of radius ``min(N, M) // 2`` around
        pixel ``(N // 2, M // 2)``: pixels outside it are ignored by :meth:`forward` and set to zero
        by :meth:`adjoint` and :meth:`fbp` (scikit-image's ``circle=True``).
    geometry : {"parallel", "fan"}
        ``"fan"``: a point source at ``source_distance`` from the rotation centre and a flat
        detector at ``detector_distance`` on the other side.
    source_distance, detector_distance : float
        Fan beam only. ``source_distance`` is required and must put the source outside the object;
        ``detector_distance`` defaults to 0 (a virtual detector through the rotation centre).
    dtype : numpy.float32 or numpy.float64, optional
        Precision of images, sinograms and arithmetic. Default (None): float64, as every dtype=None without input arrays (fastshear's dtype rule).
    workers : int, optional
        Threads per call (default: OpenMP's, i.e. ``OMP_NUM_THREADS`` or all cores).

    Attributes
    ----------
    in_shape, out_shape : tuple of int
        ``(N, M)`` and ``(n_angles, n_det)`` (the plan protocol of :mod:`fastshear._plan`).
    shape : (int, int)
        The image size (``in_shape``).
    theta : ndarray, read-only
        The angles in degrees (float64), in the given order.
    n_det, n_angles : int
    sinogram_shape : (int, int)
        ``(n_angles, n_det)`` (``out_shape``).
    det_spacing, circle, geometry, source_distance, detector_distance, dtype, workers
        As given (``source_distance`` and ``detector_distance`` are None for parallel beam).

    Notes
    -----
    Geometry (scikit-image's): pixel ``(i, j)`` sits at ``x = j - M // 2``, ``y = N // 2 - i``;
    for angle ``theta`` the detector coordinate of a point is ``s = x cos(theta) + y sin(theta)``;
    bin ``k`` is centred at ``s = (k - n_det // 2) * det_spacing``. Fan beam: the source sits at
    ``-source_distance * e``, the detector line at ``detector_distance * e`` with
    ``e = (-sin(theta), cos(theta))``, so a point projects to
    ``s (Ds + Dd) / (Ds + t)``, ``t = -x sin(theta) + y cos(theta)``.

    Sinograms are ``(..., n_angles, n_det)``; scikit-image's ``radon`` returns the transpose,
    ``(n_det, n_angles)``.

    Discretisation: each pixel spreads its value over the detector bins by the overlap of its
    footprint (width ``1 / det_spacing`` bins in parallel beam, ``magnification / det_spacing``
    in fan beam) with each bin, scaled to a line integral. With ``det_spacing=1`` in parallel
    beam this is the 2-tap linear interpolation (a pixel-driven projector). :meth:`adjoint` uses
    the very same weights, so it is the exact transpose of :meth:`forward`:
    ``<A x, y> = <x, A^T y>`` to rounding. Results do not depend on the number of threads.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> R = fastshear.Radon2D((64, 64), np.linspace(0, 180, 90, endpoint=False))
    >>> x = fastshear.phantoms.shepp_logan((64, 64))
    >>> s = R.forward(x)
    >>> s.shape
    (90, 64)
    >>> y = np.random.default_rng(0).standard_normal(s.shape)
    >>> bool(np.isclose(np.vdot(s, y), np.vdot(x, R.adjoint(y))))
    True
    """

    def __init__(self, shape, theta, *, n_det=None, det_spacing=1.0, circle: bool = True,
                 geometry: str = "parallel", source_distance=None, detector_distance=None,
                 dtype=None, workers=None):
        self.shape = bounded_shape(shape, 2)
        if max(self.shape) > MAX_RADON_SIDE:
            raise ValueError(f"shape must have sides <= {MAX_RADON_SIDE}, got {self.shape}")
        self.theta = finite_vector(theta, "theta")  # a new float64 array
        self.theta.setflags(write=False)
        if self.theta.size > MAX_RADON_SIDE:
            raise ValueError(f"theta must hold at most {MAX_RADON_SIDE} angles, got {self.theta.size}")
        self.det_spacing = real(det_spacing, "det_spacing", lo=1e-12, hi=1e12)
        self.circle = flag(circle, "circle")
        self.geometry = geometry = one_of(geometry, "geometry", ("parallel", "fan"))
        self.dtype = default_dtype(dtype)
        self.workers = workers
        self._threads = resolve_workers(workers)
        n, m = self.shape
        # the plan scans the image's support once and the calls hold an image: refuse what
        # cannot be allocated before any O(size) work
        check_alloc(n * m * self.dtype.itemsize, f"an image of shape {self.shape}")
        r_obj = self._object_radius()
        if geometry == "fan":
            if source_distance is None:
                raise ValueError("geometry='fan' needs source_distance (distance from the source to "
                                 "the rotation centre, in pixels)")
            ds = real(source_distance, "source_distance", lo=0, lo_open=True, hi=MAX_FAN_DISTANCE)
            dd = 0.0 if detector_distance is None else real(
                detector_distance, "detector_distance", lo=0, hi=MAX_FAN_DISTANCE)
            if ds <= r_obj + 1.0:
                raise ValueError(
                    f"source_distance must exceed the object's radius + 1 = {r_obj + 1.0:.4g} pixels "
                    f"(else the source is inside the object), got {ds!r}")
        else:
            if source_distance is not None or detector_distance is not None:
                raise ValueError("source_distance and detector_distance are for geometry='fan' only")
            ds = dd = 0.0
        self.source_distance = ds if geometry == "fan" else None
        self.detector_distance = dd if geometry == "fan" else None
        if n_det is None:
            if geometry == "parallel":
                n_det = min(n, m) if self.circle else int(np.ceil(np.sqrt(2.0) * max(n, m)))
            else:
                half = (ds + dd) * (r_obj + 1.0) / np.sqrt(ds ** 2 - (r_obj + 1.0) ** 2)
                bins = np.ceil(half / self.det_spacing)
                if not bins < MAX_RADON_SIDE:
                    raise ValueError(
                        f"n_det: the default number of detector bins ({2 * bins + 1:.4g}, enough to see "
                        f"the whole object at det_spacing={self.det_spacing!r}) exceeds "
                        f"{MAX_RADON_SIDE}; pass a larger det_spacing or n_det")
                n_det = 2 * int(bins) + 1
        self.n_det = positive_int(n_det, "n_det")
        if self.n_det > MAX_RADON_SIDE:
            raise ValueError(f"n_det must be an integer between 1 and {MAX_RADON_SIDE}, got {n_det!r}")
        check_alloc(self.theta.size * self.n_det * self.dtype.itemsize,
                    f"a sinogram of shape {(self.theta.size, self.n_det)}")
        self._plan = (_core.Radon2D_f32 if self.dtype == np.float32 else _core.Radon2D_f64)(
            n, m, self.n_det, self.det_spacing, self.circle, geometry == "fan", ds, dd,
            np.deg2rad(self.theta))
        self._fbp_cache = {}
        self._lock = threading.Lock()

    def _object_radius(self) -> float:
        n, m = self.shape
        if self.circle:
            return float(min(n, m) // 2)
        ax = max(m // 2, m - 1 - m // 2)
        ay = max(n // 2, n - 1 - n // 2)
        return float(np.hypot(ax, ay))

    @property
    def support(self) -> np.ndarray:
        """The pixels the projector sees, ``(N, M)`` bool: the inscribed circle of radius
        ``min(N, M) // 2`` around ``(N // 2, M // 2)`` with ``circle=True``, every pixel
        otherwise (a new array on each call)."""
        n, m = self.shape
        if not self.circle:
            return np.ones((n, m), bool)
        y = np.arange(n)[:, None] - n // 2
        x = np.arange(m)[None, :] - m // 2
        return x * x + y * y <= (min(n, m) // 2) ** 2

    @property
    def n_angles(self) -> int:
        return int(self.theta.size)

    @property
    def sinogram_shape(self) -> tuple[int, int]:
        """``(n_angles, n_det)``."""
        return (self.n_angles, self.n_det)

    @property
    def in_shape(self) -> tuple[int, int]:
        """``(N, M)``: the image size (the plan protocol's name for :attr:`shape`)."""
        return self.shape

    @property
    def out_shape(self) -> tuple[int, int]:
        """``(n_angles, n_det)``: the plan protocol's name for :attr:`sinogram_shape`."""
        return self.sinogram_shape

    def _init_args(self):
        kw = {"n_det": self.n_det, "det_spacing": self.det_spacing, "circle": self.circle,
              "geometry": self.geometry, "dtype": self.dtype.name, "workers": self.workers}
        if self.geometry == "fan":
            kw.update(source_distance=self.source_distance, detector_distance=self.detector_distance)
        return (self.shape, np.array(self.theta)), kw

    def __repr__(self) -> str:
        extra = ""
        if self.geometry == "fan":
            extra = f", source_distance={self.source_distance}, detector_distance={self.detector_distance}"
        return (f"Radon2D(shape={self.shape}, n_angles={self.n_angles}, n_det={self.n_det}, "
                f"det_spacing={self.det_spacing}, circle={self.circle}, geometry={self.geometry!r}"
                f"{extra}, dtype={self.dtype.name})")

    def forward(self, x, *, out=None, workers=None) -> np.ndarray:
        """Forward projection (line integrals).

        Parameters
        ----------
        x : array_like, (..., N, M)
            Real image or batch of images; converted to the plan's dtype.
        out : ndarray, (..., n_angles, n_det), optional
            Where to write the sinograms (the plan's dtype, C-contiguous, not overlapping ``x``);
            returned. The core computes into its own buffer and the result is copied, so ``out``
            serves the protocol, not speed.
        workers : int, optional
            Threads for this call (default: the plan's).

        Returns
        -------
        ndarray, (..., n_angles, n_det), the plan's dtype (``out`` when given).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> R = fastshear.Radon2D((32, 32), [0.0, 90.0], circle=False)
        >>> s = R.forward(np.ones((32, 32)))
        >>> s.shape, float(s[0].max())
        ((2, 46), 32.0)
        """
        a = real_array(x, self.dtype, "x")
        check_shape(a, self.shape, "x", "image size of this Radon2D")
        lead = a.shape[:-2]
        if out is not None:
            output_array(out, lead + self.sinogram_shape, self.dtype, (a,))
        check_alloc(math.prod(lead + self.sinogram_shape) * self.dtype.itemsize,
                    lambda: f"sinograms of shape {lead + self.sinogram_shape}")
        s = self._plan.forward(a.reshape((-1,) + self.shape), call_threads(self._threads, workers))
        return _into(s.reshape(lead + self.sinogram_shape), out)

    def adjoint(self, s, *, out=None, workers=None) -> np.ndarray:
        """The exact adjoint (transpose) of :meth:`forward`: unfiltered backprojection.

        Parameters
        ----------
        s : array_like, (..., n_angles, n_det)
        out : ndarray, (..., N, M), optional
            Where to write the images (as in :meth:`forward`).
        workers : int, optional

        Returns
        -------
        ndarray, (..., N, M) (``out`` when given)

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> R = fastshear.Radon2D((32, 32), np.arange(0, 180, 4.0))
        >>> R.adjoint(np.ones(R.sinogram_shape)).shape
        (32, 32)
        """
        a = real_array(s, self.dtype, "sinogram")
        check_shape(a, self.sinogram_shape, "sinogram", "n_angles x n_det of this Radon2D")
        lead = a.shape[:-2]
        if out is not None:
            output_array(out, lead + self.shape, self.dtype, (a,))
        check_alloc(math.prod(lead + self.shape) * self.dtype.itemsize,
                    lambda: f"images of shape {lead + self.shape}")
        x = self._plan.adjoint(a.reshape((-1,) + self.sinogram_shape), call_threads(self._threads, workers), False)
        return _into(x.reshape(lead + self.shape), out)

    # ------------------------------------------------------------------ FBP
    def _fbp_setup(self, name):
        if not isinstance(name, str):
            raise TypeError(f"filter_name must be one of {FBP_FILTERS} or 'ramp' (a string), got "
                            f"{type(name).__name__} {name!r}")
        key = "ram-lak" if name == "ramp" else name
        with self._lock:
            hit = self._fbp_cache.get(key)
        if hit is not None:
            return hit
        one_of(key, "filter_name", FBP_FILTERS)
        nd = self.n_det
        pad = max(64, 1 << int(np.ceil(np.log2(2 * nd))))
        th = np.deg2rad(self.theta)
        d = self.det_spacing
        if self.geometry == "parallel":
            spacing = d
            pre = np.repeat(_angle_weights(th, np.pi)[:, None], nd, axis=1)
        else:
            ds, dd = self.source_distance, self.detector_distance
            spacing = d * ds / (ds + dd)  # bins on the virtual detector through the centre
            u = (np.arange(nd) - nd // 2) * d
            sv = u * ds / (ds + dd)
            cosw = ds / np.sqrt(ds ** 2 + sv ** 2)
            pre = _angle_weights(th, 2 * np.pi)[:, None] * self._redundancy(th, u)[...] * cosw[None, :]
        response = _ramp_response(pad, spacing, key)
        out = (np.ascontiguousarray(pre, dtype=np.float64), np.ascontiguousarray(response), pad)
        with self._lock:
            self._fbp_cache[key] = out
        return out

    def _redundancy(self, th, u):
        """Fan-beam redundancy weights (n_angles, n_det): 1/2 on a full scan, Parker's weights on a
        short scan (at least 180 degrees plus the fan angle), 1 on less (no redundancy handling)."""
        ds, dd = self.source_distance, self.detector_distance
        gamma = -np.arctan(u / (ds + dd))  # fan angle; ray (beta, gamma) = ray (beta + pi + 2 gamma, -gamma)
        na = th.size
        if na == 1:
            return np.ones((1, u.size))
        t = np.sort(np.mod(th - th.min(), 2 * np.pi))
        gaps = np.diff(np.concatenate([t, t[:1] + 2 * np.pi]))
        med = _sampling_step(gaps, 2 * np.pi)
        # the scan range: the circle minus its largest gap (the gap wider than the sampling)
        big = int(np.argmax(gaps))
        if gaps[big] <= 1.5 * med:
            return np.full((na, u.size), 0.5)
        start = th.min() + t[(big + 1) % na]
        beta = np.mod(th - start, 2 * np.pi)
        scan = 2 * np.pi - gaps[big]
        gmax = np.arcsin(min(1.0, (self._object_radius() + 1.0) / ds))
        delta = (scan - np.pi) / 2
        if delta < gmax - 1e-9:
            return np.ones((na, u.size))
        b = beta[:, None]
        g = gamma[None, :]
        w = np.ones((na, u.size))
        eps = 1e-12
        r1 = b < 2 * (delta - g)
        w = np.where(r1, np.sin(np.pi / 4 * b / np.maximum(delta - g, eps)) ** 2, w)
        r3 = b > np.pi - 2 * g
        w = np.where(r3, np.sin(np.pi / 4 * np.maximum(np.pi + 2 * delta - b, 0) / np.maximum(delta + g, eps)) ** 2, w)
        return np.clip(w, 0.0, 1.0)

    def fbp(self, s, filter_name: str = "ram-lak", *, workers=None, filter: str = MISSING) -> np.ndarray:
        """Filtered backprojection.

        Parameters
        ----------
        s : array_like, (..., n_angles, n_det)
            Sinogram (line integrals, as :meth:`forward` makes them).
        filter_name : {"ram-lak", "shepp-logan", "cosine", "hamming", "hann"}
            Ramp filter window (``"ramp"`` = ``"ram-lak"``), as scikit-image's ``iradon``.
        workers : int, optional
        filter : str, deprecated
            The old name of ``filter_name`` (a DeprecationWarning; removed in the next release).

        Returns
        -------
        ndarray, (..., N, M): an image in the intensities of ``x`` when ``s = forward(x)``.

        Notes
        -----
        Each row is multiplied by its angle's quadrature weight (half the gaps to its neighbours
        on the circle, gaps wider than the median sampling step counted as one step, so a
        limited range such as [-60, 60] is weighted by its own step), zero padded to at least
        twice its length (a power of two), and filtered with the band-limited ramp (the FFT of
        the sampled ramp kernel, which has no DC bias) times the window; the filtered rows are
        backprojected by linear interpolation. Fan beam (flat detector): rows are first
        weighted by ``Ds / sqrt(Ds^2 + s^2)`` on the virtual detector through the centre and by
        redundancy weights (1/2 for a full 360-degree scan, Parker's for a short scan of 180
        degrees plus the fan angle), and the backprojection weights each angle by
        ``Ds^2 / (Ds + t)^2``.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> R = fastshear.Radon2D((128, 128), np.linspace(0, 180, 180, endpoint=False))
        >>> x = fastshear.phantoms.shepp_logan((128, 128))
        >>> rec = R.fbp(R.forward(x))
        >>> bool(np.abs(rec - x)[32:96, 32:96].mean() < 0.05)
        True
        """
        a = real_array(s, self.dtype, "sinogram")
        check_shape(a, self.sinogram_shape, "sinogram", "n_angles x n_det of this Radon2D")
        filter_name = renamed(filter_name, filter, "filter_name", "filter", default="ram-lak")
        pre, response, pad = self._fbp_setup(filter_name)
        lead = a.shape[:-2]
        check_alloc(math.prod(lead + self.shape) * self.dtype.itemsize
                    + 2 * math.prod(lead + self.sinogram_shape) * self.dtype.itemsize,
                    f"the filtered sinograms and images of a batch of shape {lead}")
        t = call_threads(self._threads, workers)
        _fftw.load()
        q = self._plan.filter(a.reshape((-1,) + self.sinogram_shape), pre, response, pad, t)
        _fftw.save_if_new()
        x = self._plan.adjoint(q, t, True)
        return x.reshape(lead + self.shape)

    def aslinearoperator(self):
        """This transform as a ``scipy.sparse.linalg.LinearOperator`` on flattened arrays.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            Shape ``(n_angles * n_det, N * M)``; ``matvec`` is :meth:`forward`, ``rmatvec``
            :meth:`adjoint`; ``matmat`` / ``rmatmat`` run the columns as one batch.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> A = fastshear.Radon2D((32, 32), np.arange(0, 180, 3.0)).aslinearoperator()
        >>> A.shape
        (1920, 1024)
        >>> A.matvec(np.ones(32 * 32)).shape
        (1920,)
        """
        from scipy.sparse.linalg import LinearOperator

        n_img = self.shape[0] * self.shape[1]
        n_sino = self.n_angles * self.n_det

        def matvec(v):
            return self.forward(np.reshape(v, self.shape)).ravel()

        def rmatvec(v):
            return self.adjoint(np.reshape(v, self.sinogram_shape)).ravel()

        def matmat(V):
            V = np.asarray(V)
            return self.forward(V.T.reshape((-1,) + self.shape)).reshape(V.shape[1], n_sino).T

        def rmatmat(V):
            V = np.asarray(V)
            return self.adjoint(V.T.reshape((-1,) + self.sinogram_shape)).reshape(V.shape[1], n_img).T

        return LinearOperator((n_sino, n_img), matvec=matvec, rmatvec=rmatvec, matmat=matmat,
                              rmatmat=rmatmat, dtype=self.dtype)
