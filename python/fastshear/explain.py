"""Explanations of image classifiers: rate-distortion masks in the pixel, wavelet and shearlet
domains (RDE, CartoonX, ShearletX), a shearlet edge detector and the ShearletX metrics.

A rate-distortion explanation (RDE; Macdonald et al. 2019) looks for a sparse mask ``m`` over a
representation ``c`` of the image ``x`` such that the classifier keeps its decision when the
masked-out part is replaced by noise. CartoonX (Kolek et al., ECCV 2022) takes ``c`` to be the
image's wavelet coefficients, ShearletX (Kolek et al., CVPR 2023) its shearlet coefficients:
the explanations are then piecewise-smooth images with sharp edges instead of pixel noise.

fastshear's transforms make the shearlet version fast: every step synthesises a batch of
obfuscated images (images x noise samples x colour channels) through the float32 C++ dual-frame
synthesis, and the mask's gradient goes through its exact transpose (:mod:`fastshear.torch`).
The wavelet domain uses ptwt (PyTorch wavelets, ``pip install ptwt``).

:func:`rde`, :func:`shearletx` and :func:`cartoonx` need PyTorch (imported on use);
:func:`edges`, :func:`band_orientations`, :func:`hallucination_score`,
:func:`conciseness_preciseness` and :func:`oriented_bars` need only numpy, and so does
:meth:`fastshear.DenseNet.rde` (the same loop in the dense engine's own forward and backward).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import default_dtype, positive_float, positive_int, warn_default_change
from .shearlet2d import Shearlet2D, ShearletFallbackWarning

__all__ = ["rde", "shearletx", "cartoonx", "Explanation", "edges", "band_orientations", "hallucination_score",
           "conciseness_preciseness", "oriented_bars", "DOMAINS", "NOISES"]

DOMAINS = ("pixel", "shearlet", "wavelet")
NOISES = ("uniform", "gaussian", "zeros")


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("fastshear.explain's masks need PyTorch: pip install 'fastshear[torch]'") from None
    return torch


# ---------------------------------------------------------------------------------------------
# The result

@dataclass
class Explanation:
    """The result of :func:`rde`, :func:`shearletx` and :func:`cartoonx`.

    Attributes
    ----------
    mask : ndarray or list
        The mask, one value in [0, 1] per coefficient, shared over colour channels. Pixel domain:
        ``(H, W)``; shearlet domain: ``(K, H, W)`` (the plan's band order); wavelet domain: a list
        in pywt's ``wavedec2`` layout, ``[cA, (cH, cV, cD) coarsest, ..., (cH, cV, cD) finest]``.
        With a batch of images every array has a leading batch axis.
    explanation : ndarray
        The explained image, x's shape: the synthesis of the masked coefficients ``m * c``
        clamped to ``value_range`` (not divided by its maximum: that is for display only).
    retained : ndarray or float
        p_target(explanation) / p_target(x), per image.
    history : dict of ndarray
        Per step and image (``(steps, B)``): ``"loss"``, ``"distortion"``, ``"l1"`` (the
        normalised ``||m||_1 / #m``), ``"spatial"`` and ``"probability"`` (the target's mean
        probability over the noise samples).
    target : ndarray or int
        The explained class per image.
    probability : ndarray or float
        p_target(x).
    explanation_probability : ndarray or float
        p_target(explanation).
    l1_kept : ndarray or float
        ``||m * c||_1 / ||c||_1`` over all coefficients and channels: the fraction of the
        representation's l1 mass the explanation keeps.
    domain : str
        ``"pixel"``, ``"shearlet"``, ``"wavelet"``, or ``"input"`` (:meth:`fastshear.DenseNet.rde`).
    seconds : float
        Wall time of the whole call.
    settings : dict
        The settings used (steps, samples, lr, l1, spatial, noise, maximize, value_range, seed,
        and the shearlet scales or the wavelet and levels).
    """

    mask: object
    explanation: np.ndarray
    retained: object
    history: dict
    target: object
    probability: object
    explanation_probability: object
    l1_kept: object
    domain: str
    seconds: float
    settings: dict = field(default_factory=dict)

    def __repr__(self):
        r = np.atleast_1d(self.retained)
        k = np.atleast_1d(self.l1_kept)
        return (f"Explanation(domain={self.domain!r}, images={r.size}, retained={np.round(r, 3).tolist()}, "
                f"l1_kept={np.round(k, 3).tolist()}, seconds={self.seconds:.2f})")


# ---------------------------------------------------------------------------------------------
# Representations: analysis (no gradient needed) and differentiable synthesis.
# Coefficients are a list of groups, each a tensor (B, C, nb, h, w); the mask of a group is
# (B, 1, nb, h, w) (shared over colour channels). ``stat_dims`` are the axes over which the
# noise statistics are taken (per band for shearlets, per level for wavelets, per image for
# pixels).

class _PixelDomain:
    name = "pixel"
    stat_dims = (-3, -2, -1)

    def __init__(self, shape, torch, dtype):
        self.shape = shape

    def analyse(self, x):
        return [x[:, :, None]]

    def synthesise(self, groups):
        return groups[0][..., 0, :, :]

    def mask_out(self, masks):
        return masks[0][:, 0, 0].detach().cpu().numpy()


def _fit_scales(shape, scales, dtype, workers=None):
    """The shearlet plan: ``scales`` given, or the most scales <= 4 that ShearLab builds for
    ``shape`` (its small-image fallback filters allowed, their warning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShearletFallbackWarning)
        if scales is not None:
            return Shearlet2D(shape, positive_int(scales, "scales"), dtype=dtype, workers=workers)
        last = None
        for s in (4, 3, 2, 1):
            try:
                return Shearlet2D(shape, s, dtype=dtype, workers=workers)
            except ValueError as e:
                last = e
    raise ValueError(f"no shearlet system fits a {shape[0]}x{shape[1]} image: {last}")


class _ShearletDomain:
    name = "shearlet"
    stat_dims = (-2, -1)

    def __init__(self, shape, torch, dtype, plan=None, scales=None, workers=None):
        npdtype = np.float64 if dtype == torch.float64 else np.float32
        if plan is None:
            plan = _fit_scales(shape, scales, npdtype, workers)
        else:
            if not isinstance(plan, Shearlet2D):
                raise TypeError(f"plan must be a fastshear.Shearlet2D, got {type(plan).__name__}")
            if tuple(plan.shape) != tuple(shape):
                raise ValueError(f"the image is {shape[0]}x{shape[1]} but the plan is for "
                                 f"{plan.shape[0]}x{plan.shape[1]} images")
            if plan.dtype != npdtype or (workers is not None and workers != plan.workers):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ShearletFallbackWarning)
                    plan = Shearlet2D(plan.shape, plan.scales, shear_levels=plan.shear_levels, full=plan.full,
                                      dtype=npdtype, workers=plan.workers if workers is None else workers)
        from .torch import Shearlet2D as TorchShearlet2D

        self.plan = plan
        self.op = TorchShearlet2D(plan)
        self.torch = torch

    def analyse(self, x):
        c = self.plan.forward(x.detach().cpu().numpy())
        return [self.torch.from_numpy(np.asarray(c)).to(x.dtype)]

    def synthesise(self, groups):
        return self.op.inverse(groups[0])

    def mask_out(self, masks):
        return masks[0][:, 0].detach().cpu().numpy()


