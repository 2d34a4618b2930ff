"""The Examples in the public docstrings run and give what they show."""
import doctest
import importlib
import importlib.util
import re

import pytest

MODULES = ["fastshear.shearlet", "fastshear.shearlet3d", "fastshear.phantoms", "fastshear.radon", "fastshear.nn",
           "fastshear.pde", "fastshear.lti"]

_OPTIONAL = re.compile(r"importorskip\(\s*['\"]([\w.]+)['\"]")


def _missing_optional(test: doctest.DocTest) -> list[str]:
    """Optional modules a docstring asks for with pytest.importorskip that are not installed
    (the skip exception would otherwise count as a failed example)."""
    names = {m for ex in test.examples for m in _OPTIONAL.findall(ex.source)}
    return sorted(n for n in names if importlib.util.find_spec(n.split(".")[0]) is None)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    skipped = []
    for test in finder.find(mod, name, globs=vars(mod).copy()):
        if _missing_optional(test):
            skipped.append(test.name)
            continue
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
