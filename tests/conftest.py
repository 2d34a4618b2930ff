"""Shared by both halves of the suite: tests/engine/ (the transforms' numerics: exactness,
adjointness, ShearLab agreement, the engine's kernels and code paths) and tests/api/ (the API
around them: validation, names, the plan protocol, operators, solvers, applications, CLI,
adapters, docstrings, packaging). pytest loads this file for either directory (and puts tests/ on
sys.path), so test modules import its helpers as ``from conftest import orthogonal``."""
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def spec_dir() -> Path | None:
    """The ShearLab reference data: the compact set the repository carries (tests/data/spec: the
    golden tables, the 512 x 512 probes, two small fallback systems and a 3D case reduced to its
    probes; scripts/make_test_reference.py makes it), or the full set where $FASTSHEAR_SPEC names
    it. Nothing outside the repository is read unless asked for, so every clone runs the same
    tests."""
    env = os.environ.get("FASTSHEAR_SPEC")
    for p in ([Path(env)] if env else []) + [ROOT / "tests" / "data" / "spec"]:
        if p.is_dir():
            return p
    return None


@pytest.fixture(scope="session")
def spec():
    d = spec_dir()
    if d is None:
        if os.environ.get("CI"):
            pytest.fail("the reference data (tests/data/spec) is missing on CI")
        pytest.skip("reference data tests/data/spec not found (or set FASTSHEAR_SPEC)")
    return d


def orthogonal(n, seed):
    """A random n x n orthogonal matrix (QR of a Gaussian one)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q
