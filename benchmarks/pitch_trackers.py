"""Pitch trackers for ``hifigan prepare`` on real speech: speed, and distance from pYIN (NVIDIA's).

    python benchmarks/pitch_trackers.py ~/.cache/hifigan/joe_corpus --clips 60
    python benchmarks/pitch_trackers.py LJSpeech-1.1 --clips 100 --methods praat dio pyin

Reads the first ``--clips`` WAVs of an LJ Speech-style folder (``metadata.csv``, ``wavs/``), runs
each tracker exactly as ``prepare`` does (:func:`hifigan.train.pitch.estimate_pitch`, one process),
and prints seconds of compute per hour of audio, then, against pYIN on the same frames:
voicing agreement, the share of frames voiced by one tracker only, the median and mean absolute
difference in cents where both are voiced, and the gross pitch error rate (|difference| > 20%).
Time it on a quiet machine.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from hifigan.audio import load_audio
from hifigan.train.pitch import estimate_pitch


def compare(f0: np.ndarray, ref: np.ndarray) -> dict:
    v, vr = f0 > 0, ref > 0
    both = v & vr
    cents = 1200 * np.abs(np.log2(f0[both] / ref[both]))
    return {"voicing agree": float(np.mean(v == vr)), "voiced only here": float(np.mean(v & ~vr)),
            "voiced only in pyin": float(np.mean(~v & vr)), "median |cents|": float(np.median(cents)),
            "mean |cents|": float(np.mean(cents)), "GPE >20%": float(np.mean(cents > 1200 * np.log2(1.2)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--methods", nargs="+", default=["praat", "dio", "harvest", "pyin"])
    args = ap.parse_args()
    ids = [line.split("|")[0] for line in (args.data / "metadata.csv").read_text().splitlines() if line.strip()]
    clips = [load_audio(args.data / "wavs" / f"{i}.wav", 22050) for i in ids[: args.clips]]
    seconds = sum(len(c) for c in clips) / 22050
    tracks, speed = {}, {}
    for m in args.methods:
        t0 = time.perf_counter()
        tracks[m] = [estimate_pitch(c, 22050, 256, len(c) // 256 + 1, method=m) for c in clips]
        speed[m] = (time.perf_counter() - t0) / seconds * 3600
    print(f"{len(clips)} clips, {seconds / 60:.1f} min of audio")
    print(f"{'method':>8} {'s per hour':>11}")
    for m in args.methods:
        print(f"{m:>8} {speed[m]:11.0f}")
    if "pyin" in tracks:
        ref = np.concatenate(tracks["pyin"])
        for m in args.methods:
            if m != "pyin":
                r = compare(np.concatenate(tracks[m]), ref)
                print(f"{m} vs pyin: " + ", ".join(f"{k} {v:.3f}" if k.endswith("%") or "voic" in k else
                                                    f"{k} {v:.1f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
