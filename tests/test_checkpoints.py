import json
import re

import pytest
import torch

from conftest import NVIDIA_TRAIN_SETUP, TINY, TINY2, nvidia_config, reference_generator, to_legacy, to_nvidia_nested
from hifigan.audio import MelConfig
from hifigan.checkpoints import (is_safetensors, load_generator_checkpoint, normalize_generator_state_dict,
                                 save_generator)
from hifigan.errors import CheckpointError
from hifigan.models import PRESETS, Generator
from hifigan.loaders import load_vocoder


def _trained_like(config, weight_norm=True):
    g = Generator(config, weight_norm=weight_norm)
    for p in g.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    return g.eval()


def _out(g, n_mels=80, frames=9):
    torch.manual_seed(7)
    with torch.no_grad():
        return g(torch.randn(1, n_mels, frames))


def test_authors_format_with_config_json(tmp_path, reference_models):
    ref = reference_generator(reference_models, TINY)
    for p in ref.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    ref.eval()
    assert any(k.endswith("weight_g") for k in ref.state_dict())  # the real legacy layout
    torch.save({"generator": ref.state_dict()}, tmp_path / "g_00100000")
    cfg = {**json.loads(json.dumps(nvidia_config(TINY))), "num_mels": 80, "sampling_rate": 16000,
           "n_fft": 256, "hop_size": 16, "win_size": 256, "fmin": 0, "fmax": 8000}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    g, mel_cfg, _ = load_generator_checkpoint(tmp_path / "g_00100000")
    assert g.config == TINY and mel_cfg == MelConfig(16000, 256, 16, 256, 80, 0, 8000, "hifigan")
    torch.testing.assert_close(_out(g.eval()), _out(ref), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("preset", ["v1", "v2", "v3"])
def test_authors_format_without_config_guesses_the_preset(tmp_path, preset):
    g = Generator(PRESETS[preset])
    torch.save({"generator": to_legacy(g.state_dict())}, tmp_path / "g_02500000")
    loaded, mel_cfg, _ = load_generator_checkpoint(tmp_path / "g_02500000")
    assert loaded.config == PRESETS[preset] and mel_cfg == MelConfig()


@pytest.mark.parametrize("prefix", ["", "module."])
@pytest.mark.parametrize("config", [TINY, TINY2])
def test_nvidia_format_nested_keys(tmp_path, config, prefix):
    g = _trained_like(config)
    ckpt = {"generator": to_nvidia_nested(g.state_dict(), len(config.resblock_kernel_sizes), prefix),
            "gen_ema": None, "config": nvidia_config(config),
            "train_setup": {**NVIDIA_TRAIN_SETUP, "num_mels": config.n_mels, "hop_length": config.hop_length},
            "train_state": {"epoch": 10, "iters_all": 100}}
    assert any(re.match(r"(module\.)?resblocks\.1\.1\.", k) for k in ckpt["generator"])
    torch.save(ckpt, tmp_path / "hifigan_gen_checkpoint_10.pt")
    loaded, mel_cfg, setup = load_generator_checkpoint(tmp_path / "hifigan_gen_checkpoint_10.pt")
    assert loaded.config == config and setup["max_wav_value"] == 32768.0
    assert mel_cfg.hop_length == config.hop_length and mel_cfg.n_mels == config.n_mels
    torch.testing.assert_close(_out(loaded.eval(), config.n_mels), _out(g, config.n_mels))


def test_nvidia_old_flat_keys_and_trailing_dims(tmp_path):
    g = _trained_like(TINY, weight_norm=False)
    sd = {k: (v.unsqueeze(-1) if k.endswith("weight") else v) for k, v in g.state_dict().items()}
    torch.save({"generator": sd, "config": nvidia_config(TINY),
                "train_setup": {**NVIDIA_TRAIN_SETUP, "hop_length": 16}}, tmp_path / "old.pt")
    loaded, _, _ = load_generator_checkpoint(tmp_path / "old.pt")
    assert not loaded.has_weight_norm
    torch.testing.assert_close(_out(loaded.eval()), _out(g))


def test_our_format_roundtrip(tmp_path):
    g = _trained_like(TINY2)
    mel_cfg = MelConfig(sample_rate=16000, n_fft=256, hop_length=8, win_length=256, n_mels=24, f_max=None)
    path = save_generator(tmp_path / "voc.safetensors", g, mel_cfg)
    assert is_safetensors(path) and [p.name for p in tmp_path.iterdir()] == ["voc.safetensors"]
    loaded, mel2, _ = load_generator_checkpoint(path)
    assert loaded.config == TINY2 and mel2 == mel_cfg
    torch.testing.assert_close(_out(loaded.eval(), 24), _out(g, 24))
    vocoder = load_vocoder(path)
    assert not vocoder.generator.has_weight_norm and vocoder.sample_rate == 16000
    torch.testing.assert_close(_out(vocoder, 24), _out(g, 24), atol=1e-6, rtol=1e-5)


def test_normalize_is_idempotent_on_our_keys():
    sd = Generator(TINY).state_dict()
    assert normalize_generator_state_dict(sd).keys() == sd.keys()


# ---------------------------------------------------------------- bad files

def _one_line(e):
    msg = str(e.value)
    assert "\n" not in msg and msg
    return msg


def test_damaged_files(tmp_path):
    g = Generator(TINY)
    torch.save({"generator": to_legacy(g.state_dict())}, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "noise.pt").write_bytes(bytes(range(256)) * 10)
    for name, pattern in [("trunc.pt", "truncated or corrupt"), ("empty.pt", "empty"),
                          ("noise.pt", "truncated or corrupt"), ("missing.pt", "no such")]:
        with pytest.raises(CheckpointError, match=pattern) as e:
            load_generator_checkpoint(tmp_path / name)
        assert name in _one_line(e)


def test_truncated_safetensors(tmp_path):
    path = save_generator(tmp_path / "v.safetensors", Generator(TINY), MelConfig(hop_length=16))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as e:
        load_generator_checkpoint(path)
    _one_line(e)


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"generator": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="not a loadable") as e:
        load_generator_checkpoint(tmp_path / "evil.pt")
    _one_line(e)


