"""hifigan: FastPitch + HiFi-GAN text-to-speech."""
from hifigan.version import __version__
from hifigan.audio import MelConfig, mel_spectrogram
from hifigan.errors import AudioError, CheckpointError, HifiganError, MelError, OnnxError, TextError
from hifigan.models import Denoiser, Generator, GeneratorConfig
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.controls import PitchTransform
from hifigan.loaders import load_fastpitch, load_vocoder
from hifigan.pipeline import TextToSpeech
from hifigan.text import TextProcessor
from hifigan.vocoder import Vocoder

__all__ = ["__version__", "AudioError", "CheckpointError", "Denoiser", "FastPitch", "FastPitchConfig", "Generator",
           "GeneratorConfig", "HifiganError", "MelConfig", "MelError", "OnnxError", "PitchTransform", "TextError",
           "TextProcessor", "TextToSpeech", "Vocoder", "load_fastpitch", "load_vocoder", "mel_spectrogram"]
