"""PyTorch adapters (optional: ``pip install 'fastshear[torch]'``).

:class:`Shearlet2D` and :class:`Radon2D` wrap an existing fastshear plan as ``torch.nn.Module``
objects whose backward pass is the plan's exact adjoint, so they sit inside networks and
losses (unrolled reconstruction, learned post-processing). Any fastshear operator can be
wrapped with :class:`Operator`. Inputs are ``(..., *in_shape)`` tensors on any device (the
computation runs on the CPU); float32 and float64 are supported: the plan's dtype sets the
precision, the result has the input's dtype (use a float64 plan for ``torch.autograd.gradcheck``).
"""
from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError as e:  # pragma: no cover - exercised only without torch
    raise ImportError("fastshear.torch needs PyTorch: pip install 'fastshear[torch]'") from e

from .operators import as_operator

__all__ = ["Operator", "Shearlet2D", "Radon2D", "apply"]


def _to_numpy(t, dtype):
    return np.ascontiguousarray(t.detach().to("cpu").numpy(), dtype=dtype)


def _check(t, shape, what):
    n = len(shape)
    if not torch.is_tensor(t):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_complex() or not t.is_floating_point():
        raise TypeError(f"{what} must be a real floating-point tensor, got {t.dtype}")
    if t.dim() < n or tuple(t.shape[t.dim() - n:]) != tuple(shape):
        raise ValueError(f"{what} must have shape (..., {', '.join(map(str, shape))}), got {tuple(t.shape)}")


class _Apply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, op, adjoint):
        ctx.op, ctx.adjoint = op, adjoint
        f = op.adjoint if adjoint else op.forward
        y = f(_to_numpy(x, op.dtype))
        return torch.from_numpy(np.asarray(y)).to(device=x.device, dtype=x.dtype)

    @staticmethod
    def backward(ctx, gy):
        op = ctx.op
        f = op.forward if ctx.adjoint else op.adjoint
        gx = f(_to_numpy(gy, op.dtype))
        return torch.from_numpy(np.asarray(gx)).to(device=gy.device, dtype=gy.dtype), None, None


def apply(op, x, *, adjoint: bool = False):
    """``op.forward(x)`` (or ``op.adjoint(x)``) on a tensor, differentiable (backward = the
    other one).

    Examples
    --------
    >>> import numpy as np, torch, fastshear
    >>> from fastshear.operators import Gradient2D
    >>> x = torch.ones(4, 4, requires_grad=True)
    >>> fastshear.torch.apply(Gradient2D((4, 4)), x).shape
    torch.Size([2, 4, 4])
    """
    A = as_operator(op)
    _check(x, A.out_shape if adjoint else A.in_shape, "y (the adjoint's input)" if adjoint else "x (the input)")
    return _Apply.apply(x, A, adjoint)


class Operator(torch.nn.Module):
    """A fastshear operator (or plan) as an ``nn.Module``: ``forward`` applies it, autograd
    applies its adjoint. ``module.adjoint(y)`` applies the adjoint (differentiable too).

    Examples
    --------
    >>> import torch, fastshear
    >>> from fastshear.operators import Gradient2D
    >>> D = fastshear.torch.Operator(Gradient2D((8, 8)))
    >>> x = torch.rand(3, 8, 8, dtype=torch.float64, requires_grad=True)
    >>> D(x).pow(2).sum().backward()
    >>> x.grad.shape
    torch.Size([3, 8, 8])
    """

    def __init__(self, op):
        super().__init__()
        self.op = as_operator(op)

    def forward(self, x):
        return apply(self.op, x)

    def adjoint(self, y):
        return apply(self.op, y, adjoint=True)

    def extra_repr(self):
        return repr(self.op)


class Shearlet2D(Operator):
    """A :class:`fastshear.Shearlet2D` plan as an ``nn.Module``: ``(..., N, M) -> (..., K, N, M)``;
    ``inverse(c)`` is the dual-frame reconstruction (differentiable, backward = its transpose).

    Examples
    --------
    >>> import torch, fastshear
    >>> sh = fastshear.torch.Shearlet2D(fastshear.Shearlet2D((128, 128), scales=2))
    >>> sh(torch.rand(2, 128, 128)).shape
    torch.Size([2, 17, 128, 128])
    """

    def __init__(self, plan):
        super().__init__(plan)
        self.plan = plan

    def inverse(self, c):
        return apply(_Inverse(self.plan), c)


class _Inverse:
    """The dual-frame synthesis of a Shearlet2D as a plan (its transpose is the dual analysis)."""

    def __init__(self, plan):
        self.plan = plan
        self.in_shape = (plan.n_shearlets,) + tuple(plan.shape)
        self.out_shape = tuple(plan.shape)
        self.dtype = plan.dtype
        self._bank = plan._bank
        # 1 / W on the non-negative column frequencies (the bank's half layout, uncentred), in
        # the plan's precision: W is real and even, so the division is exact in rfft2's space
        self._inv_weights = (1.0 / plan._bank.dual_weights).astype(plan.dtype)

    def forward(self, c):
        return self.plan.inverse(c)

    def adjoint(self, x):
        # inverse(c) = sum_i psi_i * (c_i / W) in frequency; its transpose filters x by
        # conj(psi_i) / W: the forward transform of x / W (W the dual-frame weights)
        xw = np.fft.irfft2(np.fft.rfft2(x) * self._inv_weights, s=self.out_shape).astype(self.dtype, copy=False)
        return self.plan.forward(xw)


class Radon2D(Operator):
    """A :class:`fastshear.Radon2D` plan as an ``nn.Module``: ``(..., N, M) -> (..., n_angles,
    n_det)``; the backward pass is the matched back-projection.

    Examples
    --------
    >>> import numpy as np, torch, fastshear
    >>> R = fastshear.torch.Radon2D(fastshear.Radon2D((32, 32), np.arange(0, 180, 10.0)))
    >>> R(torch.rand(4, 32, 32)).shape
    torch.Size([4, 18, 32])
    """

    def __init__(self, plan):
        super().__init__(plan)
        self.plan = plan
