"""The recipe tools that decide what ships: paired DNSMOS differences (recipes/default_voice/paired.py)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "recipes/default_voice" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write(folder: Path, scores: np.ndarray, names):
    folder.mkdir()
    lines = [f"/x/{folder.name}/{n}\tOVRL {s[0]:.2f} SIG {s[1]:.2f} BAK {s[2]:.2f} P808 {s[3]:.2f}"
             for n, s in zip(names, scores)]
    m = scores.mean(0)
    lines.append(f"OVRL {m[0]:.2f} SIG {m[1]:.2f} BAK {m[2]:.2f} P808 {m[3]:.2f} N={len(scores)}")
    (folder / "dnsmos.txt").write_text("\n".join(lines) + "\n")


def test_paired_differences_match_numpy(tmp_path, capsys):
    paired = _load("paired")
    rng = np.random.default_rng(0)
    names = [f"{i:04d}.wav" for i in range(1, 41)]
    a = np.round(rng.uniform(2.5, 4.0, (40, 4)), 2)
    b = np.round(a + rng.normal(0.05, 0.1, (40, 4)), 2)
    _write(tmp_path / "base", a, names)
    _write(tmp_path / "cand", b[::-1], names[::-1])  # same files, another order: paired by name
    assert paired.main([str(tmp_path / "base"), str(tmp_path / "cand")]) == 0
    out = capsys.readouterr().out
    d = b - a
    for head, col in (("OVRL", 0), ("P808", 3)):
        mean, se = d[:, col].mean(), d[:, col].std(ddof=1) / np.sqrt(len(d))
        assert f"{head} {mean:+.3f} (SE {se:.3f})" in out
    assert "n=40" in out
    c = tmp_path / "third"  # evaluate.py's report: every system against the first
    _write(c, a + 0.5, names)
    got = paired.against_first({"base": tmp_path / "base", "cand": tmp_path / "cand", "third": c})
    assert list(got) == ["cand", "third"]
    assert got["cand"]["OVRL"] == pytest.approx((d[:, 0].mean(), d[:, 0].std(ddof=1) / np.sqrt(40)), abs=1e-9)
    assert got["third"]["P808"] == pytest.approx((0.5, 0.0), abs=1e-6)


def test_paired_refuses_unrelated_folders(tmp_path):
    paired = _load("paired")
    _write(tmp_path / "base", np.full((3, 4), 3.0), ["a.wav", "b.wav", "c.wav"])
    _write(tmp_path / "other", np.full((3, 4), 3.0), ["x.wav", "y.wav", "z.wav"])
    with pytest.raises(SystemExit, match="in common"):
        paired.main([str(tmp_path / "base"), str(tmp_path / "other")])
    with pytest.raises(SystemExit, match="missing"):
        paired.main([str(tmp_path / "base"), str(tmp_path / "nothing")])
