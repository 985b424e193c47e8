"""Real-time factor of a vocoder: seconds of compute per second of audio (lower is faster).

    python benchmarks/vocoder_speed.py                     # lj_v1 on CPU, 1 s, 5 s and 25 s
    python benchmarks/vocoder_speed.py --device cuda --vocoder universal_v1 --threads 1

Each length is vocoded `--repeats` times after one warm-up; the median is reported.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from hifigan.loaders import load_vocoder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocoder", default="lj_v1")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seconds", type=float, nargs="+", default=[1.0, 5.0, 25.0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk-frames", type=int, default=-1,
                    help="override Vocoder.chunk_frames (0 = one pass over the whole mel)")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    vocoder = load_vocoder(args.vocoder, device=args.device)
    if args.chunk_frames >= 0:
        vocoder.chunk_frames = args.chunk_frames or None
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    print(f"{args.vocoder} on {args.device} ({platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, chunks of {vocoder.chunk_frames} frames)")
    print(f"{'audio':>8} {'frames':>7} {'median s':>9} {'RTF':>7} {'x real-time':>12}")
    for seconds in args.seconds:
        frames = max(1, round(seconds * vocoder.sample_rate / vocoder.hop_length))
        mel = torch.randn(1, vocoder.n_mels, frames, device=args.device) - 5.0
        times = []
        with torch.inference_mode():
            for i in range(args.repeats + 1):
                sync()
                t0 = time.perf_counter()
                vocoder(mel)
                sync()
                if i:  # the first run is a warm-up
                    times.append(time.perf_counter() - t0)
        audio_s = frames * vocoder.hop_length / vocoder.sample_rate
        t = statistics.median(times)
        print(f"{audio_s:7.2f}s {frames:7d} {t:9.3f} {t / audio_s:7.3f} {audio_s / t:11.1f}x")


if __name__ == "__main__":
    main()
