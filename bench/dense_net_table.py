"""Turn the JSON of bench_dense_net.py (--benchmark-json=FILE) into the tables of bench/RESULTS.md.

    .venv/bin/python bench/dense_net_table.py FILE
"""
import json
import re
import sys
from collections import defaultdict


def main(path):
    data = json.load(open(path))
    med = {(b["group"], b["name"]): b["stats"]["median"] * 1e6 for b in data["benchmarks"]}
    kern = {}
    for b in data["benchmarks"]:
        k = b.get("extra_info", {}).get("kernel")
        if k:
            kern[b["name"].rsplit(" ", 1)[0]] = k
    fmt = lambda v: "-" if v is None else (f"{v:.1f}" if v < 1000 else f"{v:.0f}")  # noqa: E731
    print("Microseconds per call (median), 1 thread || 2 threads; ratio = onnxruntime / fastshear.\n")
    print("| net | backend | B = 1 | B = 64 | B = 4096 |")
    print("|---|---|---|---|---|")
    nets = []
    for g, _ in med:
        m = re.match(r"(\S+) B=(\d+)$", g)
        if m and m.group(1) not in nets:
            nets.append(m.group(1))
    for net in nets:
        for be in ["fastshear", "onnxruntime", "torch", "ratio"]:
            cells = []
            for B in (1, 64, 4096):
                g = f"{net} B={B}"
                if be == "ratio":
                    vals = [None if None in (a, f) else a / f for a, f in
                            [(med.get((g, f"onnxruntime {t}t")), med.get((g, f"fastshear {t}t"))) for t in (1, 2)]]
                    cells.append(" || ".join("-" if v is None else f"{v:.2f}x" for v in vals))
                else:
                    cells.append(" || ".join(fmt(med.get((g, f"{be} {t}t"))) for t in (1, 2)))
            print(f"| {net if be == 'fastshear' else ''} | {be} | " + " | ".join(cells) + " |")
    other = defaultdict(list)
    for (g, n), v in med.items():
        if not re.match(r"\S+ B=\d+$", g):
            other[g].append((n, v))
    for g, rows in other.items():
        print(f"\n{g}:\n\n| benchmark | median us |\n|---|---|")
        for n, v in sorted(rows):
            print(f"| {n} | {fmt(v)} |")
    print("\nKernels:", "; ".join(f"{k}: {v}" for k, v in kern.items()))


if __name__ == "__main__":
    main(sys.argv[1])
