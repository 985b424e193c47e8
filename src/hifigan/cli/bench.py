"""``hifigan bench``: measured speed of each stage on this machine."""
from __future__ import annotations

import sys

from tqdm import tqdm

from hifigan.bench import (RANDOM_PREFIX, bench, bench_real_use, bench_sentences, machine_info, real_use_table, report,
                           table, write_report)
from hifigan.cli.common import CliError, check_device, tts_precision

NAME = "bench"


REPEAT_ONLY_STAGES = {"fastpitch", "vocoder", "first_audio"}


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="measured speed: real use (distinct sentences) or one text repeated, by stage",
                       description="Real use (the default): distinct sentences (120 packaged LJ Speech lines, or "
                                   "--sentences FILE), each synthesized once by a fresh process and then again; "
                                   "prints the first-pass and second-pass real-time factors side by side and, for "
                                   "stream, the time to first audio. --repeat: each stage on one text repeated, "
                                   "p50/p90/p99 of the measured runs themselves (nearest rank); --texts, --runs, "
                                   "--warmup, --batch-size and the stages fastpitch, vocoder, first_audio imply it. "
                                   "Run it on a quiet machine: anything else on the CPU shows in the figures.")
    b.add_argument("--repeat", action="store_true", help="one text repeated (what this command did before real use)")
    b.add_argument("--sentences", metavar="FILE", help="real use: one distinct sentence a line")
    b.add_argument("-n", type=int, default=50, metavar="N", help="real use: the first N sentences (default 50)")
    b.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                   help="as for synthesize, or random:SIZE (default, small, compact, tiny): random weights of a "
                        "named size with the default voice's durations (fastpitch stage only)")
    b.add_argument("--vocoder", default=None, metavar="NAME|PATH", help="as for synthesize")
    b.add_argument("--stages", nargs="+", default=None, metavar="STAGE",
                   choices=["fastpitch", "vocoder", "tts", "first_audio", "stream"],
                   help="real use: tts, stream (default both); repeated: fastpitch, vocoder, tts (end to end), "
                        "first_audio (time to the first streamed piece; default all four)")
    b.add_argument("--texts", nargs="+", default=None, metavar="TEXT",
                   help="repeated: 'sentence' (the seed's: 'Say this smoothly, to prove you are not a robot.'), "
                        "'paragraph' (three sentences, ~11 s) or any literal text (default both)")
    b.add_argument("--precision", nargs="+", default=None, type=tts_precision, metavar="PREC",
                   help="fp32, bf16, fp16, auto, or FASTPITCH/VOCODER pairs such as int8/bf16 "
                        "(default: auto for real use, fp32 repeated)")
    b.add_argument("--backend", nargs="+", default=["torch"], choices=["torch", "onnx"])
    b.add_argument("--threads", nargs="+", type=int, default=None, metavar="N",
                   help="intra-op thread counts (default: torch's current)")
    b.add_argument("--batch-size", nargs="+", type=int, default=None, metavar="B",
                   help="repeated: copies of the text run together (default 1)")
    b.add_argument("--runs", type=int, default=None, help="repeated: measured runs per configuration (default 10)")
    b.add_argument("--warmup", type=int, default=None, help="repeated: unmeasured runs first (default 2)")
    b.add_argument("--json", metavar="FILE", help="write the machine, the settings and every run's time here")
    b.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")


def _repeated(args) -> bool:
    return (args.repeat or any(v is not None for v in (args.texts, args.runs, args.warmup, args.batch_size))
            or bool(set(args.stages or ()) & REPEAT_ONLY_STAGES) or str(args.fastpitch).startswith(RANDOM_PREFIX))


def run(args) -> int:
    check_device(args.device)
    repeated = _repeated(args)
    if repeated and "stream" in (args.stages or ()):
        raise CliError("the stream stage is real use's: without --repeat (repeated: first_audio)")
    if not repeated and args.n < 1:
        raise CliError(f"-n must be >= 1, got {args.n}")
    sentences = None if repeated else bench_sentences(args.sentences, args.n)  # a bad file fails before any work
    settings = {k: v for k, v in vars(args).items() if k not in ("command", "json")}
    bar = tqdm(desc="benchmarking", unit="config", leave=False)

    def progress(what: str) -> None:
        bar.set_postfix_str(what)
        bar.update()
    if repeated:
        results = bench(args.fastpitch, args.vocoder, texts=args.texts or ["sentence", "paragraph"],
                        stages=args.stages or ["fastpitch", "vocoder", "tts", "first_audio"],
                        precisions=args.precision or ["fp32"], backends=args.backend, threads=args.threads or [None],
                        batch_sizes=args.batch_size or [1], runs=10 if args.runs is None else args.runs,
                        warmup=2 if args.warmup is None else args.warmup, device=args.device, progress=progress)
        text, data = table(results), report(results, settings, args.device)
    else:
        results = bench_real_use(args.fastpitch, args.vocoder, sentences, stages=args.stages or ["tts", "stream"],
                                 precisions=args.precision or ["auto"], backends=args.backend,
                                 threads=args.threads or [None], device=args.device, progress=progress)
        text = real_use_table(results)
        data = {"machine": machine_info(args.device), "settings": settings,
                "results": [{**r.summary(), "first_s": r.first, "second_s": r.second} for r in results]}
    bar.close()
    print(text)
    if args.json:
        write_report(args.json, data)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