class _WaveletDomain:
    name = "wavelet"
    stat_dims = (-3, -2, -1)

    def __init__(self, shape, torch, dtype, wavelet="db3", levels=5, mode="zero"):
        try:
            import ptwt
            import pywt
        except ImportError:
            raise ImportError("the wavelet domain needs ptwt (PyTorch wavelets): pip install ptwt") from None
        if isinstance(wavelet, str) and wavelet not in pywt.wavelist(kind="discrete"):
            raise ValueError(f"wavelet must be a discrete pywt wavelet name such as 'db3', got {wavelet!r}")
        self.ptwt, self.wavelet, self.levels, self.mode = ptwt, wavelet, positive_int(levels, "levels"), mode
        self.shape = shape

    def analyse(self, x):
        c = self.ptwt.wavedec2(x, self.wavelet, mode=self.mode, level=self.levels)
        return [c[0][:, :, None]] + [self.torch_stack(d) for d in c[1:]]

    @staticmethod
    def torch_stack(d):
        import torch

        return torch.stack(tuple(d), dim=-3)

    def synthesise(self, groups):
        coeffs = [groups[0][..., 0, :, :]] + [tuple(g.unbind(-3)) for g in groups[1:]]
        y = self.ptwt.waverec2(tuple(coeffs), self.wavelet)
        return y[..., : self.shape[0], : self.shape[1]]

    def mask_out(self, masks):
        out = [masks[0][:, 0, 0].detach().cpu().numpy()]
        for m in masks[1:]:
            a = m[:, 0].detach().cpu().numpy()
            out.append(tuple(a[:, i] for i in range(a.shape[1])))
        return out


# ---------------------------------------------------------------------------------------------
# Input checks

def _check_model(model, torch):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module returning logits (B, classes), got {type(model).__name__}")


def _image_tensor(x, torch, dtype):
    if torch.is_tensor(x):
        t = x.detach().to("cpu")
    else:
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"x must be a real image array or tensor, got dtype {a.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(a))
    if t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"x must be real, got {t.dtype}")
    if t.dim() not in (3, 4):
        raise ValueError(f"x must have shape (C, H, W) or (B, C, H, W), got {tuple(t.shape)}")
    single = t.dim() == 3
    if single:
        t = t[None]
    if 0 in t.shape:
        raise ValueError(f"x must not be empty, got shape {tuple(t.shape)}")
    t = t.to(dtype).contiguous()
    if not torch.isfinite(t).all():
        raise ValueError("x contains NaN or infinity")
    return t, single


def _value_range(value_range, x):
    if value_range is None and x is not None:
        lo, hi = float(x.min()), float(x.max())
        return (min(lo, 0.0), max(hi, 1.0)) if lo >= 0 and hi <= 1 else (lo, hi)
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair (low, high), got {value_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"value_range must be finite with low < high, got {value_range!r}")
    return lo, hi


def _targets(target, logits, torch):
    B, n = logits.shape
    if target is None:
        return logits.argmax(-1)
    t = torch.as_tensor(np.asarray(target))
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"target must be an integer or one integer per image, got {target!r}")
    if t.dim() == 0:
        t = t.expand(B)
    if t.shape != (B,):
        raise ValueError(f"target must be one integer or {B} (one per image), got shape {tuple(t.shape)}")
    if (t < 0).any() or (t >= n).any():
        raise ValueError(f"target must lie in [0, {n}) (the model's number of classes), got {target!r}")
    return t.to(torch.long)


# ---------------------------------------------------------------------------------------------
# The optimisation

_OBFUSCATE = None


def _obfuscate(torch):
    """``y = a + b u`` (a: (B, 1, C, ...), b: (B, 1, 1, ...), u: (B, S, 1, ...)) with a backward
    pass of one reduction and one product over the samples (autograd's addcmul takes two
    products)."""
    global _OBFUSCATE
    if _OBFUSCATE is None:
        class Obfuscate(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b, u):
                ctx.save_for_backward(u)
                return torch.addcmul(a, b, u)

            @staticmethod
            def backward(ctx, g):
                (u,) = ctx.saved_tensors
                ga = g.sum(1, keepdim=True) if ctx.needs_input_grad[0] else None
                gb = (g * u).sum((1, 2), keepdim=True) if ctx.needs_input_grad[1] else None
                return ga, gb, None

        _OBFUSCATE = Obfuscate
    return _OBFUSCATE


