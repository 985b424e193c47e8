import pytest

from hifigan.files import atomic_output


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.wav"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_success_replaces_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "out.npy"
    with atomic_output(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and [p.name for p in target.parent.iterdir()] == ["out.npy"]
