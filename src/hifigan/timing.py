"""Word timings: when each spoken word starts and ends, and which characters of the input it came from.

They come from FastPitch's own durations (the frames each symbol is given), so they cost nothing
and are exact in frames: a word starts at the first frame of its first symbol and ends after the
last frame of its last one. Written as JSON, SubRip (``.srt``) or WebVTT (``.vtt``).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hifigan.errors import HifiganError
from hifigan.files import atomic_output

FORMATS = ("json", "srt", "vtt")


@dataclass(frozen=True)
class WordTiming:
    """``word`` as it is spoken (``"dollars"``), ``start``/``end`` in seconds from the start of the
    audio, and ``text[start_char:end_char]`` the input it was read from (``"$5.50"``; Python string
    offsets; SSML markup excluded)."""

    word: str
    start: float
    end: float
    start_char: int
    end_char: int

    def as_dict(self, digits: int = 3) -> dict:
        d = asdict(self)
        d["start"], d["end"] = round(self.start, digits), round(self.end, digits)
        return d


def word_timings(words, frames, offset_s: float, seconds_per_frame: float, span=None) -> list[WordTiming]:
    """Timings of one FastPitch sequence: ``words`` (``SpokenWord``: ``first_id``, ``end_id``,
    ``start_char``, ``end_char``), ``frames`` the frames given to each symbol (a sequence of ints),
    ``offset_s`` where the sequence's audio starts; ``span(start, end)`` maps a word's characters
    to the input's (default: unchanged)."""
    starts = [0]
    for f in frames:
        starts.append(starts[-1] + int(f))
    out = []
    for w in words:
        a, b = (w.start_char, w.end_char) if span is None else span(w.start_char, w.end_char)
        out.append(WordTiming(w.word, offset_s + starts[w.first_id] * seconds_per_frame,
                              offset_s + starts[w.end_id] * seconds_per_frame, a, b))
    return out


def _clock(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_json(words: list[WordTiming]) -> str:
    return json.dumps({"words": [w.as_dict() for w in words]}, ensure_ascii=False, indent=1) + "\n"


def to_srt(words: list[WordTiming]) -> str:
    """One cue per word, numbered from 1, ``HH:MM:SS,mmm`` times."""
    return "".join(f"{n}\n{_clock(w.start, ',')} --> {_clock(w.end, ',')}\n{w.word}\n\n"
                   for n, w in enumerate(words, 1))


def to_vtt(words: list[WordTiming]) -> str:
    """WebVTT: one cue per word, ``HH:MM:SS.mmm`` times."""
    return "WEBVTT\n\n" + "".join(f"{_clock(w.start, '.')} --> {_clock(w.end, '.')}\n{w.word}\n\n" for w in words)


def write_timings(path, words: list[WordTiming], fmt: str) -> Path:
    """Write ``words`` to ``path`` as ``fmt`` (json, srt or vtt), atomically."""
    writers = {"json": to_json, "srt": to_srt, "vtt": to_vtt}
    if fmt not in writers:
        raise HifiganError(f"timestamps format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    path = Path(path)
    with atomic_output(path) as tmp:
        Path(tmp).write_text(writers[fmt](words), encoding="utf-8")
    return path