class _Problem:
    """The RDE objective of a batch of images: built once, evaluated per step (and by the
    gradient tests with fixed noise)."""

    def __init__(self, model, x, domain, *, target, l1, spatial, noise, maximize, value_range, torch):
        self.torch, self.model, self.x, self.domain = torch, model, x, domain
        self.l1, self.spatial, self.noise, self.maximize = l1, spatial, noise, maximize
        self.lo, self.hi = value_range
        self.mdtype = x.dtype
        for p in model.parameters():
            self.mdtype, self.device = p.dtype, p.device
            break
        else:
            self.device = x.device
        with torch.no_grad():
            logits = self.logits(x)
        self.target = _targets(target, logits, torch)
        self.p0 = torch.softmax(logits, -1).gather(1, self.target[:, None].to(logits.device))[:, 0].to("cpu", x.dtype)
        self.coeffs = [c.contiguous() for c in domain.analyse(x)]
        self.gray = [c.mean(1, keepdim=True) for c in self.coeffs]
        mean = [g.mean(dim=domain.stat_dims, keepdim=True) for g in self.gray]
        std = [g.std(dim=domain.stat_dims, keepdim=True, correction=0) for g in self.gray]
        self.mean, self.std = mean, std
        # the noise of a band is v = offset + scale * u with u the unit draws of :meth:`draw`:
        # uniform on [0, 1) ("uniform": v uniform on mean +- std), standard normal ("gaussian");
        # "zeros" draws nothing (v = 0)
        if noise == "uniform":
            self.offset, self.scale = [mu - sd for mu, sd in zip(mean, std)], [2 * sd for sd in std]
        elif noise == "gaussian":
            self.offset, self.scale = mean, std
        else:
            self.offset = self.scale = [torch.zeros_like(mu) for mu in mean]
        self.n_mask = sum(int(np.prod(c.shape[2:])) for c in self.coeffs)

    def logits(self, xt):
        out = self.model(xt.to(self.device, self.mdtype))
        if not self.torch.is_tensor(out) or out.dim() != 2 or out.shape[0] != xt.shape[0]:
            raise ValueError(f"the model must return logits of shape (batch, classes); for a batch of "
                             f"{xt.shape[0]} it returned {getattr(out, 'shape', type(out).__name__)}")
        return out

    def ones(self):
        return [self.torch.ones((c.shape[0], 1) + tuple(c.shape[2:]), dtype=self.x.dtype) for c in self.coeffs]

    def draw(self, samples, rng, out=None):
        """Unit draws u per group, (B, S, 1, nb, h, w), shared over colour channels, from the
        numpy Generator ``rng`` (written into the arrays ``out`` when given, as returned by a
        previous call); None per group for ``noise="zeros"``. The noise is
        :meth:`noise_values` (u)."""
        if self.noise == "zeros":
            return [None] * len(self.coeffs)
        npdtype = np.float64 if self.x.dtype == self.torch.float64 else np.float32
        res = []
        for i, c in enumerate(self.coeffs):
            shape = (c.shape[0], samples, 1) + tuple(c.shape[2:])
            buf = None if out is None else out[i].numpy()
            if buf is not None and buf.shape != shape:
                raise ValueError(f"out[{i}] has shape {buf.shape}, expected {shape}")
            if self.noise == "uniform":
                a = rng.random(shape, dtype=npdtype, out=buf)
            else:
                a = rng.standard_normal(shape, dtype=npdtype, out=buf)
            res.append(out[i] if buf is not None else self.torch.from_numpy(a))
        return res

    def noise_values(self, units):
        """The noise v = offset + scale * u of unit draws (:meth:`draw`), (B, S, 1, nb, h, w)."""
        return [None if u is None else off[:, None] + sc[:, None] * u
                for u, off, sc in zip(units, self.offset, self.scale)]

    def synth(self, groups, lead):
        """Synthesise groups with leading axes ``lead`` (before nb, h, w) into (prod(lead), H, W)."""
        flat = [g.reshape((-1,) + tuple(g.shape[-3:])) for g in groups]
        return self.domain.synthesise(flat)

    def objective(self, masks, units, samples=None):
        """Per-image loss (B,) and its parts for masks [(B, 1, nb, h, w)] and unit draws
        [(B, S, 1, nb, h, w)] (:meth:`draw`; ``samples`` gives S when they are None).

        The obfuscation ``m c + (1 - m) v`` with ``v = offset + scale u`` is computed as
        ``a + b u``, ``a = m c + (1 - m) offset`` and ``b = (1 - m) scale`` per image: one pass
        over the samples (and autograd's two in the backward pass)."""
        torch = self.torch
        B, C, H, W = self.x.shape
        S = next((u.shape[1] for u in units if u is not None), samples)
        if S is None:
            raise ValueError("samples must be given when there are no draws (noise='zeros')")
        ys = []
        for m, c, off, sc, u in zip(masks, self.coeffs, self.offset, self.scale, units):
            keep = 1 - m
            a = (m * c + keep * off)[:, None]                         # (B, 1, C, nb, h, w)
            if u is None:
                ys.append(a.expand((B, S) + tuple(a.shape[2:])))
            else:
                ys.append(_obfuscate(torch).apply(a, (keep * sc)[:, None], u))  # (B, S, C, nb, h, w)
        xt = self.synth(ys, (B, S, C)).reshape(B * S, C, H, W).clamp(self.lo, self.hi)
        p = torch.softmax(self.logits(xt), -1).reshape(B, S, -1)
        p = p.gather(2, self.target.to(p.device)[:, None, None].expand(B, S, 1))[..., 0].to("cpu", self.x.dtype)
        t = torch.ones_like(self.p0) if self.maximize else self.p0
        distortion = ((t[:, None] - p) ** 2).mean(1)
        l1 = sum(m.abs().reshape(B, -1).sum(1) for m in masks) / self.n_mask
        loss = distortion + self.l1 * l1
        if self.spatial:
            g = self.synth([m * c for m, c in zip(masks, self.gray)], (B,)).reshape(B, H * W)
            sp = g.clamp(self.lo, self.hi).abs().sum(1) / (H * W)
            loss = loss + self.spatial * sp
        else:
            sp = torch.zeros_like(l1)
        return loss, {"distortion": distortion, "l1": l1, "spatial": sp, "probability": p.mean(1)}


def _run(model, x, domain_name, *, target, steps, samples, lr, l1, spatial, noise, maximize, value_range,
         seed, dtype, plan, scales, wavelet, levels, callback, workers=None):
    torch = _import_torch()
    t0 = time.perf_counter()
    _check_model(model, torch)
    if domain_name not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}; got {domain_name!r}")
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {', '.join(NOISES)}; got {noise!r}")
    steps, samples = positive_int(steps, "steps"), positive_int(samples, "samples")
    lr = positive_float(lr, "lr")
    l1 = positive_float(l1, "l1", allow_zero=True)
    spatial = positive_float(spatial, "spatial", allow_zero=True)
    change = None
    if dtype is None:  # fastshear's dtype rule: the images' precision (this release: float32, warned)
        np_dtype, change = default_dtype(None, x, legacy=np.float32, owner="fastshear.explain",
                                         what="the precision of the images x", namespace="torch")
        dtype = torch.float64 if np_dtype == np.float64 else torch.float32
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    xt, single = _image_tensor(x, torch, dtype)
    warn_default_change(change, stacklevel=4)  # to rde's / shearletx's / cartoonx's caller
    B, C, H, W = xt.shape
    if domain_name == "shearlet":
        if workers is None and plan is None:
            workers = torch.get_num_threads()  # one thread setting for the model and the transforms
        dom = _ShearletDomain((H, W), torch, dtype, plan=plan, scales=scales, workers=workers)
    elif plan is not None or scales is not None:
        raise ValueError(f"plan and scales belong to domain='shearlet', not {domain_name!r}")
    elif domain_name == "wavelet":
        dom = _WaveletDomain((H, W), torch, dtype, wavelet=wavelet, levels=levels)
    else:
        dom = _PixelDomain((H, W), torch, dtype)
    vr = _value_range(value_range, xt)
    was_training = model.training
    model.eval()
    try:
        prob = _Problem(model, xt, dom, target=target, l1=l1, spatial=spatial, noise=noise, maximize=maximize,
                        value_range=vr, torch=torch)
        rng = np.random.default_rng(0 if seed is None else int(seed))
        units = None
        masks = [m.requires_grad_(True) for m in prob.ones()]
        opt = torch.optim.Adam(masks, lr=lr)
        hist = {k: [] for k in ("loss", "distortion", "l1", "spatial", "probability")}
        for step in range(steps):
            units = prob.draw(samples, rng, out=units)
            loss, parts = prob.objective(masks, units, samples)
            grads = torch.autograd.grad(loss.sum(), masks)
            for m, g in zip(masks, grads):
                m.grad = g
            opt.step()
            with torch.no_grad():
                for m in masks:
                    m.clamp_(0, 1)
            hist["loss"].append(loss.detach().numpy().copy())
            for k, v in parts.items():
                hist[k].append(v.detach().numpy().copy())
            if callback is not None and callback(step, hist):
                break
        with torch.no_grad():
            kept = [m * c for m, c in zip(masks, prob.coeffs)]
            expl = prob.synth(kept, (B, C)).reshape(B, C, H, W).clamp(*vr)
            pe = torch.softmax(prob.logits(expl), -1).gather(1, prob.target[:, None].to(prob.device))[:, 0]
            pe = pe.to("cpu", dtype)
            num = sum(k.abs().reshape(B, -1).sum(1) for k in kept)
            den = sum(c.abs().reshape(B, -1).sum(1) for c in prob.coeffs)
            l1_kept = (num / den).numpy()
    finally:
        model.train(was_training)
    retained = (pe / prob.p0).numpy()
    mask = dom.mask_out(masks)
    history = {k: np.stack(v) for k, v in hist.items()}
    expl = expl.numpy()
    tgt, p0, pe = prob.target.cpu().numpy(), prob.p0.numpy(), pe.numpy()
    if single:
        mask = mask[0] if isinstance(mask, np.ndarray) else [mask[0][0]] + [tuple(a[0] for a in d) for d in mask[1:]]
        expl, retained, l1_kept = expl[0], float(retained[0]), float(l1_kept[0])
        tgt, p0, pe = int(tgt[0]), float(p0[0]), float(pe[0])
    settings = dict(domain=domain_name, steps=steps, samples=samples, lr=lr, l1=l1, spatial=spatial, noise=noise,
                    maximize=maximize, value_range=vr, seed=seed)
    if domain_name == "shearlet":
        settings["scales"] = dom.plan.scales
    if domain_name == "wavelet":
        settings.update(wavelet=wavelet, levels=levels)
    return Explanation(mask=mask, explanation=expl, retained=retained, history=history, target=tgt,
                       probability=p0, explanation_probability=pe, l1_kept=l1_kept, domain=domain_name,
                       seconds=time.perf_counter() - t0, settings=settings)


