"""NVIDIA NeMo's WFST text normalizer on lines of text, for ``lj_normalization.py`` to compare with.

Runs in its own environment (NeMo is for measurement only, never a dependency of the package)::

    python3 -m venv /work/nemo-venv && /work/nemo-venv/bin/pip install pynini nemo-text-processing
    /work/nemo-venv/bin/python benchmarks/nemo_normalize.py IN.tsv OUT.tsv --cache-dir ~/.cache/nemo_tn

``IN.tsv`` has lines ``id|text``; ``OUT.tsv`` gets ``id|normalized`` and is appended to, so a rerun
only normalizes the ids it does not have yet. The first run compiles NeMo's English grammars
(minutes) into ``--cache-dir``; later runs load them.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inp", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache/nemo_tn")
    args = ap.parse_args(argv)
    try:
        from nemo_text_processing.text_normalization.normalize import Normalizer
    except ImportError as e:
        raise SystemExit(f"nemo_text_processing is not importable in {sys.executable}: {e}")
    done = set()
    if args.out.is_file():
        done = {line.split("|", 1)[0] for line in args.out.read_text(encoding="utf-8").splitlines()}
    todo = [line.split("|", 1) for line in args.inp.read_text(encoding="utf-8").splitlines() if "|" in line]
    todo = [(uid, text) for uid, text in todo if uid not in done]
    if not todo:
        return
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    norm = Normalizer(input_case="cased", lang="en", cache_dir=str(args.cache_dir), overwrite_cache=False)
    print(f"grammars ready in {time.perf_counter() - t0:.0f} s; {len(todo)} lines to normalize", file=sys.stderr)
    t0 = time.perf_counter()
    with args.out.open("a", encoding="utf-8") as f:
        for i, (uid, text) in enumerate(todo, 1):
            try:
                out = norm.normalize(text, verbose=False, punct_post_process=True)
            except Exception as e:  # one bad line is a miss in the report, not the end of the run
                print(f"{uid}: {type(e).__name__}: {e}", file=sys.stderr)
                out = text
            f.write(f"{uid}|{' '.join(out.split())}\n")
            f.flush()
            if i % 200 == 0:
                print(f"{i}/{len(todo)} lines, {(time.perf_counter() - t0) / i:.3f} s a line", file=sys.stderr)


if __name__ == "__main__":
    main()
