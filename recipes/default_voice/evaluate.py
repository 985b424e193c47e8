"""Measure a voice on held-out sentences: intelligibility (whisper tiny.en WER) and quality (DNSMOS).

    python recipes/default_voice/evaluate.py --fastpitch default --vocoder lj_v1 universal_v1 -o eval/
    python recipes/default_voice/evaluate.py --fastpitch run/checkpoints/fastpitch_0004000.safetensors \\
        --vocoder lj_v1 --teacher eval/teacher -o eval/           # also scores the teacher's own audio
    python recipes/default_voice/evaluate.py --fastpitch default --rtf-only   # speed only (quiet machine!)
    python recipes/default_voice/evaluate.py --fastpitch default --precision fp32 auto -o eval/   # also as the CLI runs
    python recipes/default_voice/evaluate.py --fastpitch default --pace 1.0 0.9 -o eval/   # speaking rates
    python recipes/default_voice/evaluate.py --fastpitch default --sharpen 0 0.3 0.5 -o eval/   # mel post-filter
    python recipes/default_voice/evaluate.py --sentences recipes/default_voice/test_sentences.txt \\
        recipes/default_voice/test_sentences_b.txt -o eval150/         # all 150 held-out sentences, pooled

Runs in the project's environment; the scoring runs ``../shared/tools/asr_wer.py`` and
``dnsmos.py`` with the environment given by ``--asr-python`` (see ``../shared/README.md``).
The teacher's audio for the same sentences comes from ``corpus.sh`` with ``--speak``:
``bash recipes/default_voice/corpus.sh eval/teacher --speak recipes/default_voice/test_sentences.txt``.
Writes ``OUT/<system>/0001.wav ...``, ``OUT/<system>/list.tsv`` and ``OUT/results.json``; with two or more
systems (the teacher counts first) it also prints each one's paired DNSMOS difference from the first
(``paired.py``: mean and standard error over the sentences), the figures the vocoder's selection rule uses.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import paired  # noqa: E402  (recipes/default_voice/paired.py)
SHARED = HERE.parent.parent.parent / "shared"
SENTENCE = "Say this smoothly, to prove you are not a robot."
PARAGRAPH = ("The weather service expects light rain this afternoon, clearing by the evening. "
             "Please remember to charge your phone before the meeting starts. "
             "She bought a new laptop because the old one kept overheating. "
             "Our train was delayed by twenty minutes near the central station. "
             "The museum opens at nine on weekdays and at ten on Sundays.")


def score(asr_python: str, folder: Path, lines: list[str]) -> dict:
    wavs = [folder / f"{i:04d}.wav" for i in range(1, len(lines) + 1)]
    missing = [w for w in wavs if not w.is_file()]
    if missing:
        raise SystemExit(f"{folder}: {len(missing)} of {len(wavs)} WAVs missing (first {missing[0].name})")
    tsv = folder / "list.tsv"
    tsv.write_text("".join(f"{w}\t{t}\n" for w, t in zip(wavs, lines)))
    out = {}
    for tool in ("asr_wer.py", "dnsmos.py"):
        r = subprocess.run([asr_python, str(SHARED / "tools" / tool), str(tsv)], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"{tool} failed on {tsv}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
        (folder / f"{tool[:-3]}.txt").write_text(r.stdout)
        last = r.stdout.strip().splitlines()[-1].split()  # "WER 0.023 CER 0.010 N=50", "OVRL 3.24 ... N=50"
        out.update({k.lower(): float(v) for k, v in zip(last[0::2], last[1::2])})
    return out


def rtf(tts, text: str, pace: float = 1.0, repeats: int = 3) -> dict:
    tts.synthesize(text, pace=pace)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        audio, sr = tts.synthesize(text, pace=pace)
        times.append(time.perf_counter() - t0)
    seconds = len(audio) / sr
    t = statistics.median(times)
    return {"audio_s": round(seconds, 2), "compute_s": round(t, 3), "rtf": round(t / seconds, 4)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastpitch", default="default", help="voice name or checkpoint path")
    ap.add_argument("--vocoder", nargs="+", default=["lj_v1"])
    ap.add_argument("--sentences", type=Path, nargs="+", default=[HERE / "test_sentences.txt"],
                    help="one or more files, one sentence a line; several are scored as one pooled set")
    ap.add_argument("--teacher", type=Path, help="folder of the teacher's 0001.wav ... for the same sentences")
    ap.add_argument("--denoise", type=float, default=0.0)
    ap.add_argument("--pace", type=float, nargs="+", default=[1.0],
                    help="speaking rate(s) to measure (FastPitch's pace: < 1 is slower)")
    ap.add_argument("--sharpen", type=float, nargs="+", default=None,
                    help="mel post-filter amount(s) to measure (hifigan.postfilter.sharpen; default: the voice's own)")
    ap.add_argument("--heteronyms", default="context", choices=["context", "letters"],
                    help="as the CLI: read by context (default) or left as letters (NVIDIA's front-end)")
    ap.add_argument("--asr-python", default=str(HERE.parent.parent.parent / "asr-venv" / "bin" / "python"))
    ap.add_argument("-o", "--out", type=Path, default=Path("eval"))
    ap.add_argument("--rtf", action="store_true", help="also time one sentence and one paragraph")
    ap.add_argument("--rtf-only", action="store_true")
    ap.add_argument("--precision", nargs="+", default=["fp32"],
                    help="fp32 (exact, the Python API's default) and/or auto (the CLI's: bf16 on AVX512-BF16/AMX); "
                         "FP/VOC gives the two models different precisions, e.g. fp32/bf16 or int8/fp32")
    args = ap.parse_args(argv)

    import torch

    from hifigan import TextToSpeech

    torch.manual_seed(0)
    if not all(math.isfinite(r) and r > 0 for r in args.pace):
        raise SystemExit(f"--pace must be finite numbers > 0, got {' '.join(map(str, args.pace))}")
    if args.sharpen and not all(math.isfinite(x) and x >= 0 for x in args.sharpen):
        raise SystemExit(f"--sharpen must be finite numbers >= 0, got {' '.join(map(str, args.sharpen))}")
    missing = [str(f) for f in args.sentences if not f.is_file()]
    if missing:
        raise SystemExit(f"--sentences: no such file {missing[0]}")
    lines = [t.strip() for f in args.sentences for t in f.read_text().splitlines() if t.strip()]
    results = {}
    if args.teacher and not args.rtf_only:
        results["teacher"] = score(args.asr_python, args.teacher, lines)
        print(f"teacher: {results['teacher']}", flush=True)
    for voc, precision in [(v, p) for v in args.vocoder for p in args.precision]:
        tts = TextToSpeech.from_pretrained(args.fastpitch, voc, precision=precision,
                                           handle_ambiguous="context" if args.heteronyms == "context" else "ignore")
        own = tts.sharpen  # the voice's own post-filter amount
        for pace, sharpen in [(p, x) for p in args.pace for x in (args.sharpen or [own])]:
            tts.sharpen = sharpen
            name = (f"{Path(str(args.fastpitch)).stem}+{Path(voc).stem}"
                    + ("" if precision == "fp32" else f"+{precision.replace('/', '-')}")
                    + ("" if args.heteronyms == "context" else "+letters")
                    + ("" if pace == 1.0 else f"+pace{pace:g}")
                    + ("" if args.sharpen is None else f"+sharpen{sharpen:g}"))
            if not args.rtf_only:
                folder = args.out / name
                folder.mkdir(parents=True, exist_ok=True)
                with torch.inference_mode():
                    for i, text in enumerate(lines, 1):
                        tts.to_file(text, folder / f"{i:04d}.wav", denoise=args.denoise, pace=pace)
                results[name] = score(args.asr_python, folder, lines)
            if args.rtf or args.rtf_only:
                with torch.inference_mode():
                    results.setdefault(name, {})["rtf"] = {"sentence": rtf(tts, SENTENCE, pace),
                                                           "paragraph": rtf(tts, PARAGRAPH, pace)}
            print(f"{name}: {results[name]}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    if len(results) > 1 and not args.rtf_only:  # paired DNSMOS differences against the first system scored
        folders = {name: args.teacher if name == "teacher" else args.out / name for name in results}
        first = next(iter(folders))
        for name, diffs in paired.against_first(folders).items():
            results[name][f"vs_{first}"] = {h.lower(): [round(m, 3), round(se, 3)] for h, (m, se) in diffs.items()}
            print(f"{name} - {first}: " + ", ".join(f"{h} {m:+.3f} (SE {se:.3f})" for h, (m, se) in diffs.items()),
                  flush=True)
    prev = json.loads((args.out / "results.json").read_text()) if (args.out / "results.json").is_file() else {}
    prev.update(results)
    (args.out / "results.json").write_text(json.dumps(prev, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