def rde(model, x, *, target=None, domain: str = "pixel", steps: int = 300, samples: int = 16, lr: float = 0.1,
        l1: float = 1.0, spatial: float = 0.0, noise: str = "uniform", maximize: bool = True, value_range=None,
        seed: int | None = 0, dtype=None, plan: Shearlet2D | None = None, scales: int | None = None,
        wavelet: str = "db3", levels: int = 5, callback=None, workers=None) -> Explanation:
    """Rate-distortion explanation: a sparse mask over a representation of the image that keeps
    the classifier's decision when the rest is replaced by noise.

    For each image ``x`` with coefficients ``c`` (pixels, shearlet or wavelet coefficients, per
    colour channel) the mask ``m`` (one entry per coefficient, shared over the channels,
    initialised to 1) minimises, by Adam with ``m`` clamped to [0, 1] after every step,

        mean_s (t - p_target(x~_s))^2 + l1 ||m||_1 / #m + spatial ||clamp(S(m * c_gray))||_1 / (H W)

    with the obfuscations ``x~_s = clamp(S(m * c + (1 - m) * v_s))`` (S the synthesis: the
    dual-frame shearlet reconstruction, the inverse wavelet transform or the identity; clamp to
    ``value_range``), ``samples`` noise draws ``v_s`` per step, and t = 1 (``maximize=True``) or
    t = p_target(x). The gradient with respect to m goes through the exact transpose of S.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier mapping ``(N, C, H, W)`` to logits ``(N, classes)``; run in eval mode (its
        mode is restored afterwards); its parameters receive no gradients.
    x : array_like or torch.Tensor, (C, H, W) or (B, C, H, W)
        The image(s). A batch is explained in one optimisation (one mask per image; the images
        do not interact: the loss is a sum over images and Adam acts entrywise).
    target : int or sequence of int, optional
        The class to explain, one for all images or one per image; default: the model's
        prediction.
    domain : {"pixel", "shearlet", "wavelet"}
    steps, samples, lr : int, int, float
        Adam steps, noise samples per step, learning rate.
    l1 : float
        Weight of the mask's normalised l1 norm.
    spatial : float
        Weight of the spatial l1 penalty on the masked gray image (ShearletX's lambda_2).
    noise : {"uniform", "gaussian", "zeros"}
        Noise per band from the gray image's coefficient statistics: uniform on
        [mean - std, mean + std] (ShearletX) or Gaussian with that mean and std (CartoonX).
        Bands: each shearlet; each wavelet level (approximation, then the three details of a
        level together); all pixels.
    maximize : bool
        t = 1 (maximise the target's probability) or t = p_target(x) (preserve it).
    value_range : (float, float), optional
        Where images are clamped (obfuscations, the spatial term, the explanation). Default:
        [0, 1] for images inside [0, 1], else the batch's [min, max].
    seed : int, optional
        Seed of the noise (``numpy.random.default_rng``); the same seed gives the same result.
    dtype : torch.float32 or torch.float64, optional
        Precision of the transforms and masks (the model keeps its own). Default (None), by
        fastshear's dtype rule: the precision of ``x`` (float32 for a float32 tensor or array,
        else float64). In this release, an ``x`` that is not float32 still gives float32, with a
        FutureWarning (the default before the rule); pass ``dtype`` to choose and silence it.
    plan : fastshear.Shearlet2D, optional
        Shearlet domain: the system to use (its shape must be the image's).
    scales : int, optional
        Shearlet domain without a plan: number of scales (default: 4, or the most that ShearLab
        builds for the image size: 2 at 64 x 64, with its small-image fallback filters).
    wavelet, levels : str, int
        Wavelet domain: pywt wavelet name and decomposition levels (ptwt, zero padding).
    callback : callable, optional
        ``callback(step, history)`` after every step; returning True stops.
    workers : int, optional
        Threads of the shearlet transforms (default: the plan's when ``plan`` is given, else
        ``torch.get_num_threads()``: the user's torch setting governs the model and the
        transforms alike). The model runs on torch's threads (``torch.set_num_threads``).

    Returns
    -------
    Explanation

    Raises
    ------
    TypeError
        ``model`` is not a torch module; x is complex or not numeric.
    ValueError
        x is not (C, H, W) or (B, C, H, W), contains NaN or infinity, or does not fit ``plan``;
        ``target`` is out of range; a parameter is out of its domain.

    Notes
    -----
    Speed. Every step runs the model forward and backward on ``B * samples`` obfuscations
    (4 800 per image with ShearletX's settings): on a CPU that is most of the time, the
    transforms and the noise the rest. Explain several images in one call (one batch), and
    for a convolutional model on the CPU consider ``model.to(memory_format=torch.channels_last)``
    (the same function; PyTorch's max pooling is several times faster in that layout:
    bench/RESULTS.md). The noise is drawn with numpy's default generator (PCG64) and the
    obfuscation computed as ``m c + (1 - m) offset + (1 - m) scale u`` in one pass.

    References
    ----------
    J. Macdonald, S. Waeldchen, S. Hauch, G. Kutyniok, "A rate-distortion framework for
    explaining neural network decisions", arXiv:1905.11092 (2019).

    Examples
    --------
    >>> import torch, fastshear
    >>> from fastshear.explain import rde
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * 64, 2))
    >>> x = torch.rand(1, 64, 64)
    >>> r = rde(model, x, domain="shearlet", steps=5, samples=2)
    >>> r.mask.shape, r.explanation.shape, r.history["loss"].shape
    ((17, 64, 64), (1, 64, 64), (5, 1))
    """
    return _run(model, x, domain, target=target, steps=steps, samples=samples, lr=lr, l1=l1, spatial=spatial,
                noise=noise, maximize=maximize, value_range=value_range, seed=seed, dtype=dtype, plan=plan,
                scales=scales, wavelet=wavelet, levels=levels, callback=callback, workers=workers)


