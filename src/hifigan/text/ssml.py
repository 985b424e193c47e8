"""A safe reader for a subset of W3C SSML 1.1: a document -> text segments and breaks to speak.

``parse_ssml(document)`` returns a list of :class:`Segment` (text for the
:class:`~hifigan.text.TextProcessor`, with its prosody, voice, sentence flags and where in the document
it came from) and :class:`Break` (a silence of an exact length), in speaking order.
``is_ssml(text)`` says whether a text is meant as SSML; :func:`utterances` groups the segments that
belong in one synthesis call.

Elements read: ``<speak>`` (the root, with or without the SSML namespace), ``<p>``, ``<s>``,
``<break>``, ``<prosody>``, ``<emphasis>``, ``<say-as>``, ``<sub>``, ``<phoneme>``, ``<voice>``.
Any other element (``<audio>``, ``<mark>``, ``<lang>``, ``<w>``...) is read as if it were not
there: its text is spoken, and an :class:`SsmlWarning` names it once per document.

Tables (the values are this module's choice; SSML leaves them to the processor):

=============  ====================================================================================
``<break>``    ``time="500ms"``, ``"1.5s"``, ``"2s"``: exactly that long (time wins over strength).
               ``strength``: none 0, x-weak 0.1, weak 0.2, medium 0.4, strong 0.7, x-strong 1.2 s;
               neither attribute: medium. A break of 0 s is no break (nothing is emitted).
rate           a pace factor (> 1 faster; durations are divided by it). ``"150%"`` multiplies the
               rate in force by 1.5, ``"+20%"`` / ``"-20%"`` by 1.2 / 0.8 (nested percentages
               compose). Names set the rate outright: x-slow 0.5, slow 0.75, medium 1, fast 1.25,
               x-fast 1.75, default 1.
pitch          a signed change: ``"+20Hz"`` (added), ``"+2st"`` (semitones), ``"+10%"`` (becomes
               12*log2(1.10) semitones). Names set it outright, in semitones: x-low -6, low -3,
               medium 0, high +3, x-high +6, default 0. An unsigned ``"200Hz"`` (an absolute pitch)
               is refused: the voice's own pitch is not known here.
volume         ``"+6dB"``, ``"-3dB"`` (added). Names set it outright: silent -inf, x-soft -12,
               soft -6, medium 0, loud +6, x-loud +12, default 0 dB.
``<emphasis>`` ``level``: strong = rate x0.8, +3 st, energy x1.3; moderate (the default) = rate x0.9,
               +1.5 st, energy x1.15; reduced = rate x1.1, -1 st, energy x0.85; none = no change.
               Emphasis composes with what is in force, as a nested ``<prosody>`` does.
=============  ====================================================================================

Prosody is one normalized set of numbers (:class:`Prosody`): ``rate``, ``pitch_semitones``
and ``pitch_hz`` (a pitch ``f`` becomes ``f * 2**(pitch_semitones / 12) + pitch_hz``; percentages
become semitones, so nesting composes exactly: an inner change applies to the outer result),
``volume_db`` and ``energy`` (a scale for FastPitch's predicted energy, set by emphasis). After each
change the numbers are held inside ``RATE_RANGE``, ``PITCH_SEMITONES_RANGE``, ``PITCH_HZ_RANGE``,
``ENERGY_RANGE`` and at most ``MAX_VOLUME_DB``, so that untrusted nesting cannot ask for hours of
audio or absurd gains.

``<say-as interpret-as=...>``: characters / spell-out (``"USA" -> "U S A"``, digits as words,
other characters skipped), cardinal / number, ordinal (``"3" -> "third"``), digits
(``"123" -> "one two three"``), telephone (digit groups read digit by digit, commas between
them, a leading ``+`` is "plus"), date (``format`` one of mdy dmy ymd md dm ym my y m d; without
it: ymd when the first field has four digits, else mdy, or md / y for fewer fields; month first
reads "December twenty-fifth, twenty twenty-three", day first "the twenty-fifth of December, ..."),
time (``"10:30"``, ``"10:05 pm"``, ``"14:00"``, ``"9am"``). Words come from
:mod:`hifigan.text.numbers`. Text that the reading does not fit, and an unknown ``interpret-as``,
are spoken as written with a warning.

Pieces join as the document joins them: where no whitespace separates an element from the word
next to it (``<sub alias="x">y</sub>.``), none is added; write the spaces that separate words.

``<phoneme>``: ``alphabet="x-arpabet"`` (or ``"arpabet"``) takes ARPAbet symbols, each checked
against :data:`~hifigan.text.symbols.ARPABET_SET`; ``alphabet="ipa"`` (also the default) maps
General American IPA through :data:`IPA_TO_ARPABET` (stress marks ˈ ˌ go on the next vowel; other
vowels get stress 0, except the single full vowel of a word without marks, which gets 1; ː ˑ . ‿,
tie bars, ʰ and the slashes or brackets around a transcription are ignored; a syllabic mark (n̩) puts
AH0 before its consonant). The segment text gets ``{HH AH0 L OW1}``, which the TextProcessor passes
straight through. Braces in ordinary text are word separators, never ARPAbet: only ``<phoneme>``
puts symbols in.

Where text came from (for word timings): every :class:`Segment` holds :class:`Piece` s, each a
slice of ``Segment.text`` and the characters of the document it came from. Ordinary text gives one
piece per whitespace-separated run of a text node (``doc[start_char:end_char]`` is that run as
written, so an entity reference such as ``&amp;`` stands for its ``&``); ``<sub>``, ``<say-as>`` and
``<phoneme>`` give one piece covering the element's content with surrounding whitespace trimmed
(the whole element when it has none). Adjacent text with the same prosody and voice is merged into
one segment; its pieces keep every span.

Safety, for untrusted documents: a DOCTYPE (and so any ENTITY declaration or external reference) is
refused as soon as the parser meets it, before anything in it is read; only the five predefined
entities and numeric character references exist; the document's own encoding declaration is
ignored (the text is parsed as the ``str`` it is). Limits, each a one-line :class:`TextError`:
``max_chars`` (100,000 characters), ``max_depth`` (32 nested elements), ``max_break_s`` (60 s of
breaks in all). Malformed XML is a one-line error with its line and column.
"""
from __future__ import annotations

