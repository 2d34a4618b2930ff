"""Feed-forward networks Phi(x) = T_L rho(T_{L-1} rho(... rho(T_1 x))) (Kutyniok, Def. 2.3).

:class:`DenseNet` is an inference engine for small dense networks: batched evaluation in C++
(packed SIMD kernels chosen at run time for the CPU, the GIL released), sparse execution of
pruned layers, the complexity C(Phi) of Def. 3.6 and layer-wise relevance propagation (LRP).
:func:`fit` trains a PyTorch model on the paper's objective; PyTorch is optional and imported
only by :func:`fit`, :meth:`DenseNet.from_torch` and :meth:`DenseNet.to_torch`.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import sys
import time
from typing import Callable, Sequence

import numpy as np

from . import _core
from ._validation import (default_dtype, one_of, optional_real, output_array, real, real_array, resolve_workers,
                          warn_default_change)

__all__ = ["DenseNet", "fit", "ACTIVATIONS", "RULES"]

ACTIVATIONS = ("relu", "sigmoid", "heaviside", "identity")
RULES = ("epsilon", "zplus", "alphabeta")

# A layer runs from CSR when at most this fraction of its weights is non-zero. Measured on this
# machine (three 512 x 512 ReLU layers, batches 8-256, float32 and float64): CSR and the packed
# dense kernel break even at 25-35 % density, CSR is 2.4-5x faster at 10 %, 5.5-8.5x at 5 %.
SPARSE_BELOW = 0.25


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "this needs PyTorch, an optional dependency: pip install 'fastshear[torch]'"
        ) from None
    return torch


_HEAVISIDE = None


def _torch_heaviside():
    """The torch module for the Heaviside activation (1 for x > 0, else 0), made on first use."""
    global _HEAVISIDE
    if _HEAVISIDE is None:
        torch = _import_torch()

        class Heaviside(torch.nn.Module):
            """Heaviside activation: 1 where x > 0, else 0 (NaN stays NaN)."""

            def forward(self, x):
                return torch.where(x > 0, torch.ones_like(x), torch.where(x <= 0, torch.zeros_like(x), x))

        Heaviside.__module__ = __name__
        _HEAVISIDE = Heaviside
    return _HEAVISIDE


def _activation_list(activation, n_hidden: int) -> tuple[str, ...]:
    if isinstance(activation, str):
        acts = [activation] * n_hidden
    else:
        try:
            acts = list(activation)
        except TypeError:
            raise TypeError(f"activation must be one of {', '.join(ACTIVATIONS)} or a list of them, "
                            f"got {type(activation).__name__} {activation!r}") from None
    if len(acts) != n_hidden:
        raise ValueError(
            f"activation must be one name or a list of {n_hidden} (one per hidden layer), got {len(acts)}"
        )
    for a in acts:
        if not isinstance(a, str):
            raise TypeError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {type(a).__name__} {a!r}")
        if a not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {a!r}")
    return tuple(acts)


def _layers(weights, biases, dtype) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if isinstance(weights, np.ndarray) or isinstance(biases, np.ndarray):
        raise TypeError("weights and biases must be sequences of arrays, one per layer")
    weights, biases = list(weights), list(biases)
    if not weights:
        raise ValueError("a network needs at least one layer (weights is empty)")
    if len(biases) != len(weights):
        raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
    ws, bs = [], []
    for k, (w, b) in enumerate(zip(weights, biases)):
        w = real_array(w, dtype, f"weights[{k}]").copy()  # own, read-only copies
        b = real_array(b, dtype, f"biases[{k}]").copy()
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"weights[{k}] must be a non-empty 2-D array (N_l, N_l-1), got shape {w.shape}")
        if k and w.shape[1] != ws[-1].shape[0]:
            raise ValueError(
                f"weights[{k}] must have {ws[-1].shape[0]} columns (the output width of layer {k - 1}), "
                f"got shape {w.shape}"
            )
        if b.shape != (w.shape[0],):
            raise ValueError(f"biases[{k}] must have shape ({w.shape[0]},), got {b.shape}")
        for name, a in ((f"weights[{k}]", w), (f"biases[{k}]", b)):
            if not np.isfinite(a).all():
                raise ValueError(f"{name} contains NaN or infinity")
        w.setflags(write=False)
        b.setflags(write=False)
        ws.append(w)
        bs.append(b)
    return ws, bs


class DenseNet:
    """A feed-forward network Phi(x) = T_L rho(... rho(T_1 x)), evaluated in C++.

    Parameters
    ----------
    weights : sequence of array_like
        ``weights[l]`` is W_{l+1} with shape ``(N_{l+1}, N_l)`` (the layout of torch's
        ``Linear.weight``).
    biases : sequence of array_like
        ``biases[l]`` has shape ``(N_{l+1},)``.
    activation : str or sequence of str, default "relu"
        ``"relu"``, ``"sigmoid"``, ``"heaviside"`` (1 for x > 0, else 0) or ``"identity"``; one
        name for every hidden layer or a list with one per hidden layer. The last layer is affine.
    dtype : numpy.float32 or numpy.float64, optional
        Precision of weights, inputs and results. Default (None), by fastshear's dtype rule: the
        precision of the weights (float32 where every weight matrix is float32, else float64).
        In this release, weights that are not all float32 still give float32, with a
        FutureWarning (the default before the rule); pass ``dtype`` to choose and silence it.
    workers : int, optional
        Threads per call (default: OpenMP's). Calls with little work run on one thread whatever
        this says: a second thread costs more than it saves there.
    sparse_threshold : float, optional
        Layers with at most this fraction of non-zero weights run from a compressed sparse row
        format (default :data:`SPARSE_BELOW`, measured). The results are those of the dense
        network with the same zero weights, up to rounding.

    Attributes
    ----------
    depth : int
        L, the number of affine layers.
    widths : tuple of int
        ``(N_0, ..., N_L)``.
    complexity : int
        C(Phi) (Def. 3.6): the number of non-zero weights and biases.
    activations : tuple of str
        One per hidden layer.
    sparse_layers : tuple of bool
        Which layers run from CSR.
    kernel : str
        The instruction set of the kernels this CPU runs (``"avx512"``, ``"avx2"``, ``"generic"``).

    Notes
    -----
    Thread-safe: one network may be called from several Python threads at once. NaN or
    infinity in the input propagate as in IEEE arithmetic; weights must be finite.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> rng = np.random.default_rng(0)
    >>> W = [rng.standard_normal((64, 2)), rng.standard_normal((1, 64))]
    >>> b = [np.zeros(64), np.zeros(1)]
    >>> net = fastshear.DenseNet(W, b, activation="relu", dtype=np.float64)
    >>> net.widths, net.depth, net.complexity
    ((2, 64, 1), 2, 192)
    >>> x = rng.standard_normal((5, 2))
    >>> bool(np.allclose(net(x), np.maximum(x @ W[0].T, 0) @ W[1].T))
    True
    """

    def __init__(self, weights, biases, activation="relu", dtype=None, *, workers=None,
                 sparse_threshold: float | None = None):
        if not isinstance(weights, np.ndarray):  # _layers refuses an array (one per layer)
            try:
                weights = list(weights)  # once: an iterator is read here
            except TypeError:
                pass  # not iterable: _layers says so
        self.dtype, change = default_dtype(dtype, *(weights if isinstance(weights, list) else ()),
                                           legacy=np.float32, owner="DenseNet", what="the precision of the weights")
        ws, bs = _layers(weights, biases, self.dtype)
        self.activations = _activation_list(activation, len(ws) - 1)
        if sparse_threshold is None:
            sparse_threshold = SPARSE_BELOW
        self.sparse_threshold = real(sparse_threshold, "sparse_threshold", lo=0, hi=1)
        self.workers = workers
        self._threads = resolve_workers(workers)
        self._weights, self._biases = tuple(ws), tuple(bs)
        cls = _core.DenseNet_f32 if self.dtype == np.float32 else _core.DenseNet_f64
        self._net = cls(ws, bs, list(self.activations), self.sparse_threshold)
        self.widths = tuple(int(w) for w in self._net.widths)
        self.depth = len(ws)
        self._d = self.widths[0]
        warn_default_change(change)  # only a network that was built warns

    # -- properties -----------------------------------------------------------------------------
    @property
    def complexity(self) -> int:
        return int(self._net.complexity)

    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        """The weight matrices W_l (read-only)."""
        return self._weights

    @property
    def biases(self) -> tuple[np.ndarray, ...]:
        """The bias vectors b_l (read-only)."""
        return self._biases

    @property
    def sparse_layers(self) -> tuple[bool, ...]:
        return tuple(bool(self._net.layer_sparse(k)) for k in range(self.depth))

    @property
    def kernel(self) -> str:
        return self._net.kernel

    def __repr__(self) -> str:
        acts = self.activations[0] if len(set(self.activations)) == 1 else list(self.activations)
        return (f"DenseNet(widths={self.widths}, activation={acts!r}, dtype={self.dtype.name}, "
                f"complexity={self.complexity})")

    # -- evaluation -----------------------------------------------------------------------------
    def _input(self, x, name="x"):
        a = real_array(x, self.dtype, name)
        if a.ndim == 0 or a.shape[-1] != self._d:
            raise ValueError(f"{name} must have shape (..., {self._d}) (the network's input width), got {a.shape}")
        return a

    def __call__(self, x, *, out=None, workers=None) -> np.ndarray:
        """Phi(x).

        Parameters
        ----------
        x : array_like, (d,) or (..., d)
            Input points; converted to the network's dtype.
        out : ndarray, optional
            Where to write Phi(x): a writeable, C-contiguous array of the network's dtype and of
            the result's shape, sharing no memory with ``x``. Repeated calls with the same
            ``out`` allocate nothing (a fresh 4096 x 10 000 float32 result is 160 MB of new
            pages each call, a large part of such a call's time).
        workers : int, optional
            Threads for this call (default: the network's).

        Returns
        -------
        ndarray, (N_L,) or (..., N_L), the network's dtype
            ``out`` itself when given.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> net = fastshear.DenseNet([np.eye(2)], [np.ones(2)], dtype=np.float64)
        >>> net([1.0, 2.0])
        array([2., 3.])
        >>> buf = np.empty((3, 2))
        >>> net(np.zeros((3, 2)), out=buf) is buf
        True
        >>> buf
        array([[1., 1.],
               [1., 1.],
               [1., 1.]])
        """
        t = self._threads if workers is None else resolve_workers(workers)
        # Fast path: a C-contiguous array of the right dtype and width goes straight to C++.
        if (type(x) is np.ndarray and x.dtype == self.dtype and 1 <= x.ndim <= 2
                and x.shape[-1] == self._d and x.flags.c_contiguous):
            if out is None:
                return self._net.forward(x, t)
            output_array(out, x.shape[:-1] + (self.widths[-1],), self.dtype, (x,))
            self._net.forward(x, t, out)
            return out
        if out is None:
            a = self._input(x)
            if a.ndim <= 2:
                return self._net.forward(a, t)
            lead = a.shape[:-1]
            return self._net.forward(a.reshape(-1, self._d), t).reshape(lead + (self.widths[-1],))
        a = self._input(x)
        output_array(out, a.shape[:-1] + (self.widths[-1],), self.dtype, (a,))
        if a.ndim <= 2:
            self._net.forward(a, t, out)
        else:
            self._net.forward(a.reshape(-1, self._d), t, out.reshape(-1, self.widths[-1]))
        return out

    def relevance(self, x, rule: str = "epsilon", epsilon: float = 1e-6, target=None, *,
                  alpha: float | None = None, beta: float | None = None, workers=None,
                  return_output: bool = False):
        """Layer-wise relevance propagation: the relevance of each input for one output.

        Parameters
        ----------
        x : array_like, (d,) or (..., d)
        rule : {"epsilon", "zplus", "alphabeta"}
            The rule, with zennit's semantics, applied to every layer (activations pass
            relevance through unchanged). ``"epsilon"``:
            R_j = a_j sum_k w_jk R_k / (z_k + eps sign(z_k)), sign(0) = +1. ``"alphabeta"``:
            positive contributions (a_j^+ w_jk^+ and a_j^- w_jk^-, with the bias' positive part)
            weighted by alpha, negative ones by beta. ``"zplus"`` is alpha = 1, beta = 0.
        epsilon : float, default 1e-6
            The epsilon of the epsilon rule; the stabiliser of the others.
        target : int or array_like of int, optional
            The output to explain, one for all points or one per point; default: the argmax of
            each point's output.
        alpha, beta : float, optional
            For ``"alphabeta"``, with alpha - beta = 1 (default 2 and 1).
        workers : int, optional
        return_output : bool, default False
            Also return Phi(x).

        Returns
        -------
        R : ndarray, the shape of x
            Relevance per input. The relevance entering the network is the target output's
            value, so for zplus/alphabeta without biases (and for epsilon -> 0 on ReLU networks
            without biases) ``R.sum(-1)`` equals that output (conservation); biases absorb
            their share otherwise.
        y : ndarray, (..., N_L)
            Only with ``return_output=True``.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> rng = np.random.default_rng(1)
        >>> W = [rng.standard_normal((16, 3)), rng.standard_normal((2, 16))]
        >>> net = fastshear.DenseNet(W, [np.zeros(16), np.zeros(2)], dtype=np.float64)
        >>> x = rng.standard_normal((4, 3))
        >>> R, y = net.relevance(x, rule="zplus", return_output=True)
        >>> bool(np.allclose(R.sum(-1), y.max(-1)))
        True
        """
        one_of(rule, "rule", RULES)
        alpha = optional_real(alpha, "alpha")
        beta = optional_real(beta, "beta")
        if rule == "alphabeta":
            alpha = 2.0 if alpha is None else alpha
            beta = alpha - 1.0 if beta is None else beta
            if abs(alpha - beta - 1.0) > 1e-12 or beta < 0:
                raise ValueError(f"alphabeta needs alpha - beta = 1 and beta >= 0, got alpha={alpha}, beta={beta}")
        elif alpha is not None or beta is not None:
            raise ValueError(f"alpha and beta belong to rule='alphabeta', not {rule!r}")
        else:
            alpha, beta = 1.0, 0.0
        epsilon = real(epsilon, "epsilon", lo=0)
        a = self._input(x)
        lead = a.shape[:-1]
        flat = a.reshape(-1, self._d)
        n_out = self.widths[-1]
        tgt = None
        if target is not None:
            t = np.asarray(target)
            if t.dtype.kind not in "iu":
                raise TypeError(f"target must be an integer or integer array, got {t.dtype}")
            t = np.broadcast_to(t.astype(np.int64), lead) if t.ndim == 0 or t.shape == lead else None
            if t is None:
                raise ValueError(f"target must be one integer or have shape {lead}, got {np.shape(target)}")
            if t.size and (t.min() < 0 or t.max() >= n_out):
                raise ValueError(f"target must lie in [0, {n_out}) (the output width), got {np.asarray(target)!r}")
            tgt = np.ascontiguousarray(t.reshape(-1))
        t_ = self._threads if workers is None else resolve_workers(workers)
        R, y = self._net.relevance(flat, tgt, rule, float(epsilon), alpha, beta, t_)
        R, y = R.reshape(a.shape), y.reshape(lead + (n_out,))
        return (R, y) if return_output else R

    def gradient(self, x, grad_output, *, workers=None, return_output: bool = False):
        """Vector-Jacobian product: the gradient of ``<grad_output, Phi(x)>`` with respect to x,
        in the engine's own backward pass (no torch).

        Parameters
        ----------
        x : array_like, (d,) or (..., d)
        grad_output : array_like, (N_L,) or (..., N_L)
            One output cotangent per point (x's leading shape).
        workers : int, optional
        return_output : bool, default False
            Also return Phi(x) (from the same forward pass).

        Returns
        -------
        gx : ndarray, the shape of x
            ReLU' and Heaviside' are taken as 0 at 0 (as PyTorch does).
        y : ndarray, (..., N_L)
            Only with ``return_output=True``.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> W = [np.array([[1.0, -2.0], [0.5, 1.0]]), np.array([[1.0, 1.0]])]
        >>> net = fastshear.DenseNet(W, [np.zeros(2), np.zeros(1)], dtype=np.float64)
        >>> net.gradient([0.0, 1.0], [1.0])       # only the second hidden unit is active
        array([0.5, 1. ])
        """
        a = self._input(x)
        lead = a.shape[:-1]
        g = real_array(grad_output, self.dtype, "grad_output")
        if g.shape != lead + (self.widths[-1],):
            raise ValueError(f"grad_output must have shape {lead + (self.widths[-1],)} (x's points by the output "
                             f"width), got {g.shape}")
        t_ = self._threads if workers is None else resolve_workers(workers)
        gx, y = self._net.backward(a.reshape(-1, self._d), g.reshape(-1, self.widths[-1]), t_)
        gx, y = gx.reshape(a.shape), y.reshape(lead + (self.widths[-1],))
        return (gx, y) if return_output else gx

    def rde(self, x, target=None, *, steps: int = 300, samples: int = 16, lr: float = 0.1, l1: float = 1.0,
            noise: str = "uniform", maximize: bool = True, value_range=None, seed: int | None = 0,
            workers=None, callback=None):
        """Rate-distortion explanation (Macdonald et al. 2019) of the softmax of the outputs, in
        the engine's own forward and backward passes (no torch), batched over points and noise
        samples.

        Minimises ``mean_s (t - p_target(x~_s))^2 + l1 ||m||_1 / d`` over masks m in [0, 1]^d
        (Adam with torch's defaults, m clamped after each step, initialised to ones) with
        ``x~_s = m * x + (1 - m) * v_s``, v_s noise from the point's feature mean and std, and
        ``t = 1`` (``maximize``) or ``t = p_target(x)``: the input-domain case of
        :func:`fastshear.explain.rde`.

        Parameters
        ----------
        x : array_like, (d,) or (B, d)
        target : int or sequence of int, optional
            The output to explain (default: the argmax of each point's output).
        steps, samples, lr, l1, noise, maximize, seed, callback
            As in :func:`fastshear.explain.rde`.
        value_range : (float, float), optional
            Clamp the obfuscations and the explanation to this range (default: no clamp).
        workers : int, optional

        Returns
        -------
        fastshear.explain.Explanation
            ``mask`` and ``explanation`` (``mask * x``) have x's shape; ``domain == "input"``.

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> W = np.zeros((2, 6)); W[0, :2] = 4.0           # only features 0 and 1 matter
        >>> net = fastshear.DenseNet([W], [np.array([-6.0, 0.0])], dtype=np.float64)
        >>> r = net.rde(np.array([1.0, 1.0, 0.0, 0.5, 0.2, 0.9]), steps=200)
        >>> bool(r.mask[:2].min() > 0.5), bool(r.mask[2:].max() < 0.1)
        (True, True)
        """
        from .explain import _dense_rde

        return _dense_rde(self, x, target=target, steps=steps, samples=samples, lr=lr, l1=l1, noise=noise,
                          maximize=maximize, value_range=value_range, seed=seed,
                          workers=None if workers is None else resolve_workers(workers), callback=callback)

    # -- pruning --------------------------------------------------------------------------------
    def prune(self, fraction: float | None = None, threshold: float | None = None) -> "DenseNet":
        """A copy with small weights set to zero; layers that became sparse run from CSR.

        Parameters
        ----------
        fraction : float in [0, 1], optional
            Zero this fraction of each layer's weights, the smallest in magnitude.
        threshold : float >= 0, optional
            Zero every weight with ``|w| <= threshold``. Give exactly one of the two. Biases are
            kept.

        Returns
        -------
        DenseNet
            Same widths, activations, dtype and workers; its outputs equal those of the dense
            network with the same zero weights (up to rounding).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> rng = np.random.default_rng(0)
        >>> net = fastshear.DenseNet([rng.standard_normal((100, 10))], [np.zeros(100)], dtype=np.float32)
        >>> small = net.prune(fraction=0.9)
        >>> small.complexity, small.sparse_layers
        (100, (True,))
        """
        if (fraction is None) == (threshold is None):
            raise ValueError("give exactly one of fraction= and threshold=")
        ws = []
        if fraction is not None:
            fraction = real(fraction, "fraction", lo=0, hi=1)
            for w in self._weights:
                k = int(round(fraction * w.size))
                flat = w.reshape(-1).copy()
                if k:
                    idx = np.argpartition(np.abs(flat), k - 1)[:k]
                    flat[idx] = 0
                ws.append(flat.reshape(w.shape))
        else:
            threshold = real(threshold, "threshold", lo=0)
            ws = [np.where(np.abs(w) <= threshold, 0, w).astype(self.dtype) for w in self._weights]
        return DenseNet(ws, self._biases, list(self.activations), self.dtype, workers=self.workers,
                        sparse_threshold=self.sparse_threshold)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the network to an ``.npz`` file (weights, biases, activations, dtype).

        Examples
        --------
        >>> import numpy as np, fastshear, tempfile, os
        >>> net = fastshear.DenseNet([np.ones((3, 2))], [np.zeros(3)], dtype=np.float32)
        >>> p = os.path.join(tempfile.mkdtemp(), "net.npz")
        >>> net.save(p)
        >>> fastshear.DenseNet.load(p).widths
        (2, 3)
        """
        arrays = {f"w{k}": w for k, w in enumerate(self._weights)}
        arrays.update({f"b{k}": b for k, b in enumerate(self._biases)})
        meta = {"format": "fastshear.DenseNet", "version": 1, "depth": self.depth,
                "activations": list(self.activations), "dtype": self.dtype.name}
        with open(os.fspath(path), "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path, *, workers=None) -> "DenseNet":
        """Read a network written by :meth:`save`.

        Examples
        --------
        See :meth:`save`.
        """

        resolve_workers(workers)
        path = os.fspath(path)
        try:
            z = np.load(path, allow_pickle=False)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except Exception as e:  # numpy's parsers raise many kinds on corrupt files (even TokenError)
            raise ValueError(f"path: {path!r} is not a file written by DenseNet.save ({e})") from None
        if not hasattr(z, "files"):  # a plain .npy file
            raise ValueError(f"path: {path!r} is not a file written by DenseNet.save (an .npy array, not an .npz)")
        with z:
            try:
                meta = json.loads(str(z["meta"]))
                L = int(meta["depth"])
                if not 1 <= L <= len(z.files):
                    raise ValueError(f"depth {L} does not match the file's {len(z.files)} arrays")
                ws = [z[f"w{k}"] for k in range(L)]
                bs = [z[f"b{k}"] for k in range(L)]
                acts, dt = meta["activations"], meta["dtype"]
            except Exception as e:  # a corrupt member: any parser error is "not such a file"
                raise ValueError(f"path: {path!r} is not a file written by DenseNet.save ({e})") from None
        try:
            return cls(ws, bs, acts, dt, workers=workers)
        except (TypeError, ValueError) as e:
            raise ValueError(f"path: {path!r} is not a valid DenseNet file ({e})") from None

    # -- PyTorch --------------------------------------------------------------------------------
    @classmethod
    def from_torch(cls, module, dtype=None, *, workers=None) -> "DenseNet":
        """A DenseNet with the weights of a torch ``nn.Sequential`` of Linear and activations.

        Parameters
        ----------
        module : torch.nn.Sequential (or any module whose ``children()`` are in that order)
            Linear layers, each (but the last) followed by at most one of ReLU, Sigmoid,
            Identity or fastshear's Heaviside (two Linear in a row: identity between them).
            Dropout is skipped (inference). Nothing may follow the last Linear.
        dtype : numpy.float32 or numpy.float64, optional
            Default: the module's precision (float32 where every Linear weight is float32, else
            float64; fastshear's dtype rule).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> import torch
        >>> m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        >>> net = fastshear.DenseNet.from_torch(m)
        >>> x = np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32)
        >>> bool(np.allclose(net(x), m(torch.from_numpy(x)).detach().numpy(), atol=1e-6))
        True
        """
        torch = _import_torch()
        nn = torch.nn
        mods = [m for m in module.children()] if len(list(module.children())) else [module]
        ws, bs, acts = [], [], []
        pending = None  # activation seen after the latest Linear
        names = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Identity: "identity"}
        for i, m in enumerate(mods):
            if isinstance(m, nn.Linear):
                if ws:
                    acts.append(pending or "identity")
                pending = None
                w = m.weight.detach().cpu()
                ws.append(w.numpy() if w.dtype in (torch.float32, torch.float64) else w.double().numpy())
                b = m.bias.detach().cpu().to(w.dtype).numpy() if m.bias is not None else np.zeros(w.shape[0], w.numpy().dtype)
                bs.append(b)
            elif isinstance(m, nn.Dropout):
                continue
            else:
                name = names.get(type(m))
                if name is None and type(m).__name__ == "Heaviside":
                    name = "heaviside"
                if name is None:
                    raise ValueError(
                        f"from_torch handles Linear, ReLU, Sigmoid, Identity, Heaviside and Dropout; "
                        f"child {i} is {type(m).__name__}"
                    )
                if not ws or pending is not None:
                    raise ValueError(f"child {i} ({type(m).__name__}) must follow a Linear layer")
                pending = name
        if not ws:
            raise ValueError("the module contains no Linear layer")
        if pending not in (None, "identity"):
            raise ValueError(f"the network must end with a Linear layer (Phi is affine at the end), "
                             f"got a trailing {pending}")
        # dtype=None: the module's precision (its weights'), the rule DenseNet's own default follows
        return cls(ws, bs, acts, default_dtype(dtype, *ws), workers=workers)

    def to_torch(self):
        """The same network as a torch ``nn.Sequential`` (Linear and activation modules).

        Examples
        --------
        >>> import numpy as np, fastshear
        >>> import torch
        >>> net = fastshear.DenseNet([np.ones((4, 2), np.float32), np.ones((1, 4), np.float32)],
        ...                          [np.zeros(4), np.zeros(1)])
        >>> net.to_torch()(torch.ones(1, 2)).item()
        8.0
        """
        torch = _import_torch()
        nn = torch.nn
        tdtype = torch.float32 if self.dtype == np.float32 else torch.float64
        mods = []
        for k, (w, b) in enumerate(zip(self._weights, self._biases)):
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=tdtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.copy()))
                lin.bias.copy_(torch.from_numpy(b.copy()))
            mods.append(lin)
            if k + 1 < self.depth:
                a = self.activations[k]
                mods.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "identity": nn.Identity,
                             "heaviside": _torch_heaviside()}[a]())
        return nn.Sequential(*mods)


# ---------------------------------------------------------------------------------------------
# Training (PyTorch)

class _Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.t0 = total, enabled, time.perf_counter()

    def update(self, epoch: int, loss: float):
        if not self.enabled:
            return
        done = epoch + 1
        n = 30 * done // self.total
        el = time.perf_counter() - self.t0
        sys.stderr.write(f"\r[{'#' * n}{'.' * (30 - n)}] {done}/{self.total} loss {loss:.4g} {el:.1f}s")
        if done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _is_dataset(x) -> bool:
    """A map-style dataset or a DataLoader (anything with ``__getitem__``/``__iter__`` and
    ``__len__`` that is not an array or a tensor)."""
    if isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array__") or type(x).__name__ == "Tensor":
        return False
    return hasattr(x, "__len__") and (hasattr(x, "__getitem__") or hasattr(x, "__iter__"))


def _loader(torch, data, batch_size, shuffle, gen):
    """A DataLoader over ``data`` (returned as is when it already is one). Datasets with
    ``__getitems__`` (batched fetching) get batches as they return them."""
    DataLoader = torch.utils.data.DataLoader
    if isinstance(data, DataLoader):
        return data
    collate = getattr(data, "collate", None)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=gen,
                      collate_fn=collate if callable(collate) else None)


def fit(model, x, y=None, *, loss="mse", epochs: int = 100, optimizer="adam", lr: float = 1e-3,
        batch_size: int | None = None, l1: float = 0.0, callbacks: Sequence[Callable] = (),
        progress: bool = True, shuffle: bool = True, seed: int | None = None, validation=None,
        patience: int | None = None, restore_best: bool = True) -> dict:
    """Train a torch model by (stochastic) gradient descent on loss + lambda R.

    Minimises ``mean_i Loss(model(x_i), y_i) + l1 * sum_l (|W_l|_1 + |b_l|_1)`` (the paper's
    objective, Sec. 2.2 step 3, with the sum over samples replaced by their mean and the l1 norm
    of all parameters as R).

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (its dtype decides the dtype of x and y).
    x, y : array_like or torch.Tensor, (n, ...) and (n, ...)
        Training samples and target values f(x_i); a 1-D y is read as (n, 1). Samples may have
        any shape (images ``(n, C, H, W)`` for convolutional networks).
    x : torch Dataset or DataLoader, with ``y=None``
        Alternatively: a map-style dataset whose items are ``(x_i, y_i)`` (a ``collate``
        attribute, when callable, is used as the DataLoader's ``collate_fn``; a
        ``__getitems__`` method fetches whole batches), or a ready DataLoader (then
        ``batch_size``, ``shuffle`` and ``seed`` are the loader's business).
    loss : {"mse", "l1", "huber"} or callable, default "mse"
        Mean over the batch; a callable gets ``(prediction, target)``.
    epochs : int
    optimizer : {"adam", "sgd"}, a torch optimizer, or a callable ``params -> optimizer``
    lr : float
        Learning rate for the named optimizers.
    batch_size : int, optional
        Mini-batch size (default: all samples, plain gradient descent; 16 for a dataset).
    l1 : float, default 0
        lambda of the l1 regulariser R.
    callbacks : sequence of callables
        Each is called after every epoch as ``callback(epoch, history, model)``; returning True
        stops training (early stopping). Logging and pruning schedules are callbacks too.
    progress : bool, default True
        A progress bar on stderr.
    shuffle : bool
        Reshuffle the samples each epoch.
    seed : int, optional
        Seed of the shuffling (with a fixed seed and a fixed initialisation, training on CPU is
        deterministic).
    validation : (x_val, y_val) or dataset, optional
        Held-out data: its loss (the data term, no l1) is recorded per epoch as
        ``history["val_loss"]``, in evaluation mode without gradients.
    patience : int, optional
        Early stopping: stop when the monitored loss (``val_loss`` with validation data, else
        ``loss``) has not improved for this many epochs.
    restore_best : bool, default True
        With ``patience`` and validation data: put back the weights of the epoch with the
        lowest validation loss at the end (``history["best_epoch"]``, 0-based).

    Returns
    -------
    dict
        ``history`` with per-epoch lists ``"loss"`` (the data term) and ``"objective"`` (data
        term + l1 R), ``"val_loss"`` with validation data, and ``"epochs"``, the number of
        epochs run.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> m = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    >>> x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    >>> h = fastshear.nn.fit(m, x, np.abs(x), epochs=200, lr=1e-2, progress=False)
    >>> h["loss"][-1] < h["loss"][0]
    True
    >>> net = fastshear.DenseNet.from_torch(m)
    """
    torch = _import_torch()
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    if l1 < 0:
        raise ValueError(f"l1 must be >= 0, got {l1!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, numbers.Integral)
                                 or patience < 1):
        raise ValueError(f"patience must be an integer >= 1, got {patience!r}")
    tdtype = params[0].dtype
    gen = torch.Generator().manual_seed(seed) if seed is not None else None

    def tensors(a, b):
        A = torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a, dtype=tdtype)
        B = torch.as_tensor(np.asarray(b) if not torch.is_tensor(b) else b, dtype=tdtype)
        if B.ndim == 1:
            B = B[:, None]
        if A.ndim < 2 or B.ndim < 2 or A.shape[0] != B.shape[0]:
            raise ValueError(f"x and y must be (n, d) and (n, N_L) (or (n, ...) each) with the same n, "
                             f"got {tuple(A.shape)} and {tuple(B.shape)}")
        return A, B

    dataset = y is None and _is_dataset(x)
    if dataset:
        n = len(x)
        bs = 16 if batch_size is None else int(batch_size)
        if bs < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
        loader = _loader(torch, x, bs, shuffle, gen)

        def batches():
            for xb, yb in loader:
                yield xb.to(tdtype), yb.to(tdtype)
    else:
        if y is None:
            raise ValueError("y is required unless x is a torch Dataset or DataLoader")
        X, Y = tensors(x, y)
        n = X.shape[0]
        bs = n if batch_size is None else int(batch_size)
        if bs < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")

        def batches():
            order = torch.randperm(n, generator=gen) if shuffle and bs < n else torch.arange(n)
            for s in range(0, n, bs):
                idx = order[s:s + bs]
                yield X[idx], Y[idx]
    if validation is None:
        val_batches = None
    elif isinstance(validation, tuple) and len(validation) == 2 and not _is_dataset(validation):
        XV, YV = tensors(*validation)

        def val_batches():
            for s in range(0, XV.shape[0], max(bs, 1)):
                yield XV[s:s + bs], YV[s:s + bs]
    elif _is_dataset(validation):
        vloader = _loader(torch, validation, bs, False, None)

        def val_batches():
            for xb, yb in vloader:
                yield xb.to(tdtype), yb.to(tdtype)
    else:
        raise TypeError("validation must be (x_val, y_val) or a torch Dataset / DataLoader")
    F = torch.nn.functional
    losses = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}
    if callable(loss):
        loss_fn = loss
    elif loss in losses:
        loss_fn = losses[loss]
    else:
        raise ValueError(f"loss must be one of {', '.join(losses)} or a callable, got {loss!r}")
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr)
    elif callable(optimizer):
        opt = optimizer(params)
    else:
        raise ValueError(f"optimizer must be 'adam', 'sgd', a torch optimizer or a callable, got {optimizer!r}")
    history = {"loss": [], "objective": [], "epochs": 0}
    if val_batches is not None:
        history["val_loss"] = []
    bar = _Progress(epochs, progress)
    best, best_epoch, best_state = math.inf, -1, None
    model.train()
    for epoch in range(epochs):
        tot_loss = tot_obj = 0.0
        count = 0
        for xb, yb in batches():
            opt.zero_grad()
            data = loss_fn(model(xb), yb)
            obj = data + l1 * sum(p.abs().sum() for p in params) if l1 else data
            obj.backward()
            opt.step()
            tot_loss += float(data.detach()) * len(xb)
            tot_obj += float(obj.detach()) * len(xb)
            count += len(xb)
        count = max(count, 1)
        history["loss"].append(tot_loss / count)
        history["objective"].append(tot_obj / count)
        history["epochs"] = epoch + 1
        if val_batches is not None:
            model.eval()
            tot, cnt = 0.0, 0
            with torch.no_grad():
                for xb, yb in val_batches():
                    tot += float(loss_fn(model(xb), yb)) * len(xb)
                    cnt += len(xb)
            model.train()
            history["val_loss"].append(tot / max(cnt, 1))
        bar.update(epoch, history["loss"][-1])
        monitored = history["val_loss"][-1] if val_batches is not None else history["loss"][-1]
        if monitored < best:
            best, best_epoch = monitored, epoch
            if patience is not None and restore_best and val_batches is not None:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        stop = any([bool(cb(epoch, history, model)) for cb in callbacks])
        if patience is not None and epoch - best_epoch >= patience:
            stop = True
        if stop:
            if epoch + 1 < epochs:
                bar.close()
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if patience is not None:
        history["best_epoch"] = best_epoch
    model.eval()
    return history
