"""Array and parameter checks shared by every fastshear plan (one place for each rule).

Policy: array_like in; float32 stays float32, other real input becomes float64 (or the plan's
dtype where a plan fixes it); complex input is a TypeError; shapes are checked once and errors
name what was expected and what came. The default of every ``dtype=`` parameter is one rule,
:func:`default_dtype`.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

__all__ = ["float_dtype", "real_array", "check_shape", "output_array", "resolve_workers", "call_threads",
           "positive_shape", "finite_vector", "positive_int", "positive_float", "integer", "real",
           "integer_sequence", "one_of", "flag", "memory_limit", "check_alloc", "check_extent",
           "bounded_shape", "finite_array", "optional_real", "MAX_EXTENT", "MAX_WORKERS", "as_array",
           "initial_guess", "iterations", "tolerance", "positive_real", "positive_reals", "data_array",
           "renamed", "MISSING", "default_dtype", "precision_of", "warn_default_change"]


def float_dtype(dtype) -> np.dtype:
    """numpy.float32 or numpy.float64, else TypeError."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dt = np.dtype(dtype)
    except Exception:  # numpy raises TypeError, ValueError, even SyntaxError ('01') here
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
    return dt


def precision_of(*inputs) -> np.dtype:
    """float32 where every input is a float32 array (or tensor, or dtype), else float64; float64
    where there are no inputs. Anything without a float32 dtype (float64, integers, lists, other
    types) counts as float64: this only infers, the callers validate their inputs."""
    f32 = np.dtype(np.float32)

    def is_f32(a) -> bool:
        dt = a if isinstance(a, np.dtype) else getattr(a, "dtype", None)
        if dt is None or isinstance(a, (list, tuple)):  # a list of numbers is float64 to numpy
            return False
        try:
            return np.dtype(dt) == f32
        except TypeError:  # torch.float32 is not a numpy dtype
            return str(dt) == "torch.float32"

    return f32 if inputs and all(is_f32(a) for a in inputs) else np.dtype(np.float64)


def default_dtype(dtype, *inputs, legacy=None, owner: str = "", what: str = "the precision of the input arrays",
                  namespace: str = "numpy"):
    """The one default-dtype rule of fastshear: ``dtype=None`` means the precision of the input
    arrays where there are any (float32 where all of them are float32, else float64:
    :func:`precision_of`), and float64 where there are none (plans built from a shape alone:
    ShearLab-exact reference results); an explicit ``dtype`` (float32 or float64) always wins.

    ``legacy``: the old default of a function whose default this rule changes. Where the rule
    gives another dtype, ``legacy`` is kept for one release, and the message of a FutureWarning
    saying what to pass is returned with it: ``(dtype, message or None)``. The caller validates
    its inputs first and then calls :func:`warn_default_change`, so that only a call that
    succeeds warns. Without ``legacy``, the dtype alone is returned. ``namespace``: how the
    message spells the dtypes to pass (``numpy``, or ``torch`` where the parameter takes those)."""
    if dtype is not None:
        dt = float_dtype(dtype)
        return (dt, None) if legacy is not None else dt
    inferred = precision_of(*inputs)
    if legacy is None:
        return inferred
    legacy = np.dtype(legacy)
    if inferred == legacy:
        return legacy, None
    return legacy, (
        f"{owner}: dtype=None currently means {legacy.name}; from the next release it will mean "
        f"{inferred.name}, {what} (fastshear's one default-dtype rule). Pass "
        f"dtype={namespace}.{legacy.name} to keep {legacy.name}, or dtype={namespace}.{inferred.name} for the new "
        f"default.")


def warn_default_change(message, stacklevel: int = 3) -> None:
    """The FutureWarning of :func:`default_dtype`'s ``legacy`` case (nothing where ``message`` is None)."""
    if message is not None:
        import warnings

        warnings.warn(message, FutureWarning, stacklevel=stacklevel)


def real_array(x, dtype, name: str = "x") -> np.ndarray:
    """``x`` as a C-contiguous real array of ``dtype`` (a copy only where needed)."""
    if type(x) is np.ndarray and x.dtype == dtype and x.flags.c_contiguous and x.flags.aligned:
        return x  # already what the core reads (the common case of repeated calls; no conversion)
    a = as_array(x, name)
    if a.dtype.kind == "c":
        raise TypeError(
            f"{name} must be real, got {a.dtype}; transform the real and imaginary parts separately"
        )
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    # C-contiguous and aligned to its item size: the core reads T* (an odd-address view of a
    # buffer is copied, never handed over)
    dtype = np.dtype(dtype)
    if not (a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned):
        check_alloc(a.size * dtype.itemsize, f"{name} of shape {a.shape} converted to a contiguous {dtype} array")
    return np.require(a, dtype=dtype, requirements=("C", "A"))


