"""The acoustic model (text symbols -> mel) loaded for PyTorch; :func:`hifigan.loaders.load_fastpitch`
picks this or the ONNX runtime."""
from __future__ import annotations

import torch

from hifigan.checkpoints import load_fastpitch_checkpoint
from hifigan.models.fastpitch import FastPitch
from hifigan.precision import DTYPES, resolve_precision
from hifigan.pretrained import resolve_fastpitch


def load_torch_fastpitch(name_or_path="default", device="cpu", precision="fp32") -> FastPitch:
    """A PyTorch FastPitch in eval mode on ``device`` in ``precision``, with the checkpoint's
    ``train_setup`` as ``model.train_setup``: :func:`hifigan.loaders.load_fastpitch` with
    ``backend="torch"`` (names, files and precisions are documented there)."""
    resolve_precision(precision, device, "fastpitch")  # a bad precision fails before the file is read
    model, _, train_setup = load_fastpitch_checkpoint(resolve_fastpitch(name_or_path))
    model.train_setup = train_setup
    return to_precision(model, device, precision)


def to_precision(model: FastPitch, device="cpu", precision="fp32") -> FastPitch:
    """``model`` on ``device`` in ``precision`` (as :func:`load_torch_fastpitch`), in eval mode: its
    weights cast, or for ``int8`` quantised (:meth:`FastPitch.quantize_int8`)."""
    precision = resolve_precision(precision, device, "fastpitch")
    model = model.to(device, DTYPES.get(precision, torch.float32)).eval()
    return model.quantize_int8() if precision == "int8" else model