def test_wrong_model_files(tmp_path):
    torch.save({"state_dict": {"encoder.word_emb.weight": torch.zeros(3, 4)}, "config": {}}, tmp_path / "fp.pt")
    with pytest.raises(CheckpointError, match="FastPitch"):
        load_generator_checkpoint(tmp_path / "fp.pt")
    torch.save({"mpd": {}, "msd": {}, "steps": 1}, tmp_path / "do_00001")
    with pytest.raises(CheckpointError, match="discriminator"):
        load_generator_checkpoint(tmp_path / "do_00001")
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(CheckpointError, match="expected a dict"):
        load_generator_checkpoint(tmp_path / "tensor.pt")


def test_missing_unexpected_and_misshapen_keys(tmp_path):
    sd = to_legacy(Generator(TINY).state_dict())
    cfg = {"config": nvidia_config(TINY), "train_setup": {**NVIDIA_TRAIN_SETUP, "hop_length": 16}}
    missing = {k: v for k, v in sd.items() if not k.startswith("conv_post")}
    torch.save({"generator": missing, **cfg}, tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match=r"3 missing keys \(conv_post") as e:
        load_generator_checkpoint(tmp_path / "a.pt")
    _one_line(e)
    torch.save({"generator": {**sd, "extra.weight": torch.zeros(1)}, **cfg}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="1 unexpected keys \\(extra.weight\\)"):
        load_generator_checkpoint(tmp_path / "b.pt")
    other = to_legacy(Generator(TINY.__class__(**{**TINY.to_dict(), "upsample_initial_channel": 32})).state_dict())
    torch.save({"generator": other, **cfg}, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="shape mismatches"):
        load_generator_checkpoint(tmp_path / "c.pt")
    torch.save({"generator": other}, tmp_path / "d.pt")  # no config and no preset fits
    with pytest.raises(CheckpointError, match="none of the V1/V2/V3 presets"):
        load_generator_checkpoint(tmp_path / "d.pt")


def test_nan_weights_are_refused(tmp_path):
    sd = to_legacy(Generator(TINY).state_dict())
    sd["conv_pre.bias"][0] = float("nan")
    torch.save({"generator": sd, "config": nvidia_config(TINY),
                "train_setup": {**NVIDIA_TRAIN_SETUP, "hop_length": 16}}, tmp_path / "nan.pt")
    with pytest.raises(CheckpointError, match="NaN or infinite weights in conv_pre.bias"):
        load_generator_checkpoint(tmp_path / "nan.pt")


def test_unknown_names_and_foreign_safetensors(tmp_path):
    from safetensors.torch import save_file

    with pytest.raises(CheckpointError, match="unknown vocoder 'lj_v2'") as e:
        load_vocoder("lj_v2")
    assert "lj_v1" in _one_line(e) and "joe_v1" in _one_line(e)
    save_file({"x": torch.zeros(2)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(CheckpointError, match="without hifigan metadata"):
        load_vocoder(tmp_path / "foreign.safetensors")


def test_the_voice_vocoder_ships_in_the_package(tmp_path, monkeypatch):
    """joe_v1: lj_v1's architecture (so the same speed), its own weights, half precision in the package."""
    from safetensors import safe_open

    import hifigan.pretrained as pretrained

    path = pretrained.resolve_vocoder("joe_v1")
    assert path.parent == pretrained.voices_dir() and path.stat().st_size < 30_000_000
    with safe_open(str(path), "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}
    ours, theirs = load_vocoder("joe_v1"), load_vocoder("lj_v1")
    a, b = ours.generator.state_dict(), theirs.generator.state_dict()
    assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}
    assert all(v.dtype == torch.float32 for v in a.values())
    assert ours.mel_config == theirs.mel_config and ours.generator.config == theirs.generator.config
    changed = sum(not torch.allclose(a[k], b[k], atol=1e-3) for k in a)
    assert changed > len(a) // 2  # fine-tuned: most tensors moved away from lj_v1's
    monkeypatch.setattr(pretrained, "voices_dir", lambda: tmp_path)
    with pytest.raises(CheckpointError, match="'joe_v1': its weights are missing from this install") as e:
        load_vocoder("joe_v1")
    assert len(_one_line(e).splitlines()) == 1