def as_array(x, name: str = "x") -> np.ndarray:
    """``numpy.asarray(x)`` with numpy's own conversion errors (ragged lists, objects without a
    numeric value) re-raised naming ``name``."""
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{name} must be an array of numbers: {e}") from None


def check_shape(a: np.ndarray, trailing: Sequence[int], name: str, what: str) -> None:
    """Raise ValueError unless ``a.shape`` ends with ``trailing``."""
    trailing = tuple(trailing)
    n = len(trailing)
    if a.ndim < n or tuple(a.shape[a.ndim - n :]) != trailing:
        raise ValueError(
            f"{name} must have shape (..., {', '.join(map(str, trailing))}) ({what}), got {a.shape}"
        )


def output_array(out, shape, dtype, inputs=(), name: str = "out") -> np.ndarray:
    """``out`` checked as the destination of a result of ``shape`` and ``dtype``.

    It must be a writeable, C-contiguous numpy array of exactly that shape and dtype that shares
    no memory with any of ``inputs`` (results are written while inputs are still being read).
    """
    shape = tuple(int(v) for v in shape)
    dtype = np.dtype(dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the plan's), got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous; pass an array from numpy.empty or a previous result")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    if not out.flags.aligned:
        raise ValueError(f"{name} must be aligned to its item size (an array from numpy.empty is)")
    for a in inputs:
        if np.may_share_memory(out, a):
            raise ValueError(f"{name} must not share memory with the input")
    return out


def resolve_workers(workers) -> int:
    """None -> 0 (OpenMP's default, honouring OMP_NUM_THREADS); an int >= 1 as given."""
    if workers is None:
        return 0
    if not isinstance(workers, (numbers.Number, np.generic)):
        raise TypeError(f"workers must be None or an integer between 1 and {MAX_WORKERS}, "
                        f"got {type(workers).__name__} {workers!r}")
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1 \
            or workers > MAX_WORKERS:
        raise ValueError(f"workers must be None or an integer between 1 and {MAX_WORKERS}, got {workers!r}")
    return int(workers)


#: The most threads one call may ask for (each thread holds scratch memory of its own).
MAX_WORKERS = 1024


def call_threads(plan_threads: int, workers) -> int:
    """Threads for one call: the plan's (already resolved) unless ``workers`` overrides it."""
    return plan_threads if workers is None else resolve_workers(workers)


def positive_shape(shape, ndim: int, name: str = "shape") -> tuple[int, ...]:
    """A tuple of ``ndim`` positive ints, else ValueError/TypeError."""
    try:
        t = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of {ndim} integers, got {shape!r}") from None
    if isinstance(shape, (str, bytes)) or any(
            not isinstance(v, (numbers.Number, np.generic)) for v in t):
        raise TypeError(f"{name} must be a tuple of {ndim} integers, got {shape!r}")
    if len(t) != ndim or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in t):
        raise ValueError(f"{name} must be a tuple of {ndim} integers, got {shape!r}")
    if any(v < 1 for v in t):
        raise ValueError(f"{name} must be positive, got {shape!r}")
    return tuple(int(v) for v in t)


def finite_vector(v, name: str) -> np.ndarray:
    """A non-empty 1D float64 array of finite real numbers, else ValueError/TypeError."""
    a = as_array(v, name)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a sequence of real numbers, got dtype {a.dtype}")
    a = np.atleast_1d(a).astype(np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a[~np.isfinite(a)][:3]} among its values")
    return a


def positive_int(v, name: str) -> int:
    """An integer >= 1, else ValueError."""
    if v is None or isinstance(v, (str, bytes, list, tuple, dict)):
        raise TypeError(f"{name} must be an integer >= 1, got {type(v).__name__} {v!r}")
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if v > MAX_EXTENT:
        raise ValueError(f"{name} must be an integer between 1 and {MAX_EXTENT} (the core's index range), got {v!r}")
    return int(v)


