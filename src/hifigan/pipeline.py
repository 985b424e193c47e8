"""Text to speech: text -> ids -> FastPitch -> HiFi-GAN -> (denoiser) -> audio."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torch.nn import functional as F

from hifigan import cpu
from hifigan.audio import write_wav
from hifigan.checkpoints import read_onnx_manifest
from hifigan.controls import PitchTransform
from hifigan.errors import HifiganError, TextError
from hifigan.loaders import check_backend, is_export_folder, load_models
from hifigan.postfilter import check_amount, sharpen as sharpen_mel
from hifigan.pretrained import voice_sharpen
from hifigan.markup import render_ssml
from hifigan.text import TextProcessor, is_ssml, split_sentences_with_offsets
from hifigan.text.sentences import Sentence
from hifigan.timing import FORMATS as TIMING_FORMATS
from hifigan.timing import WordTiming, word_timings, write_timings
from hifigan.text.processor import batch_by_length
from hifigan.vocoder import Vocoder, placement

__all__ = ["PitchTransform", "TextToSpeech", "Utterance"]  # PitchTransform lives in hifigan.controls


def length_bucket(n: int, minimum: int = 16) -> int:
    """``n`` rounded up to a length with 4 significant bits (``m * 2**k``, ``8 <= m < 16``), at least
    ``minimum``: 8 buckets an octave, so padding adds under 12.5% (about 6% on average)."""
    n = max(int(n), minimum)
    step = 1 << max(n.bit_length() - 4, 0)
    return -(-n // step) * step


def _text_kwargs(kwargs: dict) -> dict:
    """Take the TextProcessor's keyword arguments out of ``kwargs``."""
    return {k: kwargs.pop(k) for k in ("symbol_set", "cleaners", "p_arpabet", "cmudict_path",
                                       "heteronyms_path", "handle_ambiguous") if k in kwargs}


@dataclass
class Utterance:
    audio: np.ndarray  # float32 in [-1, 1]
    mel: torch.Tensor  # [n_mels, T], the concatenated sentences (pauses not included)
    sample_rate: int
    words: list[WordTiming] | None = None  # with timestamps=True


def stream_start(first_frames: int, made: int, growth: int) -> int:
    """The first piece's size for a sentence of a stream after ``made`` mel frames: the largest
    ``first_frames * growth**k`` at most ``(growth - 1) * made`` (``first_frames`` for the first
    sentence). Within a sentence a piece is ``growth`` times the one before, about ``growth - 1``
    times all the frames before it; so between sentences too, instead of starting again from
    ``first_frames``: fewer, longer generator calls for the same smooth playback
    (:meth:`Vocoder.stream_growth`), and sizes from the same fixed set (shape-stable pieces stay so)."""
    size = first_frames
    while size * growth <= (growth - 1) * made:
        size *= growth
    return size


