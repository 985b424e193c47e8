"""hifigan: FastPitch + HiFi-GAN text-to-speech."""
from hifigan.acoustic import load_fastpitch
from hifigan.audio import MelConfig, mel_spectrogram
from hifigan.errors import AudioError, CheckpointError, HifiganError, MelError, OnnxError, TextError
from hifigan.models import Denoiser, Generator, GeneratorConfig
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.pipeline import PitchTransform, TextToSpeech
from hifigan.text import TextProcessor
from hifigan.vocoder import Vocoder, load_vocoder

__version__ = "0.1.0"
__all__ = ["AudioError", "CheckpointError", "Denoiser", "FastPitch", "FastPitchConfig", "Generator",
           "GeneratorConfig", "HifiganError", "MelConfig", "MelError", "OnnxError", "PitchTransform", "TextError",
           "TextProcessor", "TextToSpeech", "Vocoder", "load_fastpitch", "load_vocoder", "mel_spectrogram"]
