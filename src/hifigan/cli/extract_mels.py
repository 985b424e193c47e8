"""``hifigan extract-mels``: FastPitch's teacher-forced mels of a prepared dataset, for vocoder fine-tuning."""
from __future__ import annotations

import sys
from pathlib import Path

NAME = "extract-mels"


def add_parser(sub) -> None:
    em = sub.add_parser("extract-mels", help="teacher-forced FastPitch mels of a prepared dataset",
                        description="Run FastPitch teacher-forced (aligner durations, ground-truth pitch and energy) "
                                    "over every clip of a prepared dataset and write MELS/<id>.npy, frame-aligned "
                                    "with the audio, for 'hifigan train vocoder --mels-from MELS'. Resumable.")
    em.add_argument("prepared", metavar="PREPARED", help="a folder written by 'hifigan prepare'")
    em.add_argument("--fastpitch", required=True, metavar="NAME|CKPT",
                    help="a FastPitch checkpoint with its aligner (ours or NVIDIA's), or 'default'")
    em.add_argument("-o", "--output", required=True, metavar="MELS", help="output folder")
    em.add_argument("--batch-size", type=int, default=1,
                    help="clips per forward (default 1: each mel as FastPitch makes it alone; in a batch "
                         "the padding next to shorter clips changes their mels slightly)")
    em.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")
    em.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    # imported when the command runs: the training package stays off the inference path (synthesize, serve)
    from hifigan.train.extract_mels import extract_mels

    r = extract_mels(args.fastpitch, args.prepared, args.output, batch_size=args.batch_size, device=args.device,
                     progress=not args.no_progress)
    print(f"extract-mels: {r['done']} written, {r['skipped']} already there, {r['failed']} failed"
          f"{' (see ' + str(Path(args.output) / 'report.tsv') + ')' if r['failed'] else ''}", file=sys.stderr)
    return 1 if r["failed"] else 0
