"""The acoustic model (text symbols -> mel) as users load it."""
from __future__ import annotations

import torch

from hifigan.models.fastpitch import FastPitch


def load_fastpitch(name_or_path="default", device="cpu", precision="fp32") -> FastPitch:
    """FastPitch by name or from a checkpoint file: NVIDIA's FastPitch 1.1 (``.pt``) or ours (``.safetensors``).

    ``"default"`` (or ``"auto"``) is the voice shipped inside the package (MODEL_CARD.md);
    ``"nvidia"`` takes NVIDIA's ``nvidia_fastpitch_210824+cfg.pt`` from ``$TORCH_HOME/checkpoints``
    (never downloaded). Anything else is a path; an unknown name or a missing file is a one-line
    :class:`~hifigan.errors.CheckpointError` that says what to pass instead.
    Returns the model in eval mode on ``device``; ``model.train_setup`` is the checkpoint's
    ``train_setup`` dict (NVIDIA's: ``symbol_set``, ``text_cleaners``, ...), or {}. ``precision``:
    ``fp32`` (default), ``bf16``, ``fp16``, ``int8`` (a CPU with AMX or AVX512-VNNI:
    :meth:`FastPitch.quantize_int8`) or ``auto`` (:mod:`hifigan.precision`); the weights are cast
    to it, durations are still rounded from float32.
    """
    from hifigan.checkpoints import load_fastpitch_checkpoint
    from hifigan.precision import resolve_precision
    from hifigan.pretrained import resolve_fastpitch

    resolve_precision(precision, device, "fastpitch")  # a bad precision fails before the file is read
    model, _, train_setup = load_fastpitch_checkpoint(resolve_fastpitch(name_or_path))
    model.train_setup = train_setup
    return to_precision(model, device, precision)


def to_precision(model: FastPitch, device="cpu", precision="fp32") -> FastPitch:
    """``model`` on ``device`` in ``precision`` (as :func:`load_fastpitch`), in eval mode: its
    weights cast, or for ``int8`` quantised (:meth:`FastPitch.quantize_int8`)."""
    from hifigan.precision import DTYPES, resolve_precision

    precision = resolve_precision(precision, device, "fastpitch")
    model = model.to(device, DTYPES.get(precision, torch.float32)).eval()
    return model.quantize_int8() if precision == "int8" else model
