"""Parametric PDE surrogates: the multi-query cost of the engine vs the sparse solver.

    .venv/bin/pip install -e '.[bench,torch]'
    .venv/bin/python -m pytest bench/bench_pde.py --benchmark-only --benchmark-group-by=group \
        --benchmark-columns=median,iqr,rounds --benchmark-sort=name

The surrogate is the pde-demo's network shape, a 2 -> 256 x 3 -> (n-1)^2 ReLU MLP (float32;
throughput does not depend on the weights' values, so they are random), at n = 32 (961 outputs)
and n = 100 (9 801 outputs; the paper's P1 mesh has 10 201 nodes with the boundary), batch 1 and
4096, 1 and 2 threads, in fastshear.DenseNet (a new result per call, and ``out=``: one
preallocated result written each call), torch (eager, inference mode) and onnxruntime (the
Gemm + Relu graph of bench_dense_net). The solver row is fastshear.pde.solve of one T1 (p = 2)
parameter: assembly, a SuperLU factorisation and a solve, one thread (SuperLU is sequential); its
cost per parameter is the same at any batch. bench/pde_throughput.py prints the interleaved table
of bench/RESULTS.md.
"""
import numpy as np
import pytest

from fastshear import pde

from bench_dense_net import _runner, _weights  # noqa: E402

GRIDS = [32, 100]
BATCHES = [1, 4096]
THREADS = [1, 2]
HIDDEN = [256, 256, 256]


def _widths(n):
    return [2] + HIDDEN + [(n - 1) ** 2]


@pytest.mark.parametrize("n", GRIDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("backend", ["fastshear", "fastshear_out", "onnxruntime", "torch"])
def test_surrogate(benchmark, n, batch, threads, backend):
    W, b = _weights(_widths(n))
    x = np.random.default_rng(1).uniform(0, 1, (batch, 2)).astype(np.float32)
    benchmark.group = f"pde n={n} B={batch}"
    benchmark.name = f"{backend} {threads}t"
    run = _runner(backend, W, b, x, threads)
    benchmark.extra_info["params_per_call"] = batch
    benchmark(run)


@pytest.mark.parametrize("n", GRIDS)
def test_solver(benchmark, n):
    T1 = pde.trigonometric(2)
    y = T1.sample(1, seed=7)
    pde.solve(T1, y, n)  # the stencil's pattern is built once per n
    benchmark.group = f"pde n={n} solver"
    benchmark.name = "pde.solve 1 parameter 1t"
    benchmark.extra_info["params_per_call"] = 1
    benchmark(pde.solve, T1, y, n)
