"""HiFi-GAN generator (Kong et al., 2020), with the paper's V1/V2/V3 presets.

State-dict keys follow the authors' code: ``conv_pre``, ``ups.{i}``, ``resblocks.{i*K+j}``
(flat, K kernels per upsampling stage), ``conv_post``. Weight norm uses
``torch.nn.utils.parametrizations.weight_norm`` and can be removed for inference.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations, parametrize

from hifigan import cpu

LRELU_SLOPE = 0.1
FINAL_LRELU_SLOPE = 0.01  # the authors call F.leaky_relu(x) with its default slope before conv_post


def _tuple(x):
    return tuple(_tuple(v) for v in x) if isinstance(x, (list, tuple)) else int(x)


@dataclass
class GeneratorConfig:
    resblock: str = "1"
    upsample_rates: tuple = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: tuple = (3, 7, 11)
    resblock_dilation_sizes: tuple = field(default_factory=lambda: ((1, 3, 5),) * 3)
    n_mels: int = 80

    def __post_init__(self):
        self.resblock = str(self.resblock)
        for name in ("upsample_rates", "upsample_kernel_sizes", "resblock_kernel_sizes",
                     "resblock_dilation_sizes"):
            setattr(self, name, _tuple(getattr(self, name)))
        self.upsample_initial_channel, self.n_mels = int(self.upsample_initial_channel), int(self.n_mels)
        if self.resblock not in ("1", "2"):
            raise ValueError(f"resblock must be '1' or '2', got {self.resblock!r}")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes) or not self.upsample_rates:
            raise ValueError("upsample_rates and upsample_kernel_sizes must be non-empty and of equal length")
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes) or not self.resblock_kernel_sizes:
            raise ValueError("resblock_kernel_sizes and resblock_dilation_sizes must be non-empty and of equal length")
        for u, k in zip(self.upsample_rates, self.upsample_kernel_sizes):
            if u < 1 or k < u or (k - u) % 2:
                raise ValueError(f"upsample kernel {k} with rate {u}: need kernel >= rate and an even difference")
        if self.upsample_initial_channel % 2 ** len(self.upsample_rates):
            raise ValueError("upsample_initial_channel must be divisible by 2**len(upsample_rates)")
        if self.n_mels < 1:
            raise ValueError(f"n_mels must be positive, got {self.n_mels}")

    @property
    def hop_length(self) -> int:
        return math.prod(self.upsample_rates)

    @property
    def resblock_reach(self) -> int:
        """How far (in samples of its stage) an output of a stage's residual blocks can see."""
        extra = 1 if self.resblock == "1" else 0  # ResBlock1 adds an undilated conv per dilation
        return max(sum((k - 1) // 2 * (d + extra) for d in ds)
                   for k, ds in zip(self.resblock_kernel_sizes, self.resblock_dilation_sizes))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GeneratorConfig":
        """From our own dict or the authors'/NVIDIA's config (extra keys ignored, ``num_mels`` read)."""
        kw = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "n_mels" not in kw and "num_mels" in d:
            kw["n_mels"] = d["num_mels"]
        return cls(**kw)


PRESETS = {
    "v1": GeneratorConfig(),
    "v2": GeneratorConfig(upsample_initial_channel=128),
    "v3": GeneratorConfig(resblock="2", upsample_rates=(8, 8, 4), upsample_kernel_sizes=(16, 16, 8),
                          upsample_initial_channel=256, resblock_kernel_sizes=(3, 5, 7),
                          resblock_dilation_sizes=((1, 2), (2, 6), (3, 12))),
}


def _apply(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``conv`` (a Conv1d or ConvTranspose1d) on ``[B, C, T]``, or on ``[B, C, 1, T]`` as the
    same 2-D convolution: bf16 on a CPU runs in that layout (see :meth:`Generator.forward`)."""
    if x.dim() == 3:
        return conv(x)
    w = conv.weight.unsqueeze(2)
    if isinstance(conv, nn.ConvTranspose1d):
        return F.conv_transpose2d(x, w, conv.bias, (1, conv.stride[0]), (0, conv.padding[0]))
    return F.conv2d(x, w, conv.bias, 1, (0, conv.padding[0]), (1, conv.dilation[0]))


def _conv(channels: int, kernel_size: int, dilation: int = 1) -> nn.Conv1d:
    return nn.Conv1d(channels, channels, kernel_size, dilation=dilation,
                     padding=dilation * (kernel_size - 1) // 2)


class ResBlock1(nn.Module):
    """Per dilation: x + conv(lrelu(conv_dilated(lrelu(x))))."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple):
        super().__init__()
        self.convs1 = nn.ModuleList(_conv(channels, kernel_size, d) for d in dilations)
        self.convs2 = nn.ModuleList(_conv(channels, kernel_size) for _ in dilations)

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = x + _apply(c2, F.leaky_relu(_apply(c1, F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
        return x


class ResBlock2(nn.Module):
    """Per dilation: x + conv_dilated(lrelu(x))."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple):
        super().__init__()
        self.convs = nn.ModuleList(_conv(channels, kernel_size, d) for d in dilations)

    def forward(self, x):
        for c in self.convs:
            x = x + _apply(c, F.leaky_relu(x, LRELU_SLOPE))
        return x


class Generator(nn.Module):
    """Mel ``[B, n_mels, T]`` -> waveform ``[B, 1, T * hop_length]`` in [-1, 1]."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig(), weight_norm: bool = True):
        super().__init__()
        self.config = c = config
        self.num_kernels = len(c.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(c.n_mels, c.upsample_initial_channel, 7, padding=3)
        block = ResBlock1 if c.resblock == "1" else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        ch = c.upsample_initial_channel
        for u, k in zip(c.upsample_rates, c.upsample_kernel_sizes):
            self.ups.append(nn.ConvTranspose1d(ch, ch // 2, k, u, padding=(k - u) // 2))
            ch //= 2
            self.resblocks.extend(block(ch, k_r, d) for k_r, d in
                                  zip(c.resblock_kernel_sizes, c.resblock_dilation_sizes))
        self.conv_post = nn.Conv1d(ch, 1, 7, padding=3)
        for m in [*self.ups, *self.resblocks.modules(), self.conv_post]:  # the authors' init
            if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
                nn.init.normal_(m.weight, 0.0, 0.01)
        if weight_norm:
            self.apply_weight_norm()

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def _convs(self):
        return [m for m in self.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]

    @property
    def has_weight_norm(self) -> bool:
        return parametrize.is_parametrized(self.conv_pre)

    def apply_weight_norm(self) -> "Generator":
        for m in self._convs():
            if not parametrize.is_parametrized(m):
                parametrizations.weight_norm(m)
        return self

    def remove_weight_norm(self) -> "Generator":
        """Fold g * v / ||v|| into a plain weight: same output, faster inference."""
        for m in self._convs():
            if parametrize.is_parametrized(m):
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        return self

    def cone(self, start: int, end: int) -> list[tuple[int, int]]:
        """The inputs that the audio of mel frames ``[start, end)`` depends on, at each point where
        :meth:`forward` can crop: the mel, then before each upsampling and before its residual
        blocks, then before ``conv_post``; each a ``[a, b)`` range in samples of that point's rate
        (it may reach past the sequence: there the zero padding stands in, as in one pass)."""
        c = self.config
        a, b = start * c.hop_length - 3, end * c.hop_length + 3  # conv_post: kernel 7
        ranges, reach = [(a, b)], c.resblock_reach
        for u, k in zip(reversed(c.upsample_rates), reversed(c.upsample_kernel_sizes)):
            a, b = a - reach, b + reach
            ranges.append((a, b))
            p = (k - u) // 2  # output n takes input m where n = m * u - p + j, 0 <= j < k
            a, b = -((k - 1 - p - a) // u), (b - 1 + p) // u + 1
            ranges.append((a, b))
        ranges.append((a - 3, b + 3))  # conv_pre: kernel 7
        return ranges[::-1]

    def forward(self, mel: torch.Tensor, keep: tuple[int, int] | None = None) -> torch.Tensor:
        """``keep=(start, end)``: only the audio of mel frames ``[start, end)``,
        ``[B, 1, (end - start) * hop_length]``, computing at each layer only what it depends on
        (:meth:`cone`): the same numbers as slicing one full pass, at a fraction of the work when
        ``mel`` carries context around a short piece (streaming, chunked vocoding)."""
        two_d = two_d_layout(mel, self.conv_pre.weight.dtype)
        x = mel.unsqueeze(2).contiguous(memory_format=torch.channels_last) if two_d else mel
        cone = None
        if keep is not None:
            start, end = keep
            if not 0 <= start < end <= mel.shape[-1]:
                raise ValueError(f"keep=({start}, {end}) is not a range of frames within 0..{mel.shape[-1]}")
            cone = self.cone(start, end)
        x, off = _crop(x, 0, cone, 0)
        x = _apply(self.conv_pre, x)
        for i, up in enumerate(self.ups):
            x, off = _crop(x, off, cone, 1 + 2 * i)
            x = _apply(up, F.leaky_relu(x, LRELU_SLOPE))
            x, off = _crop(x, off * self.config.upsample_rates[i], cone, 2 + 2 * i)
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            xs = blocks[0](x)
            for block in blocks[1:]:
                xs = xs + block(x)
            x = xs / self.num_kernels
        x, off = _crop(x, off, cone, -1)
        x = torch.tanh(_apply(self.conv_post, F.leaky_relu(x, FINAL_LRELU_SLOPE)))
        if keep is not None:
            x = x[..., keep[0] * self.hop_length - off:keep[1] * self.hop_length - off]
        return x.squeeze(2) if two_d else x


def two_d_layout(mel: torch.Tensor, weight_dtype: torch.dtype) -> bool:
    """Run the convolutions in 2-D on a channels-last ``[B, C, 1, T]`` tensor (else 1-D ``[B, C, T]``)?

    bf16 on a CPU: oneDNN's 1-D convolutions return channels-last outputs that PyTorch copies back
    to contiguous, which took 43% of the time (lj_v1, 5 s, AMX CPU); in 2-D the layout holds end to
    end: bit-identical output, 2.2x faster. Training under CPU bf16 autocast gains too (a V1 forward +
    backward took 0.87 s, not 1.18). fp32 depends on the CPU: on an AVX-512 Xeon the 2-D layout was
    17% slower, on a 2-core AVX2 EPYC 1.4-1.6x faster (lj_v1 on 2.5 s: 1.65 -> 1.06-1.17 s; single
    layers 1.5-8x), so fp32 inference takes it where torch's kernels are AVX2. fp32 training there
    stays 1-D: its forward + backward was 1.4x slower in 2-D."""
    if mel.device.type != "cpu":
        return False
    if weight_dtype == torch.bfloat16 or (torch.is_autocast_enabled("cpu")
                                          and torch.get_autocast_dtype("cpu") == torch.bfloat16):
        return True
    return not torch.is_grad_enabled() and cpu.features().avx2_kernels


def _crop(x: torch.Tensor, off: int, cone, i: int) -> tuple[torch.Tensor, int]:
    """``x`` holds samples ``[off, off + len)``: keep those inside ``cone[i]``; -> (x, new off)."""
    if cone is None:
        return x, off
    a, b = max(cone[i][0], off), min(cone[i][1], off + x.shape[-1])
    return x[..., a - off:b - off], a