import bisect
import calendar
import math
import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from xml.parsers import expat

from hifigan.errors import TextError
from hifigan.text.numbers import ONES, cardinal, digits, number, ordinal, year
from hifigan.text.symbols import ARPABET_SET

__all__ = ["Break", "Piece", "Prosody", "Segment", "SsmlWarning", "IPA_TO_ARPABET", "ipa_to_arpabet",
           "is_ssml", "parse_ssml", "utterances"]

SSML_NAMESPACE = "http://www.w3.org/2001/10/synthesis"
MAX_CHARS = 100_000
MAX_DEPTH = 32
MAX_BREAK_S = 60.0
_DEPTH_CEILING = 256  # the reader recurses once per level: keep far from Python's recursion limit

BREAK_STRENGTHS = {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7, "x-strong": 1.2}
RATE_NAMES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "fast": 1.25, "x-fast": 1.75, "default": 1.0}
PITCH_NAMES = {"x-low": -6.0, "low": -3.0, "medium": 0.0, "high": 3.0, "x-high": 6.0, "default": 0.0}
VOLUME_NAMES = {"silent": -math.inf, "x-soft": -12.0, "soft": -6.0, "medium": 0.0, "loud": 6.0,
                "x-loud": 12.0, "default": 0.0}
# level: (rate factor, semitones added, energy factor)
EMPHASIS_LEVELS = {"strong": (0.8, 3.0, 1.3), "moderate": (0.9, 1.5, 1.15), "none": (1.0, 0.0, 1.0),
                   "reduced": (1.1, -1.0, 0.85)}
RATE_RANGE = (0.1, 10.0)
PITCH_SEMITONES_RANGE = (-24.0, 24.0)
PITCH_HZ_RANGE = (-500.0, 500.0)
ENERGY_RANGE = (0.1, 10.0)
MAX_VOLUME_DB = 24.0


class SsmlWarning(UserWarning):
    """Something in an SSML document was not understood and was read in a simpler way."""


# ---------------------------------------------------------------- the results

@dataclass(frozen=True)
class Prosody:
    """How a segment is spoken, relative to the voice's own delivery (all defaults: no change).

    ``rate``: pace factor, > 1 faster (durations are divided by it). Pitch: a predicted pitch ``f``
    (Hz) becomes ``f * 2**(pitch_semitones / 12) + pitch_hz``. ``volume_db``: gain in dB (``-inf``
    is silent). ``energy``: scale for the predicted energy (emphasis), 1 = unchanged.
    """

    rate: float = 1.0
    pitch_semitones: float = 0.0
    pitch_hz: float = 0.0
    volume_db: float = 0.0
    energy: float = 1.0

    @property
    def pitch_factor(self) -> float:
        """The multiplicative part of the pitch change, ``2**(pitch_semitones / 12)``."""
        return 2.0 ** (self.pitch_semitones / 12.0)

    @property
    def gain(self) -> float:
        """``volume_db`` as an amplitude factor (0 for silent)."""
        return 0.0 if self.volume_db == -math.inf else 10.0 ** (self.volume_db / 20.0)

    def shift_pitch(self, semitones: float = 0.0, hz: float = 0.0) -> Prosody:
        """This prosody with a relative pitch change applied on top: the inner change scales what the
        outer one produced, so ``hz`` already in force is scaled too."""
        factor = 2.0 ** (semitones / 12.0)
        return replace(self, pitch_semitones=self.pitch_semitones + semitones,
                       pitch_hz=self.pitch_hz * factor + hz)

    def limited(self) -> Prosody:
        """The same prosody held inside the module's ranges (``RATE_RANGE`` and the others)."""
        return Prosody(rate=_clamp(self.rate, RATE_RANGE),
                       pitch_semitones=_clamp(self.pitch_semitones, PITCH_SEMITONES_RANGE),
                       pitch_hz=_clamp(self.pitch_hz, PITCH_HZ_RANGE),
                       volume_db=min(self.volume_db, MAX_VOLUME_DB),
                       energy=_clamp(self.energy, ENERGY_RANGE))


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


@dataclass(frozen=True)
class Piece:
    """One part of a segment's text and where it came from.

    ``Segment.text[text_start:text_end]`` was made from ``document[start_char:end_char]``. ``kind``
    is ``"text"`` (the words as written), ``"sub"``, ``"say-as"`` or ``"phoneme"`` (a reading of the
    element's content).
    """

    text_start: int
    text_end: int
    start_char: int
    end_char: int
    kind: str = "text"


