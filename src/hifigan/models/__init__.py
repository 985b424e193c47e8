from hifigan.models.denoiser import Denoiser
from hifigan.models.hifigan import PRESETS, Generator, GeneratorConfig, ResBlock1, ResBlock2

__all__ = ["Denoiser", "Generator", "GeneratorConfig", "PRESETS", "ResBlock1", "ResBlock2"]
