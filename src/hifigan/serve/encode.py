"""Response audio formats. WAV and PCM are written as the audio is made; FLAC and MP3 (through
libsndfile, which encodes MP3 from version 1.1) are encoded once the audio is complete, because
their headers carry the total length (a streamed file with an unknown length does not decode in
libsndfile)."""
from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf

UNKNOWN_SIZE = 0xFFFFFFFF  # RIFF/data size of a WAV whose length is not known when its header is sent

MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "flac": "audio/flac", "mp3": "audio/mpeg"}
STREAMED = frozenset({"wav", "pcm"})


def mp3_available() -> bool:
    return "MP3" in sf.available_formats()


def formats() -> list[str]:
    """The response formats this installation can write."""
    return [f for f in MEDIA_TYPES if f != "mp3" or mp3_available()]


def to_int16(audio: np.ndarray) -> np.ndarray:
    """float audio in [-1, 1] -> 16-bit samples (clipped, rounded to nearest)."""
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_header(sample_rate: int, n_samples: int | None = None) -> bytes:
    """44-byte header of a mono 16-bit PCM WAV; ``n_samples=None`` writes the sizes as unknown
    (0xFFFFFFFF), which readers (libsndfile, Python's wave and scipy, browsers) take as 'to the end'."""
    if n_samples is None:
        riff_size = data_size = UNKNOWN_SIZE
    else:
        data_size = 2 * n_samples
        riff_size = 36 + data_size
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16)
            + b"data" + struct.pack("<I", data_size))


def encode_whole(samples: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """The complete file of 16-bit ``samples`` as ``flac`` or ``mp3``."""
    buf = io.BytesIO()
    if fmt == "flac":
        sf.write(buf, samples, sample_rate, format="FLAC", subtype="PCM_16")
    elif fmt == "mp3":
        sf.write(buf, samples, sample_rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        raise ValueError(f"not a whole-file format: {fmt}")
    return buf.getvalue()
