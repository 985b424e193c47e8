"""Exceptions with one-line messages meant to be shown to a user as they are."""


class HifiganError(ValueError):
    """Base class: bad input (audio, mel, checkpoint, name). The message is one line."""


class AudioError(HifiganError):
    """An audio file or waveform that cannot be used."""


class MelError(HifiganError):
    """A mel spectrogram of the wrong shape or with non-finite values."""


class CheckpointError(HifiganError):
    """A checkpoint that is missing, damaged, of the wrong model, or does not fit the model."""


class TextError(HifiganError):
    """Text that cannot be turned into symbols (empty, nothing left after cleaning, bad settings)."""


class OnnxError(HifiganError):
    """An ONNX export folder or model file that is missing, damaged or does not fit, or a missing ONNX package."""
