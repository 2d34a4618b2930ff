#!/usr/bin/env python3
"""Make tests/data/spec, the compact ShearLab reference set the repository carries, from the
full reference set (114 MB, computed by ShearLab 3D v1.1's own code: how is told in
``shearlet2d_reference/README.md`` of that set, copied here as ``HOW_PRODUCED.md``).

The full set lives beside the checkout in ``../shared/spec`` (or ``$FASTSHEAR_SPEC``);
``tests/conftest.py`` uses it where it exists and the compact subset otherwise, so that the
ShearLab-agreement tests run, not skip, in a fresh clone and from an installed wheel's tests.

What the subset holds, and why (a few MB at most):

* ``shearlet2d_reference/golden_2d.json`` and ``shearlet3d_reference/golden_3d.json``: K, index
  tables, RMS, accepted and rejected sizes of many configurations (small, copied as they are);
* ``shearlet2d_reference/reference_2d_512x512_s4.npz``: probes (checksums and sampled values)
  of the 512 x 512, 4-scale system, the default configuration at a realistic size;
* ``reference_2d_64x64_s1.npz`` and ``reference_2d_75x75_s1.npz``: two small systems on
  ShearLab's fallback filters (configurations 7 and 3), in full;
* ``shearlet3d_reference/reference_3d_35x40x57_scales2_probes.npz``: the 3D case (odd,
  non-cubic, two scales, fallback filters per plane) reduced to its probes: everything of
  ``reference_3d_35x40x57_scales2.npz`` except the whole-volume spectra and coefficients of the
  selected bands and the 2D factor stacks (26 MB -> about 1 MB); the input volume, the dual
  frame weights, the RMS, index table and the per-band probes and checksums of spectra and
  coefficients are kept, which ``tests/engine/test_shearlet3d_reference.py`` checks as it checks the
  full file.

Usage::

    python scripts/make_test_reference.py            # (re)write tests/data/spec
    python scripts/make_test_reference.py --check    # verify tests/data/spec against the full set

``--check`` exits 1 when a file differs from what this script makes (or is missing) and
prints the sizes; it needs the full set.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "tests" / "data" / "spec"
BUDGET = 4 * 2**20  # bytes: the whole subset stays a few MB

#: Files copied byte for byte: destination -> source, relative to the spec folders.
COPIES = {
    "shearlet2d_reference/HOW_PRODUCED.md": "shearlet2d_reference/README.md",
    "shearlet2d_reference/golden_2d.json": "shearlet2d_reference/golden_2d.json",
    "shearlet2d_reference/reference_2d_512x512_s4.npz": "shearlet2d_reference/reference_2d_512x512_s4.npz",
    "shearlet2d_reference/reference_2d_64x64_s1.npz": "shearlet2d_reference/reference_2d_64x64_s1.npz",
    "shearlet2d_reference/reference_2d_75x75_s1.npz": "shearlet2d_reference/reference_2d_75x75_s1.npz",
    "shearlet3d_reference/golden_3d.json": "shearlet3d_reference/golden_3d.json",
}

#: Reduced files: destination -> (source, the arrays left out; the selection is emptied).
PROBES = {
    "shearlet3d_reference/reference_3d_35x40x57_scales2_probes.npz": (
        "shearlet3d_reference/reference_3d_35x40x57_scales2.npz",
        ("d1d2_re", "d1d2_im", "d1d3_re", "d1d3_im", "d3d2_re", "d3d2_im"),
    ),
}
#: Arrays of the selected bands (whole volumes), kept with an empty selection.
SELECTED = ("sel", "sel_rows", "spec_re_sel", "spec_im_sel", "coef_re_sel")


def source_dir() -> Path:
    env = os.environ.get("FASTSHEAR_SPEC")
    for p in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "spec"]:
        if (p / "shearlet2d_reference").is_dir():
            return p
    sys.exit("make_test_reference: the full reference set was not found in ../shared/spec "
             "(set FASTSHEAR_SPEC)")


def probe_arrays(src: Path, drop) -> dict:
    """The arrays of ``src`` without ``drop`` and with the selected-band volumes emptied."""
    with np.load(src) as d:
        out = {k: d[k] for k in d.files if k not in drop}
    for k in SELECTED:
        if k in out:
            a = out[k]
            axis = a.ndim - 1 if k not in ("sel", "sel_rows") else 0
            out[k] = np.take(a, np.arange(0), axis=axis)
    return out


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def same_arrays(path: Path, arrays: dict) -> bool:
    with np.load(path) as d:
        if sorted(d.files) != sorted(arrays):
            return False
        return all(d[k].dtype == v.dtype and d[k].shape == v.shape and np.array_equal(d[k], v)
                   for k, v in arrays.items())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify tests/data/spec, write nothing")
    args = ap.parse_args(argv)
    src = source_dir()
    bad = []
    for dest, s in COPIES.items():
        d = DEST / dest
        if args.check:
            if not d.exists() or sha(d) != sha(src / s):
                bad.append(dest)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / s, d)
    for dest, (s, drop) in PROBES.items():
        d = DEST / dest
        arrays = probe_arrays(src / s, drop)
        if args.check:
            if not d.exists() or not same_arrays(d, arrays):
                bad.append(dest)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            d.write_bytes(npz_bytes(arrays))
    total = 0
    for dest in list(COPIES) + list(PROBES):
        p = DEST / dest
        size = p.stat().st_size if p.exists() else 0
        total += size
        print(f"{size / 1e3:9.1f} kB  {dest}")
    print(f"{total / 1e6:9.2f} MB  in all (budget {BUDGET / 2**20:.0f} MiB)")
    extra = sorted(str(p.relative_to(DEST)) for p in DEST.rglob("*") if p.is_file()
                   and str(p.relative_to(DEST)) not in set(COPIES) | set(PROBES))
    if extra:
        print("not made by this script:", ", ".join(extra))
        bad += extra
    if total > BUDGET:
        print("over budget")
        return 1
    if bad:
        print("differs from the full set or missing:", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