def positive_float(v, name: str, *, allow_zero: bool = False) -> float:
    """A finite float > 0 (or >= 0 with allow_zero), else ValueError/TypeError."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {v!r}")
    f = float(v)
    if not np.isfinite(f) or f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {v!r}")
    return f


# --------------------------------------------------------------------------------------------
# Scalars, choices and sizes (issue 13: every public entry point checks every parameter here).
#
# Conventions: a value of the wrong kind (a string, None, a list where a number is needed) is a
# TypeError; a number of the right kind but outside what works (NaN, inf, out of range, a
# fraction where an integer is needed) is a ValueError; a size that cannot be allocated on this
# machine is a MemoryError. Every message names the parameter, what it must be and what came.

#: The core indexes with C ``int``: no extent (side, number of bins, bands...) may exceed this.
MAX_EXTENT = 2**31 - 1


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _range_text(lo, hi, lo_open=False, hi_open=False) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return " and ".join(parts)


def integer(v, name: str, *, lo=None, hi=None) -> int:
    """An integer in ``[lo, hi]`` (None: unbounded). TypeError for a value that is not a number;
    ValueError for a fraction, a bool or a value out of range."""
    if _is_int(v):
        iv = int(v)
    elif isinstance(v, bool) or isinstance(v, (numbers.Number, np.generic)):
        raise ValueError(f"{name} must be an integer{' ' + _range_text(lo, hi) if lo is not None or hi is not None else ''}"
                         f", got {v!r}")
    else:
        raise TypeError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    if (lo is not None and iv < lo) or (hi is not None and iv > hi):
        raise ValueError(f"{name} must be an integer {_range_text(lo, hi)}, got {iv!r}")
    return iv


def real(v, name: str, *, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False,
         allow_inf: bool = False) -> float:
    """A finite real number in the given range (open or closed ends). TypeError for a value that
    is not a real number (complex, str, None, bool); ValueError for NaN, inf (unless
    ``allow_inf``) or a value out of range."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
            v = v.item()
        else:
            raise TypeError(f"{name} must be a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if np.isnan(f) or (np.isinf(f) and not allow_inf):
        raise ValueError(f"{name} must be a finite number{' ' + _range_text(lo, hi, lo_open, hi_open) if lo is not None or hi is not None else ''}"
                         f", got {v!r}")
    bad = ((lo is not None and (f < lo or (lo_open and f == lo)))
           or (hi is not None and (f > hi or (hi_open and f == hi))))
    if bad:
        raise ValueError(f"{name} must be {_range_text(lo, hi, lo_open, hi_open)}, got {v!r}")
    return f


def integer_sequence(v, name: str, *, length=None, lo=None, hi=None) -> tuple[int, ...]:
    """A sequence (or a single integer when ``length`` is 1) of integers in ``[lo, hi]``."""
    if _is_int(v):
        items = [v]
    elif isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{name} must be a sequence of integers, got {type(v).__name__} {v!r}")
    else:
        try:
            items = list(np.asarray(v, dtype=object).ravel()) if isinstance(v, np.ndarray) else list(v)
        except TypeError:
            raise TypeError(f"{name} must be a sequence of integers, got {type(v).__name__} {v!r}") from None
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must hold {length} integers, got {len(items)}: {v!r}")
    out = []
    for i, item in enumerate(items):
        if _is_int(item):
            iv = int(item)
        elif isinstance(item, (numbers.Number, np.generic)):
            raise ValueError(f"{name} must hold integers, got {item!r} at position {i} of {v!r}")
        else:
            raise TypeError(f"{name} must hold integers, got {type(item).__name__} {item!r} at position {i}")
        if (lo is not None and iv < lo) or (hi is not None and iv > hi):
            raise ValueError(f"{name} must hold integers {_range_text(lo, hi)}, got {iv} at position {i} of {v!r}")
        out.append(iv)
    return tuple(out)


def one_of(v, name: str, choices) -> str:
    """``v`` if it is one of the strings ``choices``: TypeError for a non-string, ValueError
    for another string."""
    if not isinstance(v, str):
        raise TypeError(f"{name} must be one of {tuple(choices)} (a string), got {type(v).__name__} {v!r}")
    if v not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {v!r}")
    return v


def flag(v, name: str) -> bool:
    """A bool (numpy bools and the integers 0 and 1 too), else TypeError."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if _is_int(v) and int(v) in (0, 1):
        return bool(v)
    raise TypeError(f"{name} must be True or False, got {type(v).__name__} {v!r}")


def memory_limit() -> int:
    """Bytes one allocation may take: this machine's physical memory, or the address-space
    limit of the process when that is lower (``FASTSHEAR_MAX_BYTES`` overrides both)."""
    import os

    env = os.environ.get("FASTSHEAR_MAX_BYTES")
    if env:
        try:
            return int(env)
        except ValueError:
            pass
    limit = 2**46
    try:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            limit = min(limit, soft)
    except (ImportError, ValueError, OSError):
        pass
    return int(limit)


def _fmt_bytes(n: int) -> str:
    return f"{n} bytes ({n / 2**30:.3g} GiB)"


#: Allocations up to this size are not compared with the limit (one that fails still raises
#: MemoryError, from numpy or the core): the check is for sizes that cannot work at all.
_UNCHECKED_BYTES = 2**28


def check_alloc(nbytes, what) -> None:
    """MemoryError naming ``what`` and its size when ``nbytes`` exceeds :func:`memory_limit`;
    called before any allocation or O(size) work. ``what``: a string, or a function returning it
    (formatted only for the error: small per-call checks skip the formatting)."""
    nbytes = int(nbytes)
    if nbytes <= _UNCHECKED_BYTES:  # the common case, without a system call
        return
    lim = memory_limit()
    if nbytes > lim:
        what = what() if callable(what) else what
        raise MemoryError(f"{what} would need {_fmt_bytes(nbytes)}, more than the {_fmt_bytes(lim)} "
                          f"this process can allocate")


def check_extent(v: int, name: str) -> int:
    """ValueError when one extent exceeds what the core indexes (:data:`MAX_EXTENT`)."""
    if v > MAX_EXTENT:
        raise ValueError(f"{name} must be <= {MAX_EXTENT} (the core's index range), got {v}")
    return v


def bounded_shape(shape, ndim: int, name: str = "shape") -> tuple[int, ...]:
    """:func:`positive_shape` with every side within :data:`MAX_EXTENT` and non-integer sides
    (2.5, '3') refused rather than truncated."""
    t = positive_shape(shape, ndim, name)
    if any(v > MAX_EXTENT for v in t):
        raise ValueError(f"{name} must have sides <= {MAX_EXTENT} (the core's index range), got {shape!r}")
    return t


def finite_array(a: np.ndarray, name: str) -> np.ndarray:
    """ValueError naming ``name`` when ``a`` holds NaN or infinity."""
    if a.size and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {int(np.size(a) - np.count_nonzero(np.isfinite(a)))} "
                         f"NaN or infinite values")
    return a


def optional_real(v, name: str, **kw):
    """None, or :func:`real` of ``v``."""
    return None if v is None else real(v, name, **kw)


# --------------------------------------------------------------------------------------------
# For the solvers and fastshear.ct (issue 13's solver items; called by the issue-11 rewrite).


def initial_guess(x0, shape, dtype, name: str = "x0"):
    """None, or ``x0`` as a fresh, finite, real array of exactly ``shape`` (the operator's
    in_shape) and ``dtype``: TypeError for complex or non-numeric values, ValueError for another
    shape (never broadcast) or a non-finite value."""
    if x0 is None:
        return None
    a = as_array(x0, name)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    shape = tuple(shape)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (the operator's in_shape), got {a.shape}")
    finite_array(a, name)
    return np.array(a, dtype=dtype)  # a copy: the solver updates it


def iterations(max_iter, name: str = "max_iter", *, lo: int = 1, hi: int = 10**9) -> int:
    """An iteration count in ``[lo, hi]`` (integers only; 0 is refused unless ``lo=0``)."""
    return integer(max_iter, name, lo=lo, hi=hi)


def tolerance(tol, name: str = "tol") -> float:
    """A finite tolerance >= 0."""
    return real(tol, name, lo=0)


def positive_real(v, name: str, *, allow_none: bool = False):
    """A finite number > 0 (None passes when ``allow_none``): step sizes, Lipschitz constants,
    operator norms, step ratios."""
    if v is None and allow_none:
        return None
    return real(v, name, lo=0, lo_open=True)


def positive_reals(v, name: str, count: int | None = None, *, allow_none: bool = True):
    """None, or a list of finite numbers > 0 (one per operator when ``count`` is given); an
    entry may be None (estimated) when ``allow_none``."""
    if v is None:
        return None
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
        raise TypeError(f"{name} must be a list of numbers > 0, got {type(v).__name__} {v!r}")
    items = list(v)
    if count is not None and len(items) != count:
        raise ValueError(f"{name} must hold {count} values (one per operator), got {len(items)}")
    return [None if (item is None and allow_none) else real(item, f"{name}[{i}]", lo=0, lo_open=True)
            for i, item in enumerate(items)]


def data_array(a, name: str, *, ndim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """A real, finite array (a sinogram, a data vector): TypeError for complex or non-numeric
    data, ValueError naming ``name`` for NaN/inf, an empty array or another number of axes."""
    a = as_array(a, name)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {a.shape}")
    if a.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    return finite_array(a, name)


class _Missing:
    def __repr__(self):
        return "<required>"


#: The default of a parameter that has a deprecated alias (tells "not given" from None).
MISSING = _Missing()


def renamed(value, old_value, name: str, old: str, *, default=MISSING, stacklevel: int = 3):
    """The value of parameter ``name`` whose deprecated spelling ``old`` (default MISSING: not
    given) is still accepted for one release, with a DeprecationWarning. ``default`` is the
    default of ``name``: ``name`` given too (not its default) is a TypeError."""
    if old_value is MISSING:
        return value
    if value is not default:
        raise TypeError(f"pass {name}= only ({old}= is its deprecated old name)")
    import warnings

    warnings.warn(f"{old}= is deprecated and will be removed in the next release; use {name}=",
                  DeprecationWarning, stacklevel=stacklevel)
    return old_value
