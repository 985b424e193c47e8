"""Paired DNSMOS differences between systems scored by ``evaluate.py`` on the same sentences.

    python recipes/default_voice/paired.py EVAL/base EVAL/candidate [EVAL/another ...]

Each folder holds the ``dnsmos.txt`` that ``evaluate.py`` wrote (one line a WAV: ``path<TAB>OVRL x SIG y
BAK z P808 w``, then the means). For every candidate against the first folder it prints, per DNSMOS head,
the mean of the per-sentence differences and its standard error (sample sd / sqrt(n)): the noise the
issue 26 selection rule is measured against ("beats the base by more than 2 SE of the paired difference").
"""
from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from pathlib import Path

HEADS = ("OVRL", "SIG", "BAK", "P808")
LINE = re.compile(r"^(\S+)\t" + r" ".join(rf"{h} (-?[\d.]+)" for h in HEADS) + r"$")


def per_file(folder: Path) -> dict[str, dict[str, float]]:
    """{wav file name: {head: score}} from ``folder/dnsmos.txt``."""
    path = folder / "dnsmos.txt"
    if not path.is_file():
        raise SystemExit(f"{path}: missing (score the folder with evaluate.py first)")
    rows = {}
    for line in path.read_text().splitlines():
        m = LINE.match(line)
        if m:
            rows[Path(m.group(1)).name] = {h: float(v) for h, v in zip(HEADS, m.groups()[1:])}
    if not rows:
        raise SystemExit(f"{path}: no per-file lines")
    return rows


def paired(base: dict, other: dict, head: str) -> tuple[float, float, int]:
    """Mean of other - base over the files both hold, its standard error, and the count."""
    common = sorted(set(base) & set(other))
    if len(common) < 2:
        raise SystemExit(f"only {len(common)} files in common: the folders do not hold the same sentences")
    d = [other[k][head] - base[k][head] for k in common]
    return statistics.fmean(d), statistics.stdev(d) / math.sqrt(len(d)), len(d)


def against_first(folders: dict[str, Path], heads=("OVRL", "P808")) -> dict[str, dict[str, tuple[float, float]]]:
    """{name: {head: (mean difference, SE)}} of every system after the first, paired against the first."""
    names = list(folders)
    base = per_file(folders[names[0]])
    out = {}
    for name in names[1:]:
        other = per_file(folders[name])
        out[name] = {h: paired(base, other, h)[:2] for h in heads}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path)
    ap.add_argument("candidates", type=Path, nargs="+")
    args = ap.parse_args(argv)
    base = per_file(args.base)
    for folder in args.candidates:
        other = per_file(folder)
        parts = []
        for head in HEADS:
            mean, se, n = paired(base, other, head)
            parts.append(f"{head} {mean:+.3f} (SE {se:.3f})")
        print(f"{folder.name} - {args.base.name}, n={n}: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
