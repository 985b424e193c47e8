"""Inference precision: ``fp32`` (exact), ``bf16``, ``fp16`` and ``auto``.

``auto`` picks the fastest mode the device runs natively whose output passes our quality gate
(mean |log-mel difference| to fp32 <= 0.06, against the vocoder's own copy-synthesis error of
about 0.33):

- a CUDA GPU: ``fp16`` (tensor cores, NVIDIA's choice for this model). Measured with ``lj_v1`` on
  0.5 s of two of the default voice's teacher sentences: mean |log-mel difference| 0.007 and 0.005;
- a CPU with native bf16 (AVX512-BF16 or AMX): ``bf16``, close to the gate: 0.047 on 2 s of
  speech, 0.061 and 0.040 on the same two 0.5 s, 0.083 on a 0.3 s clip (short clips have more
  near-silence, where log-mels are touchy). Convolutions in bf16 with the rest in float32 gained
  only 10% (0.055, 0.036), so all weights are simply cast (``benchmarks/precision_quality.py``);
- any other CPU: ``fp32``. There oneDNN emulates bf16 and it ran 70x slower than fp32 on an AVX2
  CPU, so an explicit ``bf16`` warns.

FastPitch alone also has ``int8`` (:mod:`hifigan.models.int8`: the convolutions of its
feed-forward blocks and predictors in int8, the rest float32), and ``auto`` picks it on a CPU with
AMX or VNNI: on the default voice it stays closer to fp32 than bf16 does (mean |mel
difference| 0.015 against bf16's 0.034 over the 150 test sentences, with fp32's durations; about
2% of the rounded durations change in either; the same on AMX and on a Zen 4's AVX512-VNNI) and it
is the fastest there (``benchmarks/fastpitch_int8.py``; ``hifigan bench --fastpitch random:default``:
30 ms against bf16's 47 ms on the Zen 4).

What the CPU has comes from :func:`hifigan.cpu.features` (``HIFIGAN_CPU`` names another CPU's
profile, so that each branch can be tested on any machine). A pipeline's
precision is one name for both models or a pair ``FASTPITCH/VOCODER``, e.g. ``int8/bf16``.

Durations stay float32 whatever the precision: FastPitch rounds them to whole frames.
"""
from __future__ import annotations

import warnings

import torch

from hifigan import cpu
from hifigan.errors import HifiganError

PRECISIONS = ("fp32", "bf16", "fp16", "int8", "auto")
MODELS = ("vocoder", "fastpitch")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix products in hardware (else oneDNN emulates them, slowly).
    As :func:`hifigan.cpu.features` says: ``HIFIGAN_CPU`` can name another CPU's profile."""
    return cpu.features().bf16


def resolve_precision(precision: str, device="cpu", model: str = "vocoder") -> str:
    """``precision`` (one of :data:`PRECISIONS`) for ``model`` (``vocoder`` or ``fastpitch``) on
    ``device`` -> ``fp32``, ``bf16``, ``fp16`` or (FastPitch on a CPU) ``int8``.

    ``fp16`` needs a GPU (CPUs have no fast fp16 convolutions); ``bf16`` on a CPU without native
    bf16 works but warns that it is slow; ``int8`` needs a CPU with native int8 products.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if precision not in PRECISIONS:
        raise HifiganError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    kind = torch.device(device).type
    if precision == "int8":
        if model != "fastpitch":
            raise HifiganError("precision int8 is for FastPitch only: the vocoder runs fp32, bf16 or fp16")
        if kind != "cpu":
            raise HifiganError("precision int8 runs on a CPU (oneDNN); on a GPU use fp16")
        if not cpu_has_native_int8():
            raise HifiganError("precision int8 needs a CPU with AMX or AVX512-VNNI (and torch with oneDNN): "
                               "use bf16 or fp32 here")
        return "int8"
    if precision == "auto":
        if kind == "cuda":
            return "fp16"
        if kind == "cpu" and model == "fastpitch" and cpu_has_native_int8():
            return "int8"
        return "bf16" if kind == "cpu" and cpu_has_native_bf16() else "fp32"
    if precision == "fp16" and kind != "cuda":
        raise HifiganError("precision fp16 needs a CUDA device; on a CPU use bf16 (native on AVX512-BF16/AMX) or fp32")
    if precision == "bf16" and kind == "cpu" and not cpu_has_native_bf16():
        warnings.warn("this CPU has no native bf16 (AVX512-BF16 or AMX): bf16 is emulated and runs "
                      "many times slower than fp32 here", stacklevel=3)
    return precision


def cpu_has_native_int8() -> bool:
    """AMX or VNNI, and torch's oneDNN int8 linear (:func:`hifigan.cpu.features`)."""
    return cpu.features().int8


def dtype_of(precision: str, device="cpu") -> torch.dtype:
    """The vocoder's parameter dtype for ``precision`` (after :func:`resolve_precision`)."""
    return DTYPES[resolve_precision(precision, device)]


def split_precision(precision: str) -> tuple[str, str]:
    """A pipeline's precision -> ``(fastpitch, vocoder)``: one name for both, or ``FASTPITCH/VOCODER``."""
    if not isinstance(precision, str):
        raise HifiganError(f"precision must be a string, got {precision!r}")
    parts = precision.split("/")
    if len(parts) > 2:
        raise HifiganError(f"precision {precision!r}: give one name or FASTPITCH/VOCODER, e.g. int8/bf16")
    fastpitch, vocoder = parts if len(parts) == 2 else (precision, precision)
    for p in (fastpitch, vocoder):
        if p not in PRECISIONS:
            raise HifiganError(f"unknown precision {p!r}: use one of {', '.join(PRECISIONS)} "
                               "or a pair FASTPITCH/VOCODER, e.g. int8/bf16")
    if len(parts) == 1 and precision == "int8":
        raise HifiganError("precision int8 is for FastPitch only: give FASTPITCH/VOCODER, e.g. int8/bf16 or int8/fp32")
    return fastpitch, vocoder
