"""ONNX export of FastPitch and the HiFi-GAN generator (``hifigan export onnx``).

Needs the ``onnx`` package (``pip install 'hifigan[onnx]'``): torch's TorchScript exporter
(``torch.onnx.export(dynamo=False)``) writes the files through it, and onnx is only imported then.
It loads the PyTorch models itself (never the pipeline) and knows nothing of onnxruntime.

:class:`FastPitchGraph` is :meth:`FastPitch.infer` written with tensor operations only, so that
tracing keeps the batch, text and mel lengths dynamic: the length regulator counts, for every output
frame, the symbols whose cumulative (rounded) duration ends at or before it, and gathers; masks come
from ``arange < lens``. Pitch changes and the energy scale are graph inputs.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from hifigan.acoustic import load_torch_fastpitch
from hifigan.checkpoints import (FORMAT_VERSION, ONNX_FILES, ONNX_MANIFEST, file_sha256, read_onnx_manifest,
                                 write_onnx_manifest)
from hifigan.errors import OnnxError
from hifigan.files import atomic_output
from hifigan.models.fastpitch import (LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD, FastPitch, FFTransformer,
                                      TemporalPredictor)
from hifigan.models.hifigan import Generator
from hifigan.pretrained import resolve_fastpitch, resolve_vocoder, voice_sharpen, voice_vocoder
from hifigan.text import TextProcessor
from hifigan.version import __version__
from hifigan.vocoder import load_torch_vocoder

DEFAULT_OPSET = 17  # the first with a LayerNormalization operator
MIN_OPSET, MAX_OPSET = 11, 20  # both graphs export and run at each of these; 20 is torch's TorchScript exporter's last
MAX_DURATION = 75  # frames per symbol, as FastPitch.infer's default

FASTPITCH_INPUTS = ("text", "pace", "pitch_shift_hz", "pitch_amplify", "energy_scale")
FASTPITCH_OUTPUTS = ("mel", "mel_lens", "durations", "pitch", "energy")


def _pitch_stats(model: FastPitch) -> tuple[float, float]:
    """The pitch mean and std (Hz) FastPitch.infer uses: its buffers, or NVIDIA's LJSpeech fallback."""
    if float(model.pitch_std[0]) == 0.0:
        return LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD
    return float(model.pitch_mean[0]), float(model.pitch_std[0])


