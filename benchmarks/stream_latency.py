"""Time to first audio of ``TextToSpeech.stream`` against the whole ``synthesize``, on this machine.

    python benchmarks/stream_latency.py                    # the default voice, 2 threads, 7 runs
    python benchmarks/stream_latency.py --threads 1 --runs 11 --first-frames 8

Prints, for the seed's sentence and a paragraph: time to the first piece of audio and to the last
(p50 and p90 of the runs themselves), the whole-synthesis time, and the audio length. Run it on a
quiet machine: anything else on the CPU shows up in the figures.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

SENTENCE = "Say this smoothly, to prove you are not a robot."
PARAGRAPH = ("The weather service expects light rain this afternoon, clearing by the evening. "
             "Please remember to charge your phone before the meeting starts. "
             "She bought a new laptop because the old one kept overheating.")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fastpitch", default="default")
    ap.add_argument("--vocoder", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--first-frames", type=int, default=8)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hifigan import TextToSpeech

    tts = TextToSpeech.from_pretrained(args.fastpitch, args.vocoder)
    print(f"{'text':10s} {'audio s':>8s} {'first p50':>10s} {'first p90':>10s} {'stream p50':>11s} "
          f"{'whole p50':>10s}")
    for name, text in (("sentence", SENTENCE), ("paragraph", PARAGRAPH)):
        tts.synthesize(text)  # warm-up
        first, last, whole = [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            pieces = tts.stream(text, first_frames=args.first_frames)
            got = [next(pieces)]
            first.append(time.perf_counter() - t0)
            got += list(pieces)
            last.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            audio, sr = tts.synthesize(text)
            whole.append(time.perf_counter() - t0)
        seconds = sum(p.shape[0] for p in got) / sr
        assert abs(np.concatenate(got).shape[0] - audio.shape[0]) == 0
        print(f"{name:10s} {seconds:8.2f} {pct(first, .5):10.3f} {pct(first, .9):10.3f} "
              f"{statistics.median(last):11.3f} {statistics.median(whole):10.3f}")


if __name__ == "__main__":
    main()
