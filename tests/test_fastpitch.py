import itertools
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from hifigan.loaders import load_fastpitch
from hifigan.checkpoints import load_fastpitch_checkpoint, save_fastpitch, save_generator
from hifigan.errors import CheckpointError
from hifigan.models.fastpitch import (FastPitch, FastPitchConfig, MultiHeadAttn, average_pitch,
                                      binarize_attention, mas_width1, regulate_len)

# What torch.hub's nvidia_fastpitch(pretrained=False) builds: NVIDIA's models.get_model_config.
HUB_CONFIG = {
    'n_mel_channels': 80, 'n_symbols': 148, 'padding_idx': 0, 'symbols_embedding_dim': 384,
    'in_fft_n_layers': 6, 'in_fft_n_heads': 1, 'in_fft_d_head': 64, 'in_fft_conv1d_kernel_size': 3,
    'in_fft_conv1d_filter_size': 1536, 'in_fft_output_size': 384, 'p_in_fft_dropout': 0.1,
    'p_in_fft_dropatt': 0.1, 'p_in_fft_dropemb': 0.0, 'out_fft_n_layers': 6, 'out_fft_n_heads': 1,
    'out_fft_d_head': 64, 'out_fft_conv1d_kernel_size': 3, 'out_fft_conv1d_filter_size': 1536,
    'out_fft_output_size': 384, 'p_out_fft_dropout': 0.1, 'p_out_fft_dropatt': 0.1,
    'p_out_fft_dropemb': 0.0, 'dur_predictor_kernel_size': 3, 'dur_predictor_filter_size': 256,
    'p_dur_predictor_dropout': 0.1, 'dur_predictor_n_layers': 2, 'pitch_predictor_kernel_size': 3,
    'pitch_predictor_filter_size': 256, 'p_pitch_predictor_dropout': 0.1, 'pitch_predictor_n_layers': 2,
    'pitch_embedding_kernel_size': 3, 'n_speakers': 1, 'speaker_emb_weight': 1.0,
    'energy_predictor_kernel_size': 3, 'energy_predictor_filter_size': 256,
    'p_energy_predictor_dropout': 0.1, 'energy_predictor_n_layers': 2, 'energy_conditioning': True,
    'energy_embedding_kernel_size': 3}

TINY = FastPitchConfig(
    n_mel_channels=16, n_symbols=20, symbols_embedding_dim=32, in_fft_output_size=32,
    out_fft_output_size=32, in_fft_n_layers=2, out_fft_n_layers=2, in_fft_n_heads=2, out_fft_n_heads=2,
    in_fft_d_head=8, out_fft_d_head=8, in_fft_conv1d_filter_size=48, out_fft_conv1d_filter_size=48,
    dur_predictor_filter_size=16, pitch_predictor_filter_size=16, energy_predictor_filter_size=16)


