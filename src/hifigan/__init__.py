"""hifigan: FastPitch + HiFi-GAN text-to-speech."""
from hifigan.audio import MelConfig, mel_spectrogram
from hifigan.errors import AudioError, CheckpointError, HifiganError, MelError
from hifigan.models import Denoiser, Generator, GeneratorConfig
from hifigan.vocoder import Vocoder, load_vocoder

__version__ = "0.1.0"
__all__ = ["AudioError", "CheckpointError", "Denoiser", "Generator", "GeneratorConfig",
           "HifiganError", "MelConfig", "MelError", "Vocoder", "load_vocoder", "mel_spectrogram"]
