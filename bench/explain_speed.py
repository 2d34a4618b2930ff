"""Time per ShearletX explanation, two versions of fastshear side by side in one run.

The CNN of examples/explain_orientation.py is trained once (seed 0) and saved; then every
variant (code version x model memory format x torch threads) explains the same batch of
validation images (seed 5000) with the paper's settings (300 steps, 16 samples, lr 0.1,
lambda_1 = 1, lambda_2 = 2) in its own fresh process, variants interleaved round after round;
the medians over the rounds are reported. The shearlet transforms use as many threads as torch.

    git archive <baseline commit> python | tar -x -C /tmp/base     # the old version
    cp python/fastshear/_core*.so /tmp/base/python/fastshear/     # its compiled module
    PYTHONPATH=python:examples nice -n 5 .venv/bin/python bench/explain_speed.py \\
        --baseline /tmp/base/python [--images 4] [--rounds 3] [--threads 1 2] [--json out.json]

Variants: the baseline with the model as it was (NCHW), this tree with the same NCHW model, and
this tree with the model in channels-last memory format (what examples/explain_orientation.py
now returns), each with every thread count given.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def worker(a):
    """One variant in this process: prints a JSON line with the seconds of the call."""
    sys.path.insert(0, a.pythonpath)
    sys.path.insert(1, str(ROOT / "examples"))
    import warnings

    import numpy as np
    import torch

    import fastshear
    import fastshear.explain
    import explain_orientation as eo

    assert pathlib.Path(fastshear.__file__).resolve().is_relative_to(pathlib.Path(a.pythonpath).resolve()), \
        fastshear.__file__
    warnings.simplefilter("ignore")
    torch.set_num_threads(a.threads)
    model = eo.make_model()
    model.load_state_dict(torch.load(a.model))
    model.eval()
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
    x, _, _ = fastshear.explain.oriented_bars(a.images, seed=a.val_seed, dtype=np.float32)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # its one-time lazy imports, outside the timing
    fastshear.explain.shearletx(model, x[:1], steps=2, samples=2, workers=a.threads)  # warm up
    t0 = time.perf_counter()
    r = fastshear.explain.shearletx(model, x, workers=a.threads)
    sec = time.perf_counter() - t0
    print(json.dumps(dict(seconds=sec, per_image=sec / a.images, retained=np.asarray(r.retained).tolist(),
                          l1_kept=np.asarray(r.l1_kept).tolist())))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default=None, help="the old version's python/ directory")
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val-seed", type=int, default=5000)
    ap.add_argument("--json", default=None)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--pythonpath", default=str(ROOT / "python"), help=argparse.SUPPRESS)
    ap.add_argument("--model", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--channels-last", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        a.threads = a.threads[0]
        return worker(a)
    if not a.baseline:
        ap.error("--baseline is required")

    import torch

    sys.path.insert(0, str(ROOT / "examples"))
    import explain_orientation as eo

    new = str(ROOT / "python")
    variants = {}
    for t in a.threads:
        variants[f"baseline, NCHW model, {t} thread(s)"] = (a.baseline, 0, t)
        variants[f"this tree, NCHW model, {t} thread(s)"] = (new, 0, t)
        variants[f"this tree, channels-last model, {t} thread(s)"] = (new, 1, t)
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "images": a.images, "rounds": a.rounds,
           "baseline": a.baseline, "load_before": os.getloadavg(), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        torch.set_num_threads(1)
        model, acc, sec = eo.train(a.seed, verbose=False, channels_last=False)
        path = os.path.join(tmp, "model.pt")
        torch.save(model.state_dict(), path)
        print(f"CNN trained in {sec:.1f} s, test accuracy {acc:.4f}; load average {os.getloadavg()}", flush=True)
        runs = {k: [] for k in variants}
        for r in range(a.rounds):
            for name, (pp, cl, t) in variants.items():
                cmd = [sys.executable, __file__, "--worker", "--pythonpath", pp, "--model", path,
                       "--channels-last", str(cl), "--threads", str(t), "--images", str(a.images),
                       "--val-seed", str(a.val_seed)]
                env = dict(os.environ, PYTHONPATH="")
                res = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if res.returncode:
                    raise RuntimeError(f"{name}: {res.stderr[-2000:]}")
                d = json.loads(res.stdout.strip().splitlines()[-1])
                runs[name].append(d)
                print(f"round {r + 1} {name}: {d['per_image']:.2f} s per image; load {os.getloadavg()[0]:.1f}",
                      flush=True)
    base = {t: statistics.median(d["per_image"] for d in runs[f"baseline, NCHW model, {t} thread(s)"])
            for t in a.threads}
    ref = base[a.threads[0]]
    print(f"\nmedian seconds per image (batch of {a.images}), {a.rounds} rounds:")
    for name, ds in runs.items():
        med = statistics.median(d["per_image"] for d in ds)
        t = variants[name][2]
        out["variants"][name] = dict(per_image=[d["per_image"] for d in ds], median=med, threads=t,
                                     retained=ds[-1]["retained"], l1_kept=ds[-1]["l1_kept"])
        print(f"{name:45s} {med:6.2f} s   x{ref / med:.2f} vs baseline at {a.threads[0]} thread(s)   "
              f"x{base[t] / med:.2f} vs baseline at {t}")
    out["load_after"] = os.getloadavg()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