@dataclass(frozen=True)
class Segment:
    """Text to give the TextProcessor, spoken with one prosody and one voice.

    ``text``: plain words and ``{ARPABET}`` groups. ``voice``: the ``<voice name>`` in force, or
    ``None`` for the caller's default. ``space_before``: whether a word boundary separates this text
    from the previous segment's (False only where an element starts or ends inside a word, as in
    ``re<emphasis>cord</emphasis>``). ``sentence_end`` / ``paragraph_end``: a ``</s>`` / ``</p>``
    (or the start of one, or the document's end) follows this segment; the caller puts its
    sentence pause there. ``pieces``: where each part of ``text`` came from in the document.
    """

    text: str
    prosody: Prosody = field(default_factory=Prosody)
    voice: str | None = None
    pieces: tuple[Piece, ...] = ()
    space_before: bool = True
    sentence_end: bool = False
    paragraph_end: bool = False

    @property
    def start_char(self) -> int:
        """Where in the document the first piece starts."""
        return min(p.start_char for p in self.pieces)

    @property
    def end_char(self) -> int:
        """Where in the document the last piece ends."""
        return max(p.end_char for p in self.pieces)


@dataclass(frozen=True)
class Break:
    """A silence of exactly ``seconds``, from the ``<break/>`` at ``document[start_char:end_char]``."""

    seconds: float
    start_char: int
    end_char: int


# ---------------------------------------------------------------- public functions

_SSML_START = re.compile(r"\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?<speak(?=[\s>/]|$)")


def is_ssml(text: str) -> bool:
    """Whether ``text`` is meant as SSML: its first non-space characters are ``<speak`` (after an
    optional byte order mark and ``<?xml ...?>`` declaration)."""
    return isinstance(text, str) and _SSML_START.match(text) is not None


def parse_ssml(document: str, *, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH,
               max_break_s: float = MAX_BREAK_S) -> list[Segment | Break]:
    """Read an SSML document into segments and breaks, in speaking order (see the module's docstring).

    Raises :class:`TextError` (one line) for malformed XML (with line and column), a DOCTYPE or
    entity declaration, a document over ``max_chars`` characters, elements nested deeper than
    ``max_depth``, breaks adding up to more than ``max_break_s`` seconds, a root other than
    ``<speak>``, and attribute values that cannot be read. Warns (:class:`SsmlWarning`) for what it
    reads in a simpler way (unknown elements, unknown or unfitting ``say-as``).
    """
    if not isinstance(document, str):
        raise TextError(f"SSML: the document must be a str, got {type(document).__name__}")
    if len(document) > max_chars:
        raise TextError(f"SSML: the document has {len(document):,} characters; the limit is {max_chars:,}")
    if not 1 <= max_depth <= _DEPTH_CEILING:
        raise TextError(f"SSML: max_depth must be between 1 and {_DEPTH_CEILING}, got {max_depth}")
    root = _Tree(document, max_depth).parse()
    if root.name != "speak":
        raise TextError(f"SSML: the root element must be <speak>, not <{root.name}>")
    return _Reader(max_break_s).read(root)


def utterances(items: list[Segment | Break]) -> list[list[Segment] | Break]:
    """Group ``parse_ssml``'s items into what one synthesis call speaks: runs of segments that end at
    a sentence end, a break or a change of voice (prosody may change inside a run, segment by
    segment). Breaks stay as they are, between the runs."""
    groups: list[list[Segment] | Break] = []
    run: list[Segment] = []
    for item in items:
        if isinstance(item, Break):
            if run:
                groups.append(run)
                run = []
            groups.append(item)
            continue
        if run and item.voice != run[-1].voice:
            groups.append(run)
            run = []
        run.append(item)
        if item.sentence_end:
            groups.append(run)
            run = []
    if run:
        groups.append(run)
    return groups


# ---------------------------------------------------------------- XML -> a small tree with offsets

@dataclass
class _Chars:
    """A text node: its characters, and for each character where it was written in the document
    (an entity reference gives each character it stands for the reference's whole span)."""

    text: str
    starts: list[int]
    ends: list[int]


@dataclass
class _Node:
    """An element: its local name, attributes, span in the document (``start``..``end``, tags
    included), line and column of its ``<``, children."""

    name: str
    attrs: dict[str, str]
    start: int
    line: int
    column: int
    end: int = -1
    children: list = field(default_factory=list)

    def where(self) -> str:
        return f"at line {self.line}, column {self.column}"


