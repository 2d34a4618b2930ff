"""Dask adapters (optional: ``pip install 'fastshear[dask]'``): a plan applied slice by slice to
a stack held as a dask array, so that a volume of slices runs on a ``dask.distributed`` cluster.

The stack's trailing axes are the plan's input (one chunk each: they are rechunked if needed);
leading axes are slices and keep their chunks. Every block is computed by the very same plan
call as in memory, so results are identical to ``plan.forward(stack)``.

Any plan of the protocol (:mod:`fastshear._plan`: :class:`fastshear.Shearlet2D`,
:class:`fastshear.Shearlet3D`, :class:`fastshear.Radon2D`) or operator built from plans works:
plans pickle as their construction arguments, so they travel to worker processes and are
rebuilt there (their systems are cached per process).
"""
from __future__ import annotations

import functools

import numpy as np

try:
    import dask.array as da
except ImportError as e:  # pragma: no cover - exercised only without dask
    raise ImportError("fastshear.dask needs dask: pip install 'fastshear[dask]'") from e

from .operators import as_operator

__all__ = ["forward", "adjoint", "reconstruct"]


def _apply_blocks(op, adjoint, block):
    return op.adjoint(block) if adjoint else op.forward(block)


def _map(plan, stack, adjoint):
    op = as_operator(plan)
    src, dst = (op.out_shape, op.in_shape) if adjoint else (op.in_shape, op.out_shape)
    from ._validation import as_array

    x = stack if isinstance(stack, da.Array) else da.from_array(as_array(stack, "stack"))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"stack must hold real numbers, got dtype {x.dtype}")
    nin = len(src)
    if x.ndim < nin or tuple(x.shape[x.ndim - nin:]) != tuple(src):
        raise ValueError(f"the stack must have shape (..., {', '.join(map(str, src))}), got {x.shape}")
    lead = x.ndim - nin
    x = x.rechunk(x.chunks[:lead] + tuple((s,) for s in src))
    chunks = x.chunks[:lead] + tuple((s,) for s in dst)
    kw = {}
    if len(dst) != nin:
        kw = {"drop_axis": list(range(lead, lead + nin)), "new_axis": list(range(lead, lead + len(dst)))}
    return da.map_blocks(functools.partial(_apply_blocks, op, adjoint), x, chunks=chunks,
                         dtype=np.dtype(op.dtype), **kw)


def forward(plan, stack):
    """``plan.forward`` applied block-wise to a dask array ``(..., *in_shape)`` (lazy).

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastshear
    >>> import fastshear.dask as fd
    >>> sh = fastshear.Shearlet2D((128, 128), scales=2)
    >>> stack = da.random.random((4, 128, 128), chunks=(2, 128, 128))
    >>> fd.forward(sh, stack).shape
    (4, 17, 128, 128)
    """
    return _map(plan, stack, False)


def adjoint(plan, stack):
    """``plan.adjoint`` applied block-wise to a dask array ``(..., *out_shape)`` (lazy).

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastshear
    >>> import fastshear.dask as fd
    >>> R = fastshear.Radon2D((32, 32), np.arange(0, 180, 5.0))
    >>> fd.adjoint(R, da.ones((3, 36, 32), chunks=(1, 36, 32))).shape
    (3, 32, 32)
    """
    return _map(plan, stack, True)


def _reconstruct_block(theta, shape, kwargs, block):
    from . import ct

    lead = block.shape[:-2]
    flat = block.reshape((-1,) + block.shape[-2:])
    out = np.stack([ct.reconstruct(s, theta, shape, **kwargs) for s in flat]) if flat.shape[0] else \
        np.zeros((0,) + tuple(shape), np.dtype(kwargs.get("dtype", np.float32)))
    return out.reshape(lead + tuple(shape))


def reconstruct(stack, theta, shape, method: str = "shearlet-l1", **kwargs):
    """:func:`fastshear.ct.reconstruct` applied to every sinogram of a stack
    ``(..., n_angles, n_det)`` held as a dask array (lazy); returns ``(..., N, M)``.

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastshear
    >>> import fastshear.dask as fd
    >>> theta = np.arange(-60, 61, 4.0)
    >>> sinos = da.zeros((2, theta.size, 64), chunks=(1, theta.size, 64))
    >>> fd.reconstruct(sinos, theta, (64, 64), method="fbp", dtype=np.float32).compute().shape
    (2, 64, 64)
    """
    from ._validation import as_array, bounded_shape, finite_vector

    x = stack if isinstance(stack, da.Array) else da.from_array(as_array(stack, "stack"))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"stack must hold real numbers, got dtype {x.dtype}")
    theta = finite_vector(theta, "theta")
    if x.ndim < 2:
        raise ValueError(f"the stack must have shape (..., n_angles, n_det), got {x.shape}")
    if x.shape[-2] != theta.size:
        raise ValueError(f"the sinograms have {x.shape[-2]} rows (angles) but theta has {theta.size} angles")
    shape = bounded_shape(shape, 2)
    kwargs = dict(kwargs, method=method, progress=False)
    lead = x.ndim - 2
    x = x.rechunk(x.chunks[:lead] + ((x.shape[-2],), (x.shape[-1],)))
    dt = np.dtype(kwargs.get("dtype", np.float32))
    return da.map_blocks(functools.partial(_reconstruct_block, theta, shape, kwargs), x,
                         chunks=x.chunks[:lead] + ((shape[0],), (shape[1],)), dtype=dt)
