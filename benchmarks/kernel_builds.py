"""How many oneDNN kernels a process builds for each sentence it has not seen (issue 28).

oneDNN builds a kernel (a "primitive") for every new input shape; with bf16 on an AMX Xeon that
cost about 0.85 s for each sentence of a new length. Shape-stable inference (the vocoder's fixed
pieces, FastPitch's length buckets) should make a new sentence build almost none once the process
has spoken a few. This counts them on any CPU: each configuration runs in a fresh process with
``ONEDNN_VERBOSE=profile_create``, speaks one warm-up sentence, then ``--n`` distinct sentences once
each, and reports the kernels built (cache misses) and their build time per sentence, for the first
and the last ``--window`` sentences. ``HIFIGAN_CPU=amx`` makes any CPU choose as an AMX Xeon does
(shape-stable on); ``avx512_bf16`` as a Zen 4 does (off).

    python benchmarks/kernel_builds.py --n 60 --profiles avx512_bf16 amx --modes synthesize stream
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = r"""
import sys
from hifigan import TextToSpeech
from hifigan.bench import bench_sentences
mode, n, precision = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tts = TextToSpeech.from_pretrained(precision=precision)
tts.synthesize("Warm up with this sentence.")
for i, text in enumerate(bench_sentences()[:n]):
    print(f"=== sentence {i}", flush=True)
    if mode == "stream":
        for _ in tts.stream(text):
            pass
    else:
        tts.synthesize(text)
"""


def count(profile: str, mode: str, n: int, precision: str) -> list[tuple[int, float]]:
    """``(kernels built, build ms)`` for each of the ``n`` sentences."""
    env = {**os.environ, "ONEDNN_VERBOSE": "profile_create", "HIFIGAN_CPU": profile}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(n), precision], env=env, check=True,
                         capture_output=True, text=True).stdout
    per, k = [[0, 0.0] for _ in range(n)], -1
    for line in out.splitlines():
        if line.startswith("=== sentence"):
            k = int(line.split()[-1])
        elif k >= 0 and "create:cache_miss" in line:
            per[k][0] += 1
            per[k][1] += float(line.rsplit(",", 1)[1])
    return [tuple(p) for p in per]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="distinct sentences (default 60)")
    ap.add_argument("--window", type=int, default=20, help="sentences averaged at each end (default 20)")
    ap.add_argument("--profiles", nargs="+", default=["avx512_bf16", "amx"])
    ap.add_argument("--modes", nargs="+", default=["synthesize", "stream"], choices=["synthesize", "stream"])
    ap.add_argument("--precision", default="auto")
    args = ap.parse_args(argv)
    if not 1 <= args.window <= args.n:
        ap.error("--window must be between 1 and --n")
    w = args.window
    print(f"| profile | mode | kernels built / sentence, sentences 1-{w} | ms | "
          f"sentences {args.n - w + 1}-{args.n} | ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for profile in args.profiles:
        for mode in args.modes:
            per = count(profile, mode, args.n, args.precision)
            first, last = per[:w], per[-w:]
            mean = lambda xs, i: sum(x[i] for x in xs) / len(xs)
            print(f"| {profile} | {mode} | {mean(first, 0):.1f} | {mean(first, 1):.1f} | "
                  f"{mean(last, 0):.1f} | {mean(last, 1):.1f} |", flush=True)


if __name__ == "__main__":
    main()