class _Tree:
    """Parses a document with expat into :class:`_Node` / :class:`_Chars`, refusing DTDs.

    Every expat event reports the byte offset where it starts: a text chunk ends where the next
    event starts, an end tag ends at its ``>``, and ``<x/>`` reports its end just after the ``/>``.
    Offsets are kept in characters of the original ``str``.
    """

    def __init__(self, document: str, max_depth: int):
        self.document = document
        self.max_depth = max_depth
        try:
            self.data = document.encode("utf-8")
        except UnicodeEncodeError:
            raise TextError("SSML: the document holds characters that are not valid Unicode "
                            "(unpaired surrogates)") from None
        self._byte_starts = None if document.isascii() else _byte_starts(document)
        self.parser = self._make_parser()
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self._chunks: list[tuple[str, int]] = []  # text since the last other event: (data, byte offset)
        self._just_started: _Node | None = None  # the element whose start tag was the last event

    def _make_parser(self):
        parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        parser.UnparsedEntityDeclHandler = self._refuse_dtd
        parser.NotationDeclHandler = self._refuse_dtd
        parser.ExternalEntityRefHandler = self._refuse_dtd
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._other
        parser.ProcessingInstructionHandler = self._other
        parser.StartCdataSectionHandler = self._other
        parser.EndCdataSectionHandler = self._other
        return parser

    def parse(self) -> _Node:
        try:
            self.parser.Parse(self.data, True)
        except expat.ExpatError as e:
            raise TextError(f"SSML: {expat.ErrorString(e.code)} at line {e.lineno}, "
                            f"column {e.offset + 1}") from None
        return self.root

    def _char(self, byte_offset: int) -> int:
        if self._byte_starts is None:
            return byte_offset
        return bisect.bisect_left(self._byte_starts, byte_offset)

    def _position(self) -> str:
        return f"at line {self.parser.CurrentLineNumber}, column {self.parser.CurrentColumnNumber + 1}"

    def _refuse_dtd(self, *args):
        """Stops at the first sign of a DTD, before expat reads its declarations."""
        declaration = self.data.rfind(b"<!", 0, self.parser.CurrentByteIndex + 1)
        where = self._position() if declaration < 0 else self._line_column(self._char(declaration))
        raise TextError(f"SSML: DOCTYPE, ENTITY and external references are not allowed ({where})")

    def _line_column(self, char_offset: int) -> str:
        line_start = self.document.rfind("\n", 0, char_offset) + 1
        return f"at line {self.document.count(chr(10), 0, char_offset) + 1}, column {char_offset - line_start + 1}"

    def _event(self) -> int:
        """Called first by every handler but the text one: ends the pending text. Returns the event's
        byte offset."""
        offset = self.parser.CurrentByteIndex
        if self._chunks:
            self._flush_text(offset)
        self._just_started = None
        return offset

    def _flush_text(self, end_offset: int) -> None:
        text, starts, ends = [], [], []
        bounds = [offset for _, offset in self._chunks[1:]] + [end_offset]
        for (data, offset), stop in zip(self._chunks, bounds):
            first, last = self._char(offset), self._char(stop)
            text.append(data)
            if last - first == len(data):  # written as it reads
                starts.extend(range(first, last))
                ends.extend(range(first + 1, last + 1))
            else:  # a reference (or a CR LF read as LF): every character spans all of it
                starts.extend([first] * len(data))
                ends.extend([last] * len(data))
        self._chunks = []
        if self.stack:
            self.stack[-1].children.append(_Chars("".join(text), starts, ends))

    def _text(self, data: str) -> None:
        self._just_started = None
        self._chunks.append((data, self.parser.CurrentByteIndex))

    def _other(self, *args) -> None:
        self._event()

    def _start(self, name: str, attrs: dict) -> None:
        offset = self._event()
        if len(self.stack) >= self.max_depth:
            raise TextError(f"SSML: elements nest deeper than {self.max_depth} levels ({self._position()})")
        node = _Node(_local_name(name), {_local_name(k): v for k, v in attrs.items()}, self._char(offset),
                     self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self._just_started = node

    def _end(self, name: str) -> None:
        empty = self._just_started is self.stack[-1]
        offset = self._event()
        node = self.stack.pop()
        if empty and self.data[offset - 2:offset] == b"/>":
            node.end = self._char(offset)  # <x/>: expat reports its end after the '/>'
        else:  # an end tag </x>: the element ends after its '>'
            node.end = self._char(self.data.index(b">", offset) + 1)


def _byte_starts(document: str) -> list[int]:
    """The UTF-8 byte offset of each character, and the total length at the end."""
    starts, offset = [], 0
    for ch in document:
        starts.append(offset)
        code = ord(ch)
        offset += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    starts.append(offset)
    return starts


def _local_name(name: str) -> str:
    """``"<ssml namespace> speak"`` -> ``"speak"``; a name in another namespace keeps it as ``{ns}name``."""
    namespace, sep, local = name.rpartition(" ")
    if not sep or namespace == SSML_NAMESPACE:
        return local
    if namespace == "http://www.w3.org/XML/1998/namespace":
        return "xml:" + local
    return "{" + namespace + "}" + local


# ---------------------------------------------------------------- attribute values

_AMOUNT = r"([0-9]{1,6}(?:\.[0-9]{1,6})?|\.[0-9]{1,6})"
_TIME = re.compile(_AMOUNT + r"(ms|s)")
_RATE = re.compile(r"([+-])?" + _AMOUNT + "%")
_PITCH = re.compile(r"([+-])?" + _AMOUNT + r"(hz|st|%)", re.IGNORECASE)
_VOLUME = re.compile(r"([+-])?" + _AMOUNT + "db", re.IGNORECASE)


def _break_seconds(node: _Node) -> float:
    """A break's length: ``time`` if given ("500ms", "1.5s"), else its ``strength``'s (medium)."""
    time = node.attrs.get("time")
    if time is not None:
        m = _TIME.fullmatch(time.strip())
        if not m:
            raise TextError(f"SSML: <break time={time!r}> {node.where()}: write a time such as 500ms or 1.5s")
        value = float(m.group(1))
        return value / 1000.0 if m.group(2) == "ms" else value
    strength = node.attrs.get("strength", "medium").strip()
    if strength not in BREAK_STRENGTHS:
        raise TextError(f"SSML: <break strength={strength!r}> {node.where()}: use one of "
                        f"{', '.join(BREAK_STRENGTHS)}")
    return BREAK_STRENGTHS[strength]


def _with_rate(prosody: Prosody, value: str, node: _Node) -> Prosody:
    """``"150%"`` multiplies the rate in force, ``"+20%"`` raises it by a fifth, a name sets it."""
    value = value.strip()
    if value in RATE_NAMES:
        return replace(prosody, rate=RATE_NAMES[value])
    m = _RATE.fullmatch(value)
    if not m:
        raise TextError(f"SSML: <prosody rate={value!r}> {node.where()}: write a percentage such as 80% "
                        f"or one of {', '.join(RATE_NAMES)}")
    sign, amount = m.group(1), float(m.group(2)) / 100.0
    factor = amount if not sign else 1.0 + amount if sign == "+" else 1.0 - amount
    if factor <= 0:
        raise TextError(f"SSML: <prosody rate={value!r}> {node.where()}: the rate must stay above 0%")
    return replace(prosody, rate=prosody.rate * factor)


def _with_pitch(prosody: Prosody, value: str, node: _Node) -> Prosody:
    """``"+20Hz"`` / ``"-2st"`` / ``"+10%"`` change the pitch in force; a name sets it."""
    value = value.strip()
    if value in PITCH_NAMES:
        return replace(prosody, pitch_semitones=PITCH_NAMES[value], pitch_hz=0.0)
    m = _PITCH.fullmatch(value)
    if not m or not m.group(1):
        hint = "an absolute pitch is not supported; " if m else ""
        raise TextError(f"SSML: <prosody pitch={value!r}> {node.where()}: {hint}write a signed change "
                        f"such as +20Hz, -2st or +10%, or one of {', '.join(PITCH_NAMES)}")
    amount = float(m.group(2)) * (1 if m.group(1) == "+" else -1)
    unit = m.group(3).lower()
    if unit == "hz":
        return prosody.shift_pitch(hz=amount)
    if unit == "%":
        if amount <= -100:
            raise TextError(f"SSML: <prosody pitch={value!r}> {node.where()}: the pitch must stay above -100%")
        return prosody.shift_pitch(semitones=12.0 * math.log2(1.0 + amount / 100.0))
    return prosody.shift_pitch(semitones=amount)


def _with_volume(prosody: Prosody, value: str, node: _Node) -> Prosody:
    """``"+6dB"`` / ``"-3dB"`` change the volume in force; a name sets it."""
    value = value.strip()
    if value in VOLUME_NAMES:
        return replace(prosody, volume_db=VOLUME_NAMES[value])
    m = _VOLUME.fullmatch(value)
    if not m:
        raise TextError(f"SSML: <prosody volume={value!r}> {node.where()}: write a change in dB such as "
                        f"+6dB or -3dB, or one of {', '.join(VOLUME_NAMES)}")
    amount = float(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    return replace(prosody, volume_db=prosody.volume_db + amount)


def _with_emphasis(prosody: Prosody, node: _Node) -> Prosody:
    """Emphasis as a relative change of rate, pitch and energy (``EMPHASIS_LEVELS``)."""
    level = node.attrs.get("level", "moderate").strip()
    if level not in EMPHASIS_LEVELS:
        raise TextError(f"SSML: <emphasis level={level!r}> {node.where()}: use one of {', '.join(EMPHASIS_LEVELS)}")
    rate, semitones, energy = EMPHASIS_LEVELS[level]
    changed = prosody.shift_pitch(semitones=semitones)
    return replace(changed, rate=prosody.rate * rate, energy=prosody.energy * energy)


# ---------------------------------------------------------------- say-as readings

_CARDINAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_ORDINAL = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:st|nd|rd|th)?", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9\s]*[0-9][0-9\s]*")
_TELEPHONE = re.compile(r"\+?[0-9\s().-]*[0-9][0-9\s().-]*")
_CLOCK = re.compile(r"([0-9]{1,2})(?::([0-5][0-9])(?::([0-5][0-9]))?)?\s*(?:([AaPp])\.?\s*[Mm]\.?)?")
_DATE_SEPARATORS = re.compile(r"[\s/.,-]+")
_ORDINAL_DAY = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
DATE_FORMATS = ("mdy", "dmy", "ymd", "md", "dm", "ym", "my", "y", "m", "d")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_MONTH_NUMBERS = {name.lower(): i + 1 for i, name in enumerate(_MONTHS)} | \
                 {name[:3].lower(): i + 1 for i, name in enumerate(_MONTHS)} | {"sept": 9}
