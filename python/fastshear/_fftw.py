"""FFTW plan wisdom kept between processes (one place for every subsystem that plans FFTs).

FFTW measures candidate algorithms when it plans a size for the first time (FFTW_MEASURE), which
takes a fraction of a second per size. fastshear stores these measurements ("wisdom") in
``$FASTSHEAR_CACHE_DIR`` (default ``~/.cache/fastshear``) so later processes plan known sizes at
once. Set ``FASTSHEAR_WISDOM=0`` to neither read nor write the files.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import _core

_state = {"loaded": False, "saved_at": 0}


def _enabled() -> bool:
    return os.environ.get("FASTSHEAR_WISDOM", "1") != "0"


def cache_dir() -> Path:
    d = os.environ.get("FASTSHEAR_CACHE_DIR")
    return Path(d) if d else Path.home() / ".cache" / "fastshear"


def _paths(d: Path):
    return d / "fftw_wisdom_f64", d / "fftw_wisdom_f32"


def load() -> None:
    """Read stored wisdom once per process (missing or unreadable files are ignored)."""
    if _state["loaded"] or not _enabled():
        return
    _state["loaded"] = True
    pd, pf = _paths(cache_dir())
    if pd.exists() and pf.exists():
        _core.import_wisdom(str(pd), str(pf))
    _state["saved_at"] = _core.plans_created()


def save_if_new() -> None:
    """Store wisdom when this process made plans since the last save; never raises."""
    if not _enabled() or _core.plans_created() == _state["saved_at"]:
        return
    _state["saved_at"] = _core.plans_created()
    try:
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        pd, pf = _paths(d)
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            td, tf = Path(tmp) / pd.name, Path(tmp) / pf.name
            if _core.export_wisdom(str(td), str(tf)):
                os.replace(td, pd)
                os.replace(tf, pf)
    except OSError:
        pass
