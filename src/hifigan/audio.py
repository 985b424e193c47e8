"""Audio I/O, resampling and the mel spectrogram.

Two mel conventions are in use by the checkpoints we load:

* ``"hifigan"`` (the HiFi-GAN authors' ``meldataset.mel_spectrogram``, also NVIDIA's HiFi-GAN):
  reflect-pad ``(n_fft - hop) / 2`` on each side, STFT with ``center=False``, magnitude
  ``sqrt(re^2 + im^2 + 1e-9)``; ``T // hop`` frames for ``T`` samples.
* ``"tacotron"`` (NVIDIA's ``TacotronSTFT``, FastPitch's training data): ``center=True`` reflect
  padding by ``n_fft / 2``, plain magnitude; ``1 + T // hop`` frames.

Both then apply Slaney-style mel filters (librosa's default) and ``ln(clamp(x, 1e-5))``.
"""
from __future__ import annotations

import functools
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from hifigan.errors import AudioError
from hifigan.files import atomic_output

CONVENTIONS = ("hifigan", "tacotron")
LOG_FLOOR = 1e-5


@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = 8000.0
    convention: str = "hifigan"

    def __post_init__(self):
        if self.convention not in CONVENTIONS:
            raise ValueError(f"mel convention must be one of {CONVENTIONS}, not {self.convention!r}")
        for name in ("sample_rate", "n_fft", "hop_length", "win_length", "n_mels"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"mel {name} must be positive, got {getattr(self, name)}")
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length {self.win_length} exceeds n_fft {self.n_fft}")
        f_max = self.sample_rate / 2 if self.f_max is None else self.f_max
        if not 0 <= self.f_min < f_max <= self.sample_rate / 2:
            raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2, got {self.f_min}, {f_max}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "MelConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


# ---------------------------------------------------------------- mel filters (Slaney)

def hz_to_mel(f):
    """Slaney's auditory-toolbox mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, lin)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    lin = m * (200.0 / 3)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m >= 15.0, log, lin)


@functools.lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0,
                   f_max: float | None = None) -> np.ndarray:
    """Triangular filters on the Slaney mel scale, area-normalised: ``[n_mels, n_fft//2 + 1]``."""
    f_max = sample_rate / 2 if f_max is None else f_max
    fft_freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    weights.setflags(write=False)
    return weights.astype(np.float32)


# ---------------------------------------------------------------- spectrograms

def _as_batch(audio) -> torch.Tensor:
    x = torch.as_tensor(audio)
    if x.dim() == 1:
        x = x[None]
    elif x.dim() == 3 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 2:
        raise AudioError(f"audio must be [T], [B, T] or [B, 1, T], got shape {tuple(x.shape)}")
    return x if x.is_floating_point() else x.float()


def magnitude_spectrogram(audio, cfg: MelConfig) -> torch.Tensor:
    """``|STFT|`` in the chosen convention: ``[B, n_fft//2 + 1, frames]``."""
    x = _as_batch(audio)
    window = torch.hann_window(cfg.win_length, dtype=x.dtype, device=x.device)
    if cfg.convention == "hifigan":
        pad = (cfg.n_fft - cfg.hop_length) // 2
        if x.shape[-1] <= pad:
            raise AudioError(f"audio of {x.shape[-1]} samples is too short for a mel spectrogram "
                             f"(need more than {pad})")
        x = torch.nn.functional.pad(x[:, None], (pad, pad), mode="reflect")[:, 0]
        spec = torch.stft(x, cfg.n_fft, cfg.hop_length, cfg.win_length, window, center=False,
                          return_complex=True)
        return torch.sqrt(spec.real.square() + spec.imag.square() + 1e-9)
    if x.shape[-1] <= cfg.n_fft // 2:
        raise AudioError(f"audio of {x.shape[-1]} samples is too short for a mel spectrogram "
                         f"(need more than {cfg.n_fft // 2})")
    spec = torch.stft(x, cfg.n_fft, cfg.hop_length, cfg.win_length, window, center=True,
                      pad_mode="reflect", return_complex=True)
    return spec.abs()


def mel_spectrogram(audio, cfg: MelConfig = MelConfig()) -> torch.Tensor:
    """Log-mel spectrogram ``[B, n_mels, frames]`` of audio in [-1, 1] (``[T]`` or ``[B, T]``)."""
    mag = magnitude_spectrogram(audio, cfg)
    fb = torch.from_numpy(mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.f_min, cfg.f_max))
    mel = torch.matmul(fb.to(mag.device, mag.dtype), mag)
    return torch.log(torch.clamp(mel, min=LOG_FLOOR))