MAX_NUMBER_DIGITS = 36  # as the number reader: longer numbers are read digit by digit


def _read_cardinal(text: str, fmt: str | None) -> str | None:
    return number(text) if _CARDINAL.fullmatch(text) else None


def _read_ordinal(text: str, fmt: str | None) -> str | None:
    m = _ORDINAL.fullmatch(text)
    value = m.group(1).replace(",", "") if m else ""
    if not value or len(value) > MAX_NUMBER_DIGITS:
        return None
    return ordinal(int(value))


def _read_digits(text: str, fmt: str | None) -> str | None:
    return digits(text) if _DIGITS.fullmatch(text) else None


def _read_characters(text: str, fmt: str | None) -> str | None:
    """Letters one by one as capitals, digits as words; other characters are not read."""
    out = [ONES[int(c)] if c in "0123456789" else c.upper() for c in text if c.isalnum()]
    return " ".join(out) or None


def _read_telephone(text: str, fmt: str | None) -> str | None:
    if not _TELEPHONE.fullmatch(text):
        return None
    groups = ", ".join(digits(group) for group in re.findall(r"[0-9]+", text))
    return ("plus " if text.startswith("+") else "") + groups


def _read_time(text: str, fmt: str | None) -> str | None:
    """``"10:30" -> "ten thirty"``, ``"10:05 pm" -> "ten oh five P M"``, ``"14:00" -> "fourteen
    hundred"``, ``"9:00" -> "nine o'clock"``, ``"9am" -> "nine A M"``, seconds read "and N seconds"."""
    m = _CLOCK.fullmatch(text)
    if not m or not (m.group(2) or m.group(4)):
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    ampm = m.group(4)
    if hour > (12 if ampm else 24) or (ampm and hour == 0) or (hour == 24 and (minute or second)):
        return None
    words = cardinal(hour)
    if minute:
        words += (" oh " if minute < 10 else " ") + cardinal(minute)
    elif not ampm and not second:
        words += " o'clock" if 1 <= hour <= 12 else " hundred"
    if second:
        words += " and " + cardinal(second) + (" second" if second == 1 else " seconds")
    if ampm:
        words += " A M" if ampm in "Aa" else " P M"
    return words


