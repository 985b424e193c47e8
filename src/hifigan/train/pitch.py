"""Fundamental frequency per mel frame, for FastPitch's pitch targets.

``pyin``: librosa's probabilistic YIN with NVIDIA's settings (C2-C7, frame 1024, hop 256,
centred frames), what NVIDIA's ``prepare_dataset.py`` uses. ``dio``: WORLD's DIO refined by
StoneMask (``pyworld``), about two orders of magnitude faster; ``harvest``: WORLD's slower, more
robust tracker. Unvoiced frames are 0 Hz. Frame ``k`` is centred at sample ``k * hop``, as the
TacotronSTFT mel's frames are.
"""
from __future__ import annotations

import numpy as np

METHODS = ("dio", "pyin", "harvest")
F0_MIN, F0_MAX = 65.4064, 2093.0045  # C2, C7 (NVIDIA's pYIN range)


def estimate_pitch(audio: np.ndarray, sample_rate: int, hop_length: int, n_frames: int,
                   method: str = "dio", f0_min: float = F0_MIN, f0_max: float = F0_MAX) -> np.ndarray:
    """``[n_frames]`` float32 Hz (0 where unvoiced)."""
    audio = np.asarray(audio, dtype=np.float32)
    if method == "pyin":
        import librosa

        f0, _, _ = librosa.pyin(audio, fmin=f0_min, fmax=f0_max, sr=sample_rate, frame_length=1024,
                                hop_length=hop_length, center=True)
        f0 = np.nan_to_num(f0, nan=0.0)
    elif method in ("dio", "harvest"):
        import warnings

        with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
            warnings.simplefilter("ignore")
            import pyworld

        x = audio.astype(np.float64)
        period = 1000.0 * hop_length / sample_rate
        # WORLD's floor/ceiling for speech; C7 is far above any speaking voice and slows DIO down
        lo, hi = max(f0_min, 50.0), min(f0_max, 1100.0)
        if method == "dio":
            f0, t = pyworld.dio(x, sample_rate, f0_floor=lo, f0_ceil=hi, frame_period=period)
            f0 = pyworld.stonemask(x, f0, t, sample_rate)
        else:
            f0, _ = pyworld.harvest(x, sample_rate, f0_floor=lo, f0_ceil=hi, frame_period=period)
    else:
        raise ValueError(f"unknown pitch method {method!r}: use one of {', '.join(METHODS)}")
    f0 = np.asarray(f0, dtype=np.float32)
    if f0.shape[0] >= n_frames:
        return f0[:n_frames]
    return np.pad(f0, (0, n_frames - f0.shape[0]))
