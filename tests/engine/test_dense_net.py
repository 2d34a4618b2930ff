"""fastshear.DenseNet: forward against a numpy reference and torch, sparse = dense with zeros,
LRP against a numpy reference (and zennit when installed), errors, threads, persistence."""
import importlib.util
import sys
import threading

import numpy as np
import pytest

import fastshear
from fastshear import DenseNet, _testing

ACT = {
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "heaviside": lambda z: (z > 0).astype(z.dtype),
    "identity": lambda z: z,
}


def make(widths, seed=0, bias=True, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]) for i in range(len(widths) - 1)]
    b = [(0.1 * rng.standard_normal(widths[i + 1]) if bias else np.zeros(widths[i + 1])) for i in range(len(widths) - 1)]
    return [w.astype(dtype) for w in W], [v.astype(dtype) for v in b]


def ref_forward(W, b, x, acts, keep=False):
    """float64 numpy reference; with keep, also the activations a_l and affine outputs z_l."""
    a = np.asarray(x, np.float64)
    As, Zs = [a], []
    for k in range(len(W)):
        z = a @ W[k].T.astype(np.float64) + b[k].astype(np.float64)
        Zs.append(z)
        a = ACT[acts[k]](z) if k + 1 < len(W) else z
        As.append(a)
    return (a, As, Zs) if keep else a


def ref_lrp(W, b, x, acts, rule, eps=1e-6, alpha=1.0, beta=0.0, target=None):
    """A direct transcription of the rules in shared/spec/dense_net.md (zennit's semantics)."""
    y, As, Zs = ref_forward(W, b, x, acts, keep=True)
    t = y.argmax(-1) if target is None else np.broadcast_to(target, y.shape[:1])
    R = np.zeros_like(y)
    R[np.arange(len(y)), t] = y[np.arange(len(y)), t]

    def stab(z):
        return z + eps * np.where(z >= 0, 1.0, -1.0)

    for k in reversed(range(len(W))):
        a, w, bb = As[k], W[k].astype(np.float64), b[k].astype(np.float64)
        if rule == "epsilon":
            R = a * ((R / stab(Zs[k])) @ w)
            continue
        wp, wn = np.maximum(w, 0), np.minimum(w, 0)
        ap, an = np.maximum(a, 0), np.minimum(a, 0)
        zp = ap @ wp.T + an @ wn.T + np.maximum(bb, 0)
        zn = ap @ wn.T + an @ wp.T + np.minimum(bb, 0)
        sp, sn = R / stab(zp), R / stab(zn)
        R = alpha * (ap * (sp @ wp) + an * (sp @ wn)) - beta * (ap * (sn @ wn) + an * (sn @ wp))
    return R


NETS = [[2, 64, 64, 64, 1], [16, 256, 256, 16], [3, 5, 7, 2], [64, 40, 33, 9], [1, 1]]


