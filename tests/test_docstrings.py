"""The Examples in the public docstrings run and give what they show."""
import doctest
import importlib

import pytest

MODULES = ["fastshear.shearlet", "fastshear.shearlet3d", "fastshear.phantoms", "fastshear.radon", "fastshear.nn",
           "fastshear.pde", "fastshear.lti"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