def shearletx(model, x, *, target=None, steps: int = 300, samples: int = 16, lr: float = 0.1, l1: float = 1.0,
              spatial: float = 2.0, noise: str = "uniform", maximize: bool = True, **kwargs) -> Explanation:
    """ShearletX (Kolek et al., CVPR 2023): :func:`rde` over shearlet coefficients.

    The defaults are the paper's (its Fig. 4 runs, read in the authors' code): 300 Adam steps,
    16 uniform-noise samples per step, lr 0.1, lambda_1 = ``l1`` = 1, lambda_2 = ``spatial`` = 2,
    t = 1 (maximise the label), mask initialised to ones, noise drawn per shearlet from the gray
    image's coefficient mean and std, the mask shared over colour channels.

    Differences from the authors' code, chosen here:

    - the obfuscated *image* is clamped to ``value_range`` (as WaveletX and CartoonX do); their
      ShearletX clamps the obfuscated *coefficients* to [0, 1], which zeroes every negative
      detail coefficient (even an all-ones mask then changes the image);
    - the system is fastshear's ShearLab-compatible one with 4 scales (49 shearlets) where the
      image is large enough (at least 73 x 73), else the most scales ShearLab builds (2 at
      64 x 64, with its small-image filters); pass ``scales=`` or ``plan=`` to choose;
    - ``explanation`` is the clamped synthesis of ``m * c`` without their division by its
      maximum (a display step), so that ``retained`` is the model's output on it.

    Parameters
    ----------
    model, x, target
        As in :func:`rde`.
    steps, samples, lr, l1, spatial, noise, maximize
        The paper's settings (above).
    **kwargs
        Passed to :func:`rde` (``plan``, ``scales``, ``value_range``, ``seed``, ``dtype``,
        ``callback``, ``workers``).

    Returns
    -------
    Explanation

    References
    ----------
    S. Kolek, R. Windesheim, H. Andrade-Loarca, G. Kutyniok, R. Levie, "Explaining image
    classifiers with multiscale directional image representation", CVPR 2023, arXiv:2211.12857.

    Examples
    --------
    >>> import torch, fastshear
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * 64, 3))
    >>> r = fastshear.explain.shearletx(model, torch.rand(2, 1, 64, 64), target=1, steps=3, samples=2)
    >>> r.mask.shape, r.retained.shape
    ((2, 17, 64, 64), (2,))
    """
    return _run(model, x, "shearlet", target=target, steps=steps, samples=samples, lr=lr, l1=l1, spatial=spatial,
                noise=noise, maximize=maximize, value_range=kwargs.pop("value_range", None),
                seed=kwargs.pop("seed", 0), dtype=kwargs.pop("dtype", None), plan=kwargs.pop("plan", None),
                scales=kwargs.pop("scales", None), wavelet="db3", levels=5,
                callback=kwargs.pop("callback", None), workers=kwargs.pop("workers", None), **_no_more(kwargs))


def cartoonx(model, x, *, target=None, wavelet: str = "db3", levels: int = 5, steps: int = 2001, samples: int = 64,
             lr: float = 1e-3, l1: float = 20.0, noise: str = "gaussian", maximize: bool = False,
             **kwargs) -> Explanation:
    """CartoonX (Kolek et al., ECCV 2022): :func:`rde` over wavelet coefficients.

    The defaults are the paper's code's (``project/hparams.yaml``): Daubechies db3, 5 levels,
    zero padding, lambda = ``l1`` = 20 on the normalised l1 norm, Adam with lr 1e-3 for 2001
    steps, 64 Gaussian noise samples per step with each level's coefficient mean and std, the
    mask initialised to ones and shared over colour channels, the obfuscation clamped to the
    image range, distortion ``(p_target(x) - p_target(x~))^2`` (``maximize=False``; their
    "maximize-target" mode is ``maximize=True``). The transform is ptwt's (PyTorch wavelets),
    theirs is pytorch_wavelets'; the noise statistics are the gray image's (theirs: per
    channel); nothing else differs.

    Parameters
    ----------
    model, x, target
        As in :func:`rde`.
    wavelet, levels, steps, samples, lr, l1, noise, maximize
        The paper's settings (above).
    **kwargs
        Passed to :func:`rde` (``value_range``, ``seed``, ``dtype``, ``callback``, ``spatial``).

    Returns
    -------
    Explanation

    References
    ----------
    S. Kolek, D. A. Nguyen, R. Levie, J. Bruna, G. Kutyniok, "Cartoon explanations of image
    classifiers", ECCV 2022, arXiv:2110.03485.

    Examples
    --------
    >>> import torch, fastshear
    >>> import ptwt   # the wavelet transform CartoonX runs on (pip install 'fastshear[explain]')
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 2))
    >>> r = fastshear.explain.cartoonx(model, torch.rand(1, 32, 32), steps=3, samples=2, levels=3)
    >>> len(r.mask), r.mask[0].shape
    (4, (8, 8))
    """
    return _run(model, x, "wavelet", target=target, steps=steps, samples=samples, lr=lr, l1=l1,
                spatial=kwargs.pop("spatial", 0.0), noise=noise, maximize=maximize,
                value_range=kwargs.pop("value_range", None), seed=kwargs.pop("seed", 0),
                dtype=kwargs.pop("dtype", None), plan=None, scales=None, wavelet=wavelet, levels=levels,
                callback=kwargs.pop("callback", None), **_no_more(kwargs))


def _no_more(kwargs):
    if kwargs:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
    return {}


# ---------------------------------------------------------------------------------------------
# A classification problem with known relevance

