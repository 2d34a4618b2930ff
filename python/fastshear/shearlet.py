"""Deprecated name of :mod:`fastshear.shearlet2d` (renamed so that the 2D module, class and C++
file share one name); importing from here warns and will stop working in the next release.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     from fastshear.shearlet import Shearlet2D
>>> Shearlet2D is __import__("fastshear").Shearlet2D, w[0].category.__name__
(True, 'DeprecationWarning')
"""
import warnings

from . import shearlet2d as _shearlet2d


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    warnings.warn("fastshear.shearlet is deprecated and will be removed in the next release; use "
                  "fastshear.shearlet2d (or fastshear.Shearlet2D)", DeprecationWarning, stacklevel=2)
    return getattr(_shearlet2d, name)
