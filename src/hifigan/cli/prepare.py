"""``hifigan prepare``: a dataset -> FastPitch's training features."""
from __future__ import annotations

import os
import sys
from pathlib import Path

NAME = "prepare"


def add_parser(sub) -> None:
    pr = sub.add_parser("prepare", help="dataset -> training features (mel, symbols, pitch, energy, prior)",
                        description="Compute FastPitch training features for an LJ Speech folder (metadata.csv, "
                                    "wavs/) or an NVIDIA filelist (wavs/x.wav|text[|speaker]). Resumable; bad "
                                    "clips are listed in OUT/report.tsv and skipped.")
    pr.add_argument("data", metavar="DATA", help="LJ Speech-style folder or filelist")
    pr.add_argument("-o", "--output", required=True, metavar="PREPARED", help="output folder")
    pr.add_argument("--pitch", default="praat", choices=["praat", "pyin", "dio", "harvest"],
                    help="pitch tracker: praat (Praat's autocorrelation via parselmouth; fast and close "
                         "to pyin, default), pyin (NVIDIA's; about 85x slower), dio, harvest (WORLD)")
    pr.add_argument("--workers", type=int, default=None, metavar="N", help="processes (default: CPU count)")
    pr.add_argument("--val-size", type=int, default=None, metavar="N",
                    help="held-out validation clips (default 5%%, at most 50)")
    pr.add_argument("--symbol-set", default="english_basic", help="NVIDIA symbol set (default english_basic)")
    pr.add_argument("--cleaners", default="english_cleaners_v2", help="text cleaners, comma-separated")
    pr.add_argument("--p-arpabet", type=float, default=1.0, help="share of words given as ARPAbet (default 1)")
    pr.add_argument("--min-seconds", type=float, default=0.5)
    pr.add_argument("--max-seconds", type=float, default=15.0)


def run(args) -> int:
    # imported when the command runs: the training package stays off the inference path (synthesize, serve)
    from hifigan.train.data import PrepareConfig, prepare

    cfg = PrepareConfig(pitch_method=args.pitch, min_seconds=args.min_seconds, max_seconds=args.max_seconds,
                        symbol_set=args.symbol_set, cleaners=tuple(c.strip() for c in args.cleaners.split(",")),
                        p_arpabet=args.p_arpabet)
    workers = args.workers or os.cpu_count() or 1
    m = prepare(args.data, args.output, cfg, workers=workers, val_size=args.val_size)
    hours = sum(c["n_frames"] for c in m["clips"]) * m["audio"]["hop_length"] / m["audio"]["sample_rate"] / 3600
    print(f"prepared {len(m['clips'])} clips ({hours:.2f} h; {len(m['train'])} train, {len(m['val'])} validation, "
          f"{m['n_speakers']} speaker(s)); {m['skipped']} skipped (see {Path(args.output) / 'report.tsv'}); "
          f"pitch mean {m['pitch']['mean']:.1f} Hz, std {m['pitch']['std']:.1f} Hz", file=sys.stderr)
    return 0
