"""Spectral-subtraction denoiser that removes a vocoder's own bias (as in NVIDIA's hub model).

The bias spectrum is the STFT magnitude (first frame, as NVIDIA takes it) of what the generator
outputs for an all-zero mel. Denoising subtracts ``strength * bias`` from each frame's magnitude,
clamps at zero and resynthesises with the original phase.
"""
from __future__ import annotations

import torch
from torch import nn


class Denoiser(nn.Module):
    def __init__(self, generator: nn.Module, n_fft: int = 1024, hop_length: int = 256,
                 win_length: int = 1024, n_mels: int | None = None, n_frames: int = 88):
        super().__init__()
        self.n_fft, self.hop_length, self.win_length = n_fft, hop_length, win_length
        p = next(generator.parameters(), None)  # none in a generator that runs on onnxruntime: the CPU
        device, dtype = (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)
        n_mels = n_mels or generator.config.n_mels
        self.register_buffer("window", torch.hann_window(win_length, device=device), persistent=False)
        with torch.no_grad():
            bias_audio = generator(torch.zeros(1, n_mels, n_frames, dtype=dtype, device=device))
            bias_spec = self._stft(bias_audio.float().reshape(1, -1)).abs()
        self.register_buffer("bias_spec", bias_spec[:, :, :1].clone())  # [1, n_fft//2+1, 1]

    def _stft(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stft(x, self.n_fft, self.hop_length, self.win_length, self.window.to(x.device),
                          center=True, pad_mode="reflect", return_complex=True)

    def forward(self, audio: torch.Tensor, strength: float = 0.1) -> torch.Tensor:
        """``audio`` ``[B, T]`` or ``[B, 1, T]`` -> denoised ``[B, 1, T]`` (float32)."""
        x = audio.float().reshape(audio.shape[0], -1)
        n = x.shape[-1]
        if n <= self.n_fft // 2:  # too short to reflect-pad: zero-extend, then cut back
            x = torch.nn.functional.pad(x, (0, self.n_fft - n))
        spec = self._stft(x)
        magnitude = torch.clamp(spec.abs() - self.bias_spec.float() * strength, min=0.0)
        spec = torch.polar(magnitude, spec.angle())
        out = torch.istft(spec, self.n_fft, self.hop_length, self.win_length, self.window.to(x.device),
                          center=True, length=x.shape[-1])
        return out[:, None, :n]
