import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def spec_dir() -> Path | None:
    """The shared specification folder (../shared/spec beside the checkout, or $FASTSHEAR_SPEC)."""
    env = os.environ.get("FASTSHEAR_SPEC")
    for p in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "spec", ROOT / "shared" / "spec"]:
        if p.is_dir():
            return p
    return None


@pytest.fixture(scope="session")
def spec():
    d = spec_dir()
    if d is None:
        if os.environ.get("CI"):
            pytest.fail("the reference data (../shared/spec) is missing on CI")
        pytest.skip("reference data ../shared/spec not found (set FASTSHEAR_SPEC)")
    return d
