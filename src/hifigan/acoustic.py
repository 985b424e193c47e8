"""The acoustic model (text symbols -> mel) as users load it."""
from __future__ import annotations

from hifigan.models.fastpitch import FastPitch


def load_fastpitch(name_or_path="auto", device="cpu") -> FastPitch:
    """FastPitch from a checkpoint file: NVIDIA's FastPitch 1.1 (``.pt``) or ours (``.safetensors``).

    ``"auto"`` takes NVIDIA's ``nvidia_fastpitch_210824+cfg.pt`` from ``$TORCH_HOME/checkpoints``;
    no trained FastPitch is bundled yet, so a bare name is refused with a one-line
    :class:`~hifigan.errors.CheckpointError` that says what to pass instead.
    Returns the model in eval mode on ``device``; ``model.train_setup`` is the checkpoint's
    ``train_setup`` dict (NVIDIA's: ``symbol_set``, ``text_cleaners``, ...), or {}.
    """
    from hifigan.checkpoints import load_fastpitch_checkpoint
    from hifigan.pretrained import resolve_fastpitch

    model, _, train_setup = load_fastpitch_checkpoint(resolve_fastpitch(name_or_path))
    model.train_setup = train_setup
    return model.to(device).eval()
