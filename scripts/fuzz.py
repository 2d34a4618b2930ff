"""Fuzzing entry point (issue 13): the plans and the raw bindings, DenseNet.load and the CLI's file
readers, driven by fuzzed bytes.

    python scripts/fuzz.py -runs=100000             # atheris (coverage-guided libFuzzer), if installed
    python scripts/fuzz.py CORPUS -runs=50000 -jobs=2 -workers=2 -rss_limit_mb=6144   # two processes
    python scripts/fuzz.py --hypothesis 100000      # otherwise: hypothesis with that many examples

(`pip install 'fastshear[fuzz]'` installs atheris; under scripts/sanitize.sh's environment the
sanitizers watch the C++ too.) The contract checked on every input: the call returns normally
(a finite input then gives a finite result of the documented shape and dtype), or raises
TypeError, ValueError or MemoryError with a message (the CLI readers: their one-line CLIError;
DenseNet.load of a missing file: FileNotFoundError); the raw bindings may raise those too but
never crash. Anything else is a finding: another exception (reported with the input), a crash,
a sanitizer report, or a hang (libFuzzer's -timeout=N).
"""
from __future__ import annotations

import io
import os
import sys
import tempfile

import numpy as np

# A fuzzer's budget is not the machine's: the library refuses above 256 MiB here, so that
# legitimate but huge requests (a 1 x 2^24 phantom: a minute of work and 1-6 GiB, which
# libFuzzer reports as a timeout or out-of-memory) are refused as MemoryError, and the inputs
# stay fast. FASTSHEAR_MAX_BYTES set by the caller wins.
os.environ.setdefault("FASTSHEAR_MAX_BYTES", str(2**28))

import fastshear  # noqa: F401  (the package under test, imported before its modules)
from fastshear import DenseNet, Radon2D, Shearlet2D, _core, cli, phantoms
from fastshear.operators import Diagonal, Gradient2D, Identity, MatrixOperator

ALLOWED = (TypeError, ValueError, MemoryError)
TMP = tempfile.mkdtemp(prefix="fastshear-fuzz-")
COUNT = {"inputs": 0, "refused": 0, "ok": 0}


class Data:
    """A tiny FuzzedDataProvider (atheris' own is used when available)."""

    def __init__(self, raw: bytes):
        self.b = raw
        self.i = 0

    def _take(self, n):
        out = self.b[self.i:self.i + n]
        self.i += n
        return out.ljust(n, b"\0")

    def ConsumeIntInRange(self, lo, hi):
        span = hi - lo + 1
        nbytes = max(1, (span.bit_length() + 7) // 8)
        return lo + int.from_bytes(self._take(nbytes), "little") % span

    def ConsumeBool(self):
        return bool(self._take(1)[0] & 1)

    def ConsumeFloat(self):
        return float(np.frombuffer(self._take(8), np.float64)[0])

    def ConsumeRegularFloat(self):
        v = self.ConsumeFloat()
        return v if np.isfinite(v) else 0.0

    def ConsumeBytes(self, n):
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def remaining_bytes(self):
        return len(self.b) - self.i


def _int(d):
    """Mostly small integers, sometimes extreme ones, sometimes not integers at all."""
    k = d.ConsumeIntInRange(0, 9)
    if k < 6:
        return d.ConsumeIntInRange(-3, 80)
    if k == 6:
        return d.ConsumeIntInRange(-2**70, 2**70)
    if k == 7:
        return d.ConsumeFloat()
    if k == 8:
        return [None, "3", [2], True, 2**31, 2**63, -2**31 - 1, np.int64(5)][d.ConsumeIntInRange(0, 7)]
    return d.ConsumeIntInRange(2**24 - 2, 2**24 + 2)


def _float(d):
    k = d.ConsumeIntInRange(0, 5)
    if k < 3:
        return d.ConsumeRegularFloat()
    if k == 3:
        return d.ConsumeFloat()
    if k == 4:
        return [None, "1", 1j, 0.0, -0.0, 1e-300, 1e300, float("nan")][d.ConsumeIntInRange(0, 7)]
    return 10.0 ** d.ConsumeIntInRange(-15, 15)


def _array(d, shape, dtype=np.float64):
    n = int(np.prod(shape))
    raw = d.ConsumeBytes(8 * n)
    a = np.frombuffer(raw.ljust(8 * n, b"\0"), np.float64).copy().reshape(shape)
    if d.ConsumeBool():
        a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0)
        a = np.clip(a, -1e6, 1e6)
    return a.astype(dtype)