def _conv(x: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
    """``time_major_conv1d`` (a "same" convolution of time-major ``x [B, T, C]`` as one matrix product
    over the windows, the same weight layout) with the windows cut as ``k`` shifted slices: a traced
    ``unfold`` would keep the example's length."""
    k = conv.kernel_size[0]
    w = conv.weight.reshape(conv.out_channels, -1)
    if k > 1:
        b, t = x.shape[:2]
        x = F.pad(x, (0, 0, k // 2, (k - 1) // 2))
        x = torch.stack([x[:, j:j - k + 1 or None] for j in range(k)], dim=-1).reshape(b, t, w.shape[1])
    return F.linear(x, w, conv.bias)


def _fft(fft: FFTransformer, x: torch.Tensor, mask: torch.Tensor, conditioning=0) -> torch.Tensor:
    """``FFTransformer.forward`` for vectors ``x [B, L, C]`` and ``mask [B, L, 1]``, with the
    padding also zeroed between the two convolutions of each feed-forward block."""
    pos = fft.pos_emb(torch.arange(x.size(1), device=x.device).to(x.dtype)) * mask
    out = fft.drop(x + pos + conditioning)
    for layer in fft.layers:
        out = layer.dec_attn(out, pad_mask=~mask.squeeze(2)) * mask
        ff = layer.pos_ff
        conv1, _, conv2, drop = ff.CoreNet
        h = torch.relu(_conv(out, conv1)) * mask
        out = ff.layer_norm(out + drop(_conv(h, conv2))) * mask
    return out


def _predict(predictor: TemporalPredictor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``predictor(x, mask)`` with the padding zeroed before every convolution, not only the first."""
    h, keep = x, mask.to(x.dtype)  # [B, N, C], [B, N, 1]
    for layer in predictor.layers:
        h = layer.dropout(layer.norm(torch.relu(_conv(h * keep, layer.conv))))
    return predictor.fc(h * keep) * mask


class FastPitchGraph(nn.Module):
    """:meth:`FastPitch.infer` as a traceable graph.

    Inputs: ``text`` int64 ``[B, N]`` (padded with ``padding_idx``); ``pace``, ``pitch_shift_hz``,
    ``pitch_amplify`` and (with energy conditioning) ``energy_scale``, float32 ``[1]`` (all rows) or
    ``[B]``; with more than one speaker, ``speaker`` int64 ``[1]`` or ``[B]`` (ids are checked by
    the caller: onnxruntime fails on one out of range). Pitch is changed as :class:`~hifigan.pipeline.PitchTransform`
    does, ``pitch * amplify + shift_hz / std`` (flatten is amplify 0, invert is amplify -1), then set
    to 0 at padding; the predicted energy is multiplied by ``energy_scale`` before its embedding (what
    the pipeline's second pass with ``energy_tgt = energy * scale`` computes).

    Outputs: ``mel [B, n_mels, T]`` (padding past each ``mel_lens``), ``mel_lens [B]`` int64,
    ``durations [B, N]`` (predicted frames per symbol, before ``pace``), ``pitch [B, F, N]``
    (normalised, after the change) and, with energy conditioning, ``energy [B, N]`` (as predicted).

    Padding does not leak: a text in a batch gets what it gets alone. (``FastPitch.infer``, like
    NVIDIA's, lets it leak into a shorter text's last symbols and frames through the second
    convolution of each feed-forward block and predictor, so its batched rows differ from the same
    texts alone; here the padding is zeroed before every convolution.)
    """

    def __init__(self, model: FastPitch, max_duration: float = MAX_DURATION):
        super().__init__()
        self.model = model.eval()
        self.max_duration = float(max_duration)
        _, std = _pitch_stats(model)
        self.register_buffer("pitch_std", torch.tensor(std, dtype=torch.float32))

    @property
    def input_names(self) -> list[str]:
        """The graph's inputs: without energy conditioning ``energy_scale`` is unused and left out."""
        names = [n for n in FASTPITCH_INPUTS if n != "energy_scale" or self.model.energy_conditioning]
        return names + (["speaker"] if self.model.speaker_emb is not None else [])

    @property
    def output_names(self) -> list[str]:
        return [*FASTPITCH_OUTPUTS[:4], *(["energy"] if self.model.energy_conditioning else [])]

    def forward(self, text, pace, pitch_shift_hz, pitch_amplify, energy_scale, speaker=None):
        m = self.model
        spk = 0
        if m.speaker_emb is not None:
            ids = torch.zeros_like(text[:, 0]) + speaker.reshape(-1)  # [1] or [B] -> [B]
            spk = m.speaker_emb(ids).unsqueeze(1) * m.speaker_emb_weight
        enc_mask = (text != m.encoder.padding_idx).unsqueeze(2)  # [B, N, 1]
        enc_out = _fft(m.encoder, m.encoder.word_emb(text), enc_mask, spk)

        log_dur = _predict(m.duration_predictor, enc_out, enc_mask).squeeze(-1)
        dur = torch.clamp(torch.exp(log_dur) - 1, 0, self.max_duration)

        pitch = _predict(m.pitch_predictor, enc_out, enc_mask).permute(0, 2, 1)  # [B, F, N]
        pitch = pitch * pitch_amplify.reshape(-1, 1, 1) + (pitch_shift_hz / self.pitch_std).reshape(-1, 1, 1)
        pitch = pitch * enc_mask.transpose(1, 2).to(pitch.dtype)  # no shifted pitch at padding
        enc_out = enc_out + m.pitch_emb(pitch).transpose(1, 2)

        energy = None
        if m.energy_conditioning:
            energy = _predict(m.energy_predictor, enc_out, enc_mask).squeeze(-1)
            scaled = (energy * energy_scale.reshape(-1, 1)).unsqueeze(1)
            enc_out = enc_out + m.energy_emb(scaled).transpose(1, 2)

        # length regulation: floor(d / pace + 0.5) frames per symbol, as regulate_len
        reps = (dur / pace.reshape(-1, 1) + 0.5).long()
        ends = reps.cumsum(dim=1)  # [B, N]
        mel_lens = ends[:, -1]
        frames = torch.arange(mel_lens.max(), device=text.device)  # [T]
        # the symbol of each frame: how many symbols end at or before it (the last one never counts)
        src = (ends[:, None, :-1] <= frames[None, :, None]).sum(dim=2)  # [B, T]
        dec_in = enc_out.gather(1, src.unsqueeze(2).expand(-1, -1, enc_out.size(2)))
        dec_mask = (frames[None, :] < mel_lens[:, None]).unsqueeze(2)  # [B, T, 1]
        dec_in = torch.where(dec_mask, dec_in, dec_in.new_zeros(()))
        dec_out = _fft(m.decoder, dec_in, dec_mask)
        mel = m.proj(dec_out).permute(0, 2, 1)
        out = (mel, mel_lens, dur, pitch)
        return out + (energy,) if energy is not None else out


def check_export(opset: int = DEFAULT_OPSET) -> None:
    """Fail early where export cannot work: no ``onnx`` package, or an opset out of range."""
    if importlib.util.find_spec("onnx") is None:  # torch's TorchScript exporter writes through it
        raise OnnxError("ONNX export needs the onnx package: pip install 'hifigan[onnx]'")
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise OnnxError(f"opset {opset} is not supported: use {MIN_OPSET} to {MAX_OPSET} (default {DEFAULT_OPSET})")


def _export(module: nn.Module, args: tuple, path: Path, input_names, output_names, dynamic_axes, opset: int) -> None:
    check_export(opset)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(module, args, str(path), dynamo=False, input_names=list(input_names),
                          output_names=list(output_names), dynamic_axes=dynamic_axes, opset_version=opset,
                          do_constant_folding=True)


def export_fastpitch(model: FastPitch, path, opset: int = DEFAULT_OPSET) -> Path:
    """Write ``model`` (a :class:`FastPitch`) as the ONNX graph of :class:`FastPitchGraph` to ``path``
    (atomically)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        _export_fastpitch(model, tmp, opset)
    return path


def _export_fastpitch(model: FastPitch, path: Path, opset: int) -> FastPitchGraph:
    if not isinstance(model, FastPitch):
        raise OnnxError(f"export needs a torch FastPitch, got a {type(model).__name__}")
    graph = FastPitchGraph(copy.deepcopy(model).float().cpu()).eval()
    pad, n = model.config.padding_idx, model.config.n_symbols
    ids = [i for i in range(n) if i != pad] * 7
    text = torch.tensor([ids[:7], ids[:4] + [pad] * 3])  # two rows, one padded: only the shapes are kept
    one = torch.ones(1)
    args = (text, one, torch.zeros(1), one, one)
    if model.speaker_emb is not None:
        args += (torch.zeros(1, dtype=torch.long),)
    axes = {"text": {0: "batch", 1: "symbols"}, "mel": {0: "batch", 2: "frames"}, "mel_lens": {0: "batch"},
            "durations": {0: "batch", 1: "symbols"}, "pitch": {0: "batch", 2: "symbols"},
            "energy": {0: "batch", 1: "symbols"}}
    for name in (*FASTPITCH_INPUTS[1:], "speaker"):
        axes[name] = {0: f"{name}_rows"}
    names = [*graph.input_names, *graph.output_names]
    _export(graph, args, path, [*FASTPITCH_INPUTS, "speaker"][:len(args)], graph.output_names,
            {k: v for k, v in axes.items() if k in names}, opset)
    return graph


def export_generator(generator: Generator, path, opset: int = DEFAULT_OPSET) -> Path:
    """Write a HiFi-GAN generator (weight norm folded in) as ONNX: ``mel [B, n_mels, T]`` ->
    ``audio [B, 1, T * hop]``, batch and frames dynamic (atomically)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        _export_generator(generator, tmp, opset)
    return path


def _export_generator(generator: Generator, path: Path, opset: int) -> None:
    if not isinstance(generator, Generator):
        raise OnnxError(f"export needs a torch Generator, got a {type(generator).__name__}")
    copy_ = Generator(generator.config, weight_norm=generator.has_weight_norm)  # (deepcopy shares parametrizations)
    copy_.load_state_dict(generator.state_dict())
    generator = copy_.remove_weight_norm().float().eval()  # g * v / |v| folded into the weight: the same function
    mel = torch.zeros(1, generator.config.n_mels, 20)
    _export(generator, (mel,), path, ["mel"], ["audio"],
            {"mel": {0: "batch", 2: "frames"}, "audio": {0: "batch", 2: "samples"}}, opset)


# ---------------------------------------------------------------- export folders

def _json_safe(d: dict) -> dict:
    return {str(k): v for k, v in d.items() if isinstance(v, (str, int, float, bool, type(None), list))}


def export_onnx(folder, fastpitch: FastPitch | None = None, vocoder=None, text_processor=None,
                opset: int = DEFAULT_OPSET, sources: dict | None = None, sharpen: float = 0.0) -> Path:
    """Write an ONNX export folder (see ``hifigan.checkpoints.read_onnx_manifest``): ``fastpitch.onnx``
    from a :class:`FastPitch` (with ``text_processor``'s settings, default ones if None) and/or
    ``generator.onnx`` from a torch :class:`~hifigan.vocoder.Vocoder`, then ``hifigan_onnx.json``.
    All or nothing: the files are written beside their final names and replace them only when every
    one is complete. ``sources``: what each model was loaded from, and ``sharpen``: the mel post-filter
    amount for this FastPitch (:func:`hifigan.postfilter.sharpen`), both recorded in the manifest."""
    if fastpitch is None and vocoder is None:
        raise OnnxError("nothing to export: give a FastPitch, a vocoder or both")
    check_export(opset)
    folder, sources = Path(folder), sources or {}
    if folder.exists() and not folder.is_dir():
        raise OnnxError(f"{folder}: exists and is not a folder")
    manifest = {"hifigan_version": __version__, "torch_version": torch.__version__, "opset": opset}
    with contextlib.ExitStack() as stack:
        index_tmp = stack.enter_context(atomic_output(folder / ONNX_MANIFEST))  # renamed last
        if fastpitch is not None:
            tmp = stack.enter_context(atomic_output(folder / ONNX_FILES["fastpitch"]))
            graph = _export_fastpitch(fastpitch, tmp, opset)
            tp = text_processor or TextProcessor()
            mean, std = _pitch_stats(fastpitch)
            manifest["fastpitch"] = {
                "file": ONNX_FILES["fastpitch"], "sha256": file_sha256(tmp), "source": sources.get("fastpitch"),
                "config": fastpitch.config.to_dict(), "pitch_mean": mean, "pitch_std": std,
                "max_duration": MAX_DURATION, "inputs": graph.input_names, "outputs": graph.output_names,
                "text": {"symbol_set": tp.symbol_set, "cleaners": list(tp.cleaner_names),
                         "p_arpabet": tp.p_arpabet, "handle_ambiguous": tp.handle_ambiguous},
                "sharpen": float(sharpen)}
        if vocoder is not None:
            generator = vocoder.generator
            tmp = stack.enter_context(atomic_output(folder / ONNX_FILES["vocoder"]))
            _export_generator(generator, tmp, opset)
            manifest["vocoder"] = {
                "file": ONNX_FILES["vocoder"], "sha256": file_sha256(tmp), "source": sources.get("vocoder"),
                "generator": json.loads(json.dumps(generator.config.to_dict())),
                "audio": vocoder.mel_config.to_dict(), "sample_rate": vocoder.sample_rate,
                "hop_length": vocoder.hop_length, "train_setup": _json_safe(vocoder.train_setup),
                "inputs": ["mel"], "outputs": ["audio"]}
        write_onnx_manifest(index_tmp, manifest)
    return folder


def export_pretrained(folder, fastpitch="default", vocoder=None, opset: int = DEFAULT_OPSET,
                      vocoder_only: bool = False, vocoder_config=None, fastpitch_only: bool = False) -> Path:
    """``hifigan export onnx``: FastPitch and vocoder by name or path, as ``TextToSpeech.from_pretrained``
    takes them (``vocoder=None``: the voice's own), exported into ``folder``, with the text settings
    (:meth:`TextProcessor.for_model`) and the voice's post-filter amount. ``vocoder_only``: just the
    vocoder (``load_vocoder``'s ``name_or_path`` and ``config``); ``fastpitch_only``: just FastPitch."""
    check_export(opset)
    if vocoder_only and fastpitch_only:
        raise OnnxError("vocoder_only and fastpitch_only exclude each other")
    vocoder = voice_vocoder(fastpitch) if vocoder is None else vocoder
    if vocoder_only:
        voc = load_torch_vocoder(vocoder, config=vocoder_config)
        return export_onnx(folder, vocoder=voc, opset=opset, sources={"vocoder": str(vocoder)})
    if vocoder_config is not None:
        raise OnnxError("vocoder_config is for a vocoder-only export")
    model = load_torch_fastpitch(fastpitch)
    voc = None if fastpitch_only else load_torch_vocoder(vocoder)
    if voc is not None and voc.n_mels != model.config.n_mel_channels:
        raise OnnxError(f"FastPitch makes {model.config.n_mel_channels}-channel mels but the vocoder "
                        f"expects {voc.n_mels}")
    sources = {"fastpitch": str(fastpitch), **({} if voc is None else {"vocoder": str(vocoder)})}
    return export_onnx(folder, model, voc, TextProcessor.for_model(model), opset, sources=sources,
                       sharpen=voice_sharpen(fastpitch))


def cache_root() -> Path:
    """``$HIFIGAN_CACHE``, else ``$XDG_CACHE_HOME/hifigan`` (default ``~/.cache/hifigan``)."""
    root = os.getenv("HIFIGAN_CACHE") or os.path.join(os.getenv("XDG_CACHE_HOME") or "~/.cache", "hifigan")
    return Path(os.path.expanduser(root))


def cached_export(fastpitch="default", vocoder=None, opset: int = DEFAULT_OPSET, vocoder_only: bool = False,
                  vocoder_config=None, fastpitch_only: bool = False) -> Path:
    """The export folder of these models, made once under ``cache_root()/onnx/<key>``: the key hashes
    the checkpoint files' contents (and a vocoder config given or found beside the file), the opset and
    the hifigan and torch versions, so a changed file or version makes a new export. ``vocoder_only``
    and ``fastpitch_only`` as :func:`export_pretrained`."""
    settings = {"opset": opset, "hifigan": __version__, "torch": torch.__version__, "format": FORMAT_VERSION}
    if not fastpitch_only:
        vocoder = voice_vocoder(fastpitch) if vocoder is None else vocoder
        voc_path = resolve_vocoder(vocoder)
        settings["vocoder"] = file_sha256(voc_path)
        if isinstance(vocoder_config, dict):
            settings["vocoder_config"] = vocoder_config
        elif vocoder_config is not None:
            settings["vocoder_config"] = file_sha256(vocoder_config)
        elif voc_path.with_name("config.json").is_file():
            settings["vocoder_config_beside"] = file_sha256(voc_path.with_name("config.json"))
    if not vocoder_only:
        settings["fastpitch"] = file_sha256(resolve_fastpitch(fastpitch))
    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:24]
    folder = cache_root() / "onnx" / key
    parts = ("vocoder",) if vocoder_only else ("fastpitch",) if fastpitch_only else ("fastpitch", "vocoder")
    try:
        read_onnx_manifest(folder, parts)
        return folder
    except OnnxError:
        pass
    return export_pretrained(folder, fastpitch, vocoder, opset, vocoder_only, vocoder_config, fastpitch_only)