# ---------------------------------------------------------------- files

def read_audio(path) -> tuple[np.ndarray, int]:
    """Read any file libsndfile understands; returns float32 mono audio in [-1, 1] and its rate."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # libsndfile's errors are of several types
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the audio file is empty (0 samples)")
    if not np.isfinite(data).all():
        raise AudioError(f"{path}: the audio contains NaN or infinite samples")
    return data.mean(axis=1) if data.shape[1] > 1 else data[:, 0], int(sr)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling (libsoxr, high quality)."""
    if orig_sr == target_sr:
        return audio
    import soxr

    return soxr.resample(np.ascontiguousarray(audio, dtype=np.float32), orig_sr, target_sr,
                         quality="HQ").astype(np.float32, copy=False)


def load_audio(path, sample_rate: int) -> np.ndarray:
    """Read, mix down to mono and resample to ``sample_rate``."""
    audio, sr = read_audio(path)
    return resample(audio, sr, sample_rate)


def write_wav(path, audio, sample_rate: int, subtype: str = "PCM_16") -> Path:
    """Write mono audio in [-1, 1] atomically: the file appears complete or not at all."""
    path = Path(path)
    x = np.asarray(audio.detach().cpu() if isinstance(audio, torch.Tensor) else audio,
                   dtype=np.float32).squeeze()
    if x.ndim != 1 or x.size == 0:
        raise AudioError(f"{path}: expected non-empty mono audio, got shape {np.shape(audio)}")
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: refusing to write audio with NaN or infinite samples")
    if path.suffix.lower() != ".wav":
        raise AudioError(f"{path}: output must be a .wav file")
    with atomic_output(path) as tmp:
        sf.write(tmp, np.clip(x, -1.0, 1.0), int(sample_rate), subtype=subtype, format="WAV")
    return path


def to_int16(audio) -> np.ndarray:
    """Mono float audio in [-1, 1] -> 16-bit samples, scaled as :func:`write_wav` scales (clipped,
    rounded to nearest)."""
    x = np.asarray(audio.detach().cpu() if isinstance(audio, torch.Tensor) else audio, dtype=np.float32)
    return np.rint(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


def pcm16(audio) -> bytes:
    """Mono float audio in [-1, 1] -> little-endian 16-bit PCM bytes (:func:`to_int16`)."""
    return to_int16(audio).tobytes()


UNKNOWN_SIZE = 0xFFFFFFFF  # RIFF/data size of a WAV whose length is not known when its header is sent


def wav_header(sample_rate: int, n_samples: int | None = None) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV of ``n_samples`` samples. ``None``: a stream whose
    length is not known yet, with the RIFF and data sizes 0xFFFFFFFF, as ffmpeg and sox write them
    and as readers that stream (libsndfile, browsers, ffmpeg) take to mean 'to the end'. Such a
    header lies to tools that trust it (Python's ``wave`` reads a length of 27 hours), so only a
    stream gets one: a file gets its true sizes, patched in once known (:func:`patch_wav_sizes`)."""
    rate = int(sample_rate)
    if n_samples is None:
        riff_size = data_size = UNKNOWN_SIZE
    else:
        data_size = 2 * int(n_samples)
        riff_size = 36 + data_size
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
            + b"data" + struct.pack("<I", data_size))


def patch_wav_sizes(f, start: int, n_bytes: int) -> None:
    """Write the true sizes into the :func:`wav_header` that begins at ``start`` in the seekable
    binary file ``f``, followed by ``n_bytes`` of samples; ``f`` is left at its end."""
    f.seek(start + 4)
    f.write(struct.pack("<I", 36 + n_bytes))
    f.seek(start + 40)
    f.write(struct.pack("<I", n_bytes))
    f.seek(start + 44 + n_bytes)