def nvidia_layout(n_mel=80, n_symbols=148, d=384, n_layers=(6, 6), n_heads=(1, 1), d_head=(64, 64),
                  d_inner=(1536, 1536), k=3, pred_filter=(256, 256, 256), n_speakers=1,
                  energy=True, n_att=80):
    """State-dict names and shapes of NVIDIA's FastPitch 1.1, written from their code
    (fastpitch/model.py, transformer.py, attention.py, common/layers.py), not from ours.
    FastPitch registers pitch_mean/pitch_std itself, so they come first in a state dict."""
    sd = {"pitch_mean": (1,), "pitch_std": (1,), "encoder.word_emb.weight": (n_symbols, d)}

    def fft(part, i):
        sd[f"{part}.pos_emb.inv_freq"] = (d // 2,)
        for layer in range(n_layers[i]):
            p, h, dh, di = f"{part}.layers.{layer}.", n_heads[i], d_head[i], d_inner[i]
            sd.update({p + "dec_attn.qkv_net.weight": (3 * h * dh, d), p + "dec_attn.qkv_net.bias": (3 * h * dh,),
                       p + "dec_attn.o_net.weight": (d, h * dh),
                       p + "dec_attn.layer_norm.weight": (d,), p + "dec_attn.layer_norm.bias": (d,),
                       p + "pos_ff.CoreNet.0.weight": (di, d, k), p + "pos_ff.CoreNet.0.bias": (di,),
                       p + "pos_ff.CoreNet.2.weight": (d, di, k), p + "pos_ff.CoreNet.2.bias": (d,),
                       p + "pos_ff.layer_norm.weight": (d,), p + "pos_ff.layer_norm.bias": (d,)})

    def predictor(name, f):
        sd.update({f"{name}.layers.0.conv.weight": (f, d, 3), f"{name}.layers.0.conv.bias": (f,),
                   f"{name}.layers.0.norm.weight": (f,), f"{name}.layers.0.norm.bias": (f,),
                   f"{name}.layers.1.conv.weight": (f, f, 3), f"{name}.layers.1.conv.bias": (f,),
                   f"{name}.layers.1.norm.weight": (f,), f"{name}.layers.1.norm.bias": (f,),
                   f"{name}.fc.weight": (1, f), f"{name}.fc.bias": (1,)})

    fft("encoder", 0)
    if n_speakers > 1:
        sd["speaker_emb.weight"] = (n_speakers, d)
    predictor("duration_predictor", pred_filter[0])
    fft("decoder", 1)
    predictor("pitch_predictor", pred_filter[1])
    sd.update({"pitch_emb.weight": (d, 1, 3), "pitch_emb.bias": (d,)})
    if energy:
        predictor("energy_predictor", pred_filter[2])
        sd.update({"energy_emb.weight": (d, 1, 3), "energy_emb.bias": (d,)})
    sd.update({"proj.weight": (n_mel, d), "proj.bias": (n_mel,),
               "attention.query_proj.0.conv.weight": (2 * n_mel, n_mel, 3),
               "attention.query_proj.0.conv.bias": (2 * n_mel,),
               "attention.query_proj.2.conv.weight": (n_mel, 2 * n_mel, 1),
               "attention.query_proj.2.conv.bias": (n_mel,),
               "attention.query_proj.4.conv.weight": (n_att, n_mel, 1),
               "attention.query_proj.4.conv.bias": (n_att,),
               "attention.attn_proj.weight": (1, n_att, 1, 1), "attention.attn_proj.bias": (1,),
               "attention.key_proj.0.conv.weight": (2 * d, d, 3), "attention.key_proj.0.conv.bias": (2 * d,),
               "attention.key_proj.2.conv.weight": (n_att, 2 * d, 1), "attention.key_proj.2.conv.bias": (n_att,)})
    return sd


BUFFERS = {"pitch_mean", "pitch_std", "encoder.pos_emb.inv_freq", "decoder.pos_emb.inv_freq"}


def _shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _tiny_model(config=TINY, seed=0):
    """A tiny FastPitch with perturbed ('trained-like') weights and ~3 frames per symbol."""
    torch.manual_seed(seed)
    m = FastPitch(config)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
        m.duration_predictor.fc.bias.fill_(math.log(1 + 3.0))
    return m.eval()


def _text(batch_lens=(7, 4), n_symbols=20, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(len(batch_lens), max(batch_lens), dtype=torch.long)
    for i, n in enumerate(batch_lens):
        x[i, :n] = torch.randint(1, n_symbols, (n,), generator=g)
    return x


def _infer(m, x, **kw):
    with torch.no_grad():
        return m.infer(x, **kw)


# ---------------------------------------------------------------- (a) (b) size and layout

@pytest.fixture(scope="module")
def default_model():
    return FastPitch()


def test_default_config_is_the_hub_config():
    assert FastPitchConfig.from_dict(HUB_CONFIG) == FastPitchConfig()
    assert {**HUB_CONFIG, "pitch_conditioning_formants": 1} == FastPitchConfig().to_dict()


def test_default_size_46_27M_and_185_keys(default_model):
    n = sum(p.numel() for p in default_model.parameters())
    assert n == 46_266_420 and f"{n / 1e6:.2f}M" == "46.27M"
    assert len(default_model.state_dict()) == 185
    without_aligner = [k for k in default_model.state_dict() if not k.startswith("attention.")]
    assert len(without_aligner) == 173
    # the same figures from the literal NVIDIA table
    layout = nvidia_layout()
    assert len(layout) == 185
    assert sum(math.prod(s) for k, s in layout.items() if k not in BUFFERS) == 46_266_420


def test_default_state_dict_matches_nvidia_layout(default_model):
    assert _shapes(default_model) == nvidia_layout()
    assert list(default_model.state_dict())[:3] == ["pitch_mean", "pitch_std", "encoder.word_emb.weight"]


def test_two_head_four_speaker_layout():
    m = FastPitch(FastPitchConfig(in_fft_n_heads=2, out_fft_n_heads=2, n_speakers=4))
    shapes = _shapes(m)
    assert shapes == nvidia_layout(n_heads=(2, 2), n_speakers=4)
    assert shapes["speaker_emb.weight"] == (4, 384)
    assert shapes["encoder.layers.0.dec_attn.qkv_net.weight"] == (384, 384)
    assert shapes["decoder.layers.5.dec_attn.o_net.weight"] == (384, 128)
    assert len(shapes) == 186


def test_tiny_and_no_energy_layouts():
    assert _shapes(FastPitch(TINY)) == nvidia_layout(
        n_mel=16, n_symbols=20, d=32, n_layers=(2, 2), n_heads=(2, 2), d_head=(8, 8), d_inner=(48, 48),
        pred_filter=(16, 16, 16))
    no_energy = FastPitch(FastPitchConfig.from_dict({**TINY.to_dict(), "energy_conditioning": False}))
    assert not any(k.startswith("energy") for k in no_energy.state_dict())


def test_config_accepts_nvidia_dicts_and_kwargs():
    old = {**HUB_CONFIG, "max_seq_len": 2048, "n_formants": 1, "something_new": "x"}
    assert FastPitchConfig.from_dict(old) == FastPitchConfig()
    m = FastPitch(**{**TINY.to_dict(), "max_seq_len": 2048})  # like NVIDIA's FastPitch(**config)
    assert m.config == TINY
    assert FastPitchConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="symbols_embedding_dim"):
        FastPitchConfig(in_fft_output_size=256)
    with pytest.raises(ValueError, match="in_fft_n_heads must be >= 1"):
        FastPitchConfig(in_fft_n_heads=0)


# ---------------------------------------------------------------- (c) multi-head attention

def sdpa_reference(attn: MultiHeadAttn, x, valid):
    """Post-LN multi-head self-attention from the same weights, head by head with torch's
    scaled_dot_product_attention. In qkv_net's output, q, k, v follow each other and head h owns
    channels h*d_head:(h+1)*d_head of each."""
    h_n, dh = attn.n_head, attn.d_head
    w, b = attn.qkv_net.weight, attn.qkv_net.bias
    heads = []
    for h in range(h_n):
        rows = [slice(part * h_n * dh + h * dh, part * h_n * dh + (h + 1) * dh) for part in range(3)]
        q, k, v = (F.linear(x, w[r], b[r]) for r in rows)
        heads.append(F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, :]))
    out = F.linear(torch.cat(heads, dim=-1), attn.o_net.weight)
    return F.layer_norm(x + out, x.shape[-1:], attn.layer_norm.weight, attn.layer_norm.bias)


