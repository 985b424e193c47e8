"""Running the exported ONNX graphs with onnxruntime, behind the interfaces the PyTorch models offer.

:class:`OnnxFastPitch` has ``infer`` and ``config`` as :class:`~hifigan.models.fastpitch.FastPitch`
does, :class:`OnnxGenerator` is called like a :class:`~hifigan.models.Generator`, so
:class:`~hifigan.pipeline.TextToSpeech` and :class:`~hifigan.vocoder.Vocoder` (chunked vocoding,
streaming, the denoiser) use them unchanged. Inputs and outputs are CPU torch tensors; the graphs
run on onnxruntime's CPU provider. Needs ``pip install 'hifigan[onnx]'``: onnxruntime is an optional
dependency, imported only when a session is made (:func:`_onnxruntime`), so importing this module
costs nothing on the PyTorch path.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hifigan.checkpoints import read_onnx_manifest
from hifigan.controls import PitchTransform
from hifigan.errors import OnnxError
from hifigan.models.fastpitch import FastPitchConfig, _check_inputs, _check_speaker
from hifigan.models.hifigan import GeneratorConfig
from hifigan.vocoder import Vocoder


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise OnnxError("the ONNX backend needs onnxruntime: pip install 'hifigan[onnx]'") from None
    return onnxruntime


def require_onnxruntime() -> None:
    """Fail early, with the install hint, where onnxruntime is missing."""
    _onnxruntime()


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def check_device(device) -> None:
    if torch.device(device).type != "cpu":
        raise OnnxError(f"the ONNX backend runs on the CPU (onnxruntime's CPU provider), not {device}; "
                        f"use backend='torch' there")


def check_precision(precision) -> None:
    """The exported graphs are float32: ``fp32`` and ``auto`` (or a pair of them) run them, other
    precisions are an error."""
    if any(p not in ("fp32", "auto") for p in str(precision).split("/")):
        raise OnnxError(f"the ONNX backend runs float32 graphs: precision {precision!r} needs backend='torch'")


def session(path, threads: int | None = None):
    """An ``onnxruntime.InferenceSession`` for ``path``: ``threads`` intra-op threads (default
    ``torch.get_num_threads()``), every graph optimisation, the CPU provider."""
    ort = _onnxruntime()
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise OnnxError(f"threads must be an integer >= 1, got {threads!r}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise OnnxError(f"{path}: not a loadable ONNX model, it may be truncated or corrupt "
                        f"({_first_line(e)})") from None


def _run(sess, feeds: dict, path) -> list[np.ndarray]:
    try:
        return sess.run(None, feeds)
    except Exception as e:
        raise OnnxError(f"{path}: onnxruntime failed ({_first_line(e)})") from None


class OnnxGenerator(nn.Module):
    """An exported HiFi-GAN generator: mel ``[B, n_mels, T]`` -> audio ``[B, 1, T * hop_length]``
    (float32, on the CPU). Has no parameters; ``config`` and ``hop_length`` as :class:`Generator`."""

    has_weight_norm = False

    def __init__(self, path, config: GeneratorConfig, threads: int | None = None):
        super().__init__()
        self.path, self.config = Path(path), config
        self.session = session(path, threads)

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def remove_weight_norm(self) -> "OnnxGenerator":
        return self

    def forward(self, mel: torch.Tensor, keep: tuple[int, int] | None = None) -> torch.Tensor:
        """``keep=(start, end)`` as :meth:`Generator.forward`, by slicing the whole graph's output."""
        x = np.ascontiguousarray(mel.detach().float().cpu().numpy())
        audio = torch.from_numpy(_run(self.session, {"mel": x}, self.path)[0])
        return audio if keep is None else audio[..., keep[0] * self.hop_length:keep[1] * self.hop_length]


def pitch_controls(transform) -> tuple[float, float]:
    """``(amplify, shift_hz)`` that do what ``transform`` (None or a PitchTransform) does."""
    if transform is None:
        return 1.0, 0.0
    if not isinstance(transform, PitchTransform):
        raise OnnxError("the ONNX FastPitch changes pitch as PitchTransform does (shift, flatten, invert, "
                        "amplify); it cannot run an arbitrary pitch function")
    return transform.amplify_shift()


def _per_row(value, batch: int, name: str, positive: bool = False) -> np.ndarray:
    """A number, or one per row, as float32 ``[1]`` or ``[batch]``."""
    x = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64).reshape(-1)
    ok = x.size in (1, batch) and np.isfinite(x).all() and (not positive or (x > 0).all())
    if not ok:
        need = "finite numbers > 0" if positive else "finite numbers"
        raise OnnxError(f"{name} must be one number or {batch} (one per row), {need}; got {value!r}")
    return x.astype(np.float32)


