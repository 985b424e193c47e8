"""Response audio formats. A WAV or PCM response to ``POST /v1/audio/speech`` is written as the
audio is made (the WAV's sizes then read 0xFFFFFFFF, 'to the end', as OpenAI's API streams it);
every other response is a complete file with its true sizes: a WAV from ``GET /api/tts`` (as Coqui's
server sends), and FLAC and MP3 (through libsndfile, which encodes MP3 from version 1.1), whose
headers carry the total length (a streamed file with an unknown length does not decode in
libsndfile)."""
from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from hifigan.audio import to_int16, wav_header

__all__ = ["MEDIA_TYPES", "STREAMED", "encode_whole", "formats", "mp3_available", "to_int16", "wav_header"]

MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "flac": "audio/flac", "mp3": "audio/mpeg"}
STREAMED = frozenset({"wav", "pcm"})  # what /v1/audio/speech streams


def mp3_available() -> bool:
    return "MP3" in sf.available_formats()


def formats() -> list[str]:
    """The response formats this installation can write."""
    return [f for f in MEDIA_TYPES if f != "mp3" or mp3_available()]


def encode_whole(samples: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """The complete file of 16-bit ``samples`` as ``wav`` (its true sizes), ``pcm``, ``flac`` or ``mp3``."""
    if fmt == "wav":
        return wav_header(sample_rate, len(samples)) + samples.astype("<i2", copy=False).tobytes()
    if fmt == "pcm":
        return samples.astype("<i2", copy=False).tobytes()
    buf = io.BytesIO()
    if fmt == "flac":
        sf.write(buf, samples, sample_rate, format="FLAC", subtype="PCM_16")
    elif fmt == "mp3":
        sf.write(buf, samples, sample_rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        raise ValueError(f"not a whole-file format: {fmt}")
    return buf.getvalue()
