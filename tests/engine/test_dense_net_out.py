"""fastshear.DenseNet(x, out=...): results written in place equal the allocating call's, the
checks on ``out``, and the blocked GEMM of wide layers (several column blocks, K blocks and a
partial panel) against a float64 reference on every kernel variant, bitwise equal across thread
counts."""
import numpy as np
import pytest

import fastshear
from fastshear import DenseNet, _testing


def make(widths, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    W = [(rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i])).astype(dtype)
         for i in range(len(widths) - 1)]
    b = [(0.1 * rng.standard_normal(widths[i + 1])).astype(dtype) for i in range(len(widths) - 1)]
    return W, b


def reference(W, b, x):
    a = x.astype(np.float64)
    for layer, (w, c) in enumerate(zip(W, b)):
        a = a @ w.T.astype(np.float64) + c
        if layer + 1 < len(W):
            a = np.maximum(a, 0)
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (1, 5), (37, 5), (3, 4, 5), (0, 5)])
def test_out_equals_allocating_call(dtype, shape):
    W, b = make([5, 64, 33, 19], dtype=dtype)
    net = DenseNet(W, b, dtype=dtype)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    want = net(x)
    out = np.full(shape[:-1] + (19,), np.nan, dtype)
    got = net(x, out=out)
    assert got is out
    np.testing.assert_array_equal(out, want)
    if x.size:
        np.testing.assert_allclose(out, reference(W, b, x), rtol=1e-5, atol=1e-5)
    # the same buffer again, with other inputs: every entry is overwritten
    x2 = 2 * x + 1
    net(x2, out=out)
    np.testing.assert_array_equal(out, net(x2))


def test_out_with_converted_input_and_workers():
    W, b = make([3, 256, 40])
    net = DenseNet(W, b)
    x = np.random.default_rng(2).standard_normal((600, 3))  # float64 and a list: converted
    out = np.empty((600, 40), np.float32)
    net(x, out=out, workers=2)
    np.testing.assert_array_equal(out, net(x.astype(np.float32), workers=1))
    single = np.empty(40, np.float32)
    net(list(x[0]), out=single)
    np.testing.assert_allclose(single, out[0], rtol=1e-6, atol=1e-6)


def test_out_errors():
    W, b = make([4, 8, 6])
    net = DenseNet(W, b)
    x = np.ones((10, 4), np.float32)
    with pytest.raises(ValueError, match=r"shape \(10, 6\)"):
        net(x, out=np.empty((10, 5), np.float32))
    with pytest.raises(ValueError, match=r"shape \(10, 6\)"):
        net(x, out=np.empty((60,), np.float32))
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        net(x[0], out=np.empty((1, 6), np.float32))
    with pytest.raises(TypeError, match="dtype float32"):
        net(x, out=np.empty((10, 6), np.float64))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        net(x, out=[[0.0] * 6] * 10)
    with pytest.raises(ValueError, match="C-contiguous"):
        net(x, out=np.empty((10, 12), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        net(x, out=np.empty((6, 10), np.float32).T)
    ro = np.empty((10, 6), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        net(x, out=ro)
    # a misaligned view (one byte into a buffer)
    raw = np.empty(10 * 6 * 4 + 1, np.uint8)
    with pytest.raises(ValueError, match="aligned"):
        net(x, out=raw[1:].view(np.float32).reshape(10, 6))


def test_out_must_not_alias_input():
    # A net with as many outputs as inputs: out could be x itself, or overlap it. Refused (rows
    # are written while other rows of x are still to be read).
    W, b = make([6, 16, 6])
    net = DenseNet(W, b)
    x = np.random.default_rng(3).standard_normal((20, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="share memory"):
        net(x, out=x)
    buf = np.zeros((21, 6), np.float32)
    buf[:20] = x
    with pytest.raises(ValueError, match="share memory"):
        net(buf[:20], out=buf[1:])  # overlapping views of one buffer
    before = x.copy()
    y = net(x)
    np.testing.assert_array_equal(x, before)
    out = np.empty_like(x)
    net(x, out=out)  # a separate buffer of the same shape is fine
    np.testing.assert_array_equal(out, y)


def test_bindings_recheck_out():
    """The C++ binding never writes into an array of the wrong shape or dtype (direct calls)."""
    W, b = make([4, 8, 6])
    net = DenseNet(W, b)
    x = np.ones((10, 4), np.float32)
    with pytest.raises(ValueError, match="out"):
        net._net.forward(x, 1, np.empty((9, 6), np.float32))
    with pytest.raises(TypeError, match="out"):
        net._net.forward(x, 1, np.empty((10, 6), np.float64))
    with pytest.raises(TypeError, match="out"):
        net._net.forward(x, 1, np.empty((6, 10), np.float32).T)
    out = np.empty((10, 6), np.float32)
    assert net._net.forward(x, 1, out) is not None
    np.testing.assert_array_equal(out, net(x))


def test_wide_layer_bitwise_across_threads_and_out():
    """A wide output layer (the PDE surrogate's shape, smaller): 1 and 2 threads and out= agree
    bit for bit (each output's sum runs in one fixed order), and match float64."""
    W, b = make([2, 64, 1000])
    net = DenseNet(W, b)
    x = np.random.default_rng(4).uniform(0, 1, (777, 2)).astype(np.float32)
    y1 = net(x, workers=1)
    out = np.empty_like(y1)
    net(x, out=out, workers=2)
    np.testing.assert_array_equal(out, y1)
    r = reference(W, b, x)
    np.testing.assert_allclose(y1, r, rtol=0, atol=2e-6 * np.abs(r).max())


@pytest.mark.parametrize("level", list(_testing.ISA_LEVELS))
def test_blocked_gemm_every_kernel(level):
    """Each instruction-set variant of the GEMM (forced through fastshear._testing.isa)."""
    if level not in _testing.isa_levels():
        pytest.skip(f"this CPU does not run {level}")
    rng = np.random.default_rng(0)
    # K > one K block (256), N across several column blocks with a partial last panel, rows not a
    # multiple of any kernel's row tile, and a ReLU fused on a layer with two K blocks.
    for dt, tol in ((np.float32, 1e-5), (np.float64, 1e-13)):
        ws = [300, 520, 1037]
        W = [(rng.standard_normal((ws[i+1], ws[i])) / np.sqrt(ws[i])).astype(dt) for i in range(2)]
        b = [rng.standard_normal(ws[i+1]).astype(dt) for i in range(2)]
        with _testing.isa(level):
            net = fastshear.DenseNet(W, b, dtype=dt)
        assert net.kernel == level
        for rows in (2, 29, 261):
            x = rng.standard_normal((rows, 300)).astype(dt)
            a = np.maximum(x.astype(np.float64) @ W[0].T.astype(np.float64) + b[0], 0)
            a = a @ W[1].T.astype(np.float64) + b[1]
            out = np.empty((rows, 1037), dt)
            net(x, out=out)
            err = np.abs(out - a).max() / np.abs(a).max()
            assert err < tol, (net.kernel, dt, rows, err)
