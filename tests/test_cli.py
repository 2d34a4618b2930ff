import subprocess
import sys

import numpy as np

import fastshear
from fastshear import cli


def test_demo_writes_figure_and_prints_psnr(tmp_path, capsys):
    rc = cli.main(["demo", "-o", str(tmp_path), "--size", "96", "--scales", "2"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "PSNR denoised" in out
    assert (tmp_path / "denoise.png").stat().st_size > 1000
    den = np.load(tmp_path / "denoised.npy")
    assert den.shape == (96, 96)


def test_denoise_command(tmp_path):
    img = fastshear.phantoms.cartoon((80, 80)) + 0.05 * np.random.default_rng(0).standard_normal((80, 80))
    np.save(tmp_path / "img.npy", img)
    rc = cli.main(["denoise", str(tmp_path / "img.npy"), "-o", str(tmp_path / "out"), "--sigma", "0.05",
                   "--scales", "2"])
    assert rc == 0
    assert np.load(tmp_path / "out.npy").shape == (80, 80)


def test_cli_errors_are_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "fastshear", "denoise", str(tmp_path / "missing.npy"),
                        "-o", str(tmp_path / "o"), "--sigma", "1"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no such file" in r.stderr
    np.save(tmp_path / "small.npy", np.zeros((20, 20)))
    r = subprocess.run([sys.executable, "-m", "fastshear", "denoise", str(tmp_path / "small.npy"),
                        "-o", str(tmp_path / "o"), "--sigma", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "at least" in r.stderr


def test_phantom_is_deterministic():
    a = fastshear.phantoms.cartoon((50, 70), seed=4)
    b = fastshear.phantoms.cartoon((50, 70), seed=4)
    c = fastshear.phantoms.cartoon((50, 70), seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() <= 1.0