@pytest.mark.parametrize("n_head", [1, 2, 3])
def test_multi_head_attention_matches_sdpa(n_head):
    torch.manual_seed(n_head)
    attn = MultiHeadAttn(n_head, d_model=24, d_head=8, dropout=0.1, dropatt=0.1).eval()
    with torch.no_grad():
        attn.layer_norm.weight.add_(0.3 * torch.randn(24))
        attn.layer_norm.bias.add_(0.3 * torch.randn(24))
    lens = torch.tensor([9, 5, 1])
    valid = torch.arange(9)[None] < lens[:, None]
    x = torch.randn(3, 9, 24)
    with torch.no_grad():
        ours = attn(x, pad_mask=~valid)
        ref = sdpa_reference(attn, x, valid)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    # no leakage across the batch or from padding
    x2 = x.clone()
    x2[0] += torch.randn(9, 24)
    x2[1, 5:] = torch.randn(4, 24)
    with torch.no_grad():
        ours2 = attn(x2, pad_mask=~valid)
    torch.testing.assert_close(ours2[1:2, :5], ours[1:2, :5])
    torch.testing.assert_close(ours2[2], ours[2])


def test_all_padding_rows_give_no_nan():
    attn = MultiHeadAttn(2, 16, 8, 0.0, 0.0).eval()
    out = attn(torch.randn(2, 4, 16), pad_mask=torch.tensor([[False] * 4, [True] * 4]))
    assert torch.isfinite(out).all()


def test_encoder_items_are_independent_of_each_other():
    """An item's encoding does not depend on the other items of the batch. (It does depend a
    little on the padding width, in NVIDIA's model too: the conv feed-forward's hidden layer is
    relu(bias) at padded positions and the kernel reaches over the edge.)"""
    m = _tiny_model()
    x = _text((7, 4))
    other = x.clone()
    other[0] = _text((7,), seed=5)[0]
    with torch.no_grad():
        batch, mask = m.encoder(x)
        batch2, _ = m.encoder(other)
        alone, _ = m.encoder(x[1:])
    torch.testing.assert_close(batch2[1], batch[1])
    torch.testing.assert_close(alone[0], batch[1], atol=1e-5, rtol=1e-5)
    assert (batch[1, 4:] == 0).all() and mask[:, :, 0].sum(1).tolist() == [7, 4]


# ---------------------------------------------------------------- (d) length regulator

def test_length_regulator_rounding_and_pace():
    durs = torch.tensor([[2.0, 3.0, 0.4, 1.6, 0.0],
                         [0.5, 1.5, 2.5, 1.0, 0.0]])
    enc = torch.arange(1.0, 6.0)[None, :, None].expand(2, 5, 3)  # symbol j carries the value j+1
    # reps = floor(d / pace + 0.5), computed by hand; halves round up, as NVIDIA's (x + 0.5).long()
    expected = {1.0: [[2, 3, 0, 2, 0], [1, 2, 3, 1, 0]],
                1.3: [[2, 2, 0, 1, 0], [0, 1, 2, 1, 0]],   # 2/1.3=1.54 3/1.3=2.31 .4/1.3=.31 1.6/1.3=1.23
                0.7: [[3, 4, 1, 2, 0], [1, 2, 4, 1, 0]]}   # 2/.7=2.86 3/.7=4.29 .4/.7=.57 1.6/.7=2.29
    for pace, reps in expected.items():
        out, lens = regulate_len(durs, enc, pace)
        assert lens.tolist() == [sum(r) for r in reps]
        assert out.shape == (2, max(lens.tolist()), 3)
        for b, r in enumerate(reps):
            frames = [j + 1.0 for j, n in enumerate(r) for _ in range(n)]
            assert out[b, :, 0].tolist() == frames + [0.0] * (out.size(1) - len(frames))
            assert (out[b, :, 0] == out[b, :, 2]).all()
    out, lens = regulate_len(durs, enc, 1.0, mel_max_len=6)
    assert out.shape == (2, 6, 3) and lens.tolist() == [6, 6]


def test_length_regulator_keeps_gradients_and_values():
    enc = torch.randn(1, 3, 4, requires_grad=True)
    out, _ = regulate_len(torch.tensor([[1, 0, 2]]), enc)
    assert torch.equal(out[0], enc[0, [0, 2, 2]])
    out.sum().backward()
    assert enc.grad[0, :, 0].tolist() == [1.0, 0.0, 2.0]


# ---------------------------------------------------------------- (e) inference

