"""HiFi-GAN's discriminators (Kong et al., 2020): multi-period (MPD) and multi-scale (MSD).

Layer shapes and state-dict layout follow the authors' ``models.py``: ``discriminators.{i}.convs.{k}``
and ``discriminators.{i}.conv_post``; weight norm everywhere except the first MSD
sub-discriminator, which uses spectral norm. Weight norm is ``torch.nn.utils.parametrizations``'
(``parametrizations.weight.original0/1``; ``hifigan.checkpoints`` maps the authors' and NVIDIA's
``weight_g``/``weight_v`` onto it). Spectral norm is ``torch.nn.utils.spectral_norm``, the one the
authors call (``weight_orig``, ``weight_u``, ``weight_v``): its power iteration updates ``v`` then
``u``, where the parametrization's updates ``u`` first and so scores differently in training mode.
Training only: nothing on the inference path imports this module.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations

LRELU_SLOPE = 0.1


def _tuple(x):
    return tuple(_tuple(v) for v in x) if isinstance(x, (list, tuple)) else int(x)


@dataclass
class DiscriminatorConfig:
    periods: tuple = (2, 3, 5, 7, 11)
    mpd_channels: tuple = (32, 128, 512, 1024, 1024)          # 4 strided (5, 1) convs, then one more
    msd_channels: tuple = (128, 128, 256, 512, 1024, 1024, 1024)
    msd_groups: tuple = (1, 4, 16, 16, 16, 16, 1)
    msd_pool_padding: int = 2   # the authors' AvgPool1d(4, 2, padding=2); NVIDIA's code uses 1

    def __post_init__(self):
        for name in ("periods", "mpd_channels", "msd_channels", "msd_groups"):
            setattr(self, name, _tuple(getattr(self, name)))
        self.msd_pool_padding = int(self.msd_pool_padding)
        if len(self.mpd_channels) != 5 or len(self.msd_channels) != 7 or len(self.msd_groups) != 7:
            raise ValueError("need 5 MPD channel counts, 7 MSD channel counts and 7 MSD groups")
        ins = (1,) + self.msd_channels[:-1]
        for c_in, c_out, g in zip(ins, self.msd_channels, self.msd_groups):
            if c_in % g or c_out % g:
                raise ValueError(f"MSD conv {c_in} -> {c_out} channels cannot have {g} groups")
        if not self.periods or min(self.periods) < 1:
            raise ValueError(f"periods must be positive, got {self.periods}")
        if self.msd_pool_padding not in (0, 1, 2):
            raise ValueError(f"msd_pool_padding must be 0, 1 or 2, got {self.msd_pool_padding}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DiscriminatorConfig":
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown discriminator settings {', '.join(unknown)}")
        return cls(**d)


PRESETS = {
    "original": DiscriminatorConfig(),
    # for tests: the same structure, 1/8 of the channels
    "tiny": DiscriminatorConfig(mpd_channels=(4, 16, 64, 128, 128), msd_channels=(16, 16, 32, 64, 128, 128, 128)),
}


class PeriodDiscriminator(nn.Module):
    """The waveform folded into ``[B, 1, T / period, period]`` (reflect-padded to a multiple of
    the period), then (5, 1) convolutions along time, stride 3 for the first four."""

    def __init__(self, period: int, channels: tuple):
        super().__init__()
        self.period = period
        ins = (1,) + channels[:-1]
        strides = (3, 3, 3, 3, 1)
        self.convs = nn.ModuleList(
            parametrizations.weight_norm(nn.Conv2d(i, o, (5, 1), (s, 1), padding=(2, 0)))
            for i, o, s in zip(ins, channels, strides))
        self.conv_post = parametrizations.weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x):
        b, c, t = x.shape
        if t % self.period:
            x = F.pad(x, (0, self.period - t % self.period), mode="reflect")
        x = x.reshape(b, c, -1, self.period)
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return x.flatten(1), fmap


class ScaleDiscriminator(nn.Module):
    """Grouped 1-d convolutions over the waveform (or an average-pooled copy of it)."""

    KERNELS = (15, 41, 41, 41, 41, 41, 5)
    STRIDES = (1, 2, 2, 4, 4, 1, 1)

    def __init__(self, channels: tuple, groups: tuple, spectral: bool = False):
        super().__init__()
        norm = nn.utils.spectral_norm if spectral else parametrizations.weight_norm
        ins = (1,) + channels[:-1]
        self.convs = nn.ModuleList(
            norm(nn.Conv1d(i, o, k, s, groups=g, padding=(k - 1) // 2))
            for i, o, k, s, g in zip(ins, channels, self.KERNELS, self.STRIDES, groups))
        self.conv_post = norm(nn.Conv1d(channels[-1], 1, 3, 1, padding=1))

    def forward(self, x):
        fmap = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU_SLOPE)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return x.flatten(1), fmap


class MultiPeriodDiscriminator(nn.Module):
    """One :class:`PeriodDiscriminator` per period. ``forward(audio [B, 1, T])`` returns
    ``(scores, feature_maps)``: a list per sub-discriminator."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        self.discriminators = nn.ModuleList(PeriodDiscriminator(p, config.mpd_channels) for p in config.periods)

    def forward(self, audio):
        scores, fmaps = [], []
        for d in self.discriminators:
            s, f = d(audio)
            scores.append(s)
            fmaps.append(f)
        return scores, fmaps


class MultiScaleDiscriminator(nn.Module):
    """Three :class:`ScaleDiscriminator` s on the waveform, then on it average-pooled once and
    twice (``AvgPool1d(4, 2)``); the first with spectral norm."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        c, g = config.msd_channels, config.msd_groups
        self.discriminators = nn.ModuleList([ScaleDiscriminator(c, g, spectral=True),
                                             ScaleDiscriminator(c, g), ScaleDiscriminator(c, g)])
        self.meanpools = nn.ModuleList(nn.AvgPool1d(4, 2, padding=config.msd_pool_padding) for _ in range(2))

    def forward(self, audio):
        scores, fmaps = [], []
        x = audio
        for i, d in enumerate(self.discriminators):
            if i:
                x = self.meanpools[i - 1](x)
            s, f = d(x)
            scores.append(s)
            fmaps.append(f)
        return scores, fmaps
