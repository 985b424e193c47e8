"""The mel post-filter against scipy.ndimage (an independent Gaussian filter) and in the pipeline."""
import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

from hifigan.postfilter import blur_time, gaussian_kernel, sharpen


@pytest.mark.parametrize("sigma", [0.7, 1.5, 2.0, 3.3])
@pytest.mark.parametrize("frames", [1, 3, 7, 40])  # shorter and longer than the kernel's radius
def test_blur_matches_scipy_nearest(sigma, frames):
    mel = torch.randn(2, 5, frames, generator=torch.Generator().manual_seed(frames), dtype=torch.float64)
    ours = blur_time(mel, sigma).numpy()
    ref = gaussian_filter1d(mel.numpy(), sigma, axis=-1, mode="nearest", truncate=3.0)
    np.testing.assert_allclose(ours, ref, atol=1e-6)  # kernel built in float64, applied in the mel's dtype


def test_kernel_is_normalised_and_scipy_sized():
    k = gaussian_kernel(2.0)
    assert k.numel() == 2 * int(3.0 * 2.0 + 0.5) + 1
    assert abs(float(k.sum()) - 1.0) < 1e-6


def test_sharpen_formula_and_properties():
    mel = torch.randn(80, 50, generator=torch.Generator().manual_seed(0))
    out = sharpen(mel, 0.5, 2.0)
    ref = mel.numpy() + 0.5 * (mel.numpy() - gaussian_filter1d(mel.numpy(), 2.0, axis=-1, mode="nearest", truncate=3.0))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
    # a constant mel (silence) is left alone; a step gets an over- and an undershoot, longer frame deltas
    flat = torch.full((80, 30), -11.5)
    assert torch.allclose(sharpen(flat, 0.7), flat)
    step = torch.cat([torch.full((1, 15), -8.0), torch.full((1, 15), -2.0)], -1)
    s = sharpen(step, 0.5)
    assert s.max() > -2.0 and s.min() < -8.0
    assert (s[..., 1:] - s[..., :-1]).abs().max() > 6.0
    assert sharpen(mel, 0.0) is mel


@pytest.mark.parametrize("amount,sigma", [(-0.1, 2.0), (float("nan"), 2.0), (0.5, 0.0), (0.5, float("inf"))])
def test_sharpen_rejects_bad_settings(amount, sigma):
    with pytest.raises(ValueError):
        sharpen(torch.zeros(80, 4), amount, sigma)


def test_pipeline_vocodes_the_sharpened_mel_in_synthesize_and_stream():
    from hifigan.errors import HifiganError
    from hifigan.models.hifigan import Generator
    from hifigan.pipeline import TextToSpeech
    from hifigan.audio import MelConfig
    from hifigan.vocoder import Vocoder
    from test_pipeline import TINY, TINY_FP, make_fastpitch  # durations: 3 frames a symbol

    torch.manual_seed(0)
    fp = make_fastpitch(**TINY_FP)
    vocoder = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=16)).eval()
    plain = TextToSpeech(fp, vocoder)
    sharp = TextToSpeech(fp, vocoder, sharpen=0.5)
    text = "A first sentence of a few words. And a second one."
    base, got = plain.synthesize_utterances([text])[0], sharp.synthesize_utterances([text])[0]
    assert got.audio.shape == base.audio.shape and not torch.allclose(got.mel, base.mel, atol=1e-2)
    # each sentence's mel is filtered on its own (its edges repeated), then vocoded
    n1 = 3 * len(plain.text_processor.encode_text("A first sentence of a few words."))  # 3 frames a symbol
    want = torch.cat([sharpen(base.mel[:, :n1], 0.5), sharpen(base.mel[:, n1:], 0.5)], -1)
    torch.testing.assert_close(got.mel, want, atol=1e-5, rtol=0)
    first, second = vocoder.vocode_many([want[:, :n1], want[:, n1:]], 1)
    want_audio = np.concatenate([first.numpy(), np.zeros(round(0.2 * plain.sample_rate), np.float32), second.numpy()])
    np.testing.assert_allclose(got.audio, want_audio, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(list(sharp.stream(text))), got.audio, atol=1e-4)
    for bad in (-0.5, float("nan"), "0.5"):
        with pytest.raises(HifiganError, match="sharpen"):
            TextToSpeech(fp, vocoder, sharpen=bad)


def test_the_default_voice_carries_its_post_filter_and_the_cli_can_change_it(tmp_path, capsys):
    import soundfile as sf
    from hifigan.cli import main
    from hifigan.pipeline import TextToSpeech
    from hifigan.pretrained import VOICES, voice_sharpen

    amount = VOICES["default"]["sharpen"]
    assert amount > 0 and voice_sharpen("default") == voice_sharpen("auto") == amount
    assert voice_sharpen("nvidia") == voice_sharpen(str(tmp_path / "some.safetensors")) == 0.0
    assert TextToSpeech.from_pretrained().sharpen == amount
    off = TextToSpeech.from_pretrained(sharpen=0)
    assert off.sharpen == 0.0
    on = TextToSpeech.from_pretrained()
    a, b = on.synthesize_utterances(["Hello there."])[0], off.synthesize_utterances(["Hello there."])[0]
    torch.testing.assert_close(a.mel, sharpen(b.mel, amount), atol=1e-5, rtol=0)
    assert main(["synthesize", "Hello there.", "-o", str(tmp_path / "off.wav"), "--sharpen", "0"]) == 0
    off_wav, _ = sf.read(str(tmp_path / "off.wav"), dtype="float32")
    np.testing.assert_allclose(off_wav, b.audio, atol=1 / 16000)  # 16-bit rounding
    for bad in ("-1", "nan"):
        capsys.readouterr()
        assert main(["synthesize", "Hi.", "-o", str(tmp_path / "bad.wav"), "--sharpen", bad]) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--sharpen" in err[0]
    assert not (tmp_path / "bad.wav").exists()