def _year_words(value: str) -> str:
    if len(value) == 2 and value[0] == "0":
        return "oh " + ONES[int(value[1])]
    return year(int(value))


def _month_number(part: str) -> int | None:
    """``"12"`` -> 12, ``"Dec"`` / ``"December"`` / ``"Sept."`` -> their month; None otherwise."""
    if part.isascii() and part.isdigit() and len(part) <= 2:
        return int(part)
    return _MONTH_NUMBERS.get(part.lower().rstrip("."))


def _date_fields(text: str, fmt: str) -> dict[str, str] | None:
    """The fields of a date written in ``fmt`` order, checked: {"y": "2023", "m": "12", "d": "25"}."""
    parts = [p for p in _DATE_SEPARATORS.split(text) if p]
    if len(parts) != len(fmt):
        return None
    fields: dict[str, str] = {}
    for letter, part in zip(fmt, parts):
        if letter == "y":
            if not (part.isascii() and part.isdigit() and len(part) <= 4):
                return None
            fields["y"] = part
        elif letter == "m":
            month = _month_number(part)
            if month is None or not 1 <= month <= 12:
                return None
            fields["m"] = str(month)
        else:
            m = _ORDINAL_DAY.fullmatch(part)
            if not m or not 1 <= int(m.group(1)) <= 31:
                return None
            fields["d"] = m.group(1)
    if "m" in fields and "d" in fields:
        leap_year = int(fields["y"]) if "y" in fields and len(fields["y"]) == 4 else 2000
        if int(fields["d"]) > calendar.monthrange(leap_year, int(fields["m"]))[1]:
            return None
    return fields


def _default_date_format(text: str) -> str:
    parts = [p for p in _DATE_SEPARATORS.split(text) if p]
    if len(parts) == 3:
        return "ymd" if len(parts[0]) == 4 and parts[0].isdigit() else "mdy"
    return "md" if len(parts) == 2 else "y"


def _read_date(text: str, fmt: str | None) -> str | None:
    """A date in ``fmt`` order; month first: "December twenty-fifth, twenty twenty-three", day
    first: "the twenty-fifth of December, twenty twenty-three"."""
    fmt = fmt or _default_date_format(text)
    fields = _date_fields(text, fmt)
    if fields is None:
        return None
    month = _MONTHS[int(fields["m"]) - 1] if "m" in fields else None
    day = ordinal(int(fields["d"])) if "d" in fields else None
    if month and day:
        words = f"{month} {day}" if fmt.index("m") < fmt.index("d") else f"the {day} of {month}"
    else:
        words = month or (f"the {day}" if day else "")
    if "y" in fields:
        year_words = _year_words(fields["y"])
        words = f"{words}, {year_words}" if day else f"{words} {year_words}".strip()
    return words


_SAY_AS: dict[str, Callable[[str, str | None], str | None]] = {
    "characters": _read_characters, "spell-out": _read_characters,
    "cardinal": _read_cardinal, "number": _read_cardinal, "ordinal": _read_ordinal,
    "digits": _read_digits, "telephone": _read_telephone, "date": _read_date, "time": _read_time,
}


# ---------------------------------------------------------------- phonemes

# General American IPA -> ARPAbet (vowels without their stress digit).
IPA_VOWELS = {
    "aɪ": "AY", "ɑɪ": "AY", "aʊ": "AW", "ɑʊ": "AW", "ɔɪ": "OY", "eɪ": "EY", "oʊ": "OW", "əʊ": "OW",
    "i": "IY", "ɪ": "IH", "ɨ": "IH", "ᵻ": "IH", "e": "EY", "ɛ": "EH", "æ": "AE", "a": "AA", "ɑ": "AA",
    "ɒ": "AA", "ɔ": "AO", "o": "OW", "ʊ": "UH", "u": "UW", "ʉ": "UW", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "ɜɹ": "ER", "ɜr": "ER", "ə˞": "ER", "ɜ˞": "ER",
}
IPA_CONSONANTS = {
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "ɡ": "G", "f": "F", "v": "V",
    "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH", "tʃ": "CH",
    "t\u0361ʃ": "CH", "ʧ": "CH", "dʒ": "JH", "d\u0361ʒ": "JH", "ʤ": "JH", "m": "M", "n": "N",
    "ŋ": "NG", "l": "L", "ɫ": "L", "r": "R", "ɹ": "R", "ɾ": "T", "ʔ": "T", "j": "Y", "w": "W", "ʍ": "W",
}
IPA_TO_ARPABET = IPA_VOWELS | IPA_CONSONANTS
_IPA_LONGEST = max(len(k) for k in IPA_TO_ARPABET)
_IPA_REDUCED = frozenset("əɚɐᵻɨ")  # never stressed unless a mark says so
_IPA_IGNORED = frozenset("ːˑ.‿/[]ʰ\u0361\u035c")
_IPA_STRESS = {"ˈ": 1, "ˌ": 2}
_SYLLABIC = "\u0329"


def ipa_to_arpabet(ph: str) -> str:
    """General American IPA -> ARPAbet with stress digits: ``"həˈloʊ" -> "HH AH0 L OW1"``.

    Raises :class:`TextError` naming the first character that has no ARPAbet equivalent.
    """
    symbols = []
    for word in unicodedata.normalize("NFC", ph).split():
        symbols.extend(_ipa_word(word, ph))
    if not symbols:
        raise TextError(f"SSML: the IPA {ph!r} holds no sounds")
    return " ".join(symbols)


