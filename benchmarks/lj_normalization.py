"""Agreement of text normalizers with LJ Speech's own normalized transcripts, and with the readings
of ``tests/data/number_contexts.tsv`` (modern sentences whose numbers depend on their context).

``../shared/data/ljspeech_text.txt`` has lines ``id|raw text|normalized text`` for chapters
LJ001-LJ030 (lines with only two fields are skipped). Chapters LJ001-LJ020 are the development set;
LJ021-LJ030 are reported apart as held out (see "held out" below). Each normalizer runs on the raw
text and its output is compared with the reference, both in a canonical form that ignores what
does not change the reading: case, punctuation (apostrophes inside words kept), hyphens, commas
inside numbers, "and" inside numbers ("one hundred and five"), accents, the dots and spaces of
spelled letters ("F.B.I." = "F B I" = "fbi"), and abbreviations against their expansions ("Mr." =
"Mister", "etc." = "et cetera", "i.e." = "that is"). What reads differently stays different
("fourteen hundred" is not "one thousand four hundred").

Systems: ``ours`` (hifigan's ``english_cleaners_v2``, or ``--cleaner``), ``nvidia`` (NVIDIA's
``english_cleaners_v2`` from a FastPitch tree given by ``--nvidia-dir``, imported from its files;
it needs ``pip install inflect``),
``nemo`` (NVIDIA NeMo's WFST normalizer, run by ``nemo_normalize.py`` in the environment given by
``--nemo-python``; its outputs are cached in ``--nemo-cache``), and any ``--cleaner-module
PATH:FUNC``::

    python benchmarks/lj_normalization.py                      # ours only
    python benchmarks/lj_normalization.py --show 20 --split heldout
    python benchmarks/lj_normalization.py --nvidia-dir /work/nvidia_ref/PyTorch/SpeechSynthesis/FastPitch
        --nemo-python /work/nemo-venv/bin/python          # (one line) all three systems

Held out: the normalizer's context rules were developed on LJ001-LJ020 and the modern sentences;
LJ021-LJ030 were only scored. (Rules written before the split existed saw all thirty chapters.)
"""
from __future__ import annotations

import argparse
import hashlib
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
    "versus": "vs", "mount": "mt", "governor": "gov", "senator": "sen", "okay": "ok", "etcetera": "etc",
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


SPLITS = {"dev": ("LJ001", "LJ020"), "heldout": ("LJ021", "LJ030")}
CONTEXT_SENTENCES = Path(__file__).resolve().parents[1] / "tests/data/number_contexts.tsv"
NEMO_SCRIPT = Path(__file__).resolve().parent / "nemo_normalize.py"


def split_rows(rows, split: str):
    """The rows of one split: ``dev`` (LJ001-LJ020), ``heldout`` (LJ021-LJ030) or ``all``."""
    if split == "all":
        return rows
    lo, hi = SPLITS[split]
    return [r for r in rows if lo <= r[0][:5] <= hi]


def read_contexts(path: Path = CONTEXT_SENTENCES) -> list[tuple[str, str, str]]:
    """``tests/data/number_contexts.tsv`` as ``(id, raw, expected)`` rows (its lines: ``context|raw|expected``)."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            context, raw, expected = line.split("|")
            rows.append((f"{context}-{n}", raw, expected))
    return rows


def nemo_cleaner(python: str, cache: Path, rows):
    """A cleaner answering from NeMo's outputs for ``rows``, normalizing the ones not cached yet."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        for _, raw, _ in rows:  # the cache is keyed by the text itself
            f.write(f"{_key(raw)}|{raw}\n")
    cache.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, str(NEMO_SCRIPT), f.name, str(cache)], check=True)
    Path(f.name).unlink()
    outputs = dict(line.split("|", 1) for line in cache.read_text(encoding="utf-8").splitlines())
    return lambda text: outputs[_key(text)]


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cleaner", default="english_cleaners_v2", help="one of hifigan's cleaners")
    ap.add_argument("--cleaner-module", help="FILE.py:FUNCTION, any cleaner function, as another system")
    ap.add_argument("--nvidia-dir", type=Path, help="NVIDIA's FastPitch tree (with common/text/cleaners.py)")
    ap.add_argument("--nemo-python", help="python of an environment with nemo_text_processing")
    ap.add_argument("--nemo-cache", type=Path, default=Path.home() / ".cache/hifigan/nemo_outputs.tsv")
    ap.add_argument("--split", choices=["dev", "heldout", "all", "contexts"], default="heldout", help="for --show")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="print N disagreements of the first system")
    ap.add_argument("--only-needing", action="store_true", help="--show only lines LJ normalized")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(f"{args.data}: no such file")
    rows = read_lj(args.data)
    contexts = read_contexts()
    from hifigan.text.cleaners import get_cleaner
    systems = {f"ours ({args.cleaner})": get_cleaner(args.cleaner)}
    if args.cleaner_module:
        systems[args.cleaner_module] = load_function(args.cleaner_module)
    if args.nvidia_dir:
        systems["nvidia english_cleaners_v2"] = load_function(f"{args.nvidia_dir}/common/text/cleaners.py:english_cleaners_v2")
    if args.nemo_python:
        systems["nemo (WFST)"] = nemo_cleaner(args.nemo_python, args.nemo_cache, rows + contexts)
    sets = {"LJ001-020 (dev)": split_rows(rows, "dev"), "LJ021-030 (held out)": split_rows(rows, "heldout"),
            f"context sentences ({len(contexts)})": contexts}
    print(f"{'system':34s}" + "".join(f"{name:>34s}" for name in sets))
    print(f"{'':34s}" + "".join(f"{'all lines / lines LJ changed':>34s}" if name.startswith("LJ")
                                else f"{'sentences read right':>34s}" for name in sets))
    first = None
    for sname, cleaner in systems.items():
        t0 = time.perf_counter()
        cells = []
        for name, data in sets.items():
            r = agreement(cleaner, data)
            if name.startswith("LJ"):
                cells.append(f"{100 * r['agree'] / r['total']:.2f}% / {100 * r['agree_needs'] / r['needs']:.2f}%")
            else:
                cells.append(f"{r['agree']}/{r['total']} = {100 * r['agree'] / r['total']:.1f}%")
        print(f"{sname:34s}" + "".join(f"{c:>34s}" for c in cells) + f"   ({time.perf_counter() - t0:.0f} s)")
        first = first or cleaner
    n_dev, n_held = len(sets["LJ001-020 (dev)"]), len(sets["LJ021-030 (held out)"])
    print(f"(lines: dev {n_dev}, held out {n_held}; LJ changed "
          f"{sum(r[1] != r[2] for r in sets['LJ001-020 (dev)'])} and {sum(r[1] != r[2] for r in sets['LJ021-030 (held out)'])})")
    shown = 0
    show_rows = contexts if args.split == "contexts" else split_rows(rows, args.split)
    for uid, raw, norm, ours, ref in agreement(first, show_rows)["misses"]:
        if shown >= args.show:
            break
        if args.only_needing and raw == norm:
            continue
        shown += 1
        print(f"\n{uid}\n  raw:  {raw}\n  ref:  {ref}\n  got:  {ours}")


if __name__ == "__main__":
    main()