def test_infer_shapes_lens_and_determinism():
    m = _tiny_model()
    x = _text((7, 4))
    mel, lens, dur, pitch, energy = _infer(m, x)
    assert mel.shape == (2, 16, int(lens.max())) and lens.dtype == torch.long
    assert dur.shape == (2, 7) and pitch.shape == (2, 1, 7) and energy.shape == (2, 7)
    assert (dur[1, 4:] == 0).all() and (dur[:, :4] > 0).all()
    assert lens.tolist() == (dur + 0.5).long().sum(1).tolist()
    again = _infer(m, x)
    for a, b in zip((mel, lens, dur, pitch, energy), again):
        assert torch.equal(a, b)
    fast, fast_lens, *_ = _infer(m, x, pace=1.5)
    assert (fast_lens < lens).all() and fast.shape[2] == int(fast_lens.max())


def test_pitch_transform_convention():
    m = _tiny_model()
    x = _text((7, 4))
    calls = []

    def transform(pitch, lens, mean, std):
        calls.append((pitch.clone(), lens, mean, std))
        return pitch * 0.5 + 10.0 / std

    _, _, _, plain, _ = _infer(m, x)
    mel_t, _, _, pitch_t, _ = _infer(m, x, pitch_transform=transform)
    (p, lens, mean, std), = calls
    assert torch.equal(p, plain) and lens.tolist() == [7, 4]
    assert (mean, std) == (218.14, 67.24)  # NVIDIA's LJSpeech fallback while the buffers are zero
    torch.testing.assert_close(pitch_t, plain * 0.5 + 10.0 / 67.24)
    # the transformed pitch is what conditions the decoder: the same as giving it as pitch_tgt
    mel_tgt, *_ = _infer(m, x, pitch_tgt=pitch_t, dur_tgt=_infer(m, x)[2])
    mel_t2, *_ = _infer(m, x, pitch_transform=transform, dur_tgt=_infer(m, x)[2])
    torch.testing.assert_close(mel_tgt, mel_t2)
    m.pitch_mean.fill_(150.0)
    m.pitch_std.fill_(40.0)
    _infer(m, x, pitch_transform=transform)
    assert float(calls[-1][2]) == 150.0 and float(calls[-1][3]) == 40.0


def test_duration_pitch_energy_overrides():
    m = _tiny_model()
    x = _text((7, 4))
    mel, lens, dur, pitch, energy = _infer(m, x)
    dur_tgt = torch.tensor([[1, 2, 3, 0, 1, 2, 1], [4, 1, 1, 2, 0, 0, 0]])
    mel_d, lens_d, dur_d, *_ = _infer(m, x, dur_tgt=dur_tgt)
    assert lens_d.tolist() == [10, 8] and mel_d.shape == (2, 16, 10)
    assert torch.equal(dur_d, dur)  # the prediction is still returned
    # targets equal to the predictions reproduce the output; [B, T] and [B, 1, T] both work
    same, *_ = _infer(m, x, pitch_tgt=pitch, energy_tgt=energy)
    torch.testing.assert_close(same, mel)
    same2, *_ = _infer(m, x, pitch_tgt=pitch[:, 0], energy_tgt=energy[:, None])
    torch.testing.assert_close(same2, mel)
    other_pitch, *_ = _infer(m, x, pitch_tgt=pitch + 1.0)
    other_energy, *_ = _infer(m, x, energy_tgt=energy + 1.0)
    assert not torch.allclose(other_pitch, mel) and not torch.allclose(other_energy, mel)
    with pytest.raises(ValueError, match=r"pitch_tgt must have shape \[batch, 1, 7\] or \[batch, 7\]"):
        _infer(m, x, pitch_tgt=torch.zeros(2, 2, 7))
    with pytest.raises(ValueError, match="energy_tgt must have shape"):
        _infer(m, x, energy_tgt=torch.zeros(2, 5))
    with pytest.raises(ValueError, match="dur_tgt must have the shape"):
        _infer(m, x, dur_tgt=torch.ones(2, 3))


def test_speakers():
    m = _tiny_model(FastPitchConfig.from_dict({**TINY.to_dict(), "n_speakers": 3}))
    x = _text((7, 4))
    d = torch.full((2, 7), 2)
    mel0, *_ = _infer(m, x, speaker=0, dur_tgt=d)
    mel2, *_ = _infer(m, x, speaker=2, dur_tgt=d)
    assert not torch.allclose(mel0, mel2)
    torch.testing.assert_close(_infer(m, x, speaker=torch.tensor(2), dur_tgt=d)[0], mel2)
    mixed, *_ = _infer(m, x, speaker=torch.tensor([0, 2]), dur_tgt=d)
    torch.testing.assert_close(mixed[0], mel0[0])
    torch.testing.assert_close(mixed[1], mel2[1])
    with pytest.raises(ValueError, match="speaker 3 out of range: the model has 3 speakers"):
        _infer(m, x, speaker=3)
    with pytest.raises(ValueError, match="speaker -1 out of range"):
        _infer(m, x, speaker=torch.tensor([0, -1]))
    with pytest.raises(ValueError, match="speaker 1 out of range: the model has 1 speakers"):
        _infer(_tiny_model(), x, speaker=1)


