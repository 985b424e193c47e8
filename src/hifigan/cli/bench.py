"""``hifigan bench``: measured speed of each stage on this machine."""
from __future__ import annotations

import sys

from tqdm import tqdm

from hifigan.bench import bench, report, table, write_report
from hifigan.cli.common import check_device, tts_precision

NAME = "bench"


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="measured speed: FastPitch, vocoder, text to speech, time to first audio",
                       description="Time each stage on this machine for every combination of the options given "
                                   "(lists), after warm-up runs: p50/p90/p99 of the measured runs themselves (nearest "
                                   "rank), real-time factor, x real time. A table on screen; --json FILE keeps every "
                                   "run. Run it on a quiet machine: anything else on the CPU shows in the figures.")
    b.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                   help="as for synthesize, or random:SIZE (default, small, compact, tiny): random weights of a "
                        "named size with the default voice's durations (fastpitch stage only)")
    b.add_argument("--vocoder", default=None, metavar="NAME|PATH", help="as for synthesize")
    b.add_argument("--stages", nargs="+", default=["fastpitch", "vocoder", "tts", "first_audio"],
                   choices=["fastpitch", "vocoder", "tts", "first_audio"], metavar="STAGE",
                   help="fastpitch, vocoder, tts (end to end), first_audio (time to the first streamed piece); default all")
    b.add_argument("--texts", nargs="+", default=["sentence", "paragraph"], metavar="TEXT",
                   help="'sentence' (the seed's: 'Say this smoothly, to prove you are not a robot.'), "
                        "'paragraph' (three sentences, ~11 s) or any literal text")
    b.add_argument("--precision", nargs="+", default=["fp32"], type=tts_precision, metavar="PREC",
                   help="fp32 (default), bf16, fp16, auto, or FASTPITCH/VOCODER pairs such as int8/bf16")
    b.add_argument("--backend", nargs="+", default=["torch"], choices=["torch", "onnx"])
    b.add_argument("--threads", nargs="+", type=int, default=None, metavar="N",
                   help="intra-op thread counts (default: torch's current)")
    b.add_argument("--batch-size", nargs="+", type=int, default=[1], metavar="B", help="copies of the text run together")
    b.add_argument("--runs", type=int, default=10, help="measured runs per configuration (default 10)")
    b.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    b.add_argument("--json", metavar="FILE", help="write the machine, the settings and every run's time here")
    b.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")


def run(args) -> int:
    check_device(args.device)
    bar = tqdm(desc="benchmarking", unit="config", leave=False)

    def progress(what: str) -> None:
        bar.set_postfix_str(what)
        bar.update()
    results = bench(args.fastpitch, args.vocoder, texts=args.texts, stages=args.stages,
                    precisions=args.precision, backends=args.backend, threads=args.threads or [None],
                    batch_sizes=args.batch_size, runs=args.runs, warmup=args.warmup, device=args.device,
                    progress=progress)
    bar.close()
    print(table(results))
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("command", "json")}
        write_report(args.json, report(results, settings, args.device))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
