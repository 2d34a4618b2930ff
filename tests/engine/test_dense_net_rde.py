"""DenseNet.gradient (the engine's backward pass) and DenseNet.rde (no torch)."""
import numpy as np
import pytest

import fastshear
from fastshear.explain import _dense_objective


def random_net(act="relu", dtype=np.float64, widths=(7, 16, 9, 3), seed=0):
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]) for i in range(len(widths) - 1)]
    b = [0.3 * rng.standard_normal(w.shape[0]) for w in W]
    return fastshear.DenseNet(W, b, activation=act, dtype=dtype)


@pytest.mark.parametrize("act", ["relu", "sigmoid", "identity"])
def test_gradient_matches_finite_differences(act):
    net = random_net(act)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7))
    gy = rng.standard_normal((2, 3, 3))
    gx, y = net.gradient(x, gy, return_output=True)
    assert gx.shape == x.shape and np.allclose(y, net(x))
    h = 1e-6
    fd = np.zeros_like(x)
    for i in range(7):
        e = np.zeros(7)
        e[i] = h
        fd[..., i] = ((net(x + e) - net(x - e)) * gy).sum(-1) / (2 * h)
    assert np.allclose(gx, fd, atol=1e-7)


def test_gradient_float32_single_point_and_heaviside():
    n64, n32 = random_net(), random_net(dtype=np.float32)
    x = np.random.default_rng(2).standard_normal(7)
    g = np.array([1.0, -1.0, 0.5])
    g32 = n32.gradient(x.astype(np.float32), g.astype(np.float32))
    assert g32.dtype == np.float32 and g32.shape == (7,)
    assert np.allclose(g32, n64.gradient(x, g), atol=1e-5)
    assert not random_net("heaviside").gradient(x, g).any()
    big = np.random.default_rng(3).standard_normal((1000, 7))  # several chunks and threads
    gb = n64.gradient(big, np.ones((1000, 3)), workers=2)
    assert np.allclose(gb[17], n64.gradient(big[17], np.ones(3)))


def test_gradient_errors():
    net = random_net()
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3\)"):
        net.gradient(np.zeros((2, 7)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\(\.\.\., 7\)"):
        net.gradient(np.zeros((2, 6)), np.zeros((2, 3)))


def test_rde_objective_gradient():
    net = random_net()
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 7))
    v = rng.standard_normal((2, 5, 7))
    m = rng.uniform(0.1, 0.9, (2, 7))
    tgt, t = np.array([0, 2]), np.array([1.0, 0.4])
    loss, g, _ = _dense_objective(net, a, m, v, tgt, t, 0.7, None, None)
    h = 1e-6
    for i in range(7):
        e = np.zeros((2, 7))
        e[:, i] = h
        fd = (_dense_objective(net, a, m + e, v, tgt, t, 0.7, None, None)[0]
              - _dense_objective(net, a, m - e, v, tgt, t, 0.7, None, None)[0]) / (2 * h)
        assert np.allclose(g[:, i], fd, atol=1e-7)


def test_rde_keeps_the_relevant_features():
    """Class 0 depends on features 0-2 only; its probability needs all three near 1."""
    W = np.zeros((2, 12))
    W[0, :3] = 3.0
    net = fastshear.DenseNet([W], [np.array([-6.0, 0.0])], dtype=np.float32)
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (3, 12))
    x[:, :3] = 1.0
    r = net.rde(x, steps=300, samples=16)
    assert r.mask.shape == x.shape and r.explanation.shape == x.shape and r.domain == "input"
    assert np.array_equal(r.target, [0, 0, 0])
    assert np.all(r.mask[:, :3] > 0.5) and np.all(r.mask[:, 3:] < 0.1)
    # under the noise the masked points keep most of the class probability
    assert np.all(r.history["probability"][-20:].mean(0) > 0.6 * r.probability)
    assert r.history["loss"].shape == (300, 3)
    r1 = net.rde(x[0], target=0, steps=5)
    assert isinstance(r1.retained, float) and r1.mask.shape == (12,)


def test_rde_errors():
    net = random_net()
    x = np.zeros(7)
    with pytest.raises(ValueError, match=r"target must lie in \[0, 3\)"):
        net.rde(x, target=3)
    with pytest.raises(ValueError, match="NaN"):
        net.rde(np.full(7, np.nan))
    with pytest.raises(ValueError, match="input width"):
        net.rde(np.zeros(6))
    with pytest.raises(ValueError, match="noise must be one of"):
        net.rde(x, noise="pink")
    with pytest.raises(ValueError, match=r"\(B, 7\)"):
        net.rde(np.zeros((2, 2, 7)))