@pytest.mark.parametrize("kwargs, inputs, message", [
    ({"pace": 0}, None, "pace must be > 0"),
    ({"pace": -1.0}, None, "pace must be > 0"),
    ({"pace": float("nan")}, None, "pace must be > 0"),
    ({}, torch.ones(2, 5), "2-D integer tensor"),
    ({}, torch.ones(5, dtype=torch.long), "2-D integer tensor"),
    ({}, [[1, 2, 3]], "2-D integer tensor"),
    ({}, torch.tensor([[1, 20]]), "symbol id 20 out of range"),
])
def test_infer_refuses_bad_arguments(kwargs, inputs, message):
    m = _tiny_model()
    with pytest.raises(ValueError, match=message):
        _infer(m, _text() if inputs is None else inputs, **kwargs)


# ---------------------------------------------------------------- (f) checkpoints

def nvidia_checkpoint(model, prefix="", drop_attention=False, config=None):
    """A checkpoint dict as NVIDIA's train.py writes it, keyed by the names of nvidia_layout."""
    ours = model.state_dict()
    c = model.config
    names = nvidia_layout(n_mel=c.n_mel_channels, n_symbols=c.n_symbols, d=c.symbols_embedding_dim,
                          n_layers=(c.in_fft_n_layers, c.out_fft_n_layers),
                          n_heads=(c.in_fft_n_heads, c.out_fft_n_heads),
                          d_head=(c.in_fft_d_head, c.out_fft_d_head),
                          d_inner=(c.in_fft_conv1d_filter_size, c.out_fft_conv1d_filter_size),
                          pred_filter=(16, 16, 16), n_speakers=c.n_speakers)
    sd = {prefix + k: ours[k].clone() for k in names if not (drop_attention and k.startswith("attention."))}
    cfg = {k: v for k, v in c.to_dict().items() if k != "pitch_conditioning_formants"}
    return {"epoch": 1000, "iteration": 123456, "config": config or cfg,
            "train_setup": {"symbol_set": "english_basic", "text_cleaners": ["english_cleaners_v2"],
                            "sampling_rate": 22050, "hop_length": 256, "p_arpabet": 1.0},
            "state_dict": sd, "ema_state_dict": None,
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}, "scaler": {"scale": 65536.0}}


def _same_outputs(a, b):
    x = _text((7, 4))
    for u, v in zip(_infer(a, x), _infer(b, x)):
        torch.testing.assert_close(u, v)


@pytest.mark.parametrize("prefix, drop_attention", [("", False), ("module.", False), ("", True),
                                                    ("module.", True)])
def test_nvidia_checkpoint_roundtrip(tmp_path, prefix, drop_attention):
    m = _tiny_model()
    m.pitch_mean.fill_(214.7)
    m.pitch_std.fill_(65.7)
    torch.save(nvidia_checkpoint(m, prefix, drop_attention), tmp_path / "FastPitch_checkpoint_1000.pt")
    loaded, config, setup = load_fastpitch_checkpoint(tmp_path / "FastPitch_checkpoint_1000.pt")
    assert config == TINY and not loaded.training and setup["symbol_set"] == "english_basic"
    assert float(loaded.pitch_mean) == pytest.approx(214.7)
    _same_outputs(loaded, m)
    same_aligner = torch.equal(loaded.attention.key_proj[0].conv.weight, m.attention.key_proj[0].conv.weight)
    assert same_aligner != drop_attention
    fp = load_fastpitch(tmp_path / "FastPitch_checkpoint_1000.pt")
    assert not fp.training and fp.train_setup["sampling_rate"] == 22050


def test_nvidia_checkpoint_with_old_config_keys_and_two_speakers(tmp_path):
    config = FastPitchConfig.from_dict({**TINY.to_dict(), "n_speakers": 2})
    m = _tiny_model(config)
    cfg = {**{k: v for k, v in config.to_dict().items() if k != "pitch_conditioning_formants"},
           "max_seq_len": 2048}
    torch.save(nvidia_checkpoint(m, config=cfg), tmp_path / "fp.pt")
    loaded, loaded_cfg, _ = load_fastpitch_checkpoint(tmp_path / "fp.pt")
    assert loaded_cfg == config and loaded.speaker_emb.weight.shape == (2, 32)
    _same_outputs(loaded, m)


def test_checkpoint_without_config_or_bare_state_dict(tmp_path):
    m = _tiny_model()
    ckpt = nvidia_checkpoint(m)
    del ckpt["config"]
    torch.save(ckpt, tmp_path / "noconfig.pt")
    with pytest.raises(CheckpointError, match="shape mismatches") as e:  # heads/filters are not guessed
        load_fastpitch_checkpoint(tmp_path / "noconfig.pt")
    _one_line(e)
    default_like = _tiny_model(FastPitchConfig(n_mel_channels=16, n_symbols=20, in_fft_n_layers=1,
                                               out_fft_n_layers=1))
    torch.save(default_like.state_dict(), tmp_path / "bare.pt")
    loaded, config, setup = load_fastpitch_checkpoint(tmp_path / "bare.pt")
    assert config == default_like.config and setup == {}
    _same_outputs(loaded, default_like)


