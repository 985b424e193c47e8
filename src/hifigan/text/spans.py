"""Text that remembers where each of its characters came from in the raw input.

Word timings need, for every spoken word, the characters of the *raw* input it was read from, even
after normalization rewrote them (``"$5.50" -> "five dollars and fifty cents"``). A :class:`Tracked`
string is the text plus, per character, the ``(start, end)`` span of the raw input it derives from.
The helpers below (:func:`sub`, :func:`translate`, :func:`lower`, :func:`strip`, :func:`split`,
:func:`concat`, :func:`rewrite`) do what their ``str``/``re`` namesakes do to the text and carry the
spans along; given a plain ``str`` they *are* their namesakes, so the normalization passes are
written once and run untracked (fast, for ``encode_text``) or tracked (for word spans).

The rule for a replacement: characters a pass leaves alone keep their spans; the characters it
writes map to the whole source it replaced (the union of the matched characters' spans). Two
refinements keep words on their own source where that is certain:

* whole words that a replacement copies unchanged at its start or end keep their spans
  (``"Room 1204" -> "Room twelve oh four"``: "Room" stays on "Room", the numbers map to "1204");
* the rest is cut at the spaces and commas it shares with its source: where both have the same
  separators in the same order, piece by piece (``"5 km" -> "five kilometers"``), else at a
  separator found exactly once in each (``"Jan. 5th, 2021" -> "January fifth, twenty twenty-one"``:
  "January" on "Jan.", "fifth" on "5th", the year's words on "2021").

A word is never cut (``"5th" -> "fifth"`` maps all of "fifth" to "5th"), and a replacement that
reorders its words (``"$5 million" -> "five million dollars"``) has one span for all of them.
Spans stay in order if they were.
"""
from __future__ import annotations

import re

__all__ = ["Tracked", "concat", "lower", "rewrite", "split", "strip", "sub", "text_of", "translate"]

Span = tuple[int, int]


class Tracked:
    """``text`` and ``spans``: ``spans[i]`` is the ``(start, end)`` of raw input that ``text[i]``
    comes from. ``Tracked.of(raw)`` maps each character to itself."""

    __slots__ = ("text", "spans")

    def __init__(self, text: str, spans: list[Span]):
        if len(text) != len(spans):
            raise ValueError(f"{len(text)} characters but {len(spans)} spans")
        self.text = text
        self.spans = spans

    @classmethod
    def of(cls, raw: str, offset: int = 0) -> "Tracked":
        """The raw input itself: character ``i`` comes from ``(offset + i, offset + i + 1)``."""
        return cls(raw, [(offset + i, offset + i + 1) for i in range(len(raw))])

    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Tracked({self.text!r})"

    def __contains__(self, s: str) -> bool:
        return s in self.text

    def __getitem__(self, item: slice) -> "Tracked":
        if not isinstance(item, slice):
            raise TypeError("a Tracked string is sliced, not indexed")
        return Tracked(self.text[item], self.spans[item])

    def position(self, i: int) -> int:
        """The raw offset at the boundary before character ``i`` (``i == len`` is the end)."""
        if i > 0:
            return self.spans[i - 1][1]
        return self.spans[0][0] if self.spans else 0

    def source(self, start: int = 0, end: int | None = None) -> Span:
        """The raw span of ``text[start:end]``: the union of its characters' spans (an empty
        range gives an empty span at its position)."""
        return _union(self.spans[start:end]) or (self.position(start),) * 2


def text_of(text: str | Tracked) -> str:
    """The plain text of a ``str`` or a :class:`Tracked`."""
    return text if isinstance(text, str) else text.text


def _union(spans: list[Span]) -> Span | None:
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "'"


def _kept_ends(old: str, new: str) -> tuple[int, int]:
    """How many characters at the start and at the end of ``new`` are whole words (and the
    separators around them) copied from ``old``: the common prefix up to its last non-word
    character, the common suffix from its first non-word character."""
    n = min(len(old), len(new))
    p = 0
    while p < n and old[p] == new[p]:
        p += 1
    while p and _word_char(old[p - 1]):
        p -= 1
    s, n = 0, n - p
    while s < n and old[-1 - s] == new[-1 - s]:
        s += 1
    while s and _word_char(old[-s]):
        s -= 1
    return p, s


_SEPARATOR = re.compile(r"[\s,]+")


def _pieces(old: str, new: str) -> list[tuple[int, int, int, int]] | None:
    """``old`` and ``new`` cut at separators they share, as ``(old_start, old_end, new_start,
    new_end)`` ranges that cover both in order (separators are pieces of their own, equal on both
    sides); ``None`` where they cannot be cut so."""
    olds = [m.span() for m in _SEPARATOR.finditer(old)]
    news = [m.span() for m in _SEPARATOR.finditer(new)]
    old_seps = [old[a:b] for a, b in olds]
    new_seps = [new[c:d] for c, d in news]
    if old_seps and old_seps == new_seps:
        cuts = list(zip(olds, news))
    else:
        once = [k for k, sep in enumerate(old_seps) if old_seps.count(sep) == 1 and new_seps.count(sep) == 1]
        if not once:
            return None
        cuts = [(olds[once[0]], news[new_seps.index(old_seps[once[0]])])]
    pieces, o, n = [], 0, 0
    for (a, b), (c, d) in cuts:
        pieces += [(o, a, n, c), (a, b, c, d)]
        o, n = b, d
    pieces.append((o, len(old), n, len(new)))
    if any((a == b) != (c == d) for a, b, c, d in pieces):
        return None  # a word on one side faces nothing on the other
    return pieces


