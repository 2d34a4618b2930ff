"""The Examples in the docstrings of every fastshear module run and give what they show.

The modules are found, not listed: a new module's examples run without editing this file.
A module that needs an absent optional dependency (``fastshear.torch`` without PyTorch,
``fastshear.dask`` without dask) is skipped, not failed; so is a single example that imports
one. Public modules must have examples (the command-line module and ``__main__`` excepted).
"""
import doctest
import importlib
import importlib.util
import pkgutil
import re
import sys

import pytest

import fastshear

#: Optional dependencies: a module or example that needs one of them is skipped where it is absent.
OPTIONAL = ("torch", "dask", "distributed", "ptwt", "pywt", "scipy", "matplotlib", "skimage", "zennit")
#: Public modules without examples (the command line is tested through tests/api/test_cli.py).
NO_EXAMPLES = ("fastshear.cli",)

MODULES = sorted(f"fastshear.{m.name}" for m in pkgutil.iter_modules(fastshear.__path__)
                 if m.name != "__main__")  # importing __main__ would run the command line
_IMPORTORSKIP = re.compile(r"importorskip\(\s*['\"]([\w.]+)['\"]")


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
            if re.search(rf"\b(import {name}\b|from {name}\b|fastshear\.{name}\b)", src) \
                    and not _available(name):
                return name
    return None


def import_module(name: str):
    """The module, or pytest.skip when importing it fails for an absent optional dependency."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        err = e
        while err is not None:  # fastshear.torch re-raises with an install hint: look at the cause
            missing = (getattr(err, "name", None) or "").split(".")[0]
            if missing in OPTIONAL:
                pytest.skip(f"{name} needs {missing}, which is not installed")
            err = err.__cause__
        raise


def test_modules_found():
    for name in ("fastshear.shearlet2d", "fastshear.radon", "fastshear.operators", "fastshear.solvers",
                 "fastshear.ct", "fastshear.dask", "fastshear.torch", "fastshear._plan"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(mod) if t.examples]
    if not tests:
        private = name.rsplit(".", 1)[1].startswith("_")
        assert private or name in NO_EXAMPLES, f"{name} has no examples"
        return
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


@pytest.mark.parametrize("dep, module", [("torch", "fastshear.torch"), ("dask", "fastshear.dask")])
def test_optional_modules_skip_cleanly_without_their_dependency(monkeypatch, dep, module):
    # sys.modules[name] = None makes `import name` raise ImportError, as if it were not installed
    for key in [k for k in sys.modules if k == dep or k.startswith(dep + ".") or k == module]:
        monkeypatch.delitem(sys.modules, key)
    monkeypatch.setitem(sys.modules, dep, None)
    with pytest.raises(pytest.skip.Exception, match=f"needs {dep}"):
        import_module(module)
    assert not _available(dep)
    example = doctest.DocTestParser().get_doctest(f">>> import {dep}\n", {}, "x", None, 0)
    assert _needs_missing(example) == dep
