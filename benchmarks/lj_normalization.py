"""Agreement of a text cleaner with LJ Speech's own normalized transcripts (chapters LJ001-LJ030).

``../shared/data/ljspeech_text.txt`` has lines ``id|raw text|normalized text``; lines with only two
fields are skipped. The cleaner runs on the raw text and its output is compared with LJ's
normalized text, both in a canonical form that ignores what does not change the reading:
case, punctuation (apostrophes inside words kept), hyphens, commas inside numbers, "and" inside
numbers ("one hundred and five"), accents, the dots and spaces of spelled letters ("F.B.I." =
"F B I" = "fbi"), and abbreviations against their expansions ("Mr." = "Mister", "etc." = "et
cetera", "i.e." = "that is"). What reads differently stays different ("fourteen hundred" is not
"one thousand four hundred").

    python benchmarks/lj_normalization.py                         # english_cleaners_v2
    python benchmarks/lj_normalization.py --cleaner english_cleaners --show 20
    python benchmarks/lj_normalization.py --cleaner-module /tmp/pkg/cleaners.py:english_cleaners_v2

``--cleaner-module PATH:FUNC`` loads any cleaner function from a file (inside a package, with its
relative imports) without importing ``hifigan`` at all.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import sys
import time
import unicodedata
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/ljspeech_text.txt"

# spoken the same: each variant -> one form (applied to both sides, after lowercasing)
EQUIVALENT_WORDS = {
    "mister": "mr", "missus": "mrs", "misess": "mrs", "miz": "ms", "doctor": "dr", "doctors": "drs",
    "saint": "st", "messieurs": "messrs", "esquire": "esq", "reverend": "rev", "honorable": "hon",
    "honourable": "hon", "professor": "prof", "captain": "capt", "lieutenant": "lieut", "lt": "lieut",
    "sergeant": "sgt", "general": "gen", "colonel": "col", "major": "maj", "junior": "jr",
    "senior": "sr", "company": "co", "limited": "ltd", "incorporated": "inc", "brothers": "bros",
    "versus": "vs", "mount": "mt", "governor": "gov", "senator": "sen", "okay": "ok",
}
EQUIVALENT_PHRASES = re.compile(r"\b(et cetera|for example|that is|namely)\b")
_PHRASE_FORMS = {"et cetera": "etc", "for example": "eg", "that is": "ie", "namely": "viz"}
NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                "eighty ninety").split()
_DOTTED = re.compile(r"\b(?:[a-z]{1,2}\.){2,}")
_DOT_BEFORE_S = re.compile(r"\.(?='s\b)")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_STRAY_APOSTROPHE = re.compile(r"(?<![a-z])'|'(?![a-z])")
_AND_IN_NUMBER = re.compile(r"\b(hundred|thousand|million|billion|trillion) and (?=(?:%s)\b)" % "|".join(NUMBER_WORDS))
_SPACES = re.compile(r"\s+")
_SINGLE_LETTERS = re.compile(r"\b[a-z](?: [a-z]\b)+")


def canonical(text: str) -> str:
    """The comparison form of a transcript (see the module docstring)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _DOT_BEFORE_S.sub("", text)  # "Co.'s" = "Co's"
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _NOT_WORD.sub(" ", text)
    text = _STRAY_APOSTROPHE.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _AND_IN_NUMBER.sub(r"\1 ", text)
    text = _SINGLE_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = EQUIVALENT_PHRASES.sub(lambda m: _PHRASE_FORMS[m.group(1)], text)
    return " ".join(_equivalent(w) for w in text.split())


def _equivalent(word: str) -> str:
    stem, s = (word[:-2], "'s") if word.endswith("'s") else (word, "")
    return EQUIVALENT_WORDS.get(stem, stem) + s


def read_lj(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("|")
        if len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def load_function(spec: str):
    """``PATH:FUNC`` -> the function; a file inside a package is imported as part of it."""
    path_s, _, func = spec.rpartition(":")
    path = Path(path_s).resolve()
    if not path.is_file() or not func:
        raise SystemExit(f"--cleaner-module wants FILE.py:FUNCTION, got {spec!r}")
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    sys.path.insert(0, str(root))
    module = importlib.import_module(".".join(parts))
    return getattr(module, func)


def agreement(cleaner, rows) -> dict:
    total = needs = same_all = same_needs = 0
    misses = []
    for uid, raw, norm in rows:
        ours = canonical(cleaner(raw))
        ref = canonical(norm)
        ok = ours == ref
        total += 1
        same_all += ok
        if raw != norm:
            needs += 1
            same_needs += ok
        if not ok:
            misses.append((uid, raw, norm, ours, ref))
    return {"total": total, "agree": same_all, "needs": needs, "agree_needs": same_needs, "misses": misses}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cleaner", default="english_cleaners_v2", help="one of hifigan's cleaners")
    ap.add_argument("--cleaner-module", help="FILE.py:FUNCTION, any cleaner function instead")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="print N disagreements")
    ap.add_argument("--only-needing", action="store_true", help="--show only lines LJ normalized")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(f"{args.data}: no such file")
    if args.cleaner_module:
        cleaner, name = load_function(args.cleaner_module), args.cleaner_module
    else:
        from hifigan.text.cleaners import get_cleaner
        cleaner, name = get_cleaner(args.cleaner), args.cleaner
    rows = read_lj(args.data)
    t0 = time.perf_counter()
    r = agreement(cleaner, rows)
    dt = time.perf_counter() - t0
    print(f"cleaner: {name}")
    print(f"all lines:                 {r['agree']}/{r['total']} = {100 * r['agree'] / r['total']:.2f}%")
    print(f"lines LJ had to normalize: {r['agree_needs']}/{r['needs']} = {100 * r['agree_needs'] / r['needs']:.2f}%")
    print(f"({dt:.1f} s for {r['total']} lines)")
    shown = 0
    for uid, raw, norm, ours, ref in r["misses"]:
        if shown >= args.show:
            break
        if args.only_needing and raw == norm:
            continue
        shown += 1
        print(f"\n{uid}\n  raw:  {raw}\n  LJ:   {ref}\n  ours: {ours}")


if __name__ == "__main__":
    main()
