"""Sentence splitting for long input (paragraphs, chapters): linear time, abbreviation-aware."""
from __future__ import annotations

import re

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


def _split_long(sentence: str, max_chars: int) -> list[str]:
    out = []
    while len(sentence) > max_chars:
        cut = -1
        for m in _SOFT_BREAK.finditer(sentence, 0, max_chars):
            cut = m.start() + 1
        if cut <= 0:
            cut = sentence.rfind(" ", 0, max_chars)
        if cut <= 0:
            cut = max_chars
        out.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        out.append(sentence)
    return [s for s in out if s]


def split_sentences(text: str, max_chars: int | None = 400) -> list[str]:
    """Split into sentences; pieces longer than ``max_chars`` are cut further at ``; : ,`` or dashes,
    then at spaces. Blank lines always separate."""
    out: list[str] = []
    for para in _PARAGRAPH.split(text):
        para = " ".join(para.split())
        start = 0
        for m in _BOUNDARY.finditer(para):
            if _ends_sentence(para, m.start(1), m.group(1)):
                out.append(para[start:m.start(3)])
                start = m.end(3)
        out.append(para[start:])
    sentences = [s.strip() for s in out if s.strip()]
    if max_chars:
        sentences = [piece for s in sentences for piece in _split_long(s, max_chars)]
    return sentences
