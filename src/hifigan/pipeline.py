"""Text to speech: text -> ids -> FastPitch -> HiFi-GAN -> (denoiser) -> audio."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from hifigan.audio import write_wav
from hifigan.checkpoints import read_onnx_manifest
from hifigan.controls import PitchTransform
from hifigan.errors import HifiganError, TextError
from hifigan.loaders import check_backend, is_export_folder, load_models
from hifigan.postfilter import check_amount, sharpen as sharpen_mel
from hifigan.pretrained import voice_sharpen
from hifigan.text import TextProcessor, split_sentences
from hifigan.text.processor import batch_by_length
from hifigan.vocoder import Vocoder, placement

__all__ = ["PitchTransform", "TextToSpeech", "Utterance"]  # PitchTransform lives in hifigan.controls


def _text_kwargs(kwargs: dict) -> dict:
    """Take the TextProcessor's keyword arguments out of ``kwargs``."""
    return {k: kwargs.pop(k) for k in ("symbol_set", "cleaners", "p_arpabet", "cmudict_path",
                                       "heteronyms_path", "handle_ambiguous") if k in kwargs}


@dataclass
class Utterance:
    audio: np.ndarray  # float32 in [-1, 1]
    mel: torch.Tensor  # [n_mels, T], the concatenated sentences (pauses not included)
    sample_rate: int