def oriented_bars(n: int, shape=(64, 64), *, seed: int = 0, angles=(45.0, 135.0), length=(18.0, 30.0),
                  width: float = 1.5, clutter: int = 6, noise: float = 0.05, dtype=None):
    """Synthetic images whose class is the orientation of one thin bright bar, over random
    ellipses and noise: a classification problem whose relevant pixels are known.

    Parameters
    ----------
    n : int
        Number of images.
    shape : (int, int)
        Image size.
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same images.
    angles : sequence of float
        The bar orientation of each class, degrees counter-clockwise from the x axis (rows
        grow downwards): class k has a bar at ``angles[k]``.
    length : (float, float)
        Range of the bar length in pixels.
    width : float
        Bar width in pixels (anti-aliased).
    clutter : int
        Number of random ellipses (0 to ``clutter``, each with random centre, axes, angle and
        intensity in [0.1, 0.5]).
    noise : float
        Standard deviation of the additive Gaussian noise.
    dtype : numpy.float32 or numpy.float64, optional
        Default (None), by fastshear's dtype rule: float64 (no input arrays). In this release
        it is still float32, with a FutureWarning (the default before the rule); pass ``dtype``
        to choose and silence it.

    Returns
    -------
    images : ndarray (n, 1, H, W)
        Values clipped to [0, 1].
    labels : ndarray (n,) of int64
    bars : ndarray (n, H, W) of bool
        The bar's pixels (where its anti-aliased intensity is positive): the ground-truth
        relevance.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> x, y, bars = fastshear.explain.oriented_bars(8, seed=1, dtype=np.float32)
    >>> x.shape, y.shape, bars.shape, x.dtype
    ((8, 1, 64, 64), (8,), (8, 64, 64), dtype('float32'))
    >>> bool(((x >= 0) & (x <= 1)).all()), sorted(set(y.tolist())) == [0, 1]
    (True, True)
    """
    n = positive_int(n, "n")
    H, W = (int(v) for v in shape)
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:H, 0:W].astype(np.float64)
    angles = np.asarray(angles, dtype=np.float64)
    change = None
    if dtype is None:  # an explicit dtype is numpy's to accept, as before the rule
        dtype, change = default_dtype(None, legacy=np.float32, owner="oriented_bars",
                                      what="as every dtype=None without input arrays")
    images = np.empty((n, 1, H, W), dtype=dtype)
    labels = rng.integers(0, len(angles), n)
    bars = np.zeros((n, H, W), dtype=bool)
    for i in range(n):
        img = np.zeros((H, W))
        for _ in range(rng.integers(0, clutter + 1)):
            cy, cx = rng.uniform(0, H), rng.uniform(0, W)
            a, b = rng.uniform(3, 0.3 * min(H, W), 2)
            t = rng.uniform(0, np.pi)
            u = (cols - cx) * np.cos(t) + (rows - cy) * np.sin(t)
            v = -(cols - cx) * np.sin(t) + (rows - cy) * np.cos(t)
            img[(u / a) ** 2 + (v / b) ** 2 <= 1] += rng.uniform(0.1, 0.5)
        th = np.deg2rad(angles[labels[i]])
        d = np.array([np.cos(th), -np.sin(th)])  # (x, row) direction of the bar
        half = rng.uniform(*length) / 2
        margin = half + 3
        cx = rng.uniform(min(margin, W / 2), max(W - margin, W / 2))
        cy = rng.uniform(min(margin, H / 2), max(H - margin, H / 2))
        px, py = cols - cx, rows - cy
        s = np.clip(px * d[0] + py * d[1], -half, half)
        dist = np.hypot(px - s * d[0], py - s * d[1])
        bar = np.clip(width / 2 + 0.5 - dist, 0, 1)
        bars[i] = bar > 0
        img = np.maximum(img, bar * rng.uniform(0.8, 1.0))
        img += noise * rng.standard_normal((H, W))
        images[i, 0] = np.clip(img, 0, 1)
    warn_default_change(change)
    return images, labels.astype(np.int64), bars


# ---------------------------------------------------------------------------------------------
# Edges and the ShearletX metrics (numpy only)

def _plan_for(shape, plan, scales):
    if plan is not None:
        if not isinstance(plan, Shearlet2D):
            raise TypeError(f"plan must be a fastshear.Shearlet2D, got {type(plan).__name__}")
        if tuple(plan.shape) != tuple(shape):
            raise ValueError(f"the image is {shape[0]}x{shape[1]} but the plan is for {plan.shape[0]}x{plan.shape[1]} images")
        return plan
    return _fit_scales(tuple(shape), scales, np.float64)


def band_orientations(plan: Shearlet2D) -> np.ndarray:
    """The orientation of each shearlet's frequency support: the angle (degrees in [0, 180),
    counter-clockwise from the x axis, y pointing up) of the axial mean of |psi_hat|^2 over
    frequency. It is the direction of the *normal* of the edges the band responds to; NaN for
    the lowpass.

    Parameters
    ----------
    plan : fastshear.Shearlet2D

    Returns
    -------
    ndarray (K,)

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> sh = fastshear.Shearlet2D((96, 96), scales=2)
    >>> o = fastshear.explain.band_orientations(sh)
    >>> o.shape, bool(np.isnan(o[-1])), bool(np.all((o[:-1] >= 0) & (o[:-1] < 180)))
    ((17,), True, True)
    """
    return _band_geometry(plan)[0]


