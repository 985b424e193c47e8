"""Loading the two models, on the backend the caller names: where a backend is chosen.

``load_fastpitch`` and ``load_vocoder`` return objects with one interface whatever the backend:
PyTorch (:class:`~hifigan.models.fastpitch.FastPitch`, a :class:`~hifigan.vocoder.Vocoder` around a
:class:`~hifigan.models.Generator`) or onnxruntime (:class:`~hifigan.onnx_backend.OnnxFastPitch`,
a :class:`~hifigan.vocoder.Vocoder` around an :class:`~hifigan.onnx_backend.OnnxGenerator`), so
that :class:`~hifigan.pipeline.TextToSpeech` composes them without knowing which. For ONNX a
checkpoint is exported once into the cache (:func:`hifigan.onnx_export.cached_export`), or the name
is an export folder (``hifigan export onnx``). Neither ONNX module imports onnx or onnxruntime until
it is used, so the PyTorch path never loads them.
"""
from __future__ import annotations

from pathlib import Path

from hifigan.acoustic import load_torch_fastpitch
from hifigan.errors import HifiganError
from hifigan.onnx_backend import check_device, check_precision, load_onnx_fastpitch, load_onnx_vocoder, require_onnxruntime
from hifigan.onnx_export import cached_export
from hifigan.precision import split_precision
from hifigan.pretrained import voice_vocoder
from hifigan.vocoder import Vocoder, load_torch_vocoder

BACKENDS = ("torch", "onnx")


def check_backend(backend: str, threads, device, precision) -> None:
    """Fail early, in one line, on a backend that cannot run these settings (for ONNX: onnxruntime
    missing, not the CPU, a precision other than fp32/auto)."""
    if backend not in BACKENDS:
        raise HifiganError(f"backend must be 'torch' or 'onnx', got {backend!r}")
    if backend == "torch" and threads is not None:
        raise HifiganError("threads is onnxruntime's setting (backend='onnx'); for torch use torch.set_num_threads")
    if backend == "onnx":
        require_onnxruntime()
        check_device(device)
        check_precision(precision)


def is_export_folder(name_or_path) -> bool:
    return isinstance(name_or_path, (str, Path)) and Path(name_or_path).is_dir()


def load_fastpitch(name_or_path="default", device="cpu", precision="fp32", backend="torch", threads=None):
    """FastPitch by name or from a checkpoint file: NVIDIA's FastPitch 1.1 (``.pt``) or ours (``.safetensors``).

    ``"default"`` (or ``"auto"``) is the voice shipped inside the package (MODEL_CARD.md);
    ``"nvidia"`` takes NVIDIA's ``nvidia_fastpitch_210824+cfg.pt`` from ``$TORCH_HOME/checkpoints``
    (never downloaded). Anything else is a path; an unknown name or a missing file is a one-line
    :class:`~hifigan.errors.CheckpointError` that says what to pass instead.
    Returns the model in eval mode on ``device``; ``model.train_setup`` is the checkpoint's
    ``train_setup`` dict (NVIDIA's: ``symbol_set``, ``text_cleaners``, ...), or {}. ``precision``:
    ``fp32`` (default), ``bf16``, ``fp16``, ``int8`` (a CPU with AMX or VNNI:
    :meth:`FastPitch.quantize_int8`) or ``auto`` (:mod:`hifigan.precision`); the weights are cast
    to it, durations are still rounded from float32.

    ``backend="onnx"``: the same model on onnxruntime (``pip install 'hifigan[onnx]'``, float32 on
    the CPU; ``threads`` intra-op threads, default ``torch.get_num_threads()``), exported once into
    the cache, or the FastPitch of an export folder; its ``text_settings`` and ``sharpen`` are the
    ones recorded in the export.
    """
    check_backend(backend, threads, device, precision)
    if backend == "torch":
        return load_torch_fastpitch(name_or_path, device, precision)
    folder = name_or_path if is_export_folder(name_or_path) else cached_export(name_or_path, fastpitch_only=True)
    return load_onnx_fastpitch(folder, threads)


def load_vocoder(name_or_path="lj_v1", device="cpu", config=None, precision="fp32", backend="torch",
                 threads=None) -> Vocoder:
    """A bundled vocoder by name (``lj_v1``, ``universal_v1``) or any supported checkpoint file.

    Returns a :class:`Vocoder` in eval mode with weight norm removed, its weights in ``precision``
    (``fp32``, ``bf16``, ``fp16`` or ``auto``: see :mod:`hifigan.precision`); it takes mels of any
    float dtype and returns float32 audio. ``backend="onnx"`` runs the generator on onnxruntime
    (``pip install 'hifigan[onnx]'``, float32 only): the checkpoint is exported once into the cache
    (``~/.cache/hifigan/onnx``), or ``name_or_path`` is an export folder (``hifigan export onnx``);
    ``threads``: onnxruntime's intra-op threads (default ``torch.get_num_threads()``).
    """
    check_backend(backend, threads, device, precision)
    if backend == "torch":
        return load_torch_vocoder(name_or_path, device, config, precision)
    folder = name_or_path if is_export_folder(name_or_path) else \
        cached_export(vocoder=name_or_path, vocoder_only=True, vocoder_config=config)
    return load_onnx_vocoder(folder, threads)


def load_models(fastpitch="default", vocoder=None, device="cpu", precision="fp32", backend="torch", threads=None):
    """``(fastpitch, vocoder)`` for a pipeline, as :func:`load_fastpitch` and :func:`load_vocoder`
    load them: ``vocoder=None`` is the voice's own (:func:`~hifigan.pretrained.voice_vocoder`),
    ``precision`` one name for both or ``FASTPITCH/VOCODER``. For ONNX the pair is one export folder
    (given as ``fastpitch``, which then holds its own vocoder, or made once in the cache)."""
    check_backend(backend, threads, device, precision)
    fp_precision, voc_precision = split_precision(precision)
    if backend == "onnx":
        if is_export_folder(fastpitch):
            if vocoder is not None:
                raise HifiganError("an ONNX export folder holds its own vocoder: give no vocoder with it")
            folder = fastpitch
        else:
            folder = cached_export(fastpitch, vocoder)
        return load_onnx_fastpitch(folder, threads), load_onnx_vocoder(folder, threads)
    vocoder = voice_vocoder(fastpitch) if vocoder is None else vocoder
    return (load_torch_fastpitch(fastpitch, device, fp_precision),
            load_torch_vocoder(vocoder, device, precision=voc_precision))
