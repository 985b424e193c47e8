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

Durations stay float32 whatever the precision: FastPitch rounds them to whole frames.
"""
from __future__ import annotations

import warnings

import torch

from hifigan.errors import HifiganError

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix products in hardware (else oneDNN emulates them, slowly)."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def resolve_precision(precision: str, device="cpu") -> str:
    """``precision`` (one of :data:`PRECISIONS`) on ``device`` -> ``fp32``, ``bf16`` or ``fp16``.

    ``fp16`` needs a GPU (CPUs have no fast fp16 convolutions); ``bf16`` on a CPU without native
    bf16 works but warns that it is slow.
    """
    if precision not in PRECISIONS:
        raise HifiganError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    kind = torch.device(device).type
    if precision == "auto":
        if kind == "cuda":
            return "fp16"
        return "bf16" if kind == "cpu" and cpu_has_native_bf16() else "fp32"
    if precision == "fp16" and kind != "cuda":
        raise HifiganError("precision fp16 needs a CUDA device; on a CPU use bf16 (native on AVX512-BF16/AMX) or fp32")
    if precision == "bf16" and kind == "cpu" and not cpu_has_native_bf16():
        warnings.warn("this CPU has no native bf16 (AVX512-BF16 or AMX): bf16 is emulated and runs "
                      "many times slower than fp32 here", stacklevel=3)
    return precision


def dtype_of(precision: str, device="cpu") -> torch.dtype:
    """The parameter dtype for ``precision`` (after :func:`resolve_precision`)."""
    return DTYPES[resolve_precision(precision, device)]
