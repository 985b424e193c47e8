"""Controls that every FastPitch backend shares: how a caller changes the predicted pitch.

Kept low in the package, beside the models, so that the PyTorch pipeline and the ONNX runtime both
take the same :class:`PitchTransform` without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PitchTransform:
    """NVIDIA's pitch controls, applied in this order to the normalised predicted pitch:
    flatten (x0), invert (x-1), amplify (xA), then shift by ``shift_hz`` (added as hz / std)."""

    flatten: bool = False
    invert: bool = False
    amplify: float = 1.0
    shift_hz: float = 0.0

    def __bool__(self) -> bool:
        return self.flatten or self.invert or self.amplify != 1.0 or self.shift_hz != 0.0

    def __call__(self, pitch, pitch_lens, mean, std):
        if self.flatten:
            pitch = pitch * 0.0
        if self.invert:
            pitch = pitch * -1.0
        if self.amplify != 1.0:
            pitch = pitch * self.amplify
        if self.shift_hz:
            pitch = pitch + self.shift_hz / std
        return pitch

    def amplify_shift(self) -> tuple[float, float]:
        """``(amplify, shift_hz)`` that do the same as one multiply-add (flatten is amplify 0,
        invert is amplify -1): the form a graph with fixed inputs takes."""
        amplify = 0.0 if self.flatten else (-1.0 if self.invert else 1.0) * float(self.amplify)
        return amplify, float(self.shift_hz)
