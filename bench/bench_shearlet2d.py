"""2D shearlets: fastshear vs pyShearLab vs the FFT floor (scipy.fft: 1 rfft2 + K irfft2).

    .venv/bin/pip install -e '.[bench]'   # or: pip install pytest-benchmark pyshearlab-mind scipy
    .venv/bin/python -m pytest bench/bench_shearlet2d.py --benchmark-only --benchmark-group-by=group
"""
import numpy as np
import pytest

import fastshear

scipy_fft = pytest.importorskip("scipy.fft")

CASES = [(256, 3), (256, 4), (512, 3), (512, 4)]


def _x(n, dtype=np.float64):
    return np.random.default_rng(0).standard_normal((n, n)).astype(dtype)


@pytest.mark.parametrize("n,scales", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_forward(benchmark, n, scales, dtype, workers):
    sh = fastshear.Shearlet2D((n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"dec {n} s{scales}"
    benchmark.name = f"fastshear {dtype} {workers}t"
    x = _x(n, dtype)
    benchmark(sh.forward, x)


@pytest.mark.parametrize("n,scales", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_forward_out(benchmark, n, scales, dtype, workers):
    """As test_fastshear_forward, writing into one reused array (out=)."""
    sh = fastshear.Shearlet2D((n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"dec {n} s{scales}"
    benchmark.name = f"fastshear {dtype} {workers}t out="
    x = _x(n, dtype)
    out = sh.forward(x)
    benchmark(sh.forward, x, out=out)


@pytest.mark.parametrize("n,scales", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_inverse(benchmark, n, scales, dtype, workers):
    sh = fastshear.Shearlet2D((n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"rec {n} s{scales}"
    benchmark.name = f"fastshear {dtype} {workers}t"
    c = sh.forward(_x(n, dtype))
    benchmark(sh.inverse, c)


@pytest.mark.parametrize("n,scales", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fft_floor(benchmark, n, scales, dtype):
    """The FFTs alone: 1 rfft2 + K irfft2 (scipy.fft, workers=1), results kept like a transform."""
    K = fastshear.Shearlet2D((n, n), scales).n_shearlets
    x = _x(n, dtype)
    benchmark.group = f"dec {n} s{scales}"
    benchmark.name = f"scipy FFT floor {dtype} 1t"

    def run():
        X = scipy_fft.rfft2(x, workers=1)
        out = np.empty((K, n, n), dtype)
        for i in range(K):
            out[i] = scipy_fft.irfft2(X, s=(n, n), workers=1)
        return out

    benchmark(run)


@pytest.mark.parametrize("n,scales", CASES)
def test_pyshearlab(benchmark, n, scales):
    sl = pytest.importorskip("pyshearlab_mind")
    S = sl.SLgetShearletSystem2D(0, n, n, scales)
    x = _x(n)
    benchmark.group = f"dec {n} s{scales}"
    benchmark.name = "pyShearLab float64 1t"
    benchmark.pedantic(sl.SLsheardec2D, args=(x, S), rounds=3, iterations=1)


@pytest.mark.parametrize("n,scales", CASES)
def test_pyshearlab_rec(benchmark, n, scales):
    sl = pytest.importorskip("pyshearlab_mind")
    S = sl.SLgetShearletSystem2D(0, n, n, scales)
    C = sl.SLsheardec2D(_x(n), S)
    benchmark.group = f"rec {n} s{scales}"
    benchmark.name = "pyShearLab float64 1t"
    benchmark.pedantic(sl.SLshearrec2D, args=(C, S), rounds=3, iterations=1)