@pytest.mark.parametrize("widths", NETS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3, 17, 64, 300])
def test_forward_matches_reference(widths, dtype, batch):
    W, b = make(widths, dtype=dtype)
    acts = ["relu"] * (len(W) - 1)
    net = DenseNet(W, b, dtype=dtype)
    x = np.random.default_rng(1).standard_normal((batch, widths[0])).astype(dtype)
    y = net(x)
    assert y.dtype == dtype and y.shape == (batch, widths[-1])
    r = ref_forward(W, b, x, acts)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, r, rtol=tol, atol=tol * np.abs(r).max())
    np.testing.assert_allclose(net(x[0]), y[0], rtol=tol, atol=tol * np.abs(r).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_single_point_with_zero_inputs(dtype):
    """Batch 1 skips the weights of zero inputs: zeros, -0.0 and NaN in x."""
    W, b = make([40, 70, 70, 5], seed=4, dtype=dtype)
    net = DenseNet(W, b, dtype=dtype)
    x = np.random.default_rng(3).standard_normal(40).astype(dtype)
    x[::3] = 0
    x[1] = -0.0
    r = ref_forward(W, b, x[None], ["relu"] * 2)[0]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(net(x), r, rtol=tol, atol=tol * np.abs(r).max())
    np.testing.assert_allclose(net(x), net(np.stack([x, x]))[0], rtol=tol, atol=tol * np.abs(r).max())
    x[5] = np.nan
    assert np.isnan(net(x)).all()


@pytest.mark.parametrize("acts", [["sigmoid", "sigmoid"], ["heaviside", "relu"], ["identity", "sigmoid"]])
def test_activations(acts):
    W, b = make([4, 30, 20, 3], seed=3)
    net = DenseNet(W, b, activation=acts, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((50, 4))
    np.testing.assert_allclose(net(x), ref_forward(W, b, x, acts), rtol=1e-12, atol=1e-12)
    assert net.activations == tuple(acts)


def test_leading_dims_and_conversion():
    W, b = make([3, 8, 2])
    net = DenseNet(W, b, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    np.testing.assert_allclose(net(x), net(x.reshape(10, 3)).reshape(2, 5, 2))
    np.testing.assert_allclose(net(x.tolist()), net(x))
    np.testing.assert_allclose(net(np.asfortranarray(x[0])), net(x[0]))
    with pytest.warns(FutureWarning, match="dtype=numpy.float32"):  # float64 weights: float32 in this release
        assert DenseNet(W, b)(x).dtype == np.float32


def test_complexity_depth_widths():
    W, b = make([3, 4, 2])
    W[0][0, :] = 0
    b[1][:] = 0
    net = DenseNet(W, b, dtype=np.float32)
    assert net.depth == 2 and net.widths == (3, 4, 2)
    assert net.complexity == (12 - 3) + 4 + 8 + 0
    assert "complexity=21" in repr(net)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 2, 16, 64, 301])
def test_prune_sparse_equals_dense_with_zeros(dtype, batch):
    W, b = make([64, 128, 128, 128, 32], seed=5, dtype=dtype)
    net = DenseNet(W, b, dtype=dtype)
    pruned = net.prune(fraction=0.9)
    assert all(pruned.sparse_layers)
    for w, w0 in zip(pruned.weights, W):
        assert np.count_nonzero(w) == w.size - round(0.9 * w.size)
        kept = w != 0
        assert np.all(np.abs(w0[~kept]).max() <= np.abs(w0[kept]).min())
    dense_same = DenseNet(pruned.weights, pruned.biases, dtype=dtype, sparse_threshold=0.0)
    assert not any(dense_same.sparse_layers)
    x = np.random.default_rng(0).standard_normal((batch, 64)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    ys, yd = pruned(x), dense_same(x)
    np.testing.assert_allclose(ys, yd, rtol=tol, atol=tol * np.abs(yd).max())
    np.testing.assert_allclose(ys, ref_forward(pruned.weights, pruned.biases, x, ["relu"] * 3),
                               rtol=tol, atol=tol * np.abs(yd).max())
    assert pruned.complexity == sum(np.count_nonzero(w) for w in pruned.weights) + sum(
        np.count_nonzero(v) for v in b)


def test_prune_threshold_and_errors():
    W, b = make([5, 6, 2])
    net = DenseNet(W, b, dtype=np.float64)
    p = net.prune(threshold=0.3)
    for w, w0 in zip(p.weights, W):
        np.testing.assert_array_equal(w, np.where(np.abs(w0) <= 0.3, 0, w0))
    with pytest.raises(ValueError, match="exactly one"):
        net.prune()
    with pytest.raises(ValueError, match="fraction"):
        net.prune(fraction=1.5)
    with pytest.raises(ValueError, match="threshold"):
        net.prune(threshold=-1)


def test_sigmoid_sparse_layer():
    W, b = make([10, 50, 3], seed=7)
    net = DenseNet(W, b, activation="sigmoid", dtype=np.float64).prune(fraction=0.8)
    x = np.random.default_rng(0).standard_normal((40, 10))
    for n in (40, 3, 1):  # transposed CSR, and (density 20 %) the dense kernel for few rows
        np.testing.assert_allclose(net(x[:n]), ref_forward(net.weights, b, x[:n], ["sigmoid"]), rtol=1e-12,
                                   atol=1e-12)


# ---- LRP ------------------------------------------------------------------------------------
LRP_CASES = [("epsilon", {}), ("epsilon", {"epsilon": 0.25}), ("zplus", {}),
             ("alphabeta", {"alpha": 2.0, "beta": 1.0}), ("alphabeta", {"alpha": 1.5, "beta": 0.5})]


@pytest.mark.parametrize("rule,kw", LRP_CASES)
@pytest.mark.parametrize("acts", [["relu", "relu"], ["sigmoid", "identity"]])
def test_relevance_matches_reference(rule, kw, acts):
    W, b = make([6, 20, 15, 4], seed=11)
    net = DenseNet(W, b, activation=acts, dtype=np.float64)
    x = np.random.default_rng(4).standard_normal((33, 6))
    R, y = net.relevance(x, rule=rule, return_output=True, **kw)
    np.testing.assert_allclose(y, net(x), rtol=1e-12, atol=1e-12)
    eps = kw.get("epsilon", 1e-6)
    ref = ref_lrp(W, b, x, acts, rule, eps, kw.get("alpha", 1.0), kw.get("beta", 0.0))
    np.testing.assert_allclose(R, ref, rtol=1e-9, atol=1e-12)
    Rt = net.relevance(x, rule=rule, target=2, **kw)
    np.testing.assert_allclose(Rt, ref_lrp(W, b, x, acts, rule, eps, kw.get("alpha", 1.0),
                                           kw.get("beta", 0.0), target=2), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rule,kw", LRP_CASES)
@pytest.mark.parametrize("workers", [1, 2])
def test_relevance_many_chunks(rule, kw, workers):
    """Batches larger than one LRP chunk (256 rows), with an identity hidden layer (negative inputs
    to the next layer), on one and two threads, against the numpy reference."""
    acts = ["relu", "identity"]
    W, b = make([12, 96, 80, 5], seed=5)
    net = DenseNet(W, b, activation=acts, dtype=np.float64)
    x = np.random.default_rng(6).standard_normal((700, 12))
    R = net.relevance(x, rule=rule, workers=workers, **kw)
    ref = ref_lrp(W, b, x, acts, rule, kw.get("epsilon", 1e-6), kw.get("alpha", 1.0), kw.get("beta", 0.0))
    np.testing.assert_allclose(R, ref, rtol=1e-9, atol=1e-12)


def test_relevance_float32_batched_and_single():
    W, b = make([16, 64, 64, 8], seed=2, dtype=np.float32)
    net = DenseNet(W, b)
    x = np.random.default_rng(0).standard_normal((100, 16)).astype(np.float32)
    R = net.relevance(x, rule="epsilon", target=np.arange(100) % 8)
    assert R.dtype == np.float32 and R.shape == x.shape
    ref = ref_lrp(W, b, x, ["relu"] * 2, "epsilon", target=np.arange(100) % 8)
    np.testing.assert_allclose(R, ref, rtol=1e-3, atol=1e-4 * np.abs(ref).max())
    np.testing.assert_allclose(net.relevance(x[5], target=5 % 8), R[5], rtol=1e-5, atol=1e-6)


def test_relevance_conservation():
    """z-plus and alpha-beta conserve relevance without biases; epsilon -> 0 is gradient x input."""
    W, b = make([8, 32, 32, 5], seed=9, bias=False)
    net = DenseNet(W, b, dtype=np.float64)
    x = np.random.default_rng(1).random((20, 8))  # positive inputs: every denominator is positive
    for rule, kw in [("zplus", {}), ("alphabeta", {"alpha": 2, "beta": 1})]:
        R, y = net.relevance(x, rule=rule, epsilon=0.0, return_output=True, **kw)
        np.testing.assert_allclose(R.sum(-1), y.max(-1), rtol=1e-10)
    R, y = net.relevance(x, rule="epsilon", epsilon=0.0, return_output=True)
    np.testing.assert_allclose(R.sum(-1), y.max(-1), rtol=1e-10)
    # gradient x input, the gradient by finite differences of the (piecewise linear) network
    t = y.argmax(-1)
    h = 1e-7
    g = np.stack([(net(x + h * e)[np.arange(20), t] - net(x - h * e)[np.arange(20), t]) / (2 * h)
                  for e in np.eye(8)], -1)
    np.testing.assert_allclose(R, g * x, rtol=1e-5, atol=1e-8)


def test_relevance_errors():
    W, b = make([3, 4, 2])
    net = DenseNet(W, b, dtype=np.float64)
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="rule"):
        net.relevance(x, rule="gamma")
    with pytest.raises(ValueError, match="alpha - beta"):
        net.relevance(x, rule="alphabeta", alpha=2, beta=2)
    with pytest.raises(ValueError, match="target"):
        net.relevance(x, target=2)
    with pytest.raises(ValueError, match="target"):
        net.relevance(x, target=[0, 1, 1])
    with pytest.raises(TypeError, match="target"):
        net.relevance(x, target=0.5)
    with pytest.raises(ValueError, match="epsilon"):
        net.relevance(x, epsilon=-1)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        net.relevance(np.zeros((2, 4)))


def _stub_torchvision():
    """zennit imports torchvision only for its ResNet canonizers, which these tests never use; where
    torchvision is missing or does not match the installed torch (its CUDA wheel beside torch's CPU
    wheel), stand in the two class names zennit imports, so that zennit's rules can be tested."""
    import types

    for name in [k for k in sys.modules if k == "zennit" or k.startswith("zennit.")]:
        del sys.modules[name]
    tv, models, resnet = (types.ModuleType(n) for n in
                          ("torchvision", "torchvision.models", "torchvision.models.resnet"))
    resnet.Bottleneck = type("Bottleneck", (), {})
    resnet.BasicBlock = type("BasicBlock", (), {})
    tv.models, models.resnet = models, resnet
    sys.modules.update({m.__name__: m for m in (tv, models, resnet)})


def _zennit():
    pytest.importorskip("torch")
    try:
        import zennit  # noqa: F401
    except (ImportError, RuntimeError):
        if importlib.util.find_spec("zennit") is None:
            pytest.skip("zennit is not installed")
        _stub_torchvision()
        import zennit  # noqa: F401
    from zennit.attribution import Gradient
    from zennit.composites import LayerMapComposite
    from zennit import rules, types
    return Gradient, LayerMapComposite, rules, types


@pytest.mark.parametrize("rule,kw", LRP_CASES)
def test_relevance_matches_zennit(rule, kw):
    Gradient, LayerMapComposite, rules, types = _zennit()
    import torch

    torch.manual_seed(0)
    mod = torch.nn.Sequential(torch.nn.Linear(5, 12), torch.nn.ReLU(), torch.nn.Linear(12, 9),
                              torch.nn.ReLU(), torch.nn.Linear(9, 3)).double()
    zr = {"epsilon": lambda: rules.Epsilon(kw.get("epsilon", 1e-6)), "zplus": lambda: rules.ZPlus(),
          "alphabeta": lambda: rules.AlphaBeta(kw["alpha"], kw["beta"]) if kw else None}[rule]()
    x = torch.randn(7, 5, dtype=torch.float64)
    y = mod(x).detach()
    t = y.argmax(-1)
    seed = torch.zeros_like(y)
    seed[torch.arange(7), t] = y[torch.arange(7), t]
    comp = LayerMapComposite([(types.Linear, zr), (types.Activation, rules.Pass())])
    with Gradient(model=mod, composite=comp) as attributor:
        _, Rz = attributor(x.clone().requires_grad_(True), seed)
    R = DenseNet.from_torch(mod).relevance(x.numpy(), rule=rule, **kw)
    np.testing.assert_allclose(R, Rz.numpy(), rtol=1e-9, atol=1e-12)


# ---- errors, threads, kernels, persistence ---------------------------------------------------
def test_bad_input():
    W, b = make([3, 4, 2])
    with pytest.raises(ValueError, match=r"weights\[1\] must have 4 columns"):
        DenseNet([W[0], np.ones((2, 5))], b)
    with pytest.raises(ValueError, match=r"biases\[0\] must have shape \(4,\)"):
        DenseNet(W, [np.ones(3), b[1]])
    with pytest.raises(ValueError, match="2 weight matrices but 1 bias"):
        DenseNet(W, b[:1])
    with pytest.raises(ValueError, match="NaN"):
        DenseNet([W[0] * np.nan, W[1]], b)
    with pytest.raises(ValueError, match="activation must be one of"):
        DenseNet(W, b, activation="tanh")
    with pytest.raises(ValueError, match="one per hidden layer"):
        DenseNet(W, b, activation=["relu", "relu"])
    with pytest.raises(ValueError, match="at least one layer"):
        DenseNet([], [])
    with pytest.raises(ValueError, match="2-D"):
        DenseNet([np.ones(3)], [np.ones(1)])
    with pytest.raises(TypeError, match="dtype"):
        DenseNet(W, b, dtype=np.int32)
    with pytest.raises(TypeError, match="real"):
        DenseNet([W[0] + 0j, W[1]], b)
    net = DenseNet(W, b, dtype=np.float32)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        net(np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        net(np.float32(1))
    with pytest.raises(TypeError):
        net(np.zeros(3, complex))
    with pytest.raises(ValueError, match="workers"):
        net(np.zeros(3), workers=0)
    assert np.isnan(net(np.full(3, np.nan, np.float32))).all()
    assert net(np.zeros((0, 3), np.float32)).shape == (0, 2)


def test_threads_and_workers_agree():
    W, b = make([32, 256, 256, 8], dtype=np.float32)
    net = DenseNet(W, b)
    x = np.random.default_rng(0).standard_normal((1000, 32)).astype(np.float32)
    ref = net(x, workers=1)
    np.testing.assert_allclose(net(x, workers=2), ref, rtol=1e-6, atol=1e-6)
    out = [None] * 6

    def run(i):
        out[i] = [net(x[: 100 + 150 * i]) for _ in range(3)], net.relevance(x[:50])

    th = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    R = net.relevance(x[:50])
    for i, (ys, r) in enumerate(out):
        for y in ys:
            np.testing.assert_allclose(y, ref[: 100 + 150 * i], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(r, R, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("level", list(_testing.ISA_LEVELS))
def test_every_kernel_gives_the_same_result(level):
    """Each instruction-set variant (forced through fastshear._testing.isa) against numpy."""
    if level not in _testing.isa_levels():
        pytest.skip(f"this CPU does not run {level}")
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        ws = [37, 70, 45, 19]
        W = [rng.standard_normal((ws[i+1], ws[i])).astype(dt) for i in range(3)]
        b = [rng.standard_normal(ws[i+1]).astype(dt) for i in range(3)]
        x = rng.standard_normal((29, 37)).astype(dt)
        with _testing.isa(level):
            nets = (fastshear.DenseNet(W, b, dtype=dt), fastshear.DenseNet(W, b, dtype=dt).prune(fraction=0.8))
        for net in nets:
            assert net.kernel == level
            a = x.astype(np.float64)
            for k, (w, c) in enumerate(zip(net.weights, net.biases)):
                a = a @ w.T.astype(np.float64) + c
                a = np.maximum(a, 0) if k < 2 else a
            err = np.abs(net(x) - a).max() / np.abs(a).max()
            assert err < (1e-5 if dt == np.float32 else 1e-13), (net.kernel, dt, err)


def test_save_load(tmp_path):
    W, b = make([4, 9, 3])
    net = DenseNet(W, b, activation=["sigmoid"], dtype=np.float64)
    p = tmp_path / "n.npz"
    net.save(p)
    m = DenseNet.load(p)
    assert m.dtype == net.dtype and m.activations == net.activations and m.widths == net.widths
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(m(x), net(x))
    np.savez(tmp_path / "bad.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="not a file written by DenseNet.save"):
        DenseNet.load(tmp_path / "bad.npz")


def test_weights_are_copies_and_read_only():
    W, b = make([3, 4, 2])
    net = DenseNet(W, b, dtype=np.float64)
    W[0][:] = 0
    assert np.count_nonzero(net.weights[0]) == 12
    with pytest.raises(ValueError, match="read-only"):
        net.weights[0][0, 0] = 1.0


# ---- torch interop and training ---------------------------------------------------------------
@pytest.mark.parametrize("tdtype", ["float32", "float64"])
def test_from_torch_to_torch(tdtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mod = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16),
                              torch.nn.Sigmoid(), torch.nn.Linear(16, 16), torch.nn.Linear(16, 3))
    mod = mod.to(getattr(torch, tdtype))
    net = DenseNet.from_torch(mod)
    assert net.dtype == np.dtype(tdtype) and net.activations == ("relu", "sigmoid", "identity")
    x = torch.randn(300, 6, dtype=getattr(torch, tdtype))
    yt = mod(x).detach().numpy()
    tol = 1e-5 if tdtype == "float32" else 1e-12
    np.testing.assert_allclose(net(x.numpy()), yt, rtol=tol, atol=tol * np.abs(yt).max())
    back = net.to_torch()
    np.testing.assert_allclose(back(x).detach().numpy(), yt, rtol=tol, atol=tol * np.abs(yt).max())
    assert DenseNet.from_torch(mod, dtype=np.float64).dtype == np.float64
    h = DenseNet(net.weights, net.biases, ["heaviside", "relu", "identity"], net.dtype).to_torch()
    np.testing.assert_allclose(DenseNet.from_torch(h)(x.numpy()), h(x).detach().numpy(), rtol=tol, atol=tol)


def test_from_torch_errors():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with pytest.raises(ValueError, match="Tanh"):
        DenseNet.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="end with a Linear"):
        DenseNet.from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    with pytest.raises(ValueError, match="must follow a Linear"):
        DenseNet.from_torch(nn.Sequential(nn.ReLU(), nn.Linear(2, 3)))


def test_fit_callbacks_and_early_stop():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mod = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    x = np.linspace(-1, 1, 128, dtype=np.float32)[:, None]
    y = np.abs(x)
    seen = []

    def log(epoch, history, model):
        seen.append((epoch, history["loss"][-1], model is mod))

    stop = lambda epoch, history, model: epoch == 49  # noqa: E731
    h = fastshear.nn.fit(mod, x, y, epochs=500, lr=1e-2, batch_size=32, l1=1e-4, callbacks=[log, stop],
                         progress=False, seed=0)
    assert h["epochs"] == 50 and len(h["loss"]) == 50 == len(seen)
    assert all(s[2] for s in seen) and [s[0] for s in seen] == list(range(50))
    assert h["loss"][-1] < 0.2 * h["loss"][0]
    assert all(o >= loss for o, loss in zip(h["objective"], h["loss"]))
    net = DenseNet.from_torch(mod)
    np.testing.assert_allclose(net(x), mod(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="loss"):
        fastshear.nn.fit(mod, x, y, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="same n"):
        fastshear.nn.fit(mod, x, y[:5], progress=False)


def test_fit_progress_bar(capsys):
    torch = pytest.importorskip("torch")
    mod = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    fastshear.nn.fit(mod, np.zeros((8, 2)), np.zeros(8), epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss" in err
