"""Fundamental frequency per mel frame, for FastPitch's pitch targets.

``praat`` (default): Praat's autocorrelation method (Boersma 1993) through ``parselmouth``; on
the default voice's corpus it is within 7 cents (median) of pYIN with no gross errors, at about
1/85 of pYIN's time (``benchmarks/pitch_trackers.py``). ``pyin``: librosa's probabilistic YIN
with NVIDIA's settings (C2-C7, frame 1024, hop 256, centred frames), what NVIDIA's
``prepare_dataset.py`` uses. ``dio``: WORLD's DIO refined by StoneMask (``pyworld``), fast, but
an octave too high on most voiced frames of that low male voice; ``harvest``: WORLD's slower
tracker, also with many octave errors there. Unvoiced frames are 0 Hz. Frame ``k`` is centred at sample ``k * hop``, as the
TacotronSTFT mel's frames are.
"""
from __future__ import annotations

import numpy as np

METHODS = ("praat", "pyin", "dio", "harvest")
F0_MIN, F0_MAX = 65.4064, 2093.0045  # C2, C7 (NVIDIA's pYIN range)
CEILING_Q75 = 2.0  # praat's second pass: ceiling at this multiple of the utterance's upper quartile


_PACKAGES = {"praat": ("parselmouth", "praat-parselmouth"), "pyin": ("librosa", "librosa"),
             "dio": ("pyworld", "pyworld"), "harvest": ("pyworld", "pyworld")}


def check_method(method: str) -> None:
    """Fail at once, in one line, when ``method`` is unknown or its package is not installed."""
    if method not in _PACKAGES:
        raise ValueError(f"unknown pitch method {method!r}: use one of {', '.join(METHODS)}")
    module, package = _PACKAGES[method]
    import importlib.util

    if importlib.util.find_spec(module) is None:
        others = "|".join(m for m in METHODS if m != method)
        raise ImportError(f"--pitch {method} needs {package} (pip install 'hifigan[train]'), or choose --pitch {others}")


def estimate_pitch(audio: np.ndarray, sample_rate: int, hop_length: int, n_frames: int,
                   method: str = "praat", f0_min: float = F0_MIN, f0_max: float = F0_MAX) -> np.ndarray:
    """``[n_frames]`` float32 Hz (0 where unvoiced)."""
    audio = np.asarray(audio, dtype=np.float32)
    if method == "praat":
        f0 = _praat(audio, sample_rate, hop_length, n_frames, max(f0_min, 50.0), min(f0_max, 1100.0))
    elif method == "pyin":
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


def _praat(audio: np.ndarray, sample_rate: int, hop: int, n_frames: int, lo: float, hi: float) -> np.ndarray:
    """Praat's AC pitch sampled at frame centres ``k * hop``: linear between two voiced Praat
    frames, else the nearest Praat frame's value (0 if unvoiced), as Praat's Get value at time."""
    try:
        import parselmouth
    except ImportError:
        raise ImportError("--pitch praat needs praat-parselmouth (pip install 'hifigan[train]'); "
                          "or choose --pitch dio|pyin|harvest") from None
    step = hop / sample_rate
    snd = parselmouth.Sound(audio.astype(np.float64), sampling_frequency=sample_rate)
    pitch = snd.to_pitch_ac(time_step=step, pitch_floor=lo, pitch_ceiling=hi)
    f = np.asarray(pitch.selected_array["frequency"], dtype=np.float64)
    voiced = f[f > 0]
    if voiced.size >= 20:  # second pass in this speaker's range (after De Looze & Hirst's two-pass method)
        q25, q75 = np.percentile(voiced, [25, 75])
        lo2, hi2 = max(lo, 0.75 * q25), min(hi, CEILING_Q75 * q75)
        if hi2 > 1.5 * lo2:
            pitch = snd.to_pitch_ac(time_step=step, pitch_floor=lo2, pitch_ceiling=hi2)
            f = np.asarray(pitch.selected_array["frequency"], dtype=np.float64)
    if f.size == 0:
        return np.zeros(n_frames, np.float32)
    u = (np.arange(n_frames) * step - pitch.xs()[0]) / step  # position in Praat's frames
    i = np.clip(np.floor(u).astype(int), 0, f.size - 1)
    j = np.clip(i + 1, 0, f.size - 1)
    w = np.clip(u - np.floor(u), 0.0, 1.0)
    nearest = f[np.clip(np.round(u).astype(int), 0, f.size - 1)]
    out = np.where((f[i] > 0) & (f[j] > 0), (1 - w) * f[i] + w * f[j], nearest)
    out[(u < -0.5) | (u > f.size - 0.5)] = 0.0  # beyond Praat's first/last frame
    return out
