"""Speaking an SSML document (:mod:`hifigan.text.ssml` reads it) with a TextToSpeech's models.

Each run of segments that one voice speaks up to a sentence end or a break is split into
sentences; FastPitch predicts durations, pitch and energy for the whole sentence once, then every
symbol gets its own segment's prosody and the sentence is decoded again with those targets:

- ``rate``: the symbol's frames ``round(f / rate)``, where ``f`` is what plain synthesis gives it
  (``floor(d / pace + 0.5)``), so ``rate="50%"`` doubles exactly the frames of its span;
- pitch: the predicted pitch in Hz ``p`` becomes ``p * 2**(semitones / 12) + hz`` (relative, as
  SSML asks), for the span's symbols only;
- ``energy`` (emphasis): the predicted energy times the factor;
- ``volume``: the span's samples times the gain (a change of gain ramps over one hop, no click).

A ``<break>`` is silence of exactly its length, to the sample, added where it stands; between
sentences the pipeline's ``sentence_pause`` stays. ``<voice name>`` picks among ``voices``.
Word timings come from the frames, with character spans that point into the document.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from hifigan.errors import HifiganError, TextError
from hifigan.models.fastpitch import LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD
from hifigan.postfilter import sharpen as sharpen_mel
from hifigan.text import split_sentences_with_offsets
from hifigan.text.processor import word_of_ids
from hifigan.text.ssml import Break, Prosody, Segment, parse_ssml, utterances
from hifigan.timing import WordTiming

NEUTRAL = Prosody()


def pitch_stats(fastpitch) -> tuple[float, float]:
    """The pitch mean and std (Hz) that FastPitch normalises with: its buffers, or NVIDIA's LJ
    Speech figures while they are zero (as ``FastPitch.infer``)."""
    mean, std = fastpitch.pitch_mean, fastpitch.pitch_std
    mean, std = (float(mean[0]), float(std[0])) if isinstance(mean, torch.Tensor) else (float(mean), float(std))
    return (LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD) if std == 0.0 else (mean, std)


def prosody_targets(frames: torch.Tensor, pitch: torch.Tensor, energy: torch.Tensor | None,
                    prosodies: list[Prosody], mean: float, std: float):
    """Per-symbol targets for one sequence: ``frames [N]`` (ints, as plain synthesis gives them),
    normalised ``pitch [F, N]`` and ``energy [N]`` as predicted, and each symbol's prosody ->
    ``(frames [N], pitch [F, N], energy [N] or None)`` with the prosody applied."""
    frames, pitch = frames.clone(), pitch.float().clone()
    energy = None if energy is None else energy.float().clone()
    for i, p in enumerate(prosodies):
        if p.rate != 1.0:
            frames[i] = int(math.floor(float(frames[i]) / p.rate + 0.5))
        if p.pitch_semitones or p.pitch_hz:
            hz = pitch[:, i] * std + mean
            pitch[:, i] = (hz * p.pitch_factor + p.pitch_hz - mean) / std
        if energy is not None and p.energy != 1.0:
            energy[i] = energy[i] * p.energy
    return frames, pitch, energy


class _Joined:
    """A run's segments joined into one text, and the way back from that text to the document."""

    def __init__(self, segments: list[Segment]):
        self.segments, self.starts, parts, at = segments, [], [], 0
        for k, seg in enumerate(segments):
            if k and seg.space_before:
                parts.append(" ")
                at += 1
            self.starts.append(at)
            parts.append(seg.text)
            at += len(seg.text)
        self.text = "".join(parts)

    def segment_at(self, i: int) -> int:
        k = 0
        while k + 1 < len(self.starts) and self.starts[k + 1] <= i:
            k += 1
        return k

    def document_span(self, start: int, end: int) -> tuple[int, int]:
        """``text[start:end]`` -> the document's characters it came from (markup excluded)."""
        k = self.segment_at(start)
        seg, base = self.segments[k], self.starts[k]
        hit = [p for p in seg.pieces if p.text_start < end - base and start - base < p.text_end] or list(seg.pieces)
        return min(p.start_char for p in hit), max(p.end_char for p in hit)


