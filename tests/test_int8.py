"""Int8 FastPitch (models/int8.py): exact on values the int8 grids hold, close on others, wired
through load_fastpitch, TextToSpeech, the CLI and 'auto'."""
import pytest
import torch
import torch.nn.functional as F

import hifigan.precision as P
from hifigan import TextToSpeech
from hifigan.loaders import load_fastpitch
from hifigan.cli import main
from hifigan.errors import HifiganError
from hifigan.models.int8 import Int8Linear, Int8TimeMajorConv, quantize_input, quantize_weight

from conftest import needs_int8
from test_pipeline import TINY_FP, make_fastpitch
from test_precision import tiny_files  # noqa: F401  (the tiny FastPitch + generator checkpoint files)


def on_grid(shape, gen, lo=-90, hi=165, step=0.03):
    """Float values that per-tensor uint8 quantisation holds exactly: k * step for integer k in
    [lo, hi], with lo and hi both present (so the range, scale and zero point come out exact)."""
    k = torch.randint(lo, hi + 1, shape, generator=gen).float()
    k.view(-1)[0], k.view(-1)[1] = lo, hi
    assert hi - lo == 255
    return k * step


def grid_weight(out_f, in_f, gen):
    """Weights whose rows are int8 multiples of a per-row scale, each row reaching +-127."""
    q = torch.randint(-127, 128, (out_f, in_f), generator=gen).float()
    q[:, 0] = 127
    return q * (torch.rand(out_f, 1, generator=gen) * 0.02 + 0.001)


def test_quantisers_match_their_definitions():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(6, 10, generator=gen)
    q, s = quantize_weight(w)
    assert q.dtype is torch.int8 and torch.allclose(s, w.abs().amax(1) / 127)
    assert (q.float() * s[:, None] - w).abs().max() <= s.max() / 2 + 1e-7
    x = on_grid((4, 7), gen)
    qx, sx, zx = quantize_input(x)
    assert qx.dtype is torch.uint8 and zx == 90 and sx == pytest.approx(0.03)
    assert torch.equal(qx.long(), torch.round(x / 0.03).long() + 90)
    # an all-positive input still maps 0.0 onto the zero point (0): the range always holds 0
    qx, sx, zx = quantize_input(torch.tensor([[1.0, 2.0, 3.0]]))
    assert zx == 0 and torch.equal(qx, torch.tensor([[85, 170, 255]], dtype=torch.uint8))
    # range [-0.6, 2.4]: step 3 / 255, zero point 51; 1.47 -> 51 + 124.95 -> 176, 1.49 -> 51 + 126.65 -> 178
    qx, sx, zx = quantize_input(torch.tensor([-0.6, 1.47, 1.49, 2.4]))
    assert zx == 51 and torch.equal(qx, torch.tensor([0, 176, 178, 255], dtype=torch.uint8))


@needs_int8
def test_int8_linear_is_exact_on_grid_values_and_close_elsewhere():
    gen = torch.Generator().manual_seed(1)
    w, b = grid_weight(48, 64, gen), torch.randn(48, generator=gen)
    lin = Int8Linear(w, b)
    x = on_grid((2, 5, 64), gen)
    y = lin(x)
    assert y.dtype is torch.float32 and y.shape == (2, 5, 48)
    torch.testing.assert_close(y, F.linear(x.double(), w.double(), b.double()).float(), rtol=1e-5, atol=1e-4)
    x = torch.randn(3, 64, generator=gen)
    want = F.linear(x, w, b)
    err = (lin(x) - want).abs().max() / want.abs().max()
    assert 0 < err < 0.03, err
    assert lin(torch.zeros(2, 0, 64)).shape == (2, 0, 48)


