"""Packaging facts the wheels rely on: the stub of fastshear._core matches the module, one
version source, and `fastshear info` reports what the core loaded and chose."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

import fastshear
from fastshear import _core, _platform, _testing, cli

ROOT = Path(__file__).resolve().parents[2]


def test_core_stub_matches_the_module():
    stub = Path(fastshear.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    in_stub = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    in_module = {n for n in dir(_core) if not n.startswith("_")}
    assert in_stub == in_module, "regenerate python/fastshear/_core.pyi (RELEASING.md)"


def test_one_version_source():
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("run from a copy of tests/ (installed wheel): no pyproject.toml")
    import tomllib

    project = tomllib.loads(pyproject.read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    parts = fastshear.__version__.split(".")
    assert len(parts) >= 3 and all(p.isdigit() for p in parts[:3])


def test_build_info_reports_fftw_features_and_kernels():
    d = _platform.info()
    assert d["fftw_version"].startswith("fftw-3.") and d["fftwf_version"].startswith("fftw-3.")
    assert d["version"] == fastshear.__version__ and d["threads"] >= 1
    features = dict(d["cpu_features"])
    kernels = dict(d["kernels"])
    assert set(kernels) >= {"dense", "radon"}
    if d["arch"] == "x86_64":
        assert set(features) == {"sse2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512dq"}
        assert features["sse2"]
        avx2 = features["avx2"] and features["fma"]
        want = "avx512" if avx2 and features["avx512f"] and features["avx512vl"] and features["avx512dq"] else (
            "avx2" if avx2 else "generic")
        assert kernels["isa"] == want == _testing.isa_detected() == _testing.isa_level()
        assert kernels["dense"] == kernels["complex"] == want
        assert kernels["radon"] == ("avx512f" if want == "avx512" else "scalar")
        # every family reports from the one query: capped, each reports the narrower choice
        with _testing.isa("generic"):
            capped = dict(_core.build_info()["kernels"])
        assert capped == {**kernels, "isa": "generic", "dense": "generic", "complex": "generic",
                          "shearlet2d pair tiles": "scalar", "radon": "scalar"}
    else:
        assert kernels["dense"] == kernels["isa"] == "generic" and features == {}


def test_loaded_libraries_include_the_core_and_fftw():
    if not sys.platform.startswith(("linux", "darwin")):
        pytest.skip("loaded libraries are reported on Linux and macOS")
    libs = _platform.loaded_libraries()
    assert any(Path(p).name.startswith("_core") for p in libs), libs
    assert any("fftw3f" in Path(p).name for p in libs) and any("fftw3" in Path(p).name for p in libs), libs


def test_info_command_shows_the_chosen_dense_kernel(capsys):
    out = subprocess.run([sys.executable, "-m", "fastshear", "info"], capture_output=True, text=True,
                         check=True).stdout
    assert f"dense: {_testing.isa_detected()}" in out
    with _testing.isa("generic"):
        assert cli.main(["info"]) == 0
    assert "dense: generic" in capsys.readouterr().out
    assert f"FFTW: {_core.build_info()['fftw_version']}" in out
    assert "_core" in out or not sys.platform.startswith(("linux", "darwin"))