def _finite_in_finite_out(x, y):
    """A finite input that cannot overflow in the result's precision (the sums of a transform
    are bounded by size x max |x|; a float64 value beyond float32's range is inf in a float32
    plan, by IEEE) gives a finite result."""
    x = np.asarray(x, np.float64)
    big = np.finfo(y.dtype).max / (1e6 * max(1, x.size))
    if x.size and np.all(np.isfinite(x)) and np.abs(x).max() < big:
        assert np.all(np.isfinite(y)), "finite input, non-finite output"


def t_radon(d):
    shape = (_int(d), _int(d)) if d.ConsumeIntInRange(0, 7) == 0 else (d.ConsumeIntInRange(1, 24), d.ConsumeIntInRange(1, 24))
    theta = [_float(d) for _ in range(d.ConsumeIntInRange(0, 5))]
    kw = {}
    if d.ConsumeBool():
        kw["n_det"] = _int(d)
    if d.ConsumeBool():
        kw["det_spacing"] = _float(d)
    if d.ConsumeBool():
        kw["circle"] = d.ConsumeBool()
    if d.ConsumeBool():
        kw["geometry"] = "fan"
        kw["source_distance"] = _float(d)
        if d.ConsumeBool():
            kw["detector_distance"] = _float(d)
    kw["dtype"] = [np.float32, np.float64][d.ConsumeIntInRange(0, 1)]
    R = Radon2D(shape, theta, **kw)
    if R.shape[0] * R.shape[1] * R.n_angles * R.n_det > 4 * 10**6:
        return
    x = _array(d, R.shape)
    s = R.forward(x)
    assert s.shape == R.sinogram_shape and s.dtype == R.dtype
    _finite_in_finite_out(x, s)
    y = R.adjoint(s)
    _finite_in_finite_out(s, y)
    f = R.fbp(s, ["ram-lak", "hann", "cosine", "x", None][d.ConsumeIntInRange(0, 4)])
    assert f.shape == R.shape


SHAPES = [(33, 33), (40, 56), (64, 64), (73, 80), (35, 41)]


def t_shearlet(d):
    shape = SHAPES[d.ConsumeIntInRange(0, len(SHAPES) - 1)] if d.ConsumeIntInRange(0, 7) else (_int(d), _int(d))
    scales = d.ConsumeIntInRange(1, 3) if d.ConsumeIntInRange(0, 3) else _int(d)
    kw = {}
    if d.ConsumeBool():
        kw["shear_levels"] = [_int(d) if d.ConsumeIntInRange(0, 5) == 0 else d.ConsumeIntInRange(0, 3)
                              for _ in range(d.ConsumeIntInRange(0, 3))]
    kw["full"] = d.ConsumeBool()
    kw["dtype"] = [np.float32, np.float64][d.ConsumeIntInRange(0, 1)]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sh = Shearlet2D(shape, scales, **kw)
    x = _array(d, sh.shape)
    c = sh.forward(x)
    assert c.shape == (sh.n_shearlets,) + sh.shape
    _finite_in_finite_out(x, c)
    _finite_in_finite_out(c, sh.inverse(c))


