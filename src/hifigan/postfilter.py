"""Mel post-filter: temporal unsharp masking of a predicted (log) mel spectrogram.

FastPitch is trained with a mean-squared error, so its mels are the average of what the voice might
say: right in level and spread (the shipped voice's per-band standard deviation is within 5% of its
teacher's) but too smooth in time (its mean frame-to-frame change is 20% below the teacher's on the
same sentences), which blurs consonants. :func:`sharpen` adds back ``amount`` times the detail that a
Gaussian blur along time would remove: ``mel + amount * (mel - blur(mel))``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from hifigan.errors import HifiganError


def gaussian_kernel(sigma: float, truncate: float = 3.0) -> torch.Tensor:
    """A normalised 1-D Gaussian of radius ``int(truncate * sigma + 0.5)`` (scipy.ndimage's choice)."""
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()  # float64: the caller casts it to its signal's dtype


def blur_time(mel: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of ``mel [..., n_mels, T]`` along its last axis; the edge frames are repeated
    outwards (scipy.ndimage.gaussian_filter1d with ``mode="nearest"``)."""
    k = gaussian_kernel(sigma).to(device=mel.device, dtype=mel.dtype)
    r = (k.numel() - 1) // 2
    t = mel.shape[-1]
    x = F.pad(mel.reshape(-1, 1, t), (r, r), mode="replicate")[:, 0]  # also when r > T
    # a weighted sum of shifted copies, not a convolution: a oneDNN convolution would build a kernel
    # for every new length (a cache miss for each sentence; see Vocoder.piece_frames)
    out = k[0] * x[:, :t]
    for j in range(1, k.numel()):
        out = out + k[j] * x[:, j:j + t]
    return out.reshape(mel.shape)


def check_amount(amount) -> float:
    """``amount`` as a float, or a one-line :class:`HifiganError` unless it is a finite number >= 0."""
    if not (isinstance(amount, (int, float)) and math.isfinite(amount) and amount >= 0):
        raise HifiganError(f"sharpen amount must be a finite number >= 0, got {amount!r}")
    return float(amount)


def sharpen(mel: torch.Tensor, amount: float, sigma: float = 2.0) -> torch.Tensor:
    """``mel + amount * (mel - blur_time(mel, sigma))``; ``amount`` 0 returns ``mel`` itself."""
    check_amount(amount)
    if not (math.isfinite(sigma) and sigma > 0):
        raise HifiganError(f"sharpen sigma must be a finite number > 0, got {sigma}")
    if amount == 0 or mel.shape[-1] == 0:
        return mel
    return mel + amount * (mel - blur_time(mel, sigma))
