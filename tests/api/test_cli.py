import subprocess
import sys

import numpy as np

import fastshear
from fastshear import cli


def test_demo_limited_angle_ct(tmp_path, capsys):
    import json

    rc = cli.main(["demo", "-o", str(tmp_path), "--size", "96", "--scales", "2", "--iterations", "15",
                   "--step", "3", "-q"])
    assert rc == 0
    out = capsys.readouterr().out
    for word in ("FBP", "TV", "shearlet-l1", "PSNR", "SSIM"):
        assert word in out
    assert (tmp_path / "limited_angle_ct.png").stat().st_size > 1000
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert set(report["metrics"]) == {"fbp", "tv", "shearlet-l1"}
    assert report["theta"]["count"] == 41 and 0 < report["visible_shearlets"] < report["shearlets"]
    assert np.load(tmp_path / "shearlet-l1.npy").shape == (96, 96)


def test_reconstruct_command(tmp_path, capsys):
    theta = np.arange(-45, 46, 5.0)
    x = fastshear.phantoms.shepp_logan((80, 80))
    np.save(tmp_path / "sino.npy", fastshear.Radon2D((80, 80), theta).forward(x))
    rc = cli.main(["reconstruct", str(tmp_path / "sino.npy"), "--theta", "-45:45:5", "--shape", "80,80",
                   "--method", "tv", "--iterations", "20", "-o", str(tmp_path / "rec"), "-q"])
    assert rc == 0
    assert "tv: 20 epochs" in capsys.readouterr().out  # TV runs SPDHG, whose steps are epochs
    assert np.load(tmp_path / "rec.npy").shape == (80, 80)
    assert (tmp_path / "rec.png").stat().st_size > 500


def _one_line_error(args, *needles):
    r = subprocess.run([sys.executable, "-m", "fastshear"] + args, capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


def test_reconstruct_errors_are_one_line(tmp_path):
    np.save(tmp_path / "s.npy", np.zeros((19, 80)))
    base = ["reconstruct", str(tmp_path / "s.npy"), "--shape", "80,80", "-o", str(tmp_path / "o")]
    _one_line_error(["reconstruct", str(tmp_path / "nope.npy"), "--theta=0:10:1", "--shape", "8,8", "-o", "x"],
                    "no such file")
    _one_line_error(base + ["--theta", "-45:45:1"], "91 angles", "19 rows")
    _one_line_error(base + ["--theta", "0:90:5", "--method", "magic"], "invalid choice")
    _one_line_error(base + ["--theta", "a:b"], "START:STOP:STEP")
    _one_line_error(base + ["--theta", "0:90:5", "--shape", "80"], "N,M")
    np.save(tmp_path / "v.npy", np.zeros(10))
    _one_line_error(["reconstruct", str(tmp_path / "v.npy"), "--theta=0:9:1", "--shape", "8,8", "-o", "x"],
                    "2D sinogram")


def test_denoise_command(tmp_path):
    img = fastshear.phantoms.cartoon((80, 80)) + 0.05 * np.random.default_rng(0).standard_normal((80, 80))
    np.save(tmp_path / "img.npy", img)
    rc = cli.main(["denoise", str(tmp_path / "img.npy"), "-o", str(tmp_path / "out"), "--noise-level", "0.05",
                   "--scales", "2"])
    assert rc == 0
    out = np.load(tmp_path / "out.npy")
    assert out.shape == (80, 80)
    np.testing.assert_array_equal(out, fastshear.shearlet_denoise(img, 0.05, scales=2))
    # --sigma: the old name of --noise-level, still accepted
    rc = cli.main(["denoise", str(tmp_path / "img.npy"), "-o", str(tmp_path / "old"), "--sigma", "0.05",
                   "--scales", "2"])
    assert rc == 0
    np.testing.assert_array_equal(np.load(tmp_path / "old.npy"), out)


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


def test_denoise_command_volume(tmp_path, capsys):
    clean = fastshear.phantoms.cartoon3d((36, 34, 40), seed=1)
    noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    np.save(tmp_path / "vol.npy", noisy)
    rc = cli.main(["denoise", str(tmp_path / "vol.npy"), "-o", str(tmp_path / "den"), "--sigma", "0.1",
                   "--scales", "1"])
    assert rc == 0
    assert "36x34x40 volume" in capsys.readouterr().out
    den = np.load(tmp_path / "den.npy")
    assert den.shape == clean.shape
    assert np.linalg.norm(den - clean) < np.linalg.norm(noisy - clean)
    assert (tmp_path / "den.png").stat().st_size > 1000


def test_denoise_command_volume_too_small(tmp_path, capsys):
    np.save(tmp_path / "v.npy", np.zeros((20, 40, 40)))
    rc = cli.main(["denoise", str(tmp_path / "v.npy"), "-o", str(tmp_path / "o"), "--sigma", "1"])
    assert rc == 2
    assert "33x33x33" in capsys.readouterr().err
    np.save(tmp_path / "v4.npy", np.zeros((4, 40, 40, 40)))
    assert cli.main(["denoise", str(tmp_path / "v4.npy"), "-o", str(tmp_path / "o"), "--sigma", "1"]) == 2
