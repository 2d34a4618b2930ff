"""Property-based hostile input (issue 13), with hypothesis: layouts, dtypes, strides and
alignments give the contiguous result; any value of any parameter either works or is refused
with TypeError/ValueError/MemoryError naming the parameter; integer parameters never truncate.

A small example budget in the normal run; the `slow` group reruns them with a large one.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastshear
from fastshear import DenseNet, Radon2D, Shearlet2D, phantoms
from fastshear.operators import Diagonal, Gradient2D, Identity, MatrixOperator

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
BIG = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

REFUSALS = (TypeError, ValueError, MemoryError)

garbage = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5),
    st.integers(-10**3, 10**3), st.integers(2**31 - 3, 2**70), st.integers(-2**70, -2**31),
    st.floats(allow_nan=True, allow_infinity=True), st.complex_numbers(max_magnitude=1e3),
    st.lists(st.integers(-3, 5), max_size=3), st.lists(st.floats(), max_size=2),
    st.sampled_from([np.float32, np.int32, "float64", object, (), [], {}, np.nan, -0.0, 1e-300, 1e300]),
)


def _refused_or_works(make, name, use=None):
    """make() either works (then use(result) must too) or raises one of REFUSALS naming name."""
    try:
        obj = make()
    except REFUSALS as e:
        assert name in str(e), f"{type(e).__name__} does not name {name!r}: {e}"
        return None
    if use is not None:
        use(obj)
    return obj


def _check_finite_radon(R):
    x = np.ones(R.shape, R.dtype)
    s = R.forward(x)
    assert s.shape == R.sinogram_shape and np.all(np.isfinite(s))
    assert np.all(np.isfinite(R.adjoint(s)))


RADON_PARAMS = ["n_det", "det_spacing", "circle", "geometry", "workers", "dtype", "theta"]


def _radon_garbage(name, value):
    kw = {name: value}
    theta = kw.pop("theta", [0.0, 60.0, 120.0])
    _refused_or_works(lambda: Radon2D((12, 12), theta, **kw), name, _check_finite_radon)


@pytest.mark.parametrize("name", RADON_PARAMS)
@FAST
@given(value=garbage)
def test_radon_any_value(name, value):
    _radon_garbage(name, value)


@pytest.mark.parametrize("name", ["source_distance", "detector_distance", "det_spacing"])
@FAST
@given(value=st.one_of(garbage, st.floats(1e-13, 1e13)))
def test_radon_fan_any_value(name, value):
    kw = {"geometry": "fan", "source_distance": 40.0, name: value}
    _refused_or_works(lambda: Radon2D((12, 12), [0.0, 90.0, 200.0], **kw), name, _check_finite_radon)


SHEARLET_PARAMS = ["scales", "shear_levels", "full", "workers", "dtype"]


def _shearlet_garbage(name, value):
    kw = {name: value}
    scales = kw.pop("scales", 1)

    def use(sh):
        x = np.ones(sh.shape, sh.dtype)
        c = sh.forward(x)
        assert c.shape == (sh.n_shearlets,) + sh.shape and np.all(np.isfinite(c))

    _refused_or_works(lambda: Shearlet2D((40, 40), scales, **kw), name if name != "scales" else "scales", use)


@pytest.mark.parametrize("name", SHEARLET_PARAMS)
@FAST
@given(value=garbage)
def test_shearlet_any_value(name, value):
    try:
        _shearlet_garbage(name, value)
    except ValueError as e:  # a valid value for which 40x40 is too small names the sizes
        assert "at least" in str(e) or "smallest" in str(e), e


@pytest.mark.parametrize("name", ["n_det", "scales", "oversample", "chunk"])
@FAST
@given(value=st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not float(f).is_integer()))
def test_integer_parameters_never_truncate(name, value):
    calls = {
        "n_det": lambda: Radon2D((12, 12), [0.0], n_det=value),
        "scales": lambda: Shearlet2D((40, 40), value),
        "oversample": lambda: phantoms.shepp_logan((8, 8), oversample=value),
        "chunk": lambda: fastshear.shearlet_denoise3d(np.zeros((4, 4, 4)), 0.1, chunk=value),
    }
    with pytest.raises(ValueError, match=name):
        calls[name]()


LAYOUTS = ["C", "F", "reversed", "strided", "misaligned", "readonly", "bigendian", "int16", "bool", "float32", "list"]


def _layout(x, kind):
    if kind == "C":
        return np.ascontiguousarray(x)
    if kind == "F":
        return np.asfortranarray(x)
    if kind == "reversed":
        return np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]
    if kind == "strided":
        big = np.zeros((x.shape[0] * 2, x.shape[1] * 3), x.dtype)
        big[::2, ::3] = x
        return big[::2, ::3]
    if kind == "misaligned":
        buf = np.zeros(x.nbytes + 1, np.uint8)
        v = np.frombuffer(buf[1:].data, x.dtype).reshape(x.shape)
        v[...] = x
        return v
    if kind == "readonly":
        v = x.copy()
        v.setflags(write=False)
        return v
    if kind == "bigendian":
        return x.astype(x.dtype.newbyteorder(">"))
    if kind == "int16":
        return np.round(x * 100).astype(np.int16)
    if kind == "bool":
        return x > 0.5
    if kind == "float32":
        return x.astype(np.float32)
    if kind == "list":
        return x.tolist()


def _reference(x, kind):
    """What each layout means as a float64 image."""
    if kind == "int16":
        return np.round(x * 100).astype(np.float64)
    if kind == "bool":
        return (x > 0.5).astype(np.float64)
    if kind == "float32":
        return x.astype(np.float32).astype(np.float64)
    return x


@FAST
@given(kind=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_layouts_give_the_contiguous_result(kind, seed, dtype):
    x = np.random.default_rng(seed).random((40, 40))
    ref = np.ascontiguousarray(_reference(x, kind))
    v = _layout(x, kind)
    sh = Shearlet2D((40, 40), 1, dtype=dtype)
    np.testing.assert_array_equal(sh.forward(v), sh.forward(ref.astype(dtype)))
    R = Radon2D((40, 40), [0.0, 33.0, 91.0], dtype=dtype)
    np.testing.assert_array_equal(R.forward(v), R.forward(ref.astype(dtype)))
    net = DenseNet([np.ones((3, 40)) / 40, np.ones((1, 3))], [np.zeros(3), np.zeros(1)], dtype=dtype)
    np.testing.assert_array_equal(net(v), net(ref.astype(dtype)))


@FAST
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple),
       other=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple))
def test_operators_never_broadcast(shape, other):
    ops = [Identity(shape), Diagonal(np.ones(shape))]
    if len(shape) == 2:
        ops.append(Gradient2D(shape))
    if len(shape) == 1:
        ops.append(MatrixOperator(np.ones((2,) + shape)))
    for op in ops:
        x = np.ones(other)
        if other[len(other) - len(op.in_shape):] == op.in_shape and len(other) >= len(op.in_shape):
            assert op.forward(x).shape == other[:len(other) - len(op.in_shape)] + tuple(op.out_shape)
        else:
            with pytest.raises(ValueError, match="x"):
                op.forward(x)


@FAST
@given(alpha=st.floats(allow_nan=True, allow_infinity=True), eps=st.floats(allow_nan=True, allow_infinity=True))
def test_lrp_parameters(alpha, eps):
    net = DenseNet([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)], dtype=np.float64)
    x = np.ones((3, 2))
    r = _refused_or_works(lambda: net.relevance(x, rule="alphabeta", alpha=alpha), "alpha")
    if r is not None:
        assert np.all(np.isfinite(r))
    r = _refused_or_works(lambda: net.relevance(x, epsilon=eps), "epsilon")
    if r is not None:
        assert np.all(np.isfinite(r))


# ---- the slow group: the same properties with a large budget

@pytest.mark.slow
@pytest.mark.parametrize("name", RADON_PARAMS)
@BIG
@given(value=garbage)
def test_radon_any_value_big(name, value):
    _radon_garbage(name, value)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHEARLET_PARAMS)
@BIG
@given(value=garbage)
def test_shearlet_any_value_big(name, value):
    try:
        _shearlet_garbage(name, value)
    except ValueError as e:
        assert "at least" in str(e) or "smallest" in str(e), e


@pytest.mark.slow
@BIG
@given(kind=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_layouts_big(kind, seed, dtype):
    test_layouts_give_the_contiguous_result.hypothesis.inner_test(kind=kind, seed=seed, dtype=dtype)


@pytest.mark.parametrize("name", ["scales", "shear_levels", "full", "workers", "dtype", "bands"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(value=garbage)
def test_shearlet3d_any_value(name, value):
    from fastshear import Shearlet3D

    kw = {name: value} if name != "bands" else {}
    scales = kw.pop("scales", 1)

    def use(sh):
        c = sh.forward(np.ones(sh.shape, sh.dtype), **({"bands": value} if name == "bands" else {}))
        assert np.all(np.isfinite(c))

    try:
        _refused_or_works(lambda: Shearlet3D((36, 36, 36), scales, **kw), name, use)
    except ValueError as e:  # a valid value for which 36^3 is too small names the sizes
        assert "smallest volume" in str(e) or name in str(e), e
    except TypeError as e:  # raised by forward(bands=...) inside use()
        assert name == "bands" and "bands" in str(e), e
