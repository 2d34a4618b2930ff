"""Peak extra memory of a transform call, relative to the size of its output.

Each measurement runs in a fresh subprocess: build the plan, run the call once (plans, caches),
reset the kernel's peak-RSS counter (/proc/self/clear_refs), run the call again and compare
VmHWM with the RSS before the call. Linux only.

    .venv/bin/python bench/memory.py                 # fastshear 2D (and pyShearLab if installed)
    .venv/bin/python bench/memory.py 2d 512 4 float32
"""
from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, sys, numpy as np

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise KeyError(key)

kind, n, scales, dtype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
x = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
if kind == '2d':
    import fastshear
    sh = fastshear.Shearlet2D((n, n), scales, dtype=dtype, workers=1)
    call = lambda: sh.forward(x)
elif kind == 'pyshearlab':
    import pyshearlab_mind as sl
    S = sl.SLgetShearletSystem2D(0, n, n, scales)
    call = lambda: sl.SLsheardec2D(x, S)
out = call(); nbytes = out.nbytes; del out
open('/proc/self/clear_refs', 'w').write('5')
before = status('VmRSS:')
out = call()
peak = status('VmHWM:')
print(json.dumps(dict(kind=kind, n=n, scales=scales, dtype=dtype, output_MB=nbytes / 2**20,
                      extra_MB=(peak - before) / 2**20, ratio=(peak - before) / nbytes)))
"""


def measure(kind, n, scales, dtype):
    r = subprocess.run([sys.executable, "-c", CHILD, kind, str(n), str(scales), dtype],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(measure(*sys.argv[1:2], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
        sys.exit()
    rows = []
    for n, s in [(256, 4), (512, 4)]:
        for dt in ("float64", "float32"):
            rows.append(measure("2d", n, s, dt))
        try:
            rows.append(measure("pyshearlab", n, s, "float64"))
        except subprocess.CalledProcessError:
            pass
    print("| call | n | scales | dtype | output MB | peak extra MB | extra / output |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['kind']} forward | {r['n']} | {r['scales']} | {r['dtype']} | {r['output_MB']:.0f} | "
              f"{r['extra_MB']:.0f} | {r['ratio']:.2f} |")
