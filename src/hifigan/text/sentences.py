"""Sentence splitting for long input (paragraphs, chapters): linear time, abbreviation-aware.

:func:`split_sentences` gives the sentences with their whitespace collapsed (what is synthesized);
:func:`split_sentences_with_offsets` gives the same sentences as :class:`Sentence` objects that also
know where they are in the input, so that a word's span in a sentence can be made one in the input.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# Abbreviations that (almost) never end a sentence: titles and words that are followed by a name or number.
NO_END = frozenset("""mr mrs ms messrs mme mlle dr prof rev hon st mt ft gen col capt cpt lt sgt maj
cmdr adm gov sen rep pres supt insp no nos vol vols fig figs ch chap pp sec art p vs cf e.g i.e
approx dept est""".split())

_BOUNDARY = re.compile(r"""([.!?\u2026]+)(["'\u201d\u2019)\]]*)(\s+)(?=["'\u201c\u2018(\[]*[A-Z0-9])""")
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.']*)$")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SOFT_BREAK = re.compile(r"[;:,]\s|\s[-\u2013\u2014]+\s")


def _ends_sentence(text: str, punct_start: int, punct: str) -> bool:
    if punct != ".":
        return True
    m = _LAST_WORD.search(text, max(0, punct_start - 20), punct_start)
    if not m:
        return True
    word = m.group(1).lower()
    if len(word) == 1 and word.isalpha():  # an initial: "J. K. Rowling"
        return False
    return word not in NO_END


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end].strip()`` as a range of ``text``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut into pieces of at most ``max_chars``, as ranges of ``text``."""
    out = []
    while end - start > max_chars:
        sentence = text[start:end]
        cut = -1
        for m in _SOFT_BREAK.finditer(sentence, 0, max_chars):
            cut = m.start() + 1
        if cut <= 0:
            cut = sentence.rfind(" ", 0, max_chars)
        if cut <= 0:
            cut = max_chars
        out.append(_strip(text, start, start + cut))
        start, end = _strip(text, start + cut, end)
    out.append((start, end))
    return [(a, b) for a, b in out if a < b]


def _paragraph_sentences(para: str, max_chars: int | None) -> list[tuple[int, int]]:
    """The sentences of a paragraph whose whitespace is collapsed, as ranges of it."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(para):
        if _ends_sentence(para, m.start(1), m.group(1)):
            out.append((start, m.start(3)))
            start = m.end(3)
    out.append((start, len(para)))
    ranges = [r for r in (_strip(para, a, b) for a, b in out) if r[0] < r[1]]
    if max_chars:
        ranges = [piece for a, b in ranges
                  for piece in (_split_long(para, a, b, max_chars) if b - a > max_chars else [(a, b)])]
    return ranges


def _paragraphs(text: str):
    """``(start, paragraph)`` for each paragraph of ``text`` (blank lines separate)."""
    start = 0
    for m in _PARAGRAPH.finditer(text):
        yield start, text[start:m.start()]
        start = m.end()
    yield start, text[start:]


def split_sentences(text: str, max_chars: int | None = 400) -> list[str]:
    """Split into sentences; pieces longer than ``max_chars`` are cut further at ``; : ,`` or dashes,
    then at spaces. Blank lines always separate."""
    out: list[str] = []
    for _, para in _paragraphs(text):
        para = " ".join(para.split())
        out.extend(para[a:b] for a, b in _paragraph_sentences(para, max_chars))
    return out


@dataclass(frozen=True)
class Sentence:
    """A sentence of :func:`split_sentences_with_offsets`: ``text`` as :func:`split_sentences` gives
    it (whitespace collapsed to single spaces), and ``input[start:end]`` the same sentence as written
    in the input, so that ``" ".join(input[start:end].split()) == text``; where the input had single
    spaces, ``input[start:start + len(text)] == text``. :meth:`span` maps a span of ``text`` (a
    word's ``start_char, end_char``) to one of the input."""

    text: str
    start: int
    end: int
    # (offset in text, offset in input) where each run of non-spaces starts; the first at 0
    breaks: tuple[tuple[int, int], ...] = field(repr=False, compare=False, default=())

    def to_input(self, i: int) -> int:
        """The input offset of ``text[i]`` (a collapsed space: where the whitespace began;
        ``i == len(text)``: :attr:`end`)."""
        return _to_input(self.breaks, i) if self.breaks else self.start + i

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``text[start:end]`` as a ``(start, end)`` of the input."""
        if end <= start:
            return (self.to_input(start),) * 2
        return self.to_input(start), self.to_input(end - 1) + 1


def _to_input(breaks, i: int) -> int:
    at, where = breaks[max(0, bisect.bisect_right(breaks, i, key=lambda b: b[0]) - 1)]
    return where + (i - at)


def _runs(para: str, offset: int) -> tuple[list[int], list[int]]:
    """Where each run of non-spaces of ``para`` starts in ``" ".join(para.split())`` and in the
    input (``para`` starts at ``offset``)."""
    collapsed, raw, at, pos = [], [], 0, 0
    for word in para.split():
        pos = para.find(word, pos)
        collapsed.append(at)
        raw.append(offset + pos)
        at += len(word) + 1
        pos += len(word)
    return collapsed, raw


def split_sentences_with_offsets(text: str, max_chars: int | None = 400) -> list[Sentence]:
    """:func:`split_sentences`, each sentence a :class:`Sentence` that knows its place in ``text``:
    ``[s.text for s in split_sentences_with_offsets(t)] == split_sentences(t)``."""
    out: list[Sentence] = []
    for offset, para in _paragraphs(text):
        collapsed, raw = _runs(para, offset)
        para = " ".join(para.split())
        for a, b in _paragraph_sentences(para, max_chars):
            first = bisect.bisect_right(collapsed, a) - 1  # the run holding the sentence's first character
            last = bisect.bisect_left(collapsed, b)
            breaks = [(0, raw[first] + a - collapsed[first])]
            breaks += [(collapsed[k] - a, raw[k]) for k in range(first + 1, last)]
            out.append(Sentence(para[a:b], breaks[0][1], _to_input(breaks, b - a - 1) + 1, tuple(breaks)))
    return out
