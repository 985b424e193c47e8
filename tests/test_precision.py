"""Inference precision: what 'auto' picks, what each mode loads, and that bf16 stays close to fp32."""
import numpy as np
import pytest
import torch

import hifigan.precision as P
from hifigan import TextToSpeech, cpu
from hifigan.audio import MelConfig
from hifigan.checkpoints import save_fastpitch, save_generator
from hifigan.cli import main
from hifigan.errors import HifiganError
from hifigan.models import Generator
from hifigan.loaders import load_vocoder
from hifigan.loaders import load_fastpitch

from conftest import TINY
from test_pipeline import TINY_FP, make_fastpitch


@pytest.mark.parametrize("native, device, want", [(True, "cpu", "bf16"), (False, "cpu", "fp32"),
                                                  (True, "cuda", "fp16"), (False, "cuda", "fp16")])
def test_auto_picks_the_native_fast_mode(monkeypatch, native, device, want):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: native)
    assert P.resolve_precision("auto", device) == want
    assert P.resolve_precision("fp32", device) == "fp32"


def test_explicit_modes_and_bad_ones(monkeypatch):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16"):
        assert P.resolve_precision("bf16", "cpu") == "bf16"
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: True)
    assert P.dtype_of("bf16", "cpu") is torch.bfloat16
    with pytest.raises(HifiganError, match="fp16 needs a CUDA device"):
        P.resolve_precision("fp16", "cpu")
    with pytest.raises(HifiganError, match="unknown precision 'int4'"):
        P.resolve_precision("int4", "cpu")


@pytest.fixture
def tiny_files(tmp_path):
    torch.manual_seed(0)
    fp = save_fastpitch(tmp_path / "fp.safetensors", make_fastpitch(**TINY_FP))
    voc = save_generator(tmp_path / "voc.safetensors", Generator(TINY), MelConfig(hop_length=16))
    return fp, voc


def test_bf16_models_load_in_bf16_and_stay_close_to_fp32(tiny_files, monkeypatch):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: True)  # no warning; the math is the same
    fp_path, voc_path = tiny_files
    voc32, voc16 = load_vocoder(voc_path), load_vocoder(voc_path, precision="bf16")
    assert next(voc16.parameters()).dtype is torch.bfloat16
    mel = torch.randn(1, 80, 40) - 4
    a32, a16 = voc32.vocode(mel), voc16.vocode(mel)
    assert a16.dtype is torch.float32 and a16.shape == a32.shape
    err = (a16 - a32).abs().max().item()
    assert 0 < err < 0.05 * a32.abs().max().item(), err  # bf16 really ran, and stayed close

    fp32, fp16 = load_fastpitch(fp_path), load_fastpitch(fp_path, precision="bf16")
    assert next(fp16.parameters()).dtype is torch.bfloat16
    ids = torch.tensor([[20, 30, 40, 11, 50, 12, 33]])
    with torch.inference_mode():
        mel32, lens32, dur32 = fp32.infer(ids)[:3]
        # durations are rounded from float32 and fixed here, so both decode the same frames
        mel16, lens16, dur16 = fp16.infer(ids, dur_tgt=dur32)[:3]
        dur16 = fp16.infer(ids)[2]
    assert dur16.dtype is torch.float32
    assert torch.equal(lens16, lens32)
    assert (dur16 - dur32).abs().max() < 0.1 * dur32.max() + 0.5
    rel = (mel16.float() - mel32).abs().mean() / mel32.abs().mean()
    assert 0 < rel < 0.05, rel


def test_from_pretrained_and_cli_take_a_precision(tiny_files, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: True)
    monkeypatch.setattr(P, "cpu_has_native_int8", lambda: False)  # else 'auto' takes int8 for FastPitch
    fp_path, voc_path = tiny_files
    tts = TextToSpeech.from_pretrained(fp_path, voc_path, precision="auto")
    assert next(tts.fastpitch.parameters()).dtype is torch.bfloat16
    assert next(tts.vocoder.parameters()).dtype is torch.bfloat16
    audio, sr = tts.synthesize("Hello there.")
    assert audio.dtype.name == "float32" and audio.size > 0
    out = tmp_path / "a.wav"
    assert main(["synthesize", "Hello there.", "-o", str(out), "--fastpitch", str(fp_path),
                 "--vocoder", str(voc_path), "--precision", "fp16"]) != 0
    assert "fp16 needs a CUDA device" in capsys.readouterr().err and not out.exists()
    assert main(["synthesize", "Hello there.", "-o", str(out), "--fastpitch", str(fp_path),
                 "--vocoder", str(voc_path), "--precision", "fp32"]) == 0 and out.exists()


AUTO = {"amx": ("int8", "bf16"), "avx512_bf16": ("int8", "bf16"), "avx2": ("fp32", "fp32")}


def test_each_cpu_branch_of_auto_and_the_cli_default_speaks_as_python_does(cpu_profile, tiny_files, tmp_path):
    """Every branch, on whatever machine runs the suite (hifigan.cpu profiles): 'auto' picks what
    precision.py documents for that CPU, and the CLI's default (auto) writes what
    ``TextToSpeech.from_pretrained(precision="auto")`` says, to 16-bit rounding."""
    import soundfile as sf

    want = AUTO[cpu_profile.name]
    assert (P.resolve_precision("auto", model="fastpitch"), P.resolve_precision("auto")) == want
    fp_path, voc_path = tiny_files
    tts = TextToSpeech.from_pretrained(fp_path, voc_path, precision="auto")
    assert getattr(tts.fastpitch, "is_int8", False) == (want[0] == "int8")
    assert next(tts.vocoder.parameters()).dtype == P.DTYPES[want[1]]
    audio, sr = tts.synthesize("Hello there, how are you?")
    out = tmp_path / "cli.wav"
    assert main(["synthesize", "Hello there, how are you?", "-o", str(out), "--fastpitch", str(fp_path),
                 "--vocoder", str(voc_path)]) == 0
    wav, sr_cli = sf.read(str(out), dtype="float32")
    assert sr_cli == sr and wav.shape == audio.shape
    np.testing.assert_allclose(wav, audio, atol=1 / 16000)


def test_hifigan_cpu_names_a_profile_or_fails_in_one_line(monkeypatch):
    monkeypatch.setenv(cpu.ENV, "avx2")
    assert cpu.features() == cpu.PROFILES["avx2"] and not P.cpu_has_native_bf16()
    monkeypatch.setenv(cpu.ENV, "amx")
    assert P.cpu_has_native_bf16() and P.cpu_has_native_int8()
    monkeypatch.delenv(cpu.ENV)
    assert cpu.features() == cpu.detected()
    monkeypatch.setenv(cpu.ENV, "sse2")
    with pytest.raises(HifiganError, match="HIFIGAN_CPU='sse2': use one of amx, avx512_bf16, avx2"):
        P.resolve_precision("auto")
