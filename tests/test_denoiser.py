import librosa
import numpy as np
import pytest
import torch

from conftest import TINY, speechlike
from hifigan.models import Denoiser, Generator


@pytest.fixture
def generator():
    g = Generator(TINY, weight_norm=False).eval()
    for p in g.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    return g


def test_bias_is_the_first_stft_frame_of_the_zero_mel_output(generator):
    d = Denoiser(generator, n_fft=256, hop_length=64, win_length=256)
    with torch.no_grad():
        bias_audio = generator(torch.zeros(1, 80, 88))[0, 0].double().numpy()
    ref = np.abs(librosa.stft(bias_audio, n_fft=256, hop_length=64, win_length=256, window="hann",
                              center=True, pad_mode="reflect"))[:, 0]
    assert d.bias_spec.shape == (1, 129, 1)
    np.testing.assert_allclose(d.bias_spec[0, :, 0].numpy(), ref, rtol=1e-4, atol=1e-6)


def test_zero_strength_reconstructs_the_input(generator):
    d = Denoiser(generator, n_fft=256, hop_length=64, win_length=256)
    x = torch.from_numpy(np.stack([speechlike(0.3, seed=1), speechlike(0.3, seed=2)]))
    y = d(x, strength=0.0)
    assert y.shape == (2, 1, x.shape[1])
    torch.testing.assert_close(y[:, 0], x, atol=1e-5, rtol=0)


def test_denoising_matches_spectral_subtraction_in_numpy(generator):
    d = Denoiser(generator, n_fft=256, hop_length=64, win_length=256)
    x = speechlike(0.3)
    strength = 50.0  # large, so that the clamp at zero is exercised too
    kw = dict(n_fft=256, hop_length=64, win_length=256, window="hann", center=True)
    spec = librosa.stft(x.astype(np.float64), pad_mode="reflect", **kw)
    mag = np.maximum(np.abs(spec) - strength * d.bias_spec[0].double().numpy(), 0.0)
    assert (mag == 0).any() and (mag > 0).any()
    ref = librosa.istft(mag * np.exp(1j * np.angle(spec)), length=len(x), **kw)
    ours = d(torch.from_numpy(x)[None], strength)[0, 0].numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_denoising_removes_the_bias_tone(generator):
    d = Denoiser(generator, n_fft=256, hop_length=64, win_length=256)
    with torch.no_grad():
        bias_audio = generator(torch.zeros(1, 80, 88))[:, 0]
    cleaned = d(bias_audio, strength=1.0)
    assert cleaned.square().mean() < 0.1 * bias_audio.square().mean()


def test_audio_shorter_than_half_a_window(generator):
    d = Denoiser(generator, n_fft=256, hop_length=64, win_length=256)
    x = torch.from_numpy(speechlike(0.005))[None]  # 110 samples < 128
    y = d(x, strength=0.0)
    assert y.shape == (1, 1, x.shape[-1])
    torch.testing.assert_close(y[:, 0], x, atol=1e-5, rtol=0)
