"""The Examples in the public docstrings run and give what they show.

Examples that import an optional dependency (torch) are skipped, not failed, when it is absent;
a module whose examples all need it is reported as skipped.
"""
import doctest
import importlib
import importlib.util
import re

import pytest

MODULES = ["fastshear.shearlet", "fastshear.shearlet3d", "fastshear.phantoms", "fastshear.radon", "fastshear.nn",
           "fastshear.pde", "fastshear.lti", "fastshear.solvers", "fastshear.ct"]
_IMPORTORSKIP = re.compile(r"importorskip\(\s*['\"]([\w.]+)['\"]")
OPTIONAL = ("torch",)


def _available(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _needs_missing(test: doctest.DocTest) -> str | None:
    """The optional module this example imports and this environment lacks, if any."""
    for ex in test.examples:
        for name in _IMPORTORSKIP.findall(ex.source):
            if not _available(name):
                return name
        for name in OPTIONAL:
            src = ex.source
            if (f"import {name}" in src or f"from {name}" in src or f"fastshear.{name}" in src) \
                    and not _available(name):
                return name
    return None


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(mod) if t.examples]
    assert tests, f"{name} has no examples"
    skipped = []
    for t in tests:
        missing = _needs_missing(t)
        if missing:
            skipped.append(f"{t.name} (needs {missing})")
            continue
        runner.run(t)
    result = runner.summarize(verbose=False)
    if result.attempted == 0:
        pytest.skip(f"every example of {name} needs an absent optional dependency: {skipped}")
    assert result.failed == 0
