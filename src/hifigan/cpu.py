"""What the CPU computes natively, in the three ways the precision choices need to know.

This project's machines come as a Xeon with AMX (and AVX512-BF16), an AMD EPYC with AVX-512, bf16
and VNNI (Zen 4), or an AMD EPYC with AVX2 only; each takes other branches (``precision='auto'``,
the vocoder's 1-D or 2-D layout). So that every branch can be tested on any machine, the detected
features can be replaced by a named profile: ``HIFIGAN_CPU=amx|avx512_bf16|avx2`` in the
environment (read at each call). The test suite pins one profile for every test and runs the others
on purpose; a user can set it to make ``auto`` choose as it would on another CPU. It changes only
what is chosen, never what the hardware can run: a forced ``amx`` on an AVX2 CPU still runs, in
oneDNN's slow emulation.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import torch

from hifigan.errors import HifiganError

ENV = "HIFIGAN_CPU"


@dataclass(frozen=True)
class CpuFeatures:
    name: str
    bf16: bool  # bf16 products in hardware: AVX512-BF16 or AMX (else oneDNN emulates them, slowly)
    int8: bool  # int8 products in hardware (AMX or VNNI) and oneDNN's int8 linear in this torch
    avx2_kernels: bool  # torch dispatches AVX2 kernels (no AVX-512): the fp32 2-D vocoder layout wins
    # oneDNN's kernels for a new input shape cost a lot to build (AMX: about 0.85 s a sentence of a new
    # length), so inference keeps to a fixed set of shapes (Vocoder.piece_frames, length buckets);
    # on a Zen 4 or AVX2 EPYC a new length cost under 1.2x a repeated one, and the pieces 10-15% more
    shape_stable: bool = False


PROFILES = {
    "amx": CpuFeatures("amx", bf16=True, int8=True, avx2_kernels=False, shape_stable=True),
    "avx512_bf16": CpuFeatures("avx512_bf16", bf16=True, int8=True, avx2_kernels=False),
    "avx2": CpuFeatures("avx2", bf16=False, int8=False, avx2_kernels=True),
}


def _has(name: str) -> bool:
    return bool(getattr(torch.cpu, name, lambda: False)())


@functools.cache
def detected() -> CpuFeatures:
    """This machine's features, read once from torch."""
    amx = _has("_is_amx_tile_supported")
    bf16 = amx or _has("_is_avx512_bf16_supported")
    # the VNNI query was renamed between torch releases; either name counts
    vnni = _has("_is_vnni_supported") or _has("_is_avx512_vnni_supported")
    int8 = (amx or vnni) and torch.backends.mkldnn.is_available() and hasattr(torch.ops.onednn, "qlinear_pointwise")
    avx2 = torch.backends.cpu.get_cpu_capability() == "AVX2"
    name = "amx" if amx else "avx512_bf16" if bf16 else "avx2" if avx2 else "other"
    return CpuFeatures(name, bf16=bf16, int8=bool(int8), avx2_kernels=avx2, shape_stable=amx)


def features() -> CpuFeatures:
    """The profile named by ``HIFIGAN_CPU`` if set, else :func:`detected`."""
    name = os.environ.get(ENV, "").strip()
    if not name:
        return detected()
    try:
        return PROFILES[name]
    except KeyError:
        raise HifiganError(f"{ENV}={name!r}: use one of {', '.join(PROFILES)} (or unset it)") from None
