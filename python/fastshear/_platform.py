"""What this installation of fastshear is made of: the native libraries the process has loaded
(the compiled core, FFTW, the OpenMP runtime; from a binary wheel they lie in ``fastshear.libs/``
or ``fastshear/.dylibs/``), the FFTW version, and the CPU features and kernels the core's
run-time dispatch chose. Used by ``fastshear info`` and by scripts/wheel.sh."""
from __future__ import annotations

import os
import sys

# substrings of the native libraries worth reporting
_NATIVE = ("fastshear", "fftw", "gomp", "libomp", "libiomp")


def loaded_libraries() -> list[str]:
    """Paths of fastshear's native libraries loaded in this process (core, FFTW, OpenMP).

    Linux: from ``/proc/self/maps``; macOS: from the dynamic loader's image list; elsewhere an
    empty list.
    """
    paths: list[str] = []
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as f:
                for line in f:
                    parts = line.split(None, 5)
                    if len(parts) == 6 and parts[5].startswith("/"):
                        paths.append(parts[5].strip())
        except OSError:
            return []
    elif sys.platform == "darwin":
        import ctypes

        dyld = ctypes.CDLL(None)
        dyld._dyld_image_count.restype = ctypes.c_uint32
        dyld._dyld_get_image_name.restype = ctypes.c_char_p
        dyld._dyld_get_image_name.argtypes = [ctypes.c_uint32]
        paths = [dyld._dyld_get_image_name(i).decode() for i in range(dyld._dyld_image_count())]
    seen: dict[str, None] = {}
    for p in paths:
        base = os.path.basename(p).lower()
        parent = os.path.dirname(p)
        bundled = os.path.basename(parent) == "fastshear.libs" or parent.endswith(os.path.join("fastshear", ".dylibs"))
        core = base.startswith("_core.") and os.path.basename(parent) == "fastshear"
        if bundled or core or any(k in base for k in _NATIVE[1:]):
            if base.endswith((".so", ".dylib", ".pyd")) or ".so." in base:
                seen.setdefault(p, None)
    return list(seen)


def info() -> dict:
    """The build and run-time facts that ``fastshear info`` prints.

    Returns a dict with ``version``, ``fftw_version`` (double), ``fftwf_version`` (float),
    ``arch``, ``cpu_features`` (list of (name, present)), ``kernels`` (list of (family, chosen)),
    ``threads`` (OpenMP's default) and ``libraries`` (loaded native library paths).
    """
    from . import __version__, _core

    d = dict(_core.build_info())
    d["version"] = __version__
    d["threads"] = _core.default_threads()
    d["libraries"] = loaded_libraries()
    return d