def _ipa_word(word: str, ph: str) -> list[str]:
    tokens: list[list] = []  # [symbol, stress or None for consonants, reduced vowel?]
    pending = None
    marked = any(c in _IPA_STRESS for c in word)
    i = 0
    while i < len(word):
        ch = word[i]
        if ch in _IPA_STRESS:
            pending, i = _IPA_STRESS[ch], i + 1
            continue
        if ch in _IPA_IGNORED:
            i += 1
            continue
        if ch == _SYLLABIC:
            if not tokens or tokens[-1][1] is not None:
                raise TextError(f"SSML: IPA {ph!r}: a syllabic mark must follow a consonant")
            tokens.insert(len(tokens) - 1, ["AH", 0, True])
            i += 1
            continue
        for size in range(min(_IPA_LONGEST, len(word) - i), 0, -1):
            key = word[i:i + size]
            if key in IPA_TO_ARPABET:
                break
        else:
            raise TextError(f"SSML: IPA {ch!r} (U+{ord(ch):04X}) in {ph!r} has no ARPAbet equivalent")
        if key in IPA_VOWELS:
            tokens.append([IPA_VOWELS[key], pending or 0, key[0] in _IPA_REDUCED])
            pending = None
        else:
            tokens.append([IPA_CONSONANTS[key], None, False])
        i += size
    vowels = [t for t in tokens if t[1] is not None]
    if not marked and len(vowels) == 1 and not vowels[0][2]:
        vowels[0][1] = 1  # a one-syllable word written without marks: its vowel is stressed
    return [symbol if stress is None else f"{symbol}{stress}" for symbol, stress, _ in tokens]


def _arpabet(ph: str, node: _Node) -> str:
    """ARPAbet symbols checked against the symbol set, upper-cased: ``"hh ah0"`` -> ``"HH AH0"``."""
    symbols = ph.upper().split()
    if not symbols:
        raise TextError(f"SSML: <phoneme> {node.where()} has an empty ph")
    for symbol in symbols:
        if symbol not in ARPABET_SET:
            raise TextError(f"SSML: <phoneme> {node.where()}: {symbol!r} is not an ARPAbet symbol")
    return " ".join(symbols)


def _phoneme_symbols(node: _Node) -> str:
    ph = node.attrs.get("ph")
    if ph is None or not ph.strip():
        raise TextError(f"SSML: <phoneme> {node.where()} needs a ph attribute")
    alphabet = node.attrs.get("alphabet", "ipa").strip().lower()
    if alphabet in ("x-arpabet", "arpabet"):
        return _arpabet(ph, node)
    if alphabet == "ipa":
        try:
            return ipa_to_arpabet(ph)
        except TextError as e:
            raise TextError(f"{e} ({node.where()})") from None
    raise TextError(f"SSML: <phoneme alphabet={alphabet!r}> {node.where()}: use ipa or x-arpabet")


# ---------------------------------------------------------------- the tree -> segments and breaks

@dataclass(frozen=True)
class _Context:
    prosody: Prosody = Prosody()
    voice: str | None = None


@dataclass
class _Draft:
    context: _Context
    space_before: bool
    text: str = ""
    pieces: list[Piece] = field(default_factory=list)


_WORD = re.compile(r"[^\s{}]+")
_SPACES = re.compile(r"[\s{}]+")
_IGNORED_PROSODY = ("contour", "range", "duration")


class _Output:
    """Collects words into segments (merging those with the same context) and breaks, in order."""

    def __init__(self, max_break_s: float):
        self.items: list[Segment | Break] = []
        self.draft: _Draft | None = None
        self.space = True  # a word boundary since the last piece
        self.last_segment: int | None = None
        self.max_break_s = max_break_s
        self.break_total = 0.0

    def add(self, text: str, start: int, end: int, context: _Context, kind: str) -> None:
        """One piece of text, from ``document[start:end]``."""
        if self.draft is not None and self.draft.context != context:
            self._flush()
        if self.draft is None:
            self.draft = _Draft(context, self.space)
        elif self.space:
            self.draft.text += " "
        begin = len(self.draft.text)
        self.draft.text += text
        self.draft.pieces.append(Piece(begin, len(self.draft.text), start, end, kind))
        self.space = False

    def add_chars(self, chars: _Chars, context: _Context) -> None:
        """A text node, one piece per run of non-space characters."""
        pos = 0
        for m in _WORD.finditer(chars.text):
            if m.start() > pos:
                self.space = True
            self.add(m.group(), chars.starts[m.start()], chars.ends[m.end() - 1], context, "text")
            pos = m.end()
        if pos < len(chars.text):
            self.space = True

    def boundary(self, paragraph: bool) -> None:
        """A sentence (or paragraph) ends here: the last segment so far gets the flag."""
        self._flush()
        self.space = True
        if self.last_segment is not None:
            segment = self.items[self.last_segment]
            self.items[self.last_segment] = replace(segment, sentence_end=True,
                                                    paragraph_end=segment.paragraph_end or paragraph)

    def pause(self, seconds: float, node: _Node) -> None:
        self._flush()
        self.space = True
        if seconds <= 0:
            return
        self.break_total += seconds
        if self.break_total > self.max_break_s:
            raise TextError(f"SSML: the breaks add up to more than {self.max_break_s:g} s ({node.where()})")
        self.items.append(Break(seconds, node.start, node.end))

    def finish(self) -> list[Segment | Break]:
        self.boundary(paragraph=True)
        return self.items

    def _flush(self) -> None:
        draft = self.draft
        if draft is None:
            return
        self.items.append(Segment(draft.text, draft.context.prosody, draft.context.voice, tuple(draft.pieces),
                                  draft.space_before))
        self.last_segment = len(self.items) - 1
        self.draft = None