class TextToSpeech:
    """``TextToSpeech(fastpitch, vocoder)``; ``.synthesize(text) -> (audio, sample_rate)``.

    Texts are split into sentences, which are run in batches sorted by length; results come back
    in input order, each trimmed to its own length, with ``sentence_pause`` seconds between sentences.
    FastPitch takes ``batch_size`` sentences at a time; the vocoder ``vocoder_batch_size``
    (default: 8 on a GPU, 1 on a CPU, where batching saves nothing), with no padding leaking into
    the audio (:meth:`Vocoder.vocode_many`). ``sharpen``: the mel post-filter's amount
    (:func:`hifigan.postfilter.sharpen`, 0 = off), applied to every sentence's mel before the vocoder.

    ``length_buckets``: pad FastPitch's symbols and frames to :func:`length_bucket` lengths, so that
    its kernels meet a fixed set of shapes (the padding is masked: the same mels up to float
    rounding); ``"auto"`` does it where new shapes are costly (:attr:`hifigan.cpu.CpuFeatures.shape_stable`,
    AMX), as the vocoder's fixed pieces do (:attr:`Vocoder.piece_frames`). Not for the ONNX runtime.
    """

    def __init__(self, fastpitch: torch.nn.Module, vocoder: Vocoder, text_processor: TextProcessor | None = None,
                 batch_size: int = 8, sentence_pause: float = 0.2, max_sentence_chars: int = 400,
                 vocoder_batch_size: int | None = None, sharpen: float = 0.0, length_buckets: bool | str = "auto"):
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
        if length_buckets not in (True, False, "auto"):
            raise HifiganError(f"length_buckets must be True, False or 'auto', got {length_buckets!r}")
        self.length_buckets = length_buckets

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
        """Each sequence's mel (post-filtered, float32 ``[n_mels, T]``); its ``frames`` attribute
        holds the frames FastPitch gave each symbol (what word timings count)."""
        out: list[torch.Tensor | None] = [None] * len(ids)
        one_pass = getattr(self.fastpitch, "scales_energy", False)  # the ONNX graph takes energy_scale
        buckets = not one_pass and self.device.type == "cpu" and (
            cpu.features().shape_stable if self.length_buckets == "auto" else self.length_buckets)
        pad = {"mel_pad_to": length_bucket} if buckets else {}
        for batch in batch_by_length(ids, self.batch_size, self.text_processor.pad_idx, self.device):
            text, idx = batch["text"], batch["index"].tolist()
            kw = dict(pace=pace, pitch_transform=pitch_transform, speaker=speaker, **pad)
            if one_pass:
                kw["energy_scale"] = energy_scale
            if buckets:
                text = F.pad(text, (0, length_bucket(text.shape[1]) - text.shape[1]), value=self.text_processor.pad_idx)
            mel, mel_lens, dur, pitch, energy = self.fastpitch.infer(text, **kw)[:5]
            if energy_scale != 1.0 and not one_pass:  # second pass with the scaled energy, same durations and pitch
                mel, mel_lens = self.fastpitch.infer(text, pace=pace, dur_tgt=dur, pitch_tgt=pitch,
                                                     energy_tgt=energy * energy_scale, speaker=speaker, **pad)[:2]
            frames = (dur.float() / pace + 0.5).long().cpu()  # the length regulator's rounding
            for row, i in enumerate(idx):
                out[i] = sharpen_mel(mel[row, :, :int(mel_lens[row])].float(), self.sharpen)
                out[i].frames = frames[row, :len(ids[i])].tolist()
        return out

    def synthesize_utterances(self, texts: list[str], pace: float = 1.0,
                              pitch: PitchTransform | Callable | None = None, speaker: int = 0,
                              energy_scale: float = 1.0, denoise: float = 0.0, timestamps: bool = False,
                              ssml: bool | None = None, voices: dict | None = None) -> list[Utterance]:
        """Several texts at once (batched across all their sentences); results in input order.

        ``timestamps``: each :class:`Utterance` also has ``words``, a :class:`~hifigan.timing.WordTiming`
        per spoken word (start and end in seconds, the characters of the text it was read from),
        counted from FastPitch's durations. ``ssml``: read each text as SSML (:mod:`hifigan.ssml`;
        ``None``, the default: when it starts with ``<speak``); ``voices``: the voices that
        ``<voice name="...">`` may name (name -> TextToSpeech)."""
        self._check(pace, speaker, energy_scale)
        pitch_transform = pitch if callable(pitch) and bool(pitch) else None  # a no-op PitchTransform is falsy
        markup = [isinstance(t, str) and (is_ssml(t) if ssml is None else ssml) for t in texts]
        if any(markup):
            plain = [t for t, m in zip(texts, markup) if not m]
            done = iter(self.synthesize_utterances(plain, pace, pitch, speaker, energy_scale, denoise, timestamps,
                                                   ssml=False) if plain else [])
            return [Utterance(*self._render(t, voices, pace, pitch_transform, speaker, energy_scale, denoise, timestamps))
                    if m else next(done) for t, m in zip(texts, markup)]
        items, owners, sentences = [], [], []
        for n, text in enumerate(texts):
            for sentence, ids, words in self._sentences(text, n):
                items.append(ids)
                owners.append(n)
                sentences.append((sentence, words))
        mels = self._mels(items, pace, pitch_transform, speaker, energy_scale)
        pause = np.zeros(int(round(self.sentence_pause * self.sample_rate)), np.float32)
        spoken = [k for k, mel in enumerate(mels) if mel.shape[-1] > 0]
        sounds = dict(zip(spoken, self.vocoder.vocode_many([mels[k] for k in spoken], self.vocoder_batch_size,
                                                           denoise)))
        results = []
        for n in range(len(texts)):
            mine = [k for k, owner in enumerate(owners) if owner == n]
            audio, words, at = [], [], 0
            for j, k in enumerate(mine):
                if j:
                    audio.append(pause)
                    at += pause.size
                if timestamps:
                    sentence, spoken_words = sentences[k]
                    words += word_timings(spoken_words, mels[k].frames, at / self.sample_rate,
                                          self.vocoder.hop_length / self.sample_rate, sentence.span)
                if k in sounds:
                    audio.append(sounds[k].cpu().numpy())
                    at += audio[-1].size
            wav = np.concatenate(audio) if audio else np.zeros(0, np.float32)
            if wav.size == 0:
                raise HifiganError(f"text {n + 1}: the model predicted no frames (all durations rounded to 0)")
            results.append(Utterance(wav.astype(np.float32, copy=False), torch.cat([mels[k] for k in mine], dim=-1).cpu(),
                                     self.sample_rate, words if timestamps else None))
        return results

    def _render(self, document, voices, pace, pitch, speaker, energy_scale, denoise, timestamps):
        audio, mel, words = render_ssml(self, document, voices or {}, pace=pace, pitch=pitch, speaker=speaker,
                                        energy_scale=energy_scale, denoise=denoise, timestamps=timestamps)
        return audio, mel, self.sample_rate, words

    def _sentences(self, text: str, n: int = 0) -> list[tuple[Sentence, list[int], list]]:
        """``(sentence, ids, spoken words)`` for each sentence of ``text`` that has something to say
        (``n``: the text's index, for messages)."""
        if not isinstance(text, str) or not text.strip():
            raise TextError(f"text {n + 1} is empty")
        items = []
        for sentence in split_sentences_with_offsets(text, self.max_sentence_chars):
            try:
                items.append((sentence, *self.text_processor.encode_with_words(sentence.text)))
            except TextError:
                continue  # a sentence of only symbols; the text as a whole is checked below
        if not items:
            raise TextError(f"text {n + 1}: nothing to say, it cleans to no symbols ({text[:40]!r})")
        return items

    def stream(self, text: str, pace: float = 1.0, pitch: PitchTransform | Callable | None = None,
               speaker: int = 0, energy_scale: float = 1.0, denoise: float = 0.0,
               first_frames: int = 8, ssml: bool | None = None, voices: dict | None = None,
               timestamps: bool = False) -> Iterator[np.ndarray | list]:
        """Yield the audio of ``text`` as it is made (float32 pieces at :attr:`sample_rate`): one
        sentence at a time and, within a sentence, pieces of ``first_frames`` mel frames and then
        4 (bf16, GPU) or 2 times as many each time (:meth:`Vocoder.stream_growth`), each vocoded
        with the vocoder's mel context on both sides; a later sentence starts with a piece of up to
        that many times the frames already made (:func:`stream_start`), as the audio already sent
        covers its making. Joined,
        the pieces equal :meth:`synthesize`'s audio up to float rounding (pauses included). With
        ``denoise`` > 0 a sentence comes whole (the denoiser works on the whole sentence). An SSML
        document (``ssml``, ``voices`` as :meth:`synthesize_utterances`) comes as one piece.
        ``timestamps``: before each sentence's audio comes a ``list`` of its words
        (:class:`~hifigan.timing.WordTiming`, seconds from the start of the whole audio)."""
        self._check(pace, speaker, energy_scale)
        pitch_transform = pitch if callable(pitch) and bool(pitch) else None
        if is_ssml(text) if ssml is None else ssml:  # an SSML document comes whole, once made
            audio, _, _, words = self._render(text, voices, pace, pitch_transform, speaker, energy_scale, denoise,
                                              timestamps)
            if timestamps:
                yield words
            yield audio
            return
        pause = np.zeros(int(round(self.sentence_pause * self.sample_rate)), np.float32)
        produced, at, made = False, 0, 0  # made: mel frames vocoded so far
        growth = self.vocoder.stream_growth()
        for k, (sentence, ids, spoken) in enumerate(self._sentences(text)):
            mel = self._mels([ids], pace, pitch_transform, speaker, energy_scale)[0]
            if k:
                yield pause
                at += pause.size
            if timestamps:
                yield word_timings(spoken, mel.frames, at / self.sample_rate,
                                   self.vocoder.hop_length / self.sample_rate, sentence.span)
            if mel.shape[-1] == 0:
                continue
            produced = True
            at += mel.shape[-1] * self.vocoder.hop_length
            if denoise > 0:
                yield self.vocoder.vocode(mel[None], denoise)[0].cpu().numpy()
                continue
            first = stream_start(first_frames, made, growth)
            for piece in self.vocoder.stream(mel[None], first, growth):
                yield piece.cpu().numpy()
            made += mel.shape[-1]
        if not produced:
            raise HifiganError("text 1: the model predicted no frames (all durations rounded to 0)")

    def synthesize(self, text: str, timestamps: bool = False, **kwargs):
        """``(float32 audio in [-1, 1], sample_rate)``, or with ``timestamps=True``
        ``(audio, sample_rate, words)`` (:class:`~hifigan.timing.WordTiming` each); keyword
        arguments as :meth:`synthesize_utterances` (``ssml``, ``voices``, the controls)."""
        utt = self.synthesize_utterances([text], timestamps=timestamps, **kwargs)[0]
        return (utt.audio, utt.sample_rate, utt.words) if timestamps else (utt.audio, utt.sample_rate)

    def to_file(self, text: str, path, timestamps: str | None = None, **kwargs) -> Path:
        """Write ``text``'s audio to the WAV ``path``; ``timestamps`` (``json``, ``srt`` or ``vtt``)
        also writes its word timings beside it (``out.wav`` -> ``out.json``)."""
        if timestamps is not None and timestamps not in TIMING_FORMATS:
            raise HifiganError(f"timestamps must be one of {', '.join(TIMING_FORMATS)}, got {timestamps!r}")
        utt = self.synthesize_utterances([text], timestamps=timestamps is not None, **kwargs)[0]
        path = write_wav(path, utt.audio, utt.sample_rate)
        if timestamps is not None:
            write_timings(Path(path).with_suffix("." + timestamps), utt.words, timestamps)
        return path
