"""Before/after timing of two builds of fastshear (two virtual environments), interleaved.

On a shared machine, two benchmark runs one after the other can land in a quiet and a busy spell.
Here each round runs every case once with each build, in turn, in a fresh process (same cases,
same inputs, same thread count), and the table reports per case the median over rounds of each
build's per-call time (each round: the median of `reps` timed calls after a warm-up) and the
ratio after / before (< 1: the second build is faster).

    .venv/bin/python bench/ab_builds.py /work/main/.venv/bin/python .venv/bin/python \
        [--rounds 5] [--threads 1] [--clock wall|cpu] [--cases shearlet2d,radon,...]
"""
import argparse
import json
import os
import statistics
import subprocess
import time


def _cases(threads):
    import warnings

    import numpy as np

    import fastshear
    from fastshear import _testing

    warnings.filterwarnings("ignore", category=fastshear.ShearletFallbackWarning)
    rng = np.random.default_rng(0)
    w = threads
    out = {}

    def plan_case(key, make, reps):
        def setup():
            p = make()
            x = rng.standard_normal(p.in_shape).astype(p.dtype)
            y = p.forward(x)
            return p, x, y
        out[key] = (setup, reps)

    for n, s in ((512, 4), (256, 3)):
        for dt in ("float64", "float32"):
            plan_case(f"shearlet2d {n} s{s} {dt}",
                      lambda n=n, s=s, dt=dt: fastshear.Shearlet2D((n, n), s, dtype=dt, workers=w), 5)
    for dt in ("float64", "float32"):  # complex spectra (a fallback configuration)
        plan_case(f"shearlet2d 150x90 s3 complex {dt}",
                  lambda dt=dt: fastshear.Shearlet2D((150, 90), 3, dtype=dt, workers=w), 20)
    for dt in ("float64", "float32"):
        plan_case(f"shearlet3d 64 s2 {dt}",
                  lambda dt=dt: fastshear.Shearlet3D((64, 64, 64), 2, dtype=dt, workers=w), 3)
    theta = np.linspace(0, 180, 180, endpoint=False)
    for dt in ("float32", "float64"):
        plan_case(f"radon 256x180 {dt}", lambda dt=dt: fastshear.Radon2D((256, 256), theta, dtype=dt, workers=w), 10)
    limited = np.linspace(-60, 60, 121)  # the CT solver's limited-angle case
    for dt in ("float32", "float64"):
        plan_case(f"radon 256 [-60,60] {dt}",
                  lambda dt=dt: fastshear.Radon2D((256, 256), limited, dtype=dt, workers=w), 50)
    plan_case("radon fan 256x360 float32",
              lambda: fastshear.Radon2D((256, 256), np.linspace(0, 360, 360, endpoint=False), geometry="fan",
                                        source_distance=512.0, detector_distance=256.0, det_spacing=1.5,
                                        dtype="float32", workers=w), 10)

    def portable():
        R = fastshear.Radon2D((256, 256), theta, dtype="float32", workers=w)
        _testing.set_radon_kernel(R, "portable")
        x = rng.standard_normal(R.in_shape).astype(R.dtype)
        return R, x, R.forward(x)
    out["radon 256x180 float32 portable"] = (portable, 10)

    for batch in (1, 64):
        def dense(batch=batch):
            ws = [16] + [256] * 4 + [16]
            W = [(rng.standard_normal((ws[i + 1], ws[i])) / 16).astype(np.float32) for i in range(len(ws) - 1)]
            b = [rng.standard_normal(ws[i + 1]).astype(np.float32) for i in range(len(ws) - 1)]
            net = fastshear.DenseNet(W, b)
            x = rng.standard_normal((batch, 16)).astype(np.float32)
            return net, x, None
        out[f"dense 16-256x4-16 batch {batch}"] = (dense, 2000 if batch == 1 else 300)
    return out


def _child(threads, names, clock):
    cases = _cases(threads)
    now = time.process_time if clock == "cpu" else time.perf_counter
    res = {}
    for name in names:
        setup, reps = cases[name]
        p, x, y = setup()
        calls = []
        if y is None:  # a dense network: forward only
            calls.append(("forward", lambda: p(x, workers=threads)))
        else:
            calls.append(("forward", lambda: p.forward(x)))
            calls.append(("adjoint", lambda: p.adjoint(y)))
        for what, f in calls:
            f()
            t = []
            for _ in range(reps):
                t0 = now()
                f()
                t.append(now() - t0)
            res[f"{name} {what}"] = statistics.median(t)
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cases", default="", help="comma-separated prefixes of case names (default: all)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: the process's CPU time (time slices lost to other processes do not count; "
                         "meaningful with --threads 1)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--names", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return _child(a.threads, a.names.split("|"), a.clock)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    names = list(_cases(a.threads))
    if a.cases:
        names = [n for n in names if any(n.startswith(c) for c in a.cases.split(","))]
    times = {"before": {}, "after": {}}
    for r in range(a.rounds):
        for which, py in (("before", a.before), ("after", a.after)) if r % 2 == 0 else \
                (("after", a.after), ("before", a.before)):
            # the package of each interpreter, never this checkout's python/ directory
            out = subprocess.run([os.path.abspath(py), os.path.abspath(__file__), "x", "x", "--child", "--threads", str(a.threads),
                                  "--names", "|".join(names), "--clock", a.clock], env=env, cwd="/", capture_output=True, text=True,
                                 check=True).stdout
            for k, v in json.loads(out).items():
                times[which].setdefault(k, []).append(v)
    print(f"threads {a.threads}, {a.rounds} rounds (order alternating), {a.clock} clock, medians in ms")
    print("| case | before | after | after/before |\n|---|---:|---:|---:|")
    for k in times["before"]:
        b, f = statistics.median(times["before"][k]), statistics.median(times["after"][k])
        print(f"| {k} | {b * 1e3:.3f} | {f * 1e3:.3f} | {f / b:.3f} |")


if __name__ == "__main__":
    main()