class _Reader:
    """Walks the element tree, keeping the prosody and voice in force, and fills an :class:`_Output`."""

    def __init__(self, max_break_s: float):
        self.out = _Output(max_break_s)
        self._warned: set[str] = set()
        self._elements = {
            "p": self._paragraph, "s": self._sentence, "break": self._break, "prosody": self._prosody,
            "emphasis": self._emphasis, "say-as": self._say_as, "sub": self._sub, "phoneme": self._phoneme,
            "voice": self._voice,
        }

    def read(self, root: _Node) -> list[Segment | Break]:
        self._children(root, _Context())
        return self.out.finish()

    def _warn(self, key: str, message: str) -> None:
        """Warn once per document for each ``key``."""
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn("SSML: " + message, SsmlWarning, stacklevel=2)

    def _children(self, node: _Node, context: _Context) -> None:
        for child in node.children:
            if isinstance(child, _Chars):
                self.out.add_chars(child, context)
            else:
                self._element(child, context)

    def _element(self, node: _Node, context: _Context) -> None:
        handler = self._elements.get(node.name)
        if handler is None:
            self._warn("element " + node.name, f"<{node.name}> is not supported; its text is spoken")
            self._children(node, context)
        else:
            handler(node, context)

    # ------------------------------------------------ structure

    def _paragraph(self, node: _Node, context: _Context) -> None:
        self.out.boundary(paragraph=True)
        self._children(node, context)
        self.out.boundary(paragraph=True)

    def _sentence(self, node: _Node, context: _Context) -> None:
        self.out.boundary(paragraph=False)
        self._children(node, context)
        self.out.boundary(paragraph=False)

    def _break(self, node: _Node, context: _Context) -> None:
        self.out.pause(_break_seconds(node), node)
        self._children(node, context)

    # ------------------------------------------------ how it is said

    def _prosody(self, node: _Node, context: _Context) -> None:
        prosody = context.prosody
        for name, change in (("rate", _with_rate), ("pitch", _with_pitch), ("volume", _with_volume)):
            if name in node.attrs:
                prosody = change(prosody, node.attrs[name], node)
        for name in _IGNORED_PROSODY:
            if name in node.attrs:
                self._warn("prosody " + name, f"<prosody {name}> is not supported and is ignored")
        self._children(node, replace(context, prosody=prosody.limited()))

    def _emphasis(self, node: _Node, context: _Context) -> None:
        self._children(node, replace(context, prosody=_with_emphasis(context.prosody, node).limited()))

    def _voice(self, node: _Node, context: _Context) -> None:
        name = node.attrs.get("name", "").strip()
        if not name:
            self._warn("voice", "<voice> without a name is not supported; the voice in force is kept")
            self._children(node, context)
            return
        self._children(node, replace(context, voice=name))

    # ------------------------------------------------ what is said

    def _content(self, node: _Node) -> tuple[str, int, int]:
        """An element's text (markup inside is not read, with a warning) and its span: the content
        with surrounding whitespace trimmed, or the whole element when it has no text."""
        chars = []
        self._collect(node, chars)
        text = "".join(c.text for c in chars)
        starts = [s for c in chars for s in c.starts]
        ends = [e for c in chars for e in c.ends]
        first = len(text) - len(text.lstrip())
        last = len(text.rstrip())
        if first >= last:
            return "", node.start, node.end
        return " ".join(text.split()), starts[first], ends[last - 1]

    def _collect(self, node: _Node, chars: list[_Chars]) -> None:
        for child in node.children:
            if isinstance(child, _Chars):
                chars.append(child)
            else:
                self._warn("inside " + node.name, f"markup inside <{node.name}> is not read, only its text")
                self._collect(child, chars)

    def _replace(self, spoken: str, start: int, end: int, context: _Context, kind: str) -> None:
        """Speak ``spoken`` for ``document[start:end]`` as one piece (braces are not ARPAbet here)."""
        spoken = _SPACES.sub(" ", spoken).strip()
        if spoken:
            self.out.add(spoken, start, end, context, kind)

    def _sub(self, node: _Node, context: _Context) -> None:
        _, start, end = self._content(node)
        if "alias" not in node.attrs:
            self._warn("sub", "<sub> without an alias: its text is spoken")
            self._children(node, context)
            return
        self._replace(node.attrs["alias"], start, end, context, "sub")

    def _say_as(self, node: _Node, context: _Context) -> None:
        text, start, end = self._content(node)
        kind = node.attrs.get("interpret-as", "").strip().lower()
        fmt = node.attrs.get("format")
        reader = _SAY_AS.get(kind)
        if not text:
            return
        if reader is None:
            self._warn("say-as " + kind,
                       f"say-as interpret-as={kind!r} is not supported; the text is spoken as written")
            self._children(node, context)
            return
        if kind == "date" and fmt is not None and fmt.strip().lower() not in DATE_FORMATS:
            raise TextError(f"SSML: <say-as format={fmt!r}> {node.where()}: use one of {', '.join(DATE_FORMATS)}")
        spoken = reader(text, fmt.strip().lower() if fmt else None)
        if spoken is None:
            self._warn(f"say-as {kind} {text}", f"say-as interpret-as={kind!r} cannot read {text[:40]!r} "
                                                f"{node.where()}; it is spoken as written")
            self._children(node, context)
            return
        self._replace(spoken, start, end, context, "say-as")

    def _phoneme(self, node: _Node, context: _Context) -> None:
        symbols = _phoneme_symbols(node)
        _, start, end = self._content(node)
        self.out.add("{" + symbols + "}", start, end, context, "phoneme")
