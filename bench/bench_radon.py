"""Radon transform: fastshear vs ASTRA's CPU projectors vs scikit-image, side by side.

    .venv/bin/pip install -e '.[bench]'    # pytest-benchmark, astra-toolbox (~750 MB), scikit-image
    .venv/bin/python -m pytest bench/bench_radon.py --benchmark-only --benchmark-group-by=group \
        --benchmark-columns=median,min,rounds

Groups are "<op> <case>": fastshear (float32/float64, 1 and 2 threads), ASTRA (float32, single
threaded, each CPU projector) and scikit-image (float64) on the same sizes. ASTRA's timings
include storing the input and fetching the result (as ``astra.create_sino`` does), fastshear's
the allocation of its result.
"""
import numpy as np
import pytest

import fastshear

# name -> (N, theta in degrees)
CASES = {
    "512x360": (512, np.linspace(0, 180, 360, endpoint=False)),
    "256x180": (256, np.linspace(0, 180, 180, endpoint=False)),
    "512 [-60,60]": (512, np.linspace(-60, 60, 121)),
}
FAN = {"fan 512x360": (512, np.linspace(0, 360, 360, endpoint=False))}
DS, DD = 1024.0, 512.0  # fan beam: source and detector distances from the centre (pixels)


def _x(n, dtype=np.float32):
    return fastshear.phantoms.shepp_logan((n, n), oversample=1, dtype=dtype)


def _fan_radon(n, theta, dtype, workers):
    return fastshear.Radon2D((n, n), theta, geometry="fan", source_distance=DS, detector_distance=DD,
                             det_spacing=(DS + DD) / DS, dtype=dtype, workers=workers)


# --------------------------------------------------------------------------------- fastshear
@pytest.mark.parametrize("case", list(CASES) + list(FAN))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("op", ["fwd", "bp", "fbp"])
def test_fastshear(benchmark, case, dtype, workers, op):
    if dtype == "float64" and workers == 2:
        pytest.skip("float64 is reported with 1 thread")
    if case in FAN:
        n, theta = FAN[case]
        R = _fan_radon(n, theta, dtype, workers)
    else:
        n, theta = CASES[case]
        R = fastshear.Radon2D((n, n), theta, dtype=dtype, workers=workers)
    x = _x(n, dtype)
    s = R.forward(x)
    benchmark.group = f"{op} {case}"
    benchmark.name = f"fastshear {dtype} {workers}t"
    fn = {"fwd": lambda: R.forward(x), "bp": lambda: R.adjoint(s), "fbp": lambda: R.fbp(s)}[op]
    R.fbp(s)  # plan the FFTs outside the timing
    benchmark(fn)


# --------------------------------------------------------------------------------- ASTRA
def _astra_setup(astra, n, theta, projector, fan):
    vol = astra.create_vol_geom(n, n)
    th = np.deg2rad(theta)
    if fan:
        n_det = _fan_radon(n, theta, "float32", 1).n_det
        proj = astra.create_proj_geom("fanflat", (DS + DD) / DS, n_det, th, DS, DD)
    else:
        n_det = n
        proj = astra.create_proj_geom("parallel", 1.0, n_det, th)
    pid = astra.create_projector(projector, proj, vol)
    vid = astra.data2d.create("-vol", vol, 0)
    sid = astra.data2d.create("-sino", proj, 0)
    return pid, vid, sid, n_det


def _astra_alg(astra, kind, pid, vid, sid, **opt):
    cfg = astra.astra_dict(kind)
    cfg["ProjectorId"] = pid
    if kind == "FP":
        cfg["VolumeDataId"], cfg["ProjectionDataId"] = vid, sid
    else:
        cfg["ProjectionDataId"], cfg["ReconstructionDataId"] = sid, vid
    if opt:
        cfg["option"] = opt
    return astra.algorithm.create(cfg)


PAR_PROJ = ["line", "strip", "linear"]
FAN_PROJ = ["line_fanflat", "strip_fanflat"]


@pytest.mark.parametrize("case,projector", [(c, p) for c in CASES for p in PAR_PROJ] +
                         [(c, p) for c in FAN for p in FAN_PROJ])
@pytest.mark.parametrize("op", ["fwd", "bp", "fbp"])
def test_astra(benchmark, case, projector, op):
    astra = pytest.importorskip("astra")
    fan = case in FAN
    n, theta = (FAN if fan else CASES)[case]
    if op == "fbp" and fan:
        pytest.skip("ASTRA's CPU FBP refuses fan beam")
    pid, vid, sid, n_det = _astra_setup(astra, n, theta, projector, fan)
    x = _x(n)
    sino = np.ascontiguousarray(fastshear.Radon2D((n, n), theta, dtype="float32").forward(x)) if not fan else \
        _fan_radon(n, theta, "float32", 1).forward(x)
    kind = {"fwd": "FP", "bp": "BP", "fbp": "FBP"}[op]
    alg = _astra_alg(astra, kind, pid, vid, sid, **({"FilterType": "Ram-Lak"} if op == "fbp" else {}))

    def run():
        if op == "fwd":
            astra.data2d.store(vid, x)
            astra.algorithm.run(alg)
            return astra.data2d.get(sid)
        astra.data2d.store(sid, sino)
        astra.algorithm.run(alg)
        return astra.data2d.get(vid)

    benchmark.group = f"{op} {case}"
    benchmark.name = f"ASTRA {projector} float32 1t"
    try:
        benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    finally:
        astra.algorithm.delete(alg)
        astra.data2d.delete([vid, sid])
        astra.projector.delete(pid)


# --------------------------------------------------------------------------------- scikit-image
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("op", ["fwd", "bp", "fbp"])
def test_skimage(benchmark, case, op):
    skt = pytest.importorskip("skimage.transform")
    n, theta = CASES[case]
    x = _x(n, np.float64)
    s = skt.radon(x, theta, circle=True)
    benchmark.group = f"{op} {case}"
    benchmark.name = "scikit-image float64 1t"
    fn = {"fwd": lambda: skt.radon(x, theta, circle=True),
          "bp": lambda: skt.iradon(s, theta, output_size=n, filter_name=None, circle=True),
          "fbp": lambda: skt.iradon(s, theta, output_size=n, filter_name="ramp", circle=True)}[op]
    benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)