def _band_geometry(plan):
    cache = getattr(plan, "_explain_geometry", None)
    if cache is not None:
        return cache
    H, W = plan.shape
    spec = np.abs(plan.spectra) ** 2  # centred (K, H, W)
    fy = -(np.arange(H) - H // 2)[:, None] / H  # y up
    fx = (np.arange(W) - W // 2)[None, :] / W
    phi2 = 2 * np.arctan2(fy, fx)
    c2 = (spec * np.cos(phi2)).sum((1, 2))
    s2 = (spec * np.sin(phi2)).sum((1, 2))
    theta = np.mod(np.degrees(0.5 * np.arctan2(s2, c2)), 180.0)
    theta[theta >= 180.0] = 0.0  # -0 rounds to 180
    lowpass = plan.indices[:, 0] == 0
    theta[lowpass] = np.nan
    # Odd (Hilbert) partners: -i sign(xi . n) psi_hat, n the band's normal; both uncentred.
    t = np.radians(np.nan_to_num(theta))
    proj = fx[None] * np.cos(t)[:, None, None] + fy[None] * np.sin(t)[:, None, None]
    even = np.fft.ifftshift(plan.spectra, axes=(-2, -1))
    odd = np.fft.ifftshift(-1j * np.sign(proj) * plan.spectra, axes=(-2, -1))
    # Each band's odd response to a unit step along its normal, for contrast units.
    yy, xx = np.mgrid[0:H, 0:W]
    u = (xx - W // 2)[None] * np.cos(t)[:, None, None] - (yy - H // 2)[None] * np.sin(t)[:, None, None]
    steps = (u > 0).astype(np.float64)
    resp = np.real(np.fft.ifft2(np.fft.fft2(steps) * odd))
    r = 3
    centre = resp[:, H // 2 - r:H // 2 + r + 1, W // 2 - r:W // 2 + r + 1]
    gain = np.abs(centre).reshape(len(theta), -1).max(1)
    gain[lowpass] = np.inf
    plan._explain_geometry = (theta, even, odd, np.maximum(gain, 1e-12))
    return plan._explain_geometry


def edges(x, *, contrast: float = 0.1, plan: Shearlet2D | None = None, scales: int | None = None):
    """Edges and their orientation from the shearlet coefficients of an image.

    Each directional shearlet psi_k (ShearLab's: real and even) gets an odd partner, its
    Hilbert transform across the band's normal n_k (``-i sign(xi . n_k) psi_hat_k``). The pair's
    local energy ``sqrt(even_k^2 + odd_k^2)`` is a smooth envelope that peaks on a step edge (and
    on a thin line) whatever its phase; divided by band k's energy on a unit step it reads in
    image-intensity units. The edge strength of a pixel is the largest of these over the
    directional bands; edge pixels are where it is at least ``contrast`` and a local maximum
    across the edge (non-maximum suppression along the winning band's normal); the orientation
    is that band's (:func:`band_orientations`) turned by 90 degrees. In the spirit of CoShREM
    (Reisenhofer, Kiefer, King 2016; complex shearlets) but simpler: one absolute contrast
    threshold, no local normalisation, steps and thin lines alike. The transform is periodic: an
    image whose opposite borders differ has an edge there.

    Parameters
    ----------
    x : array_like, (H, W) or (..., H, W)
        Real image(s).
    contrast : float, default 0.1
        Minimal step height of an edge, in the image's units (0.1 is 10 % of a [0, 1] range;
        keep it above the noise: Gaussian noise of standard deviation sigma gives strengths of
        about 2 sigma here).
    plan : fastshear.Shearlet2D, optional
        The system (default: the most scales <= 4 ShearLab builds for the size).
    scales : int, optional
        Number of scales when no plan is given.

    Returns
    -------
    edge : ndarray of bool, x's shape
        The edge map.
    orientation : ndarray of float, x's shape
        The edge's orientation (its tangent) in degrees in [0, 180), counter-clockwise from the
        x axis with y pointing up; NaN off the edges.

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> img = np.zeros((64, 64)); img[16:48, 16:48] = 1.0
    >>> e, o = fastshear.explain.edges(img)
    >>> rows, cols = np.nonzero(e)
    >>> near = np.minimum(np.abs(rows - 15.5), np.abs(rows - 47.5)) <= 1
    >>> near |= np.minimum(np.abs(cols - 15.5), np.abs(cols - 47.5)) <= 1
    >>> bool(near.mean() > 0.9)                        # the square's boundary
    True
    >>> float(np.nanmedian(o[20:44, 14:18])), float(np.nanmedian(o[14:18, 20:44]))
    (90.0, 0.0)
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"x must be a real image, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.ndim < 2:
        raise ValueError(f"x must have shape (H, W) or (..., H, W), got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("x contains NaN or infinity")
    contrast = positive_float(contrast, "contrast", allow_zero=True)
    sh = _plan_for(a.shape[-2:], plan, scales)
    theta, even_s, odd_s, gain = _band_geometry(sh)
    directional = ~np.isnan(theta)
    X = np.fft.fft2(a)[..., None, :, :]
    ev = np.real(np.fft.ifft2(X * even_s[directional]))
    od = np.real(np.fft.ifft2(X * odd_s[directional]))
    energy = np.hypot(od, ev) / gain[directional][:, None, None]
    k = energy.argmax(-3)
    s = np.take_along_axis(energy, k[..., None, :, :], -3)[..., 0, :, :]
    normal = theta[directional][k]
    # non-maximum suppression along the normal (rounded to one of 8 neighbours)
    t = np.radians(normal)
    dx, dy = np.rint(np.cos(t)).astype(int), -np.rint(np.sin(t)).astype(int)  # rows grow down
    H, W = a.shape[-2:]
    rr, cc = np.mgrid[0:H, 0:W]
    pad = np.pad(s, [(0, 0)] * (s.ndim - 2) + [(1, 1), (1, 1)], constant_values=-np.inf)
    f = pad[..., 1 + np.clip(rr + dy, -1, H) , 1 + np.clip(cc + dx, -1, W)] if s.ndim == 2 else None
    if s.ndim == 2:
        b = pad[1 + np.clip(rr - dy, -1, H), 1 + np.clip(cc - dx, -1, W)]
    else:
        lead = np.indices(s.shape[:-2]).reshape(s.ndim - 2, -1)
        flat_pad = pad.reshape((-1,) + pad.shape[-2:])
        idx = np.arange(flat_pad.shape[0])[:, None, None]
        f = flat_pad[idx, 1 + np.clip(rr + dy.reshape(-1, H, W), -1, H), 1 + np.clip(cc + dx.reshape(-1, H, W), -1, W)]
        b = flat_pad[idx, 1 + np.clip(rr - dy.reshape(-1, H, W), -1, H), 1 + np.clip(cc - dx.reshape(-1, H, W), -1, W)]
        f, b = f.reshape(s.shape), b.reshape(s.shape)
        del lead
    edge = (s >= max(contrast, 1e-12)) & (s >= f) & (s >= b)
    orient = np.where(edge, np.mod(normal + 90.0, 180.0), np.nan)
    return edge, orient


def _dilate3(e):
    H, W = e.shape[-2:]
    p = np.pad(e, [(0, 0)] * (e.ndim - 2) + [(1, 1), (1, 1)])
    out = np.zeros_like(e)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= p[..., dy:dy + H, dx:dx + W]
    return out


def hallucination_score(x, explanation, *, contrast: float = 0.1, plan: Shearlet2D | None = None) -> float:
    """ShearletX's hallucination score: the edges of the explanation that are not edges of the
    image, per edge of the image.

    ``HS = #(E(explanation) and not dilate_3x3(E(x))) / #E(x)`` with E the edge map of
    :func:`edges` (ShearletX uses CoShREM's; see :func:`edges` for the difference). Colour
    images are reduced to gray (the mean over a leading channel axis of length 1 or 3).

    Parameters
    ----------
    x, explanation : array_like, (H, W) or (C, H, W)
        The image and its explanation (same shape and intensity units).
    contrast : float
        The edge detector's minimal contrast.
    plan : fastshear.Shearlet2D, optional

    Returns
    -------
    float (inf when x has no edge and the explanation has some, 0 when neither has)

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> img = np.zeros((64, 64)); img[16:48, 16:48] = 1.0
    >>> fastshear.explain.hallucination_score(img, img)
    0.0
    >>> fake = img.copy(); fake[:, 5] = 1.0                 # an edge the image does not have
    >>> fastshear.explain.hallucination_score(img, fake) > 0.3
    True
    """
    a, e = _gray(x, "x"), _gray(explanation, "explanation")
    if a.shape != e.shape:
        raise ValueError(f"x and explanation must have the same shape, got {a.shape} and {e.shape}")
    ex, _ = edges(a, contrast=contrast, plan=plan)
    ee, _ = edges(e, contrast=contrast, plan=plan)
    new = int((ee & ~_dilate3(ex)).sum())
    n = int(ex.sum())
    if n == 0:
        return 0.0 if new == 0 else float("inf")
    return new / n


def _gray(x, name):
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real image, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.ndim == 3:
        a = a.mean(0)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (H, W) or (C, H, W), got {np.shape(x)}")
    return a


def conciseness_preciseness(p_explanation, p_image, explanation, image, *, measure: str = "l1",
                            plan: Shearlet2D | None = None) -> float:
    """ShearletX's conciseness-preciseness score: retained probability per retained information.

    ``CP = [p(explanation) / p(image)] / [I(explanation) / I(image)]`` with I one of

    - ``"l1"``: the l1 norm of the shearlet coefficients (CP-l1);
    - ``"pixel"``: the l1 norm of the pixels (CP-l1 pixel);
    - ``"entropy"``: the entropy ``-sum q log q`` of ``q = |c|^2 / sum |c|^2`` over the shearlet
      coefficients (CP-entropy).

    Parameters
    ----------
    p_explanation, p_image : float
        The class probability of the explanation and of the image.
    explanation, image : array_like, (H, W) or (C, H, W)
    measure : {"l1", "pixel", "entropy"}
    plan : fastshear.Shearlet2D, optional
        The system for the coefficient measures (default: as in :func:`edges`).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, fastshear
    >>> img = fastshear.phantoms.cartoon((64, 64), seed=0)
    >>> fastshear.explain.conciseness_preciseness(0.9, 0.9, img, img)
    1.0
    >>> half = 0.5 * img                              # same probability, half the l1 mass
    >>> round(fastshear.explain.conciseness_preciseness(0.9, 0.9, half, img), 6)
    2.0
    """
    measures = ("l1", "pixel", "entropy")
    if measure not in measures:
        raise ValueError(f"measure must be one of {', '.join(measures)}; got {measure!r}")
    pe, px = (positive_float(v, n, allow_zero=True) for v, n in ((p_explanation, "p_explanation"),
                                                                  (p_image, "p_image")))
    if px == 0:
        raise ValueError("p_image must be > 0")
    e, a = np.asarray(explanation, dtype=np.float64), np.asarray(image, dtype=np.float64)
    if e.shape != a.shape or a.ndim not in (2, 3):
        raise ValueError(f"explanation and image must have the same shape (H, W) or (C, H, W), got "
                         f"{e.shape} and {a.shape}")
    if not (np.isfinite(e).all() and np.isfinite(a).all()):
        raise ValueError("explanation and image must be finite")

    def info(v):
        if measure == "pixel":
            return np.abs(v).sum()
        sh = _plan_for(v.shape[-2:], plan, None)
        c = sh.forward(v)
        if measure == "l1":
            return np.abs(c).sum()
        q = c.ravel() ** 2
        q = q / q.sum()
        q = q[q > 0]
        return float(-(q * np.log(q)).sum())

    ie, ia = info(e), info(a)
    if ia == 0:
        raise ValueError("the image carries no information under this measure (all zero)")
    if ie == 0:
        return float("inf")
    return float((pe / px) / (ie / ia))


# ---------------------------------------------------------------------------------------------
# RDE of a fastshear.DenseNet in the engine's own forward and backward passes (no torch)

def _softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def _dense_objective(net, a, m, v, target, t, l1, value_range, workers):
    """Loss (B,), its gradient with respect to m (B, d), and the parts, for masks m (B, d) and
    noise v (B, S, d): mean_s (t - p_target(x~))^2 + l1 ||m||_1 / d, x~ = m a + (1 - m) v."""
    B, S, d = v.shape
    xt = m[:, None] * a[:, None] + (1 - m[:, None]) * v
    inside = None
    if value_range is not None:
        lo, hi = value_range
        inside = (xt >= lo) & (xt <= hi)
        xt = np.clip(xt, lo, hi)
    flat = np.ascontiguousarray(xt.reshape(B * S, d), dtype=net.dtype)
    t_ = net._threads if workers is None else workers
    logits = net._net.forward(flat, t_).astype(np.float64)
    p = _softmax(logits)
    idx = np.repeat(target, S)
    pc = p[np.arange(B * S), idx]
    tt = np.repeat(t, S)
    dist = ((tt - pc) ** 2).reshape(B, S).mean(1)
    dpc = -2 * (tt - pc) / S
    onehot = np.zeros_like(p)
    onehot[np.arange(B * S), idx] = 1
    gy = (dpc * pc)[:, None] * (onehot - p)
    gx, _ = net._net.backward(flat, np.ascontiguousarray(gy, dtype=net.dtype), t_)
    gx = gx.astype(np.float64).reshape(B, S, d)
    if inside is not None:
        gx = gx * inside
    grad = (gx * (a[:, None] - v)).sum(1) + l1 * np.sign(m) / d
    reg = np.abs(m).sum(1) / d
    return dist + l1 * reg, grad, {"distortion": dist, "l1": reg, "probability": pc.reshape(B, S).mean(1)}


def _dense_rde(net, x, *, target=None, steps=300, samples=16, lr=0.1, l1=1.0, noise="uniform", maximize=True,
               value_range=None, seed=0, workers=None, callback=None):
    t0 = time.perf_counter()
    a = net._input(x)
    if a.ndim > 2:
        raise ValueError(f"x must have shape ({net.widths[0]},) or (B, {net.widths[0]}), got {a.shape}")
    single = a.ndim == 1
    a = np.atleast_2d(a).astype(np.float64)
    if a.shape[0] == 0:
        raise ValueError("x must hold at least one point")
    if not np.isfinite(a).all():
        raise ValueError("x contains NaN or infinity")
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {', '.join(NOISES)}; got {noise!r}")
    steps, samples = positive_int(steps, "steps"), positive_int(samples, "samples")
    lr = positive_float(lr, "lr")
    l1 = positive_float(l1, "l1", allow_zero=True)
    if value_range is not None:
        value_range = _value_range(value_range, None)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    B, d = a.shape
    n_out = net.widths[-1]
    p_x = _softmax(net(a.astype(net.dtype)).astype(np.float64))
    if target is None:
        tgt = p_x.argmax(-1)
    else:
        tt = np.asarray(target)
        if tt.dtype.kind not in "iu":
            raise TypeError(f"target must be an integer or one integer per point, got {target!r}")
        if tt.ndim == 0:
            tt = np.full(B, int(tt))
        if tt.shape != (B,):
            raise ValueError(f"target must be one integer or {B} (one per point), got shape {tt.shape}")
        if tt.min() < 0 or tt.max() >= n_out:
            raise ValueError(f"target must lie in [0, {n_out}) (the output width), got {target!r}")
        tgt = tt.astype(np.int64)
    p0 = p_x[np.arange(B), tgt]
    t = np.ones(B) if maximize else p0
    mu, sd = a.mean(1, keepdims=True), a.std(1, keepdims=True)
    rng = np.random.default_rng(seed)
    m = np.ones((B, d))
    m1, m2 = np.zeros_like(m), np.zeros_like(m)
    b1, b2, eps = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults
    hist = {k: [] for k in ("loss", "distortion", "l1", "spatial", "probability")}
    for step in range(steps):
        shape = (B, samples, d)
        if noise == "zeros":
            v = np.zeros(shape)
        elif noise == "uniform":
            v = mu[:, None] + sd[:, None] * rng.uniform(-1, 1, shape)
        else:
            v = mu[:, None] + sd[:, None] * rng.standard_normal(shape)
        loss, g, parts = _dense_objective(net, a, m, v, tgt, t, l1, value_range, workers)
        m1 = b1 * m1 + (1 - b1) * g
        m2 = b2 * m2 + (1 - b2) * g * g
        mh, vh = m1 / (1 - b1 ** (step + 1)), m2 / (1 - b2 ** (step + 1))
        m = np.clip(m - lr * mh / (np.sqrt(vh) + eps), 0, 1)
        hist["loss"].append(loss)
        hist["spatial"].append(np.zeros(B))
        for k, val in parts.items():
            hist[k].append(val)
        if callback is not None and callback(step, hist):
            break
    expl = m * a
    if value_range is not None:
        expl = np.clip(expl, *value_range)
    pe = _softmax(net(expl.astype(net.dtype)).astype(np.float64))[np.arange(B), tgt]
    l1_kept = np.abs(expl).sum(1) / np.maximum(np.abs(a).sum(1), 1e-300)
    retained = pe / p0
    mask, expl = m.astype(net.dtype), expl.astype(net.dtype)
    out = dict(target=tgt, probability=p0, explanation_probability=pe, l1_kept=l1_kept, retained=retained)
    if single:
        mask, expl = mask[0], expl[0]
        out = {k: (int(v[0]) if k == "target" else float(v[0])) for k, v in out.items()}
    settings = dict(domain="input", steps=steps, samples=samples, lr=lr, l1=l1, spatial=0.0, noise=noise,
                    maximize=maximize, value_range=value_range, seed=seed)
    return Explanation(mask=mask, explanation=expl, history={k: np.stack(v) for k, v in hist.items()},
                       domain="input", seconds=time.perf_counter() - t0, settings=settings, **out)
