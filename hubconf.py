"""torch.hub entry points: the seed page's NVIDIA ones, and our own.

    torch.hub.load("<this repo>", "nvidia_fastpitch", source="local")

Nothing is downloaded. Pretrained NVIDIA files are looked up where torch.hub keeps them,
``$TORCH_HOME/checkpoints/`` under NVIDIA's file names; ``checkpoint=`` takes any path.
Unlike NVIDIA's, models come back in eval mode.
"""
import os
import sys

dependencies = ["torch", "numpy", "soundfile", "soxr", "safetensors"]

_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
if os.path.isdir(_SRC) and _SRC not in sys.path:  # a plain checkout works without pip install
    sys.path.insert(0, _SRC)

from hifigan.hub import fastpitch, hifigan, nvidia_fastpitch, nvidia_hifigan, nvidia_textprocessing_utils, tts  # noqa: E402,F401
