import librosa
import numpy as np
import pytest
import soundfile as sf
import torch

from conftest import speechlike
from hifigan.audio import (MelConfig, hz_to_mel, load_audio, mel_filterbank, mel_spectrogram,
                           read_audio, resample, write_wav)
from hifigan.errors import AudioError

FILTER_CASES = [(22050, 1024, 80, 0.0, 8000.0), (16000, 512, 40, 20.0, None),
                (44100, 2048, 128, 0.0, 11025.0), (24000, 1024, 100, 0.0, 12000.0)]


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", FILTER_CASES)
def test_filterbank_matches_librosa(sr, n_fft, n_mels, fmin, fmax):
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert ours.shape == (n_mels, n_fft // 2 + 1)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)


def test_slaney_mel_scale_matches_librosa():
    f = np.array([0.0, 200.0, 999.0, 1000.0, 4000.0, 11025.0])
    np.testing.assert_allclose(hz_to_mel(f), librosa.hz_to_mel(f, htk=False), rtol=1e-9)


def _reference_logmel(x, cfg: MelConfig):
    """Independent computation with numpy + librosa, following the two papers' code paths."""
    fb = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.f_min, fmax=cfg.f_max)
    if cfg.convention == "hifigan":
        pad = (cfg.n_fft - cfg.hop_length) // 2
        spec = librosa.stft(np.pad(x.astype(np.float64), pad, mode="reflect"), n_fft=cfg.n_fft,
                            hop_length=cfg.hop_length, win_length=cfg.win_length, window="hann", center=False)
        mag = np.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-9)
    else:
        spec = librosa.stft(x.astype(np.float64), n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                            win_length=cfg.win_length, window="hann", center=True, pad_mode="reflect")
        mag = np.abs(spec)
    return np.log(np.maximum(fb @ mag, 1e-5))


@pytest.mark.parametrize("convention", ["hifigan", "tacotron"])
@pytest.mark.parametrize("cfg_kw", [{}, dict(sample_rate=16000, n_fft=512, hop_length=128, win_length=400,
                                             n_mels=64, f_min=50.0, f_max=7600.0)])
def test_log_mel_matches_independent_computation(convention, cfg_kw):
    cfg = MelConfig(convention=convention, **cfg_kw)
    x = speechlike(0.7, cfg.sample_rate)
    ours = mel_spectrogram(torch.from_numpy(x).double(), cfg)[0].numpy()
    ref = _reference_logmel(x, cfg)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    n = len(x) // cfg.hop_length
    assert ours.shape[1] == (n if convention == "hifigan" else n + 1)


def test_float32_close_to_float64_and_batch_equals_single():
    cfg = MelConfig()
    x = torch.from_numpy(np.stack([speechlike(0.5, seed=1), speechlike(0.5, seed=2)]))
    batch = mel_spectrogram(x, cfg)
    assert batch.dtype == torch.float32
    for i in range(2):
        single = mel_spectrogram(x[i].double(), cfg)[0]
        np.testing.assert_allclose(batch[i].numpy(), single.numpy(), atol=2e-3)


def test_too_short_audio_is_a_clear_error():
    with pytest.raises(AudioError, match="too short"):
        mel_spectrogram(torch.zeros(100), MelConfig())


def test_mel_config_validation():
    with pytest.raises(ValueError, match="convention"):
        MelConfig(convention="htk")
    with pytest.raises(ValueError, match="win_length"):
        MelConfig(win_length=2048)
    with pytest.raises(ValueError, match="f_max"):
        MelConfig(f_max=20000.0)
    assert MelConfig.from_dict({**MelConfig().to_dict(), "unused": 1}) == MelConfig()


def test_wav_roundtrip_int16_and_float(tmp_path):
    x = speechlike(0.3)
    write_wav(tmp_path / "a.wav", x, 22050)
    y, sr = read_audio(tmp_path / "a.wav")
    assert sr == 22050 and sf.info(str(tmp_path / "a.wav")).subtype == "PCM_16"
    np.testing.assert_allclose(y, x, atol=1 / 32767)
    write_wav(tmp_path / "b.wav", torch.from_numpy(x), 22050, subtype="FLOAT")
    y, _ = read_audio(tmp_path / "b.wav")
    np.testing.assert_array_equal(y, x)


def test_write_clips_and_leaves_no_temp_files(tmp_path):
    write_wav(tmp_path / "c.wav", np.array([2.0, -2.0, 0.5], np.float32), 8000)
    y, _ = read_audio(tmp_path / "c.wav")
    np.testing.assert_allclose(y, [1.0, -1.0, 0.5], atol=1e-4)
    assert [p.name for p in tmp_path.iterdir()] == ["c.wav"]


def test_stereo_is_mixed_down(tmp_path):
    left, right = speechlike(0.2, seed=1), speechlike(0.2, seed=2)
    sf.write(str(tmp_path / "s.wav"), np.stack([left, right], 1), 22050, subtype="FLOAT")
    y, _ = read_audio(tmp_path / "s.wav")
    np.testing.assert_allclose(y, (left + right) / 2, atol=1e-7)


def test_resample_keeps_pitch_and_duration():
    sr_in, sr_out, f = 16000, 22050, 440.0
    t = np.arange(sr_in) / sr_in
    y = resample(np.sin(2 * np.pi * f * t).astype(np.float32), sr_in, sr_out)
    assert abs(len(y) - sr_out) <= 1
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak_hz = np.argmax(spectrum) * sr_out / len(y)
    assert abs(peak_hz - f) < 1.5
    assert resample(y, sr_out, sr_out) is y


def test_load_audio_resamples_file(tmp_path):
    sf.write(str(tmp_path / "r.wav"), speechlike(1.0, 16000), 16000)
    assert abs(len(load_audio(tmp_path / "r.wav", 22050)) - 22050) <= 1


def test_bad_audio_files(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        read_audio(tmp_path / "missing.wav")
    (tmp_path / "text.wav").write_text("this is not audio")
    with pytest.raises(AudioError, match="not a readable audio file"):
        read_audio(tmp_path / "text.wav")
    sf.write(str(tmp_path / "empty.wav"), np.zeros(0, np.float32), 22050)
    with pytest.raises(AudioError, match="empty"):
        read_audio(tmp_path / "empty.wav")
    bad = np.zeros(100, np.float32)
    bad[5] = np.nan
    sf.write(str(tmp_path / "nan.wav"), bad, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        read_audio(tmp_path / "nan.wav")


def test_write_refuses_bad_audio_without_leaving_a_file(tmp_path):
    with pytest.raises(AudioError, match="NaN"):
        write_wav(tmp_path / "x.wav", np.array([0.0, np.nan], np.float32), 22050)
    with pytest.raises(AudioError, match=".wav"):
        write_wav(tmp_path / "x.mp3", np.zeros(10, np.float32), 22050)
    with pytest.raises(AudioError, match="mono"):
        write_wav(tmp_path / "x.wav", np.zeros((2, 10), np.float32), 22050)
    assert list(tmp_path.iterdir()) == []