def _rewritten_spans(old: str, new: str, spans: list[Span]) -> list[Span]:
    """Spans for ``new`` written in place of ``old`` (non-empty), cut into shared pieces where it can."""
    pieces = _pieces(old, new)
    if pieces is None:
        return [_union(spans)] * len(new)
    out: list[Span] = []
    for a, b, c, d in pieces:
        if old[a:b] == new[c:d]:
            out.extend(spans[a:b])
        elif c < d:
            out.extend(_rewritten_spans(old[a:b], new[c:d], spans[a:b]))
    return out


def _replacement_spans(old: str, new: str, spans: list[Span], at: int) -> list[Span]:
    """Spans for ``new``, written in place of ``old`` whose characters had ``spans``; ``at`` is the
    raw position of an empty ``old``."""
    if new == old:
        return spans
    if not new:
        return []
    p, s = _kept_ends(old, new)
    end, new_end = len(old) - s, len(new) - s
    if p == end:  # nothing of old left for the new words: they come from all of it
        middle = [_union(spans) or (at, at)] * (new_end - p)
    else:
        middle = _rewritten_spans(old[p:end], new[p:new_end], spans[p:end])
    return spans[:p] + middle + spans[end:]


def sub(pattern, repl, text):
    """``re.sub(pattern, repl, text)`` for a ``str``; for a :class:`Tracked`, the same text with
    spans (``repl`` a function of the match or a template string, as for ``re.sub``). Replacement
    functions see the whole current text as ``m.string``, as with ``re.sub``."""
    if not isinstance(pattern, re.Pattern):
        pattern = re.compile(pattern)
    if isinstance(text, str):
        return pattern.sub(repl, text)
    src, spans = text.text, text.spans
    pieces: list[str] = []
    out_spans: list[Span] = []
    pos = 0
    literal = None if callable(repl) or "\\" in repl else repl  # a template without groups
    for m in pattern.finditer(src):
        a, b = m.span()
        new = literal if literal is not None else repl(m) if callable(repl) else m.expand(repl)
        if new == m.group():
            continue  # unchanged: part of the run copied as it is
        pieces.append(src[pos:a])
        out_spans.extend(spans[pos:a])
        pieces.append(new)
        out_spans.extend(_replacement_spans(src[a:b], new, spans[a:b], text.position(a)))
        pos = b
    if not pieces:
        return text
    pieces.append(src[pos:])
    out_spans.extend(spans[pos:])
    return Tracked("".join(pieces), out_spans)


def _per_char(text: Tracked, out: str, lengths) -> Tracked:
    """``out`` made of ``lengths[i]`` characters for each character ``i`` of ``text``."""
    spans: list[Span] = []
    for span, n in zip(text.spans, lengths):
        spans.extend([span] * n)
    return Tracked(out, spans)


def translate(text, table):
    """``text.translate(table)``; each output character comes from the character it replaces."""
    if isinstance(text, str):
        return text.translate(table)
    out = text.text.translate(table)
    if out == text.text:
        return text
    return _per_char(text, out, [len(c.translate(table)) for c in text.text])


def lower(text):
    """``text.lower()`` (a few characters lower to two, ``"İ" -> "i̇"``: both keep its span)."""
    if isinstance(text, str):
        return text.lower()
    out = text.text.lower()
    if len(out) == len(text.text):  # no character lowers to nothing, so this is one for one
        return Tracked(out, text.spans)
    return _per_char(text, out, [len(c.lower()) for c in text.text])


def strip(text):
    """``text.strip()``."""
    if isinstance(text, str):
        return text.strip()
    start = len(text.text) - len(text.text.lstrip())
    end = len(text.text.rstrip())
    return text if (start, end) == (0, len(text)) else text[start:max(start, end)]


def split(pattern, text) -> list:
    """``re.split(pattern, text)`` for a pattern whose groups always take part in a match."""
    if not isinstance(pattern, re.Pattern):
        pattern = re.compile(pattern)
    if isinstance(text, str):
        return pattern.split(text)
    parts, pos = [], 0
    for m in pattern.finditer(text.text):
        parts.append(text[pos:m.start()])
        parts.extend(text[m.start(g):m.end(g)] for g in range(1, pattern.groups + 1))
        pos = m.end()
    parts.append(text[pos:])
    return parts


def concat(parts: list, like=None):
    """``"".join(parts)``; tracked if ``like`` (or the first part) is a :class:`Tracked`, and then
    every part must be one."""
    tracked = like if like is not None else (parts[0] if parts else "")
    if isinstance(tracked, str):
        return "".join(parts)
    spans: list[Span] = []
    for part in parts:
        spans.extend(part.spans)
    return Tracked("".join(part.text for part in parts), spans)


def rewrite(piece, new: str):
    """``new`` written in place of ``piece``, with spans as :func:`sub` gives a replacement."""
    if isinstance(piece, str):
        return new
    return Tracked(new, _replacement_spans(piece.text, new, piece.spans, piece.position(0)))