class TextToSpeech:
    """``TextToSpeech(fastpitch, vocoder)``; ``.synthesize(text) -> (audio, sample_rate)``.

    Texts are split into sentences, which are run in batches sorted by length; results come back
    in input order, each trimmed to its own length, with ``sentence_pause`` seconds between sentences.
    FastPitch takes ``batch_size`` sentences at a time; the vocoder ``vocoder_batch_size``
    (default: 8 on a GPU, 1 on a CPU, where batching saves nothing), with no padding leaking into
    the audio (:meth:`Vocoder.vocode_many`). ``sharpen``: the mel post-filter's amount
    (:func:`hifigan.postfilter.sharpen`, 0 = off), applied to every sentence's mel before the vocoder.
    """

    def __init__(self, fastpitch: torch.nn.Module, vocoder: Vocoder, text_processor: TextProcessor | None = None,
                 batch_size: int = 8, sentence_pause: float = 0.2, max_sentence_chars: int = 400,
                 vocoder_batch_size: int | None = None, sharpen: float = 0.0):
        n_mels = fastpitch.config.n_mel_channels
        if n_mels != vocoder.n_mels:
            raise HifiganError(f"FastPitch makes {n_mels}-channel mels but the vocoder expects {vocoder.n_mels}")
        if batch_size < 1 or (vocoder_batch_size is not None and vocoder_batch_size < 1):
            raise HifiganError(f"batch sizes must be >= 1, got {batch_size} and {vocoder_batch_size}")
        self.fastpitch = fastpitch.eval()
        self.vocoder = vocoder.eval()
        self.text_processor = text_processor or TextProcessor()
        n_symbols = fastpitch.config.n_symbols
        if n_symbols != len(self.text_processor.symbols):
            raise HifiganError(f"FastPitch has {n_symbols} symbol embeddings but the text processor's "
                               f"{self.text_processor.symbol_set} has {len(self.text_processor.symbols)} symbols")
        self.batch_size = batch_size
        on_gpu = placement(vocoder.generator)[0].type == "cuda"
        self.vocoder_batch_size = vocoder_batch_size or (8 if on_gpu else 1)
        self.sentence_pause = sentence_pause
        self.max_sentence_chars = max_sentence_chars
        self.sharpen = check_amount(sharpen)

    @classmethod
    def from_pretrained(cls, fastpitch="default", vocoder=None, device="cpu", precision="fp32", backend="torch",
                        threads=None, **kwargs) -> "TextToSpeech":
        """A shipped voice by name (``"default"``), ``"nvidia"`` or a FastPitch checkpoint path; ``vocoder=None``
        takes the voice's own vocoder (``lj_v1`` for a checkpoint path). ``precision``: ``fp32``
        (exact, the default), ``bf16``, ``fp16`` or ``auto`` (:mod:`hifigan.precision`) for both
        models, or a pair ``FASTPITCH/VOCODER`` such as ``int8/bf16`` (``int8`` is FastPitch's only).
        Text keywords go to :class:`~hifigan.text.TextProcessor`; heteronyms are read by context
        (``handle_ambiguous="context"``) unless ``handle_ambiguous="ignore"`` asks for NVIDIA's letters.

        ``backend="onnx"`` runs both models on onnxruntime (``pip install 'hifigan[onnx]'``, float32):
        they are exported once into the cache (``~/.cache/hifigan/onnx``, ``$HIFIGAN_CACHE``) and loaded
        from there, or ``fastpitch`` is an export folder (see :meth:`from_onnx`, which takes ``threads``).
        The models come from :mod:`hifigan.loaders`, which is where the backend is chosen.

        ``sharpen`` (the mel post-filter, :func:`hifigan.postfilter.sharpen`) defaults to the shipped
        voice's own amount (MODEL_CARD.md), 0 for any other FastPitch, the amount recorded in an export folder."""
        model, voc = load_models(fastpitch, vocoder, device, precision, backend, threads)
        recorded = getattr(model, "sharpen", None)  # an ONNX export's own amount
        kwargs.setdefault("sharpen", voice_sharpen(fastpitch) if recorded is None else recorded)
        return cls(model, voc, TextProcessor.for_model(model, **_text_kwargs(kwargs)), **kwargs)

    @classmethod
    def from_onnx(cls, folder, threads: int | None = None, **kwargs) -> "TextToSpeech":
        """Both models of an ONNX export folder (``hifigan export onnx -o DIR``) on onnxruntime, with the
        text settings and mel post-filter amount recorded there (keyword arguments as :meth:`from_pretrained`'s
        override them);
        ``threads``: onnxruntime's intra-op threads (default ``torch.get_num_threads()``)."""
        check_backend("onnx", threads, "cpu", "fp32")
        if not is_export_folder(folder):
            read_onnx_manifest(folder)  # says why, in one line
        return cls.from_pretrained(folder, backend="onnx", threads=threads, **kwargs)

    @property
    def device(self) -> torch.device:
        p = next(self.fastpitch.parameters(), None)
        return p.device if p is not None else torch.device("cpu")  # an ONNX model runs on the CPU

    @property
    def sample_rate(self) -> int:
        return self.vocoder.sample_rate

    # ------------------------------------------------------------------------------------------

    def _check(self, pace: float, speaker: int, energy_scale: float) -> None:
        if not (isinstance(pace, (int, float)) and math.isfinite(pace) and pace > 0):
            raise HifiganError(f"pace must be a finite number > 0, got {pace}")
        if not math.isfinite(energy_scale):
            raise HifiganError(f"energy_scale must be finite, got {energy_scale}")
        n = self.fastpitch.config.n_speakers
        if not isinstance(speaker, int) or not 0 <= speaker < n:
            raise HifiganError(f"speaker {speaker} out of range: the model has {n} speaker{'s' * (n != 1)} (0-{n - 1})")

    @torch.inference_mode()
    def _mels(self, ids: list[list[int]], pace, pitch_transform, speaker, energy_scale) -> list[torch.Tensor]:
        out: list[torch.Tensor | None] = [None] * len(ids)
        for batch in batch_by_length(ids, self.batch_size, self.text_processor.pad_idx, self.device):
            text, idx = batch["text"], batch["index"].tolist()
            kw = dict(pace=pace, pitch_transform=pitch_transform, speaker=speaker)
            one_pass = getattr(self.fastpitch, "scales_energy", False)  # the ONNX graph takes energy_scale
            if one_pass:
                kw["energy_scale"] = energy_scale
            mel, mel_lens, dur, pitch, energy = self.fastpitch.infer(text, **kw)[:5]
            if energy_scale != 1.0 and not one_pass:  # second pass with the scaled energy, same durations and pitch
                mel, mel_lens = self.fastpitch.infer(text, pace=pace, dur_tgt=dur, pitch_tgt=pitch,
                                                     energy_tgt=energy * energy_scale, speaker=speaker)[:2]
            for row, i in enumerate(idx):
                out[i] = sharpen_mel(mel[row, :, :int(mel_lens[row])].float(), self.sharpen)
        return out

    def synthesize_utterances(self, texts: list[str], pace: float = 1.0,
                              pitch: PitchTransform | Callable | None = None, speaker: int = 0,
                              energy_scale: float = 1.0, denoise: float = 0.0) -> list[Utterance]:
        """Several texts at once (batched across all their sentences); results in input order."""
        self._check(pace, speaker, energy_scale)
        pitch_transform = pitch if callable(pitch) and bool(pitch) else None  # a no-op PitchTransform is falsy
        items, owners = [], []
        for n, text in enumerate(texts):
            ids = self._sentence_ids(text, n)
            items += ids
            owners += [n] * len(ids)
        mels = self._mels(items, pace, pitch_transform, speaker, energy_scale)
        pause = np.zeros(int(round(self.sentence_pause * self.sample_rate)), np.float32)
        results = []
        grouped: dict[int, list[torch.Tensor]] = {}
        for mel, owner in zip(mels, owners):
            grouped.setdefault(owner, []).append(mel)
        spoken = [k for k, mel in enumerate(mels) if mel.shape[-1] > 0]
        sounds = dict(zip(spoken, self.vocoder.vocode_many([mels[k] for k in spoken], self.vocoder_batch_size,
                                                           denoise)))
        grouped_audio: dict[int, list] = {}
        for k, owner in enumerate(owners):
            grouped_audio.setdefault(owner, []).append(sounds.get(k))
        for n in range(len(texts)):
            parts = grouped[n]
            audio = []
            for k, sound in enumerate(grouped_audio[n]):
                if k:
                    audio.append(pause)
                if sound is not None:
                    audio.append(sound.cpu().numpy())
            wav = np.concatenate(audio) if audio else np.zeros(0, np.float32)
            if wav.size == 0:
                raise HifiganError(f"text {n + 1}: the model predicted no frames (all durations rounded to 0)")
            results.append(Utterance(wav.astype(np.float32, copy=False), torch.cat(parts, dim=-1).cpu(),
                                     self.sample_rate))
        return results

    def _sentence_ids(self, text: str, n: int = 0) -> list[list[int]]:
        """The symbol ids of each sentence of ``text`` (``n``: its index, for messages)."""
        if not isinstance(text, str) or not text.strip():
            raise TextError(f"text {n + 1} is empty")
        items = []
        for sentence in split_sentences(text, self.max_sentence_chars):
            try:
                items.append(self.text_processor.encode_text(sentence))
            except TextError:
                continue  # a sentence of only symbols; the text as a whole is checked below
        if not items:
            raise TextError(f"text {n + 1}: nothing to say, it cleans to no symbols ({text[:40]!r})")
        return items

    def stream(self, text: str, pace: float = 1.0, pitch: PitchTransform | Callable | None = None,
               speaker: int = 0, energy_scale: float = 1.0, denoise: float = 0.0,
               first_frames: int = 8) -> Iterator[np.ndarray]:
        """Yield the audio of ``text`` as it is made (float32 pieces at :attr:`sample_rate`): one
        sentence at a time and, within a sentence, pieces of ``first_frames`` mel frames and then
        twice as many each time, each vocoded with the vocoder's mel context on both sides. Joined,
        the pieces equal :meth:`synthesize`'s audio up to float rounding (pauses included). With
        ``denoise`` > 0 a sentence comes whole (the denoiser works on the whole sentence)."""
        self._check(pace, speaker, energy_scale)
        pitch_transform = pitch if callable(pitch) and bool(pitch) else None
        pause = np.zeros(int(round(self.sentence_pause * self.sample_rate)), np.float32)
        produced = False
        for k, ids in enumerate(self._sentence_ids(text)):
            mel = self._mels([ids], pace, pitch_transform, speaker, energy_scale)[0]
            if k:
                yield pause
            if mel.shape[-1] == 0:
                continue
            produced = True
            if denoise > 0:
                yield self.vocoder.vocode(mel[None], denoise)[0].cpu().numpy()
                continue
            for piece in self.vocoder.stream(mel[None], first_frames):
                yield piece.cpu().numpy()
        if not produced:
            raise HifiganError("text 1: the model predicted no frames (all durations rounded to 0)")

    def synthesize(self, text: str, **kwargs) -> tuple[np.ndarray, int]:
        """``(float32 audio in [-1, 1], sample_rate)``; keyword arguments as :meth:`synthesize_utterances`."""
        utt = self.synthesize_utterances([text], **kwargs)[0]
        return utt.audio, utt.sample_rate

    def to_file(self, text: str, path, **kwargs) -> Path:
        audio, sr = self.synthesize(text, **kwargs)
        return write_wav(path, audio, sr)