@needs_int8
@pytest.mark.parametrize("k", [1, 3, 5])
def test_int8_conv_is_conv1d_with_zero_padding(k):
    gen = torch.Generator().manual_seed(k)
    conv = torch.nn.Conv1d(16, 24, k, padding=k // 2)
    with torch.no_grad():
        conv.weight.copy_(grid_weight(24, 16 * k, gen).view(24, k, 16).transpose(1, 2))
    q = Int8TimeMajorConv(conv)
    x = on_grid((2, 16, 9), gen)  # asymmetric: zero point 90, so a pad of raw 0 would show at the edges
    want = F.conv1d(x.double(), conv.weight.double(), conv.bias.double(), padding=k // 2).float()
    torch.testing.assert_close(q(x), want, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(q.time_major(x.transpose(1, 2)), want.transpose(1, 2), rtol=1e-5, atol=1e-4)
    assert q.time_major(torch.zeros(2, 0, 16)).shape == (2, 0, 24)


@needs_int8
def test_quantized_fastpitch_stays_close_and_is_inference_only():
    torch.manual_seed(0)
    model = make_fastpitch(**TINY_FP)
    ids = torch.tensor([[20, 30, 40, 11, 50, 12, 33], [20, 30, 40, 11, 0, 0, 0]])
    with torch.inference_mode():
        mel, lens, dur = model.infer(ids)[:3]
    q = make_fastpitch(**TINY_FP)
    q.load_state_dict(model.state_dict())
    assert q.quantize_int8() is q and q.is_int8 and not model.is_int8
    assert isinstance(q.decoder.layers[0].pos_ff.CoreNet[0], Int8TimeMajorConv)
    assert isinstance(q.duration_predictor.layers[1].conv, Int8TimeMajorConv)
    assert type(q.encoder.layers[0].dec_attn.qkv_net) is torch.nn.Linear  # float32: int8 did not pay there
    with torch.inference_mode():
        mel8, lens8, dur8 = q.infer(ids, dur_tgt=dur)[:3]
        alone = q.infer(ids[1:, :4], dur_tgt=dur[1:, :4])[0]
    assert torch.equal(lens8, lens)
    rel = (mel8 - mel).abs().mean() / mel.abs().mean()
    assert 0 < rel < 0.05, rel
    # per-tensor input scales depend on the batch, so a padded batch is close to, not equal to, alone
    n = int(lens[1])
    assert (mel8[1:, :, :n] - alone).abs().mean() < 0.05 * alone.abs().mean()
    with pytest.raises(RuntimeError, match="inference only"):
        q.train()


def test_precision_names_and_pairs(monkeypatch):
    assert P.split_precision("auto") == ("auto", "auto")
    assert P.split_precision("int8/bf16") == ("int8", "bf16")
    for bad, msg in (("int8", "FastPitch only"), ("int4/fp32", "unknown precision 'int4'"), ("a/b/c", "one name")):
        with pytest.raises(HifiganError, match=msg):
            P.split_precision(bad)
    with pytest.raises(HifiganError, match="FastPitch only"):
        P.resolve_precision("int8", "cpu")  # the vocoder
    with pytest.raises(HifiganError, match="runs on a CPU"):
        P.resolve_precision("int8", "cuda", "fastpitch")
    monkeypatch.setattr(P, "cpu_has_native_int8", lambda: False)
    with pytest.raises(HifiganError, match="AMX or AVX512-VNNI"):
        P.resolve_precision("int8", "cpu", "fastpitch")
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: True)
    assert P.resolve_precision("auto", "cpu", "fastpitch") == "bf16"
    monkeypatch.setattr(P, "cpu_has_native_int8", lambda: True)
    assert P.resolve_precision("auto", "cpu", "fastpitch") == "int8"
    assert P.resolve_precision("auto", "cpu", "vocoder") == "bf16"
    assert P.resolve_precision("auto", "cuda", "fastpitch") == "fp16"


@needs_int8
def test_int8_through_load_pipeline_and_cli(tiny_files, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(P, "cpu_has_native_bf16", lambda: True)
    fp_path, voc_path = tiny_files
    assert load_fastpitch(fp_path, precision="int8").is_int8
    assert not load_fastpitch(fp_path, precision="fp32").is_int8
    tts = TextToSpeech.from_pretrained(fp_path, voc_path, precision="auto")
    assert tts.fastpitch.is_int8 and next(tts.vocoder.parameters()).dtype is torch.bfloat16
    tts = TextToSpeech.from_pretrained(fp_path, voc_path, precision="int8/fp32")
    assert tts.fastpitch.is_int8 and next(tts.vocoder.parameters()).dtype is torch.float32
    audio, sr = tts.synthesize("Hello there.")
    assert audio.size > 0
    out = tmp_path / "a.wav"
    args = ["synthesize", "Hello there.", "-o", str(out), "--fastpitch", str(fp_path), "--vocoder", str(voc_path)]
    with pytest.raises(SystemExit):
        main(args + ["--precision", "int8"])
    assert "FastPitch only" in capsys.readouterr().err and not out.exists()
    assert main(args + ["--precision", "int8/fp32"]) == 0 and out.exists()