def test_our_format_roundtrip(tmp_path):
    m = _tiny_model(FastPitchConfig.from_dict({**TINY.to_dict(), "n_speakers": 2}))
    m.pitch_mean.fill_(200.0)
    path = save_fastpitch(tmp_path / "fp.safetensors", m, extra={"train_setup": {"symbol_set": "english_basic"}})
    assert [p.name for p in tmp_path.iterdir()] == ["fp.safetensors"]
    loaded, config, setup = load_fastpitch_checkpoint(path)
    assert config == m.config and setup == {"symbol_set": "english_basic"} and not loaded.training
    assert float(loaded.pitch_mean) == 200.0
    _same_outputs(loaded, m)
    _same_outputs(load_fastpitch(str(path)), m)


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def test_bad_files(tmp_path):
    from conftest import TINY as TINY_GENERATOR
    from hifigan.audio import MelConfig
    from hifigan.models import Generator

    m = _tiny_model()
    torch.save(nvidia_checkpoint(m), tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    torch.save({"generator": Generator(TINY_GENERATOR).state_dict(), "config": {}}, tmp_path / "hifigan.pt")
    save_generator(tmp_path / "voc.safetensors", Generator(TINY_GENERATOR), MelConfig(hop_length=16))
    missing = nvidia_checkpoint(m)
    del missing["state_dict"]["proj.bias"], missing["state_dict"]["attention.attn_proj.bias"]
    torch.save(missing, tmp_path / "missing.pt")
    misshapen = nvidia_checkpoint(m, config={**TINY.to_dict(), "in_fft_conv1d_filter_size": 64})
    torch.save(misshapen, tmp_path / "misshapen.pt")
    nan = nvidia_checkpoint(m)
    nan["state_dict"]["proj.weight"][0, 0] = float("nan")
    torch.save(nan, tmp_path / "nan.pt")
    torch.save({"mpd": {}, "msd": {}}, tmp_path / "do_00001")
    torch.save({**nvidia_checkpoint(m), "config": {**TINY.to_dict(), "in_fft_n_heads": 0}}, tmp_path / "badcfg.pt")
    for name, pattern in [
        ("trunc.pt", "truncated or corrupt"),
        ("hifigan.pt", "is a HiFi-GAN generator checkpoint, not FastPitch"),
        ("voc.safetensors", "is a HiFi-GAN generator checkpoint, not FastPitch"),
        ("do_00001", "discriminator checkpoint, not FastPitch"),
        ("missing.pt", r"2 missing keys \(attention.attn_proj.bias, proj.bias\)"),
        ("misshapen.pt", "shape mismatches"),
        ("nan.pt", "NaN or infinite weights in proj.weight"),
        ("badcfg.pt", "bad FastPitch config"),
        ("absent.pt", "no such checkpoint file"),
    ]:
        with pytest.raises(CheckpointError, match=pattern) as e:
            load_fastpitch_checkpoint(tmp_path / name)
        assert name in _one_line(e)


def test_load_fastpitch_names():
    with pytest.raises(CheckpointError, match="unknown FastPitch 'nvidia_fastpitch': use a voice name "
                                              r"\(default\), 'nvidia'") as e:
        load_fastpitch("nvidia_fastpitch")
    assert "nvidia_fastpitch_210824+cfg.pt" in _one_line(e)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_fastpitch("missing/fastpitch.pt")


# ---------------------------------------------------------------- (g) training

def test_mas_is_the_best_monotonic_path():
    rng = np.random.default_rng(0)
    for n_mel, n_text in [(5, 3), (6, 6), (7, 2), (4, 1), (8, 4)]:
        log_attn = np.log(rng.dirichlet(np.ones(n_text), size=n_mel)).astype(np.float32)
        best, best_score = None, -np.inf
        # every monotonic path: a non-decreasing symbol per frame, from 0 to n_text-1, steps of 0/1
        for steps in itertools.product([0, 1], repeat=n_mel - 1):
            if sum(steps) != n_text - 1:
                continue
            js = np.concatenate([[0], np.cumsum(steps)])
            score = log_attn[np.arange(n_mel), js].sum()
            if score > best_score:
                best, best_score = js, score
        path = mas_width1(log_attn)
        assert (path.sum(1) == 1).all()
        assert path.argmax(1).tolist() == best.tolist()


def test_binarize_and_average_pitch():
    attn = torch.softmax(torch.randn(2, 1, 6, 4), dim=3)
    hard = binarize_attention(attn, torch.tensor([4, 2]), torch.tensor([6, 3]))
    assert hard[0, 0].sum(1).tolist() == [1] * 6 and hard[1, 0].sum(1).tolist() == [1, 1, 1, 0, 0, 0]
    assert hard[1, 0, :, 2:].sum() == 0 and hard[1, 0, 0, 0] == 1 and hard[1, 0, 2, 1] == 1
    pitch = torch.tensor([[[100.0, 0.0, 120.0, 0.0, 0.0, 90.0, 30.0]]])
    durs = torch.tensor([[3.0, 2.0, 0.0, 2.0]])
    assert average_pitch(pitch, durs).tolist() == [[[110.0, 0.0, 0.0, 60.0]]]


def test_training_forward_shapes_and_backward():
    config = FastPitchConfig.from_dict({**TINY.to_dict(), "n_speakers": 2})
    torch.manual_seed(0)
    m = FastPitch(config).train()
    text = _text((6, 4))
    text_lens, mel_lens = torch.tensor([6, 4]), torch.tensor([20, 13])
    mel = torch.randn(2, 16, 20)
    pitch = torch.rand(2, 1, 20) * 2 - 1
    pitch[:, :, ::4] = 0.0  # unvoiced frames
    energy = torch.rand(2, 20)
    prior = torch.softmax(torch.randn(2, 20, 6), dim=2)
    batch = (text, text_lens, mel, mel_lens, pitch, energy, torch.tensor([0, 1]), prior, ["a.wav", "b.wav"])
    out = m(batch)
    (mel_out, dec_mask, dur_pred, log_dur_pred, pitch_pred, pitch_tgt, energy_pred, energy_tgt,
     attn_soft, attn_hard, attn_hard_dur, attn_logprob) = out
    assert mel_out.shape == (2, 20, 16) and dec_mask.shape == (2, 20, 1)
    assert dec_mask[:, :, 0].sum(1).tolist() == [20, 13]
    assert dur_pred.shape == log_dur_pred.shape == energy_pred.shape == energy_tgt.shape == (2, 6)
    assert pitch_pred.shape == pitch_tgt.shape == (2, 1, 6)
    assert attn_soft.shape == attn_hard.shape == attn_logprob.shape == (2, 1, 20, 6)
    assert attn_hard_dur.sum(1).tolist() == [20, 13] and (attn_hard_dur[1, 4:] == 0).all()
    torch.testing.assert_close(attn_soft[1, 0, :, :4].sum(1), torch.ones(20))
    assert (attn_soft[1, 0, :, 4:] == 0).all()
    loss = (F.mse_loss(mel_out, mel.transpose(1, 2)) + (log_dur_pred - torch.log1p(attn_hard_dur)).pow(2).mean()
            + (pitch_pred - pitch_tgt).pow(2).mean() + (energy_pred - energy_tgt).pow(2).mean()
            - attn_logprob.clamp_min(-1e4).mean())
    loss.backward()
    no_grad = [n for n, p in m.named_parameters() if p.grad is None]
    assert no_grad == ["attention.attn_proj.weight", "attention.attn_proj.bias"]  # unused, as NVIDIA's
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
    assert m.attention.query_proj[0].conv.weight.grad.abs().sum() > 0
    # without a prior, without the path list, predicted pitch
    out = m(batch[:7] + (None,), use_gt_pitch=False)
    assert out[0].shape == (2, 20, 16)


@pytest.mark.parametrize("k", [1, 3, 4, 5])
def test_time_major_conv_equals_conv1d_with_gradients(k):
    from hifigan.models.fastpitch import time_major_conv1d
    torch.manual_seed(k)
    conv = torch.nn.Conv1d(6, 10, k, padding=k // 2)
    x = torch.randn(3, 17, 6, requires_grad=True)
    got = time_major_conv1d(x, conv)
    want = conv(x.transpose(1, 2)).transpose(1, 2)[:, :17]  # even k: the conv's extra last frame dropped
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(got)
    gx, gw = torch.autograd.grad(got, (x, conv.weight), g)
    wx, ww = torch.autograd.grad(want, (x, conv.weight), g)
    torch.testing.assert_close(gx, wx, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gw, ww, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("k", [3, 4])
def test_time_major_conv_backward_equals_unfold_autograd(k):
    """The custom backward against autograd through ``unfold`` + ``linear`` (the forward it
    replaces), in fp32 and under CPU bf16 autocast: every gradient, its dtype included."""
    from hifigan.models.fastpitch import _windows, time_major_conv1d
    torch.manual_seed(k)
    conv = torch.nn.Conv1d(8, 12, k, padding=k // 2)
    x = torch.randn(2, 23, 8, requires_grad=True)
    for autocast in (False, True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            got = time_major_conv1d(x, conv)
            w = conv.weight.reshape(12, -1)
            want = F.linear(_windows(x, k), w, conv.bias)
        assert got.dtype == want.dtype
        tol = 2e-2 if autocast else 1e-5  # bf16 products, summed in another order (windows tap-major)
        torch.testing.assert_close(got.float(), want.float(), rtol=tol, atol=tol * want.abs().max().item())
        g = torch.randn_like(got)
        got_g = torch.autograd.grad(got, (x, conv.weight, conv.bias), g)
        want_g = torch.autograd.grad(want, (x, conv.weight, conv.bias), g)
        for a, b in zip(got_g, want_g):
            assert a.dtype == b.dtype == torch.float32
            torch.testing.assert_close(a, b, rtol=tol, atol=tol * b.abs().max().item())


@pytest.mark.parametrize("k", [3, 4])
def test_training_feed_forward_skips_the_padding_with_the_same_result(k):
    """In training the feed-forward block packs the sequences end to end (no padding computed):
    the same output inside each sequence and the same gradients as the padded computation."""
    from hifigan.models.fastpitch import PositionwiseConvFF, _packed_rows
    torch.manual_seed(k)
    ff = PositionwiseConvFF(6, 10, k, dropout=0.0)
    lens = torch.tensor([9, 4, 9, 1])
    mask = (torch.arange(9)[None] < lens[:, None])[..., None]
    x = (torch.randn(4, 9, 6) * mask).requires_grad_()
    assert _packed_rows(mask, k) is not None
    packed = ff.train()(x, mask) * mask
    padded = ff.eval()(x, mask) * mask
    torch.testing.assert_close(packed, padded, rtol=1e-5, atol=1e-5)
    g = torch.randn_like(packed)
    got = torch.autograd.grad(packed, [x] + list(ff.parameters()), g)
    want = torch.autograd.grad(padded, [x] + list(ff.parameters()), g)
    # x's padding is used (as zeros) only by the padded computation; in the model it is x * mask
    torch.testing.assert_close(got[0] * mask, want[0] * mask, rtol=1e-4, atol=1e-5)
    for a, b in zip(got[1:], want[1:]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert _packed_rows(torch.ones(2, 5, 1, dtype=torch.bool), k) is None  # nothing to skip
    holey = mask.clone()
    holey[1, 0] = False
    assert _packed_rows(holey, k) is None  # not a prefix mask: the padded computation


def test_a_text_gets_the_same_output_alone_and_in_a_batch():
    """Padding must not leak into a shorter text's last symbols or frames (NVIDIA's infer lets the
    bias of padded positions reach them through the second convolution of each block)."""
    torch.manual_seed(3)
    model = FastPitch(TINY).eval()
    for p in model.parameters():  # biases large enough that a leak would show
        p.data.add_(0.05 * torch.randn_like(p))
    short = torch.tensor([[2, 11, 12, 1, 15]])
    long = torch.tensor([[3, 13, 14, 2, 17, 16, 4, 15, 7, 13, 18, 19]])
    batch = torch.zeros(2, long.shape[1], dtype=torch.long)
    batch[0, :5], batch[1] = short[0], long[0]
    fixed = torch.tensor([[2.0, 3, 1, 4, 2]])  # durations given, so both decode the same frames
    dur_batch = torch.cat([torch.cat([fixed, torch.zeros(1, long.shape[1] - 5)], 1), torch.full((1, long.shape[1]), 2.0)])
    with torch.inference_mode():
        mel_a, len_a, dur_a, pitch_a, energy_a = model.infer(short, dur_tgt=fixed)
        mel_b, len_b, dur_b, pitch_b, energy_b = model.infer(batch, dur_tgt=dur_batch)
    assert len_b[0] == len_a[0] == 12
    torch.testing.assert_close(dur_b[0, :5], dur_a[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(pitch_b[0, :, :5], pitch_a[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(energy_b[0, :5], energy_a[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(mel_b[0, :, :12], mel_a[0], atol=1e-5, rtol=1e-4)


CONTROLS = {  # each control of infer, as a caller would pass it for a whole batch
    "pace": dict(pace=1.37),
    "pitch shift (NVIDIA's example)": dict(pitch_transform=lambda p, lens, mean, std: p + 20 / std),
    "pitch flatten, invert, amplify": dict(pitch_transform=lambda p, lens, mean, std: -1.7 * p + 0.5),
    "pitch by length": dict(pitch_transform=lambda p, lens, mean, std: p + lens.view(-1, 1, 1) / 10),
    "speaker": dict(speaker=2),
}


@pytest.mark.parametrize("control", list(CONTROLS) + ["energy scaled", "speaker per row"])
def test_every_control_leaves_a_text_in_a_batch_as_it_is_alone(control):
    """Three texts of 13, 9 and 5 symbols: each padded row equals the text alone, under each control
    (the unpadded text alone is what NVIDIA's infer computes). Before the pitch and energy were zeroed
    at the padding, a shifted pitch reached the last symbols through the embedding's convolution."""
    m = _tiny_model(FastPitchConfig.from_dict({**TINY.to_dict(), "n_speakers": 3}), seed=4)
    with torch.no_grad():
        m.pitch_emb.bias.add_(1.0)  # biases large enough that a leak would show
        m.energy_emb.bias.add_(1.0)
        m.duration_predictor.fc.weight.mul_(0.1)  # durations that vary, about 3 frames, never 0
    lens = (13, 9, 5)
    x = _text(lens, seed=7)
    speakers = torch.tensor([2, 0, 1])

    def run(inputs, rows):
        if control == "energy scaled":  # the pipeline's energy control: a second pass with energy_tgt
            _, _, dur, pitch, energy = _infer(m, inputs)
            return _infer(m, inputs, dur_tgt=dur, pitch_tgt=pitch, energy_tgt=energy * 1.8 + 0.3)
        if control == "speaker per row":
            return _infer(m, inputs, speaker=speakers[rows] if len(rows) > 1 else int(speakers[rows[0]]))
        return _infer(m, inputs, **CONTROLS[control])

    mel_b, len_b, dur_b, pitch_b, _ = run(x, [0, 1, 2])
    plain, plain_lens, *_ = _infer(m, x)
    for i, n in enumerate(lens):
        mel_a, len_a, dur_a, pitch_a, _ = run(x[i:i + 1, :n], [i])
        assert int(len_b[i]) == int(len_a[0]) > 0
        torch.testing.assert_close(dur_b[i, :n], dur_a[0], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(pitch_b[i, :, :n], pitch_a[0], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(mel_b[i, :, :int(len_a[0])], mel_a[0], atol=1e-5, rtol=1e-4)
    n = int(plain_lens[0])  # the control did something to the first text
    assert int(len_b[0]) != n or not torch.allclose(mel_b[0, :, :n], plain[0, :, :n])