@torch.inference_mode()
def _sentence(tts, text: str, prosody_of, pace: float, pitch, speaker: int, energy_scale: float):
    """One sentence -> (mel ``[n_mels, T]``, frames per symbol, spoken words, per-frame gain)."""
    ids, words = tts.text_processor.encode_with_words(text)
    char = words[0].start_char if words else 0
    prosodies = []
    for w in word_of_ids(words, len(ids)):  # a space or a mark: the prosody of the word before it
        char = words[w].start_char if w >= 0 else char
        prosodies.append(prosody_of(char))
    model = tts.fastpitch
    x = torch.tensor([ids], device=tts.device)
    _, _, dur, p_pred, e_pred = model.infer(x, pace=pace, pitch_transform=pitch, speaker=speaker)[:5]
    frames = (dur[0].float() / pace + 0.5).long().cpu()
    energy = None if e_pred is None else e_pred[0].cpu() * energy_scale
    if all(p == NEUTRAL for p in prosodies) and energy_scale == 1.0:
        mel, lens = model.infer(x, pace=pace, pitch_transform=pitch, speaker=speaker)[:2]
    else:
        if getattr(model, "scales_energy", False):
            raise HifiganError("SSML prosody and emphasis need the torch backend (the ONNX FastPitch takes no targets)")
        mean, std = pitch_stats(model)
        frames, p_tgt, e_tgt = prosody_targets(frames, p_pred[0].cpu(), energy, prosodies, mean, std)
        mel, lens = model.infer(x, pace=1.0, dur_tgt=frames[None].to(x.device), pitch_tgt=p_tgt[None].to(x.device),
                                energy_tgt=None if e_tgt is None else e_tgt[None].to(x.device), speaker=speaker)[:2]
    mel = sharpen_mel(mel[0, :, :int(lens[0])].float(), tts.sharpen)
    gain = np.repeat(np.array([p.gain for p in prosodies], np.float32), frames.numpy())
    return mel, frames.tolist(), words, gain


def _apply_gain(audio: np.ndarray, frame_gain: np.ndarray, hop: int) -> np.ndarray:
    if frame_gain.size == 0 or np.all(frame_gain == 1.0):
        return audio
    centres = (np.arange(frame_gain.size) + 0.5) * hop
    return audio * np.interp(np.arange(audio.size), centres, frame_gain).astype(np.float32)


def render_ssml(tts, document: str, voices: dict, pace: float = 1.0, pitch=None, speaker: int = 0,
                energy_scale: float = 1.0, denoise: float = 0.0, timestamps: bool = False):
    """``document`` spoken by ``tts`` (and the ``voices`` it names) -> ``(audio float32, mel, words
    or None)``; ``mel`` is the concatenated mels of the first voice's sentences (pauses excluded).
    The controls apply to the whole document, under the markup's."""
    groups = utterances(parse_ssml(document))
    sr, hop = tts.sample_rate, tts.vocoder.hop_length
    pause = np.zeros(int(round(tts.sentence_pause * sr)), np.float32)
    audio, mels, words, at = [], [], [], 0
    spoke, after_sentence = False, False
    for group in groups:
        if isinstance(group, Break):
            audio.append(np.zeros(int(round(group.seconds * sr)), np.float32))
            at += audio[-1].size
            continue
        voice = _voice(tts, voices, group[0].voice)
        joined = _Joined(group)
        for sentence in split_sentences_with_offsets(joined.text, voice.max_sentence_chars):
            def prosody_of(c, s=sentence):
                return joined.segments[joined.segment_at(s.to_input(c))].prosody
            try:
                mel, frames, spoken, gain = _sentence(voice, sentence.text, prosody_of, pace, pitch, speaker,
                                                      energy_scale)
            except TextError:  # a sentence of only marks
                continue
            if after_sentence:
                audio.append(pause)
                at += pause.size
            if timestamps:
                starts = np.concatenate([[0], np.cumsum(frames)])
                for w in spoken:
                    a, b = sentence.span(w.start_char, w.end_char)
                    words.append(WordTiming(w.word, (at + int(starts[w.first_id]) * hop) / sr,
                                            (at + int(starts[w.end_id]) * hop) / sr, *joined.document_span(a, b)))
            if mel.shape[-1]:
                sound = voice.vocoder.vocode(mel[None], denoise)[0].cpu().numpy()
                audio.append(_apply_gain(sound, gain, hop))
                at += sound.size
                mels.append(mel.cpu())
                spoke = True
            after_sentence = False
        after_sentence = group[-1].sentence_end or group[-1].paragraph_end
    if not spoke:
        raise HifiganError("the SSML document has nothing to say")
    n_mels = mels[0].shape[0]
    mel = torch.cat([m for m in mels if m.shape[0] == n_mels], dim=-1)
    return np.concatenate(audio).astype(np.float32, copy=False), mel, (words if timestamps else None)


def _voice(tts, voices: dict, name: str | None):
    if name is None:
        return tts
    if name not in voices:
        known = ", ".join(sorted(voices)) or "none besides the default"
        raise HifiganError(f"SSML: <voice name={name!r}>: no such voice (loaded: {known})")
    voice = voices[name]
    if voice.sample_rate != tts.sample_rate:
        raise HifiganError(f"SSML: voice {name!r} runs at {voice.sample_rate} Hz, the default at {tts.sample_rate} Hz")
    return voice
