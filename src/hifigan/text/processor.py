"""Text -> symbol ids, compatible with NVIDIA's ``TextProcessing`` (``handle_arpabet='word'``).

Steps: split off ``{...}`` ARPAbet groups (kept verbatim), clean the rest with the chosen
cleaners, replace each word by its CMUdict pronunciation with probability ``p_arpabet``
(heteronyms and, as in NVIDIA's default, words with several pronunciations stay as letters),
then map characters and ``@``-prefixed ARPAbet symbols to ids.

:meth:`TextProcessor.encode_with_words` gives the same ids and, for every spoken word, the span of
the raw input it was read from (``"$5.50"`` for each of "five dollars and fifty cents") and its
range of ids: the text side of word timings. The cleaning is the same code run on a
:class:`~hifigan.text.spans.Tracked` string.
"""
from __future__ import annotations

import bisect
import random
import re
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from hifigan.errors import TextError
from hifigan.text.cleaners import get_cleaner
from hifigan.text import heteronyms
from hifigan.text.cmudict import CMUDict
from hifigan.text import spans
from hifigan.text.spans import Tracked
from hifigan.text.symbols import ARPABET_SET, get_pad_idx, get_symbols

# A word: letters (Latin incl. accented) with an optional 's/'ll-like suffix; else a non-word run.
_LETTERS = "a-zA-ZÀ-ž"
_WORDS = re.compile(rf"([{_LETTERS}]+'[{_LETTERS}]{{1,2}}|[{_LETTERS}]+)|(\{{[^}}]+\}}|[^{_LETTERS}{{}}]+)")
_BRACES = re.compile(r"(\{[^{}]*\})")
# A spoken word of the final text: an ARPAbet group, or letters with inner apostrophes ("o'clock").
_SPOKEN = re.compile(r"\{[^{}]*\}|[^\W\d_]+(?:'[^\W\d_]+)*")
AMBIGUOUS = ("ignore", "first", "random", "context")
MAX_WORD = 40  # longer "words" are not in any dictionary (and would make the suffix rule recurse deeply)


def _contexts(tokens: list[tuple[str, str]]) -> list[tuple[str, str, str] | None]:
    """For each word token: (word two before, word before, word after), lower case; punctuation
    or an ARPAbet group between two words is an edge (""). Non-word tokens get ``None``."""
    seq, where = [], []  # the words and edges in order; for each token its place in seq
    for word, other in tokens:
        if word:
            where.append(len(seq))
            seq.append(word.lower())
        else:
            where.append(None)
            if other.strip(" \t\n-"):
                seq.append("")
    out = []
    for (word, _), j in zip(tokens, where):
        if j is None:
            out.append(None)
            continue
        prev = seq[j - 1] if j >= 1 else ""
        prev2 = seq[j - 2] if j >= 2 and prev else ""
        out.append((prev2, prev, seq[j + 1] if j + 1 < len(seq) else ""))
    return out


@dataclass(frozen=True)
class SpokenWord:
    """One spoken word of :meth:`TextProcessor.encode_with_words`: ``word`` as it is read (cleaned,
    lower case: ``"dollars"``; a ``{...}`` group the user wrote stays as written),
    ``text[start_char:end_char]`` the raw input it was read from (``"$5.50"``), ``ids[first_id:end_id]``
    its symbols."""

    word: str
    start_char: int
    end_char: int
    first_id: int
    end_id: int


def word_of_ids(words: list[SpokenWord], n_ids: int) -> list[int]:
    """For each of ``n_ids`` ids, the index in ``words`` of its word, or -1 (spaces, punctuation)."""
    out = [-1] * n_ids
    for k, w in enumerate(words):
        out[w.first_id:w.end_id] = [k] * (w.end_id - w.first_id)
    return out


