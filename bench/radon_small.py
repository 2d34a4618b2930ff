"""Per-call cost of Radon2D with few angles (stochastic PDHG over angle subsets) next to full-angle calls.

Parallel beam, circle=True, float32, one image (1, n, n); the limited-angle set theta = -60..60
step 1 degree (121 angles), and subsets of k of them spread over it (theta[1::121 // k][:k], as
the solver's theta[i::30]). Times per call, in microseconds, of the public `Radon2D.forward` /
`adjoint` ("api") and of the raw core plan `_plan.forward` / `_plan.adjoint` ("core"; the
difference is the Python layer's validation and reshapes).

Each round runs every case of a build once in a fresh process (the mean of --reps calls per
case, cases in turn), alternating the builds when --before is given (a directory put first on
PYTHONPATH, holding a copy of an older installed `fastshear` package); the table shows per case
the median over rounds. Threads: every value of --threads (OMP_NUM_THREADS of the workers).
--clock cpu: process CPU time instead of wall-clock time (steadier on a shared machine with one
thread; with two it counts both threads' time, spinning included).

    .venv/bin/python bench/radon_small.py [--before /tmp/old_pkg] [--rounds 9] [--reps 200] \
        [--threads 1,2] [--sizes 128,256] [--angles 1,2,4,8,121] [--clock wall|cpu]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _worker(sizes, angles, reps, clock):
    import numpy as np

    import fastshear

    theta = np.arange(-60, 61, 1.0)
    rng = np.random.default_rng(0)
    cases = []
    for n in sizes:
        x = rng.random((1, n, n)).astype(np.float32)
        for k in angles:
            t = theta if k >= len(theta) else theta[1::len(theta) // k][:k]
            R = fastshear.Radon2D((n, n), t, dtype=np.float32)
            y = R.forward(x)
            P = R._plan
            cases += [((n, k, "api", "forward"), R.forward, x), ((n, k, "api", "adjoint"), R.adjoint, y),
                      ((n, k, "core", "forward"), P.forward, x), ((n, k, "core", "adjoint"), P.adjoint, y)]
    for _, f, a in cases:  # warm-up
        for _ in range(5):
            f(a)
    out = {}
    now = time.process_time if clock == "cpu" else time.perf_counter
    for key, f, a in cases:
        s = now()
        for _ in range(reps):
            f(a)
        out[" ".join(map(str, key))] = (now() - s) / reps * 1e6
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default=None)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--sizes", default="128,256")
    ap.add_argument("--angles", default="1,2,4,8,121")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--worker", action="store_true")
    a = ap.parse_args()
    sizes = [int(v) for v in a.sizes.split(",")]
    angles = [int(v) for v in a.angles.split(",")]
    if a.worker:
        _worker(sizes, angles, a.reps, a.clock)
        return
    builds = {"after": None} if a.before is None else {"before": a.before, "after": None}
    res = {}
    for th in a.threads.split(","):
        for _ in range(a.rounds):
            for name, path in builds.items():
                env = dict(os.environ, OMP_NUM_THREADS=th)
                if path:
                    env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
                r = subprocess.run([sys.executable, __file__, "--worker", "--reps", str(a.reps), "--sizes", a.sizes,
                                    "--angles", a.angles, "--clock", a.clock], env=env, capture_output=True, text=True, check=True)
                for key, v in json.loads(r.stdout).items():
                    res.setdefault((th, key, name), []).append(v)
    names = list(builds)
    print(f"| threads | n | angles | layer | call | {' | '.join(f'{b} us' for b in names)}"
          + (" | after/before |" if len(names) == 2 else " |"))
    print("|---|---:|---:|---|---|" + "---:|" * (len(names) + (len(names) == 2)))
    for th in a.threads.split(","):
        keys = sorted({k for (t, k, _) in res if t == th},
                      key=lambda k: (int(k.split()[0]), int(k.split()[1]), k.split()[2], k.split()[3]))
        for key in keys:
            med = [statistics.median(res[(th, key, b)]) for b in names]
            row = f"| {th} | " + " | ".join(key.split()) + " | " + " | ".join(f"{m:.1f}" for m in med)
            print(row + (f" | {med[1] / med[0]:.3f} |" if len(med) == 2 else " |"))


if __name__ == "__main__":
    main()
