import numpy as np
import pytest
import soundfile as sf
import torch

from conftest import EXAMPLE_WAV, TINY, speechlike
from hifigan.audio import MelConfig, mel_spectrogram
from hifigan.checkpoints import save_generator
from hifigan.cli import main
from hifigan.models import Generator

TINY_MEL = MelConfig(sample_rate=8000, n_fft=64, hop_length=16, win_length=64, n_mels=80, f_max=4000.0)


@pytest.fixture
def tiny_vocoder(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    return str(save_generator(path, Generator(TINY, weight_norm=False), TINY_MEL))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return code, err


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_copy_synthesis_of_a_real_recording_with_lj_v1(tmp_path, capsys):
    out = tmp_path / "out.wav"
    code, err = run(capsys, "vocode", EXAMPLE_WAV, "-o", out)
    assert code == 0, err
    y, sr = sf.read(str(out), dtype="float32")
    x, sr_in = sf.read(str(EXAMPLE_WAV), dtype="float32")
    assert sr == 22050 and abs(len(y) / sr - len(x) / sr_in) < 256 / 22050 + 1e-3
    # The resynthesis must sound like the input: mean |log-mel difference| is 0.39 here, 3.9 for
    # an untrained generator.
    cfg = MelConfig()
    from hifigan.audio import load_audio

    ref = mel_spectrogram(torch.from_numpy(load_audio(EXAMPLE_WAV, 22050)), cfg)
    got = mel_spectrogram(torch.from_numpy(y), cfg)
    n = min(ref.shape[-1], got.shape[-1])
    assert (ref[..., :n] - got[..., :n]).abs().mean() < 0.6


def test_mel_inputs_npy_and_pt(tmp_path, capsys, tiny_vocoder):
    np.save(tmp_path / "a.npy", np.full((80, 12), -4.0, np.float32))
    torch.save(torch.full((1, 80, 7), -4.0), tmp_path / "b.pt")
    code, err = run(capsys, "vocode", tmp_path / "a.npy", tmp_path / "b.pt", "-o", tmp_path / "out",
                    "--vocoder", tiny_vocoder, "--denoise", "0.01")
    assert code == 0, err
    assert files(tmp_path / "out") == ["a.wav", "b.wav"]
    assert sf.info(str(tmp_path / "out" / "a.wav")).frames == 12 * 16
    assert sf.info(str(tmp_path / "out" / "b.wav")).frames == 7 * 16
    assert sf.info(str(tmp_path / "out" / "b.wav")).samplerate == 8000


def test_folder_input_any_rate_with_progress(tmp_path, capsys, tiny_vocoder):
    src = tmp_path / "in"
    src.mkdir()
    for i, sr in enumerate([8000, 16000, 44100]):
        sf.write(str(src / f"clip{i}.wav"), speechlike(0.25, sr, seed=i), sr)
    (src / "notes.txt").write_text("ignored")
    code, err = run(capsys, "vocode", src, "-o", tmp_path / "out", "--vocoder", tiny_vocoder)
    assert code == 0, err
    assert files(tmp_path / "out") == ["clip0.wav", "clip1.wav", "clip2.wav"]
    assert "3/3" in err and "wrote 3 of 3" in err
    for name in files(tmp_path / "out"):
        assert abs(sf.info(str(tmp_path / "out" / name)).duration - 0.25) < 0.01


def _bad_inputs(tmp_path):
    (tmp_path / "text.wav").write_text("not audio at all")
    (tmp_path / "zero_bytes.wav").write_bytes(b"")
    sf.write(str(tmp_path / "no_samples.wav"), np.zeros(0, np.float32), 16000)
    sf.write(str(tmp_path / "silent.wav"), np.zeros(16000, np.float32), 16000)
    np.save(tmp_path / "shape.npy", np.zeros((40, 10), np.float32))
    np.save(tmp_path / "rank.npy", np.zeros((2, 80, 10), np.float32))
    nan = np.zeros((80, 10), np.float32)
    nan[1, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    inf = np.zeros((80, 10), np.float32)
    inf[2, 2] = -np.inf
    torch.save(torch.from_numpy(inf), tmp_path / "inf.pt")
    (tmp_path / "garbage.pt").write_bytes(b"\x00garbage")
    return {"text.wav": "not a readable audio file", "zero_bytes.wav": "not a readable audio file",
            "no_samples.wav": "empty", "silent.wav": "silent", "shape.npy": r"shape \[80, T\]",
            "rank.npy": r"got \[2, 80, 10\]", "nan.npy": "NaN", "inf.pt": "NaN or infinite",
            "garbage.pt": "not a readable mel file"}


def test_each_bad_input_fails_alone_with_one_line_and_no_output(tmp_path, capsys, tiny_vocoder):
    cases = _bad_inputs(tmp_path)
    for name, pattern in cases.items():
        out = tmp_path / "out" / f"{name}.wav"
        code, err = run(capsys, "vocode", tmp_path / name, "-o", out, "--vocoder", tiny_vocoder)
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1, (name, err)
        assert lines[0].startswith("hifigan: error: ") and name in lines[0]
        assert __import__("re").search(pattern, lines[0]), (name, lines[0])
        assert not out.parent.exists() or files(out.parent) == []


def test_a_bad_file_in_a_batch_fails_the_run_but_not_the_others(tmp_path, capsys, tiny_vocoder):
    np.save(tmp_path / "good.npy", np.full((80, 5), -3.0, np.float32))
    np.save(tmp_path / "bad.npy", np.full((81, 5), -3.0, np.float32))
    code, err = run(capsys, "vocode", tmp_path / "good.npy", tmp_path / "bad.npy", "-o", tmp_path / "out",
                    "--vocoder", tiny_vocoder)
    assert code == 1 and "bad.npy" in err and "wrote 1 of 2" in err
    assert files(tmp_path / "out") == ["good.wav"]


def test_bad_checkpoints_and_names(tmp_path, capsys, tiny_vocoder):
    np.save(tmp_path / "m.npy", np.zeros((80, 5), np.float32))
    data = open(tiny_vocoder, "rb").read()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) // 2])
    torch.save({"generator": {}}, tmp_path / "empty_gen.pt")
    torch.save({"state_dict": {}, "config": {}}, tmp_path / "fastpitch.pt")
    for vocoder, pattern in [("nope_v9", "unknown vocoder 'nope_v9'"), (tmp_path / "trunc.safetensors", "truncated"),
                             (tmp_path / "missing.pt", "no such checkpoint"),
                             (tmp_path / "fastpitch.pt", "not a HiFi-GAN generator")]:
        out = tmp_path / "o.wav"
        code, err = run(capsys, "vocode", tmp_path / "m.npy", "-o", out, "--vocoder", vocoder)
        assert code == 1 and pattern in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()


def test_usage_errors(tmp_path, capsys, tiny_vocoder):
    np.save(tmp_path / "m.npy", np.zeros((80, 5), np.float32))
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    np.save(tmp_path / "d1" / "x.npy", np.zeros((80, 5), np.float32))
    np.save(tmp_path / "d2" / "x.npy", np.zeros((80, 5), np.float32))
    for argv, pattern in [(["missing.wav", "-o", "o.wav"], "no such file"),
                          ([tmp_path / "m.npy", "-o", tmp_path / "o.mp3"], "must be a .wav"),
                          ([tmp_path / "d1", tmp_path / "d2", "-o", tmp_path / "o"], "would both be written"),
                          ([tmp_path / "m.npy", "-o", tmp_path / "o.wav", "--denoise", "-1"], "--denoise"),
                          ([tmp_path / "m.npy", "-o", tmp_path / "o.wav", "--denoise", "nan"], "--denoise")]:
        code, err = run(capsys, "vocode", *argv, "--vocoder", tiny_vocoder)
        assert code == 1 and pattern in err, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.wav").exists()
    assert main([]) == 2