class TextProcessor:
    """``TextProcessor(symbol_set, cleaners, p_arpabet, cmudict_path, heteronyms_path)``.

    ``handle_ambiguous`` says what to do with words that have several pronunciations:
    ``"ignore"`` keeps the letters (NVIDIA's default, needed to reproduce its ids), ``"first"``
    takes the dictionary's first, ``"random"`` picks one, ``"context"`` reads the common heteronyms
    by the words around them (:mod:`hifigan.text.heteronyms`: "the wind", "to wind") and keeps the
    letters of the rest. ``seed`` makes ``0 < p_arpabet < 1`` reproducible.
    """

    def __init__(self, symbol_set: str = "english_basic", cleaners=("english_cleaners_v2",),
                 p_arpabet: float = 1.0, cmudict_path=None, heteronyms_path=None,
                 handle_ambiguous: str = "ignore", seed: int | None = None):
        if isinstance(cleaners, str):
            cleaners = [cleaners]
        if not 0.0 <= p_arpabet <= 1.0:
            raise TextError(f"p_arpabet must be between 0 and 1, got {p_arpabet}")
        if handle_ambiguous not in AMBIGUOUS:
            raise TextError(f"handle_ambiguous must be one of {AMBIGUOUS}, got {handle_ambiguous!r}")
        self.symbol_set = symbol_set
        self.symbols = get_symbols(symbol_set)
        self.pad_idx = get_pad_idx(symbol_set)
        self.symbol_to_id = {s: i for i, s in enumerate(self.symbols)}
        self.cleaner_names = list(cleaners)
        self._cleaners = [get_cleaner(name) for name in self.cleaner_names]
        self.p_arpabet = p_arpabet
        self.handle_ambiguous = handle_ambiguous
        self.cmudict = CMUDict(cmudict_path, heteronyms_path) if p_arpabet > 0 else None
        self._rng = random.Random(seed)
        self._warned: set[str] = set()

    @classmethod
    def for_model(cls, model, **overrides) -> "TextProcessor":
        """The text front-end a loaded FastPitch expects: an ONNX export's recorded settings
        (``model.text_settings``), else its checkpoint's ``train_setup`` (NVIDIA's names:
        ``symbol_set``, ``text_cleaners``, ``p_arpabet``) with heteronyms read by context
        (``handle_ambiguous="ignore"`` asks for NVIDIA's letters). ``overrides`` win."""
        settings = dict(getattr(model, "text_settings", None) or {})
        if not settings:
            setup = getattr(model, "train_setup", None) or {}
            settings = {ours: setup[theirs] for ours, theirs in
                        (("symbol_set", "symbol_set"), ("cleaners", "text_cleaners"), ("p_arpabet", "p_arpabet"))
                        if theirs in setup}
            settings["handle_ambiguous"] = "context"
        return cls(**{**settings, **overrides})

    # ------------------------------------------------------------ cleaning and ARPAbet

    def clean_text(self, text: str | Tracked) -> str | Tracked:
        for cleaner in self._cleaners:
            text = cleaner(text)
        return text

    def _clean_outside_braces(self, text: str | Tracked) -> str | Tracked:
        parts = spans.split(_BRACES, text)
        if len(parts) == 1:
            return self.clean_text(text)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(part)
            elif part:  # cleaners may strip: keep the spaces that separate text from {ARPABET}
                cleaned = spans.strip(self.clean_text(part))
                raw = spans.text_of(part)
                lead = spans.rewrite(part[:1], " ") if raw[0].isspace() and i > 0 else None
                trail = spans.rewrite(part[-1:], " ") if raw[-1].isspace() and i < len(parts) - 1 else None
                kept = [lead, cleaned, trail] if cleaned else [lead or trail]
                out.extend(p for p in kept if p is not None)
        return spans.strip(spans.concat(out, like=text))  # as NVIDIA's token join: no space at either end

    def get_arpabet(self, word: str, context: tuple[str, str, str] | None = None) -> str:
        """``{PH ONES}`` for a word, or the word itself (NVIDIA's rules, suffix fallbacks included).
        ``context`` = (word two before, word before, word after), lower case, for ``"context"``."""
        if context is not None and self.handle_ambiguous == "context" and (low := word.lower()) in heteronyms.WORDS:
            pron = heteronyms.choose(low, context[1], context[2], context[0])
            if pron is not None:
                return "{" + pron + "}"
        if len(word) > MAX_WORD or word.lower() in self.cmudict.heteronyms:
            return word
        cut = 2 if len(word) > 2 and word.endswith("'s") else 1 if len(word) > 1 and word.endswith("s") else 0
        prons, suffix = self.cmudict.lookup(word), ""
        if prons is None and cut:  # unknown plural or possessive: the stem's pronunciation + Z
            stem = self.get_arpabet(word[:-cut])
            if not stem.startswith("{"):
                return word
            prons, suffix = [stem[1:-1]], " Z"
        if prons is None:
            return word
        if len(prons) > 1:
            if self.handle_ambiguous in ("ignore", "context"):
                return word
            pron = prons[0] if self.handle_ambiguous == "first" else self._rng.choice(prons)
        else:
            pron = prons[0]
        return "{" + pron + suffix + "}"

    def _arpabet_tokens(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, out)`` for each token of ``text``: ``out`` is the token or its ``{ARPABET}``
        (characters between no tokens, stray braces, are dropped)."""
        matches = list(_WORDS.finditer(text))
        tokens = [m.groups("") for m in matches]
        contexts = _contexts(tokens) if self.handle_ambiguous == "context" else [None] * len(tokens)
        out = []
        for m, (word, other), context in zip(matches, tokens, contexts):
            if word and (self.p_arpabet >= 1.0 or self._rng.random() < self.p_arpabet):
                out.append((m.start(), m.end(), self.get_arpabet(word, context)))
            else:
                out.append((m.start(), m.end(), word or other))
        return out

    def _to_arpabet(self, text: str) -> str:
        if self.cmudict is None:
            return text
        return "".join(out for _, _, out in self._arpabet_tokens(text))

    def _to_arpabet_tracked(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """``_to_arpabet(text)`` and, per character of it, the ``(start, end)`` in ``text`` it comes
        from: its own place, or the whole word that an ``{ARPABET}`` group replaced."""
        if self.cmudict is None:
            return text, [(j, j + 1) for j in range(len(text))]
        pieces, where = [], []
        for start, end, out in self._arpabet_tokens(text):
            pieces.append(out)
            if out == text[start:end]:
                where.extend((j, j + 1) for j in range(start, end))
            else:
                where.extend([(start, end)] * len(out))
        return "".join(pieces), where

    # ------------------------------------------------------------ symbols

    def _warn_dropped(self, dropped: set[str]) -> None:
        new = dropped - self._warned
        if new:
            self._warned |= new
            shown = " ".join(repr(c) for c in sorted(new)[:20])
            warnings.warn(f"dropped symbols not in {self.symbol_set}: {shown}", stacklevel=3)

    def text_to_sequence(self, text: str) -> list[int]:
        """Characters and ``{ARPABET}`` groups -> ids; unknown symbols are dropped with a warning."""
        return self._sequence(text)

    def _sequence(self, text: str, where: list[int] | None = None) -> list[int]:
        """``text_to_sequence``; with a ``where`` list, appends to it, per id, the position in
        ``text`` of its character or of its group's ``{``."""
        ids, dropped, pos = [], set(), 0
        for i, part in enumerate(_BRACES.split(text)):
            if i % 2:
                for ph in part[1:-1].split():
                    if ph in ARPABET_SET:
                        ids.append(self.symbol_to_id["@" + ph])
                        if where is not None:
                            where.append(pos)
                    else:
                        dropped.add("{" + ph + "}")
            else:
                for j, ch in enumerate(part):
                    idx = self.symbol_to_id.get(ch)
                    if idx is None:
                        if ch != '"':  # quotes are not spoken; not worth a warning
                            dropped.add(ch)
                    else:
                        ids.append(idx)
                        if where is not None:
                            where.append(pos + j)
            pos += len(part)
        if dropped:
            self._warn_dropped(dropped)
        return ids

    def sequence_to_text(self, ids) -> str:
        out = []
        for i in np.asarray(ids, dtype=np.int64).reshape(-1).tolist():
            if 0 <= i < len(self.symbols):
                s = self.symbols[i]
                out.append("{" + s[1:] + "}" if len(s) > 1 and s[0] == "@" else s)
        return "".join(out).replace("}{", " ")

    @staticmethod
    def _check_text(text) -> None:
        if not isinstance(text, str):
            raise TextError(f"text must be a str, got {type(text).__name__}")
        if not text.strip():
            raise TextError("the text is empty")

    def _check_ids(self, ids: list[int], text: str) -> None:
        if not ids or all(self.symbols[i] == " " for i in ids):
            raise TextError(f"nothing to say: the text cleans to no symbols ({text[:40]!r})")

    def encode_text(self, text: str, return_all: bool = False):
        """Raw text -> ids. With ``return_all``: ``(ids, cleaned_text, text_with_arpabet)``."""
        self._check_text(text)
        cleaned = self._clean_outside_braces(text)
        with_arpabet = self._to_arpabet(cleaned)
        ids = self.text_to_sequence(with_arpabet)
        self._check_ids(ids, text)
        return (ids, cleaned, with_arpabet) if return_all else ids

    def encode_with_words(self, text: str) -> tuple[list[int], list[SpokenWord]]:
        """Raw text -> ``(ids, words)``: the ids of :meth:`encode_text` and the spoken words in
        order (:class:`SpokenWord`: the word as read, its raw ``start_char:end_char``, its ids
        ``first_id:end_id``). Words that normalization made from one token share its span (each of
        "five dollars and fifty cents" has that of ``"$5.50"``); an ``{ARPABET}`` group is the word
        it reads; spaces and punctuation belong to no word (:func:`word_of_ids`); a word none of
        whose symbols is in the symbol set is left out."""
        self._check_text(text)
        cleaned = self._clean_outside_braces(Tracked.of(text))
        with_arpabet, origin = self._to_arpabet_tracked(cleaned.text)
        where: list[int] = []
        ids = self._sequence(with_arpabet, where)
        self._check_ids(ids, text)
        return ids, _spoken_words(cleaned, with_arpabet, origin, where)

    # ------------------------------------------------------------ batches

    def prepare_input_sequence(self, texts, batch_size: int = 1, device="cpu") -> list[dict]:
        """As NVIDIA's hub helper: texts sorted by decreasing length, cut into right-padded batches
        ``{'text': LongTensor [B, L], 'text_lens': LongTensor [B]}``; each batch also has
        ``'index'``, the position of every row in ``texts``, to put results back in order."""
        if isinstance(texts, str):
            texts = [texts]
        if batch_size < 1:
            raise TextError(f"batch_size must be >= 1, got {batch_size}")
        seqs = []
        for n, text in enumerate(texts):
            try:
                seqs.append(torch.tensor(self.encode_text(text), dtype=torch.long))
            except TextError as e:
                raise TextError(f"text {n + 1}: {e}") from None
        return batch_by_length(seqs, batch_size, self.pad_idx, device)