class OnnxFastPitch(nn.Module):
    """An exported FastPitch with :meth:`FastPitch.infer`'s interface (see ``onnx_export.FastPitchGraph``):
    symbol ids ``[B, N]`` -> ``(mel, mel_lens, durations, pitch, energy)``. Pitch changes come as a
    :class:`~hifigan.controls.PitchTransform`; ``energy_scale`` multiplies the predicted energy in the
    graph, so :class:`~hifigan.pipeline.TextToSpeech` makes its mel in one pass."""

    scales_energy = True  # TextToSpeech: pass energy_scale to infer instead of running a second pass

    def __init__(self, path, config: FastPitchConfig, pitch_mean: float, pitch_std: float,
                 train_setup: dict | None = None, max_duration: float = 75, threads: int | None = None):
        super().__init__()
        self.path, self.config = Path(path), config
        self.pitch_mean, self.pitch_std = float(pitch_mean), float(pitch_std)
        self.train_setup = dict(train_setup or {})
        self.max_duration = max_duration
        self.session = session(path, threads)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    @property
    def n_speakers(self) -> int:
        return self.config.n_speakers

    def infer(self, inputs, pace=1.0, dur_tgt=None, pitch_tgt=None, energy_tgt=None, pitch_transform=None,
              max_duration=None, speaker=0, energy_scale=1.0):
        """As :meth:`FastPitch.infer` (``pace`` and ``energy_scale`` may also be one value per row),
        without the teacher-forcing targets; a text's results do not depend on the others in the batch."""
        if dur_tgt is not None or pitch_tgt is not None or energy_tgt is not None:
            raise OnnxError("the ONNX FastPitch takes no dur_tgt, pitch_tgt or energy_tgt (use the torch model)")
        if max_duration is not None and max_duration != self.max_duration:  # a constant of the graph
            raise OnnxError(f"the ONNX FastPitch was exported with max_duration {self.max_duration}")
        _check_inputs(inputs, self.config.n_symbols)
        batch = inputs.size(0)
        amplify, shift = pitch_controls(pitch_transform)
        feeds = {"text": np.ascontiguousarray(inputs.detach().cpu().numpy().astype(np.int64)),
                 "pace": _per_row(pace, batch, "pace", positive=True),
                 "pitch_shift_hz": np.array([shift], np.float32), "pitch_amplify": np.array([amplify], np.float32),
                 "energy_scale": _per_row(energy_scale, batch, "energy_scale")}
        _check_speaker(speaker, batch, self.n_speakers)  # the graph's gather would fail on a bad id
        if "speaker" in self.input_names:  # only a multi-speaker graph has the input
            feeds["speaker"] = np.asarray(torch.as_tensor(speaker).cpu(), dtype=np.int64).reshape(-1)
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}  # energy_scale only with energy
        out = dict(zip(self.output_names, _run(self.session, feeds, self.path)))
        energy = torch.from_numpy(out["energy"]) if "energy" in out else None
        return (torch.from_numpy(out["mel"]), torch.from_numpy(out["mel_lens"]),
                torch.from_numpy(out["durations"]), torch.from_numpy(out["pitch"]), energy)


# ---------------------------------------------------------------- loading export folders

def load_onnx_fastpitch(folder, threads: int | None = None, manifest: dict | None = None) -> OnnxFastPitch:
    """The FastPitch of an export folder; ``train_setup`` holds its text settings in NVIDIA's names,
    ``text_settings`` in the TextProcessor's, ``sharpen`` the post-filter amount recorded with it."""

    m = manifest or read_onnx_manifest(folder, ("fastpitch",))
    fp = m["fastpitch"]
    text = fp["text"]
    setup = {"symbol_set": text.get("symbol_set"), "text_cleaners": text.get("cleaners"),
             "p_arpabet": text.get("p_arpabet")}
    model = OnnxFastPitch(fp["path"], fp["config"], fp["pitch_mean"], fp["pitch_std"],
                          {k: v for k, v in setup.items() if v is not None}, fp.get("max_duration", 75), threads).eval()
    model.text_settings = dict(text)  # the TextProcessor's settings at export (TextProcessor.for_model)
    model.sharpen = float(fp.get("sharpen", 0.0))  # the mel post-filter amount recorded (exports before it: none)
    return model


def load_onnx_vocoder(folder, threads: int | None = None, manifest: dict | None = None, **vocoder_kw):
    """A :class:`~hifigan.vocoder.Vocoder` around the generator of an export folder."""

    m = manifest or read_onnx_manifest(folder, ("vocoder",))
    v = m["vocoder"]
    generator = OnnxGenerator(v["path"], v["generator"], threads)
    vocoder_kw.setdefault("piece_frames", None)  # the graph runs whole: a piece's context would cost in full
    return Vocoder(generator, v["audio"], v.get("train_setup") or {}, **vocoder_kw).eval()
