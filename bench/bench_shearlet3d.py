"""3D shearlets: fastshear vs the FFT floor (scipy.fft: 1 rfftn + K irfftn of the volume).

ShearLab 3D (MATLAB) is the only other implementation; its Octave timings are in
../shared/spec/shearlet3d.md section 8 (it cannot run here). Build time and peak memory are
measured too (memory in a fresh subprocess per case).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m pytest bench/bench_shearlet3d.py --benchmark-only --benchmark-group-by=group
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastshear

scipy_fft = pytest.importorskip("scipy.fft")
warnings.filterwarnings("ignore", category=fastshear.ShearletFallbackWarning)

# (n, scales); 64^3 has no 3-scale system (3 scales need >= 73 per side). 128^3 with 3 scales
# (K = 292) would need 4.9 GB per float64 decomposition: float32 only.
CASES = [(64, 2), (96, 2), (128, 2), (96, 3)]
BIG = {(128, 3)}


def _x(n, dtype=np.float64):
    return np.random.default_rng(0).standard_normal((n, n, n)).astype(dtype)


def _rounds(n, scales):
    return 5 if n * n * n * (99 if scales == 2 else 292) < 2e8 else 3


def _params():
    out = []
    for n, s in CASES + sorted(BIG):
        for dt in ("float64", "float32"):
            if (n, s) in BIG and dt == "float64":
                continue
            out.append((n, s, dt))
    return out


@pytest.mark.parametrize("n,scales,dtype", _params())
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_forward(benchmark, n, scales, dtype, workers):
    sh = fastshear.Shearlet3D((n, n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"3D dec {n} s{scales} K={sh.n_shearlets}"
    benchmark.name = f"fastshear {dtype} {workers}t"
    x = _x(n, dtype)
    benchmark.pedantic(sh.forward, args=(x,), rounds=_rounds(n, scales), iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("n,scales,dtype", _params())
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_forward_out(benchmark, n, scales, dtype, workers):
    """As test_fastshear_forward, writing into one reused array (out=): no allocation and no
    first-touch page faults of fresh memory."""
    sh = fastshear.Shearlet3D((n, n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"3D dec {n} s{scales} K={sh.n_shearlets}"
    benchmark.name = f"fastshear {dtype} {workers}t out="
    x = _x(n, dtype)
    out = sh.forward(x)
    benchmark.pedantic(sh.forward, args=(x,), kwargs=dict(out=out), rounds=_rounds(n, scales), iterations=1,
                       warmup_rounds=1)


@pytest.mark.parametrize("n,scales,dtype", _params())
@pytest.mark.parametrize("workers", [1, 2])
def test_fastshear_inverse(benchmark, n, scales, dtype, workers):
    sh = fastshear.Shearlet3D((n, n, n), scales, dtype=dtype, workers=workers)
    benchmark.group = f"3D rec {n} s{scales} K={sh.n_shearlets}"
    benchmark.name = f"fastshear {dtype} {workers}t"
    c = sh.forward(_x(n, dtype))
    benchmark.pedantic(sh.inverse, args=(c,), rounds=_rounds(n, scales), iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("n,scales,dtype", _params())
def test_fft_floor(benchmark, n, scales, dtype):
    """The FFTs alone: 1 rfftn + K irfftn (scipy.fft, workers=1), results kept like a transform."""
    K = len(fastshear._shearlab.shearlet_indices_3d(fastshear._shearlab.default_shear_levels(scales)))
    x = _x(n, dtype)
    benchmark.group = f"3D dec {n} s{scales} K={K}"
    benchmark.name = f"scipy FFT floor {dtype} 1t"

    def run():
        X = scipy_fft.rfftn(x, workers=1)
        out = np.empty((K, n, n, n), dtype)
        for i in range(K):
            out[i] = scipy_fft.irfftn(X, s=(n, n, n), workers=1)
        return out

    benchmark.pedantic(run, rounds=_rounds(n, scales), iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("n,scales", CASES)
def test_build(benchmark, n, scales):
    """Building the system: 2D filters, dual weights, RMS (FFTW plans already made: with stored
    wisdom a new process plans in milliseconds; see test_build_and_memory for a fresh process)."""
    from fastshear import _shearlab, shearlet3d

    fastshear.Shearlet3D((n, n, n), scales, workers=1)  # make the FFTW plans once

    def build():
        shearlet3d._system.cache_clear()
        _shearlab._half_spectra_cached.cache_clear()
        return fastshear.Shearlet3D((n, n, n), scales, workers=1)

    benchmark.group = f"3D build {n} s{scales}"
    benchmark.name = "fastshear float64 1t"
    benchmark.pedantic(build, rounds=5, iterations=1)


_PROBE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
n, scales, dtype, what = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rss_mb(key="VmRSS"):  # VmHWM: peak RSS of this process image (ru_maxrss survives exec)
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
t = time.perf_counter()
import fastshear
t_import = time.perf_counter() - t
x = np.random.default_rng(0).standard_normal((n, n, n)).astype(dtype)
t = time.perf_counter()
sh = fastshear.Shearlet3D((n, n, n), scales, dtype=dtype, workers=1)
t_build = time.perf_counter() - t
if what == "floor":
    import scipy.fft as sf
    sf.irfftn(sf.rfftn(x[:8, :8, :8]), s=(8, 8, 8))
before = rss_mb()
t = time.perf_counter()
if what == "forward":
    c = sh.forward(x)
else:
    X = sf.rfftn(x, workers=1)
    c = np.empty((sh.n_shearlets, n, n, n), dtype)
    for i in range(sh.n_shearlets):
        c[i] = sf.irfftn(X, s=(n, n, n), workers=1)
t_run = time.perf_counter() - t
peak = rss_mb("VmHWM")
print(json.dumps(dict(build_s=t_build, run_s=t_run, rss_before_mb=before, peak_mb=peak,
                      out_mb=c.nbytes / 2**20, K=sh.n_shearlets)))
"""


@pytest.mark.parametrize("n,scales", CASES)
@pytest.mark.parametrize("what", ["forward", "floor"])
@pytest.mark.parametrize("wisdom", ["1", "0"])
def test_build_and_memory(benchmark, n, scales, what, wisdom):
    """A fresh process per case: build time (with and without stored FFTW wisdom) and peak RSS
    of one decomposition against the size of its output (reported in extra_info)."""
    if what == "floor" and wisdom == "0":
        pytest.skip("wisdom does not concern scipy")
    env = dict(os.environ, FASTSHEAR_WISDOM=wisdom)
    res = {}

    def run():
        r = subprocess.run([sys.executable, "-c", _PROBE, str(n), str(scales), "float64", what],
                           capture_output=True, text=True, env=env, check=True)
        res.update(json.loads(r.stdout))

    benchmark.group = f"3D process {n} s{scales}"
    benchmark.name = f"{'fastshear' if what == 'forward' else 'scipy FFT floor'} wisdom={wisdom}"
    benchmark.pedantic(run, rounds=1, iterations=1)
    res["peak_over_output"] = res["peak_mb"] / res["out_mb"]
    res["increment_over_output"] = (res["peak_mb"] - res["rss_before_mb"]) / res["out_mb"]
    benchmark.extra_info.update(res)
    print(f"\n{n}^3 s{scales} {what} wisdom={wisdom}: " + json.dumps(res))