def _spoken_words(cleaned: Tracked, with_arpabet: str, origin: list[tuple[int, int]],
                  where: list[int]) -> list[SpokenWord]:
    """The words of ``with_arpabet`` that have ids. ``origin``: per character of ``with_arpabet`` its
    span in ``cleaned``; ``where``: per id its position in ``with_arpabet``."""
    words = []
    for m in _SPOKEN.finditer(with_arpabet):
        first_id, end_id = bisect.bisect_left(where, m.start()), bisect.bisect_left(where, m.end())
        if first_id == end_id:
            continue
        start, end = origin[m.start()][0], origin[m.end() - 1][1]  # origin is in order
        raw_start, raw_end = cleaned.source(start, end)
        words.append(SpokenWord(cleaned.text[start:end], raw_start, raw_end, first_id, end_id))
    return words


def batch_by_length(seqs: list, batch_size: int, pad_idx: int = 0, device="cpu") -> list[dict]:
    """Sequences of ids sorted longest first (stable), cut into right-padded batches
    ``{'text': [B, L], 'text_lens': [B], 'index': positions in seqs}``."""
    seqs = [torch.as_tensor(s, dtype=torch.long) for s in seqs]
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    batches = []
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        rows = [seqs[i] for i in idx]
        padded = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad_idx)
        batches.append({"text": padded.to(device),
                        "text_lens": torch.tensor([len(r) for r in rows], dtype=torch.long).to(device),
                        "index": torch.tensor(idx, dtype=torch.long)})
    return batches