def t_densenet(d):
    depth = d.ConsumeIntInRange(1, 3)
    widths = [d.ConsumeIntInRange(1, 6) for _ in range(depth + 1)]
    W = [_array(d, (widths[i + 1], widths[i])) for i in range(depth)]
    b = [_array(d, (widths[i + 1],)) for i in range(depth)]
    acts = [["relu", "sigmoid", "heaviside", "identity", "tanh", None][d.ConsumeIntInRange(0, 5)]
            for _ in range(depth - 1)]
    net = DenseNet(W, b, activation=acts, dtype=[np.float32, np.float64][d.ConsumeIntInRange(0, 1)])
    x = _array(d, (d.ConsumeIntInRange(0, 4), widths[0]))
    y = net(x)
    assert y.shape == (x.shape[0], widths[-1])
    rule = ["epsilon", "zplus", "alphabeta", "other"][d.ConsumeIntInRange(0, 3)]
    kw = {"epsilon": _float(d)} if d.ConsumeBool() else {}
    if rule == "alphabeta" and d.ConsumeBool():
        kw["alpha"] = _float(d)
    net.relevance(x, rule=rule, **kw)


def _write(name, data):
    p = os.path.join(TMP, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def _valid_npy(d):
    a = _array(d, (d.ConsumeIntInRange(0, 5), d.ConsumeIntInRange(0, 5)))
    buf = io.BytesIO()
    np.save(buf, a.astype([np.float64, np.float32, np.int16, np.complex64][d.ConsumeIntInRange(0, 3)]))
    return bytearray(buf.getvalue())


def _mutate(d, data: bytearray):
    for _ in range(d.ConsumeIntInRange(0, 6)):
        if not data:
            break
        i = d.ConsumeIntInRange(0, len(data) - 1)
        op = d.ConsumeIntInRange(0, 2)
        if op == 0:
            data[i] = d.ConsumeIntInRange(0, 255)
        elif op == 1:
            del data[i:]
        else:
            data[i:i] = d.ConsumeBytes(4)
    return bytes(data)


def t_npy_reader(d):
    data = _mutate(d, _valid_npy(d)) if d.ConsumeBool() else d.ConsumeBytes(200)
    p = _write("x.npy", data)
    try:
        a = cli._load_image(cli.Path(p))
    except cli.CLIError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(a, np.ndarray) and a.size and np.all(np.isfinite(a))


PNG = None


def t_png_reader(d):
    global PNG
    if PNG is None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        plt.imsave(buf, np.linspace(0, 1, 64).reshape(8, 8), format="png")
        PNG = buf.getvalue()
    data = _mutate(d, bytearray(PNG)) if d.ConsumeBool() else d.ConsumeBytes(100)
    p = _write("x.png", data)
    try:
        cli._load_image(cli.Path(p))
    except cli.CLIError as e:
        assert str(e) and "\n" not in str(e)


def t_densenet_load(d):
    net = DenseNet([np.ones((2, 2))], [np.zeros(2)])
    p = os.path.join(TMP, "net.npz")
    net.save(p)
    with open(p, "rb") as f:
        data = bytearray(f.read())
    _write("net.npz", _mutate(d, data) if d.ConsumeBool() else d.ConsumeBytes(300))
    DenseNet.load(p)


def t_operators(d):
    shape = tuple(d.ConsumeIntInRange(1, 4) for _ in range(d.ConsumeIntInRange(1, 2)))
    kind = d.ConsumeIntInRange(0, 3)
    op = [lambda: Identity(shape), lambda: Diagonal(_array(d, shape)),
          lambda: Gradient2D(shape), lambda: MatrixOperator(_array(d, (3,) + shape[:1]))][kind]()
    other = tuple(d.ConsumeIntInRange(0, 4) for _ in range(d.ConsumeIntInRange(0, 3)))
    x = _array(d, other)
    op.forward(x)


def t_phantoms(d):
    k = d.ConsumeIntInRange(0, 2)
    if k == 0:
        phantoms.cartoon((d.ConsumeIntInRange(1, 40), _int(d)), seed=_int(d), n_regions=_int(d))
    elif k == 1:
        phantoms.ellipse_image([[_float(d) for _ in range(6)] for _ in range(d.ConsumeIntInRange(0, 3))],
                               (d.ConsumeIntInRange(1, 30), d.ConsumeIntInRange(1, 30)), oversample=_int(d))
    else:
        phantoms.ellipse_sinogram([[_float(d) for _ in range(6)]], [_float(d)], _int(d), det_spacing=_float(d))


def t_raw_bindings(d):
    """The bindings without the Python layer: may refuse (C++ invalid_argument -> ValueError,
    pybind11's TypeError for arguments it cannot convert) but must never crash."""
    k = d.ConsumeIntInRange(0, 2)
    if k == 0:
        cls = [_core.Radon2D_f32, _core.Radon2D_f64][d.ConsumeIntInRange(0, 1)]
        rows, cols = d.ConsumeIntInRange(-2, 40), d.ConsumeIntInRange(-2, 40)
        if d.ConsumeIntInRange(0, 9) == 0:
            rows = d.ConsumeIntInRange(-2**31, 2**31 - 1)
        r = cls(rows, cols, d.ConsumeIntInRange(-2, 60), _float(d), d.ConsumeBool(), d.ConsumeBool(),
                _float(d), _float(d), np.array([_float(d) for _ in range(d.ConsumeIntInRange(0, 4))], dtype=float))
        if 0 < rows * cols < 10**4:
            x = _array(d, (1, rows, cols))
            r.forward(x, d.ConsumeIntInRange(0, 4))
    elif k == 1:
        cls = [_core.DenseNet_f32, _core.DenseNet_f64][d.ConsumeIntInRange(0, 1)]
        n_in, n_out = d.ConsumeIntInRange(0, 4), d.ConsumeIntInRange(0, 4)
        net = cls([_array(d, (n_out, n_in))], [_array(d, (n_out,))], [], _float(d))
        net.forward(_array(d, (d.ConsumeIntInRange(0, 3), n_in)), d.ConsumeIntInRange(0, 3))
    else:
        _core.rfft2(_array(d, (d.ConsumeIntInRange(1, 3), d.ConsumeIntInRange(1, 9), d.ConsumeIntInRange(1, 9))), 1)


TARGETS = [t_radon, t_shearlet, t_densenet, t_npy_reader, t_png_reader, t_densenet_load, t_operators,
           t_phantoms, t_raw_bindings]


def one_input(data):
    d = Data(data)  # the same decoding under atheris and hypothesis (atheris guides the bytes)
    COUNT["inputs"] += 1
    if COUNT["inputs"] % 10000 == 0:
        print(f"fastshear fuzz: {COUNT}", file=sys.stderr, flush=True)
    target = TARGETS[d.ConsumeIntInRange(0, len(TARGETS) - 1)]
    try:
        target(d)
        COUNT["ok"] += 1
    except ALLOWED as e:
        if not str(e):
            raise AssertionError(f"{target.__name__}: {type(e).__name__} without a message") from e
        COUNT["refused"] += 1
    except FileNotFoundError:
        COUNT["refused"] += 1
    except RuntimeError as e:  # pybind11 maps unknown C++ exceptions to RuntimeError: a finding
        raise AssertionError(f"{target.__name__}: RuntimeError from the core: {e}") from e


def main():
    import warnings

    warnings.simplefilter("ignore")  # float32 overflow of a huge float64 input is IEEE's inf
    if len(sys.argv) > 1 and sys.argv[1] == "--hypothesis":
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000

        @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(st.binary(max_size=512))
        def run(data):
            one_input(data)

        run()
        print(f"fastshear fuzz (hypothesis): {COUNT}")
        return
    import atheris

    # coverage of fastshear's Python code guides the bytes (instrumenting numpy too, with
    # atheris.instrument_all, is ten times slower to start and three times slower per input)
    import importlib

    for name in ("_validation", "_shearlab", "shearlet", "shearlet3d", "radon", "operators", "phantoms",
                 "nn", "cli"):
        mod = importlib.import_module(f"fastshear.{name}")
        for obj in list(vars(mod).values()):
            if callable(obj) and getattr(obj, "__module__", None) == mod.__name__:
                try:
                    if isinstance(obj, type):
                        for attr in vars(obj).values():
                            fn = getattr(attr, "__func__", attr)
                            if hasattr(fn, "__code__"):
                                atheris.instrument_func(fn)
                    elif hasattr(obj, "__code__"):
                        atheris.instrument_func(obj)
                except Exception:
                    pass
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
