"""Cleaner pipelines, selectable by name, with the names and roles of NVIDIA's (keithito's) cleaners.

* ``basic_cleaners``: lowercase, collapse whitespace (no transliteration).
* ``transliteration_cleaners``: to ASCII, lowercase, collapse whitespace.
* ``english_cleaners``: to ASCII, lowercase, numbers, abbreviations, collapse whitespace.
* ``english_cleaners_v2``: the whole English normalization (``normalize_text``: numbers of every
  kind, abbreviations, acronyms, addresses, symbols), lowercase, collapse whitespace, then only
  characters the ``english_basic`` symbol set can encode (plus ``"``, dropped later).

Every cleaner takes any ``str`` and returns a ``str``; none raises on odd input. Each also takes a
:class:`~hifigan.text.spans.Tracked` string and returns the same text tracked (word spans).
"""
from __future__ import annotations

import re
from typing import Callable

from hifigan.text import spans
from hifigan.text.normalize import expand_abbreviations, normalize_numbers, normalize_text, to_ascii, tidy

_WHITESPACE = re.compile(r"\s+")
# english_basic: _ - ! ' ( ) , . : ; ? space A-Z a-z ; the double quote is let through (dropped later)
_NOT_ENGLISH_BASIC = re.compile(r"[^a-z!'(),.:;? \"-]+")
_SLASHES = re.compile(r"/+")
_BRACKETS = {"[": "(", "]": ")", "{": " ", "}": " ", "<": " ", ">": " "}


def lowercase(text):
    return spans.lower(text)


def collapse_whitespace(text):
    return spans.strip(spans.sub(_WHITESPACE, " ", text))


def _to_english_basic(m: re.Match) -> str:
    s = m.group(0)
    return _BRACKETS[s] if s in _BRACKETS else " "


def basic_cleaners(text: str) -> str:
    """Lowercase and collapse whitespace; no transliteration."""
    return collapse_whitespace(lowercase(text))


def transliteration_cleaners(text: str) -> str:
    """To ASCII (``anyascii``), lowercase, collapse whitespace."""
    return collapse_whitespace(lowercase(to_ascii(text)))


def english_cleaners(text: str) -> str:
    """To ASCII, lowercase, numbers and abbreviations to words, collapse whitespace."""
    text = expand_abbreviations(normalize_numbers(to_ascii(text, keep_symbols=True)))
    return collapse_whitespace(lowercase(tidy(to_ascii(text))))


def english_cleaners_v2(text: str) -> str:
    """``normalize_text``, lowercase, collapse whitespace, only ``english_basic`` characters."""
    text = lowercase(normalize_text(text))
    text = spans.sub(_SLASHES, " ", text)
    text = spans.sub(_NOT_ENGLISH_BASIC, _to_english_basic, text)
    return collapse_whitespace(text)


CLEANERS: dict[str, Callable[[str], str]] = {
    "basic_cleaners": basic_cleaners,
    "transliteration_cleaners": transliteration_cleaners,
    "english_cleaners": english_cleaners,
    "english_cleaners_v2": english_cleaners_v2,
}


def get_cleaner(name: str) -> Callable[[str], str]:
    """The cleaner called ``name``; ``ValueError`` naming the valid ones for an unknown name."""
    try:
        return CLEANERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown cleaner {name!r}; valid names: {', '.join(CLEANERS)}") from None
