"""Int8 inference for FastPitch on x86 CPUs (oneDNN int8 matrix products: AMX or VNNI).

The convolutions of the FFT blocks' feed-forward layers are about 90% of FastPitch's arithmetic;
:meth:`~hifigan.models.fastpitch.FastPitch.quantize_int8` makes them and the predictors'
convolutions int8. Their weights are int8, symmetric per output channel (``scale = max|w| / 127``),
and each call quantises its input to uint8 with one scale and zero point for the whole tensor
(``[min(x, 0), max(x, 0)]`` onto 0..255, so that zero stays exact); oneDNN multiplies in int8,
accumulates in int32 and returns float32 with the bias added (and a ReLU fused where one follows).
Everything else (embeddings, attention, layer norms, the mel projection) stays float32, and
durations are still rounded from float32. Inference only: an int8 model has no gradients and
cannot be saved as a checkpoint (its weights are packed for oneDNN); quantise a float model
loaded from a checkpoint.
"""
from __future__ import annotations

import torch
from torch import nn

from hifigan.cpu import detected


def int8_supported() -> bool:
    """oneDNN's int8 linear exists in this torch build and this CPU multiplies int8 natively
    (AMX or VNNI; without them oneDNN's int8 is slower than float32 and saturates): the hardware
    as detected, whatever profile ``HIFIGAN_CPU`` names."""
    return detected().int8


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``[O, I]`` float -> (int8 ``[O, I]``, float32 scale ``[O]``): symmetric, one scale per row."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    return torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8), scale


def input_range(x: torch.Tensor) -> tuple[float, int]:
    """The scale and zero point that map ``[min(x, 0), max(x, 0)]`` onto 0..255 (0.0 exactly onto
    the zero point)."""
    lo, hi = (float(v) for v in torch.aminmax(x.detach()))
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = max((hi - lo) / 255.0, 1e-12)
    return scale, int(round(-lo / scale))


def quantize_into(out: torch.Tensor, x: torch.Tensor, scale: float, zero: int) -> torch.Tensor:
    """Write ``round(x / scale) + zero`` into the uint8 tensor ``out`` (same shape): ``x / scale +
    zero + 0.5`` in float, truncated. The range holds every value of ``x``, so nothing leaves
    0..255 but float rounding far below half a step. (Through int16: torch's float -> uint8
    conversion is not vectorised, float -> int16 -> uint8 took a third of its time.)"""
    shifted = torch.add(torch.tensor(zero + 0.5, dtype=torch.float32), x.float(), alpha=1.0 / scale)
    return out.copy_(shifted.to(torch.int16))


def quantize_input(x: torch.Tensor) -> tuple[torch.Tensor, float, int]:
    """float ``x`` -> (uint8 of the same shape, scale, zero point): :func:`input_range`, one range for all of ``x``."""
    scale, zero = input_range(x)
    return quantize_into(torch.empty(x.shape, dtype=torch.uint8, device=x.device), x, scale, zero), scale, zero


class Int8Linear(nn.Module):
    """``F.linear(x, weight, bias)`` in int8 (see the module docstring); ``x [..., I]`` -> float32 ``[..., O]``."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None):
        super().__init__()
        self.out_features, self.in_features = weight.shape
        qweight, self.weight_scale = quantize_weight(weight)
        self.packed = torch.ops.onednn.qlinear_prepack(qweight, None)  # oneDNN's own layout, opaque
        self.weight_zero = torch.zeros(self.out_features, dtype=torch.int32)
        self.bias = None if bias is None else bias.detach().float().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0:
            return x.new_zeros(*x.shape[:-1], self.out_features, dtype=torch.float32)
        return self.matmul(*quantize_input(x))

    def matmul(self, q: torch.Tensor, scale: float, zero: int, relu: bool = False) -> torch.Tensor:
        """The product for an input already quantised (uint8 ``q`` with its ``scale`` and ``zero``),
        with a fused ReLU if asked."""
        return torch.ops.onednn.qlinear_pointwise(
            q, scale, zero, self.packed, self.weight_scale, self.weight_zero, self.bias,
            1.0, 0, torch.float32, "relu" if relu else "none", [], "")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Int8TimeMajorConv(nn.Module):
    """A "same"-padded, stride-1 ``nn.Conv1d`` on time-major input ``[B, T, C]`` -> ``[B, T, O]``
    in int8: the input is quantised once, its ``k`` shifted copies (zero point at the edges) are
    laid side by side in uint8 and multiplied by the weight rearranged to match, in one product."""

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        if conv.stride != (1,) or conv.dilation != (1,) or conv.groups != 1:
            raise ValueError("Int8TimeMajorConv takes stride 1, dilation 1, groups 1 convolutions")
        self.kernel_size, self.out_channels, self.in_channels = conv.kernel_size, conv.out_channels, conv.in_channels
        k = conv.kernel_size[0]
        taps = conv.weight.detach().transpose(1, 2).reshape(conv.out_channels, k * conv.in_channels)  # tap-major
        self.linear = Int8Linear(taps, conv.bias)

    def time_major(self, x: torch.Tensor, relu: bool = False) -> torch.Tensor:
        """``[B, T, C]`` -> float32 ``[B, T, O]``, through a ReLU if ``relu``."""
        b, t, c = x.shape
        k = self.kernel_size[0]
        if t == 0:
            return x.new_zeros(b, 0, self.out_channels, dtype=torch.float32)
        scale, zero = input_range(x)
        padded = torch.empty((b, t + k - 1, c), dtype=torch.uint8)
        padded[:, :k // 2] = padded[:, k // 2 + t:] = zero  # the edges hold 0.0
        quantize_into(padded[:, k // 2:k // 2 + t], x, scale, zero)
        q = padded if k == 1 else torch.cat([padded[:, j:j + t] for j in range(k)], dim=-1)
        return self.linear.matmul(q, scale, zero, relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Channels-first ``[B, C, T]``, as ``nn.Conv1d``."""
        return self.time_major(x.transpose(1, 2)).transpose(1, 2)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
