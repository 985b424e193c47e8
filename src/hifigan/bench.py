"""``hifigan bench``: how fast FastPitch, the vocoder and the whole pipeline run on this machine.

Real use (the default of ``hifigan bench``, :func:`bench_real_use`): distinct sentences, each seen
once by a fresh process (first pass), then each again (second pass), side by side: a first pass
much slower than the second means the process pays for every new length (kernels built per shape).

Repeated texts (``--repeat``, :func:`bench`):

Every configuration (backend x precision x threads x batch size x text) is run ``warmup`` times
unmeasured, then ``runs`` times measured. Percentiles are those of the measured runs themselves
(nearest rank: each is a time one run really took; with 10 runs p99 is the slowest), never a
normal approximation. RTF = p50 seconds of compute per second of audio made (lower is faster).

Stages:
- ``fastpitch``: ``FastPitch.infer`` on a batch of ``B`` copies of the text's symbols, the text
  whole (not split into sentences). With ``fastpitch="random:NAME"`` (a named size, e.g.
  ``random:default`` for NVIDIA's 46 M-parameter config) the weights are random and the durations
  are fixed to the default voice's, so that random weights cannot skew the length;
- ``vocoder``: ``Vocoder.vocode`` on ``B`` copies of the text's mel (as FastPitch made it);
- ``tts``: ``TextToSpeech.synthesize_utterances`` on ``B`` copies of the text (sentences split,
  batched, vocoded, joined), as users run it;
- ``first_audio``: time to the first piece of ``TextToSpeech.stream`` (batch 1).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from hifigan.acoustic import to_precision
from hifigan.errors import HifiganError
from hifigan.files import atomic_output
from hifigan.models.fastpitch import FASTPITCH_PRESETS, FastPitch, FastPitchConfig
from hifigan.pipeline import TextToSpeech
from hifigan.precision import cpu_has_native_bf16, cpu_has_native_int8, split_precision

SENTENCE = "Say this smoothly, to prove you are not a robot."
PARAGRAPH = ("The weather service expects light rain this afternoon, clearing by the evening. "
             "Please remember to charge your phone before the meeting starts. "
             "She bought a new laptop because the old one kept overheating.")
TEXTS = {"sentence": SENTENCE, "paragraph": PARAGRAPH}
STAGES = ("fastpitch", "vocoder", "tts", "first_audio")
RANDOM_PREFIX = "random:"


def percentile(times, q: float) -> float:
    """The ``q``-th percentile (0-100) of ``times`` by nearest rank: a value that was measured."""
    return float(np.percentile(np.asarray(times, dtype=np.float64), q, method="inverted_cdf"))


@dataclass
class Result:
    stage: str
    text: str
    backend: str
    precision: str
    threads: int
    batch_size: int
    audio_s: float           # seconds of audio one run makes (all of the batch)
    times: list = field(default_factory=list)

    def summary(self) -> dict:
        p50 = percentile(self.times, 50)
        d = {k: v for k, v in asdict(self).items() if k != "times"}
        d.update(runs=len(self.times), mean_s=float(np.mean(self.times)), p50_s=p50,
                 p90_s=percentile(self.times, 90), p99_s=percentile(self.times, 99),
                 min_s=float(min(self.times)))
        if self.stage != "first_audio":
            d.update(rtf=p50 / self.audio_s, x_realtime=self.audio_s / p50)
        return d


def _timed(fn: Callable[[], object], runs: int, warmup: int, sync: Callable[[], None]) -> list[float]:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return times


def machine_info(device="cpu") -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "native_bf16": cpu_has_native_bf16(),
            "native_int8": cpu_has_native_int8(),
            "torch": torch.__version__, "python": platform.python_version(), "device": str(device)}
    if str(device).startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def _load(fastpitch, vocoder, device, precision, backend):
    """``(tts, random_fastpitch or None)``: the pipeline, and for ``random:NAME`` a model with
    random weights of that size (the pipeline then holds the default voice, for durations)."""

    random_model = None
    if str(fastpitch).startswith(RANDOM_PREFIX):
        size = fastpitch[len(RANDOM_PREFIX):]
        if size not in FASTPITCH_PRESETS:
            raise HifiganError(f"{fastpitch}: unknown size {size!r}; one of {', '.join(FASTPITCH_PRESETS)}")
        if backend != "torch":
            raise HifiganError(f"{fastpitch}: random weights run on the torch backend only")
        torch.manual_seed(0)
        random_model = to_precision(FastPitch(FastPitchConfig(**FASTPITCH_PRESETS[size])), device,
                                    split_precision(precision)[0])
        fastpitch = "default"
    kw = {} if backend == "torch" else {"backend": backend}
    tts = TextToSpeech.from_pretrained(fastpitch, vocoder, device=device, precision=precision, **kw)
    return tts, random_model


def bench(fastpitch="default", vocoder=None, texts=("sentence", "paragraph"), stages=STAGES,
          precisions=("fp32",), backends=("torch",), threads=(None,), batch_sizes=(1,), runs=10,
          warmup=1, device="cpu", progress: Callable[[str], None] | None = None) -> list[Result]:
    """Measure every combination; ``texts`` are names in :data:`TEXTS` or literal texts."""
    bad = sorted(set(stages) - set(STAGES))
    if bad:
        raise HifiganError(f"unknown stage {bad[0]!r}: use {', '.join(STAGES)}")
    if runs < 1 or warmup < 0 or any(b < 1 for b in batch_sizes) or any(t is not None and t < 1 for t in threads):
        raise HifiganError("need runs >= 1, warmup >= 0, batch sizes >= 1 and thread counts >= 1")
    named = {t if t in TEXTS else f"text{k + 1}": TEXTS.get(t, t) for k, t in enumerate(texts)}
    if str(fastpitch).startswith(RANDOM_PREFIX) and set(stages) - {"fastpitch"}:
        raise HifiganError(f"{fastpitch}: random weights make no speech; use it with the fastpitch stage only")
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    results = []
    for n_threads in threads:
        if n_threads:
            torch.set_num_threads(n_threads)
        for backend in backends:
            for precision in precisions:
                tts, random_model = _load(fastpitch, vocoder, device, precision, backend)
                model = random_model or tts.fastpitch
                hop_s = tts.vocoder.hop_length / tts.sample_rate
                for text_name, text in named.items():
                    ids = torch.tensor([tts.text_processor.encode_text(text)], device=tts.device)
                    with torch.inference_mode():
                        mel, mel_lens, dur = tts.fastpitch.infer(ids)[:3]
                    mel = mel[..., :int(mel_lens[0])].float()
                    seconds = mel.shape[-1] * hop_s
                    for b in batch_sizes:
                        def record(stage, fn, audio_s):
                            if progress:
                                progress(f"{stage} {text_name} {backend} {precision} threads={torch.get_num_threads()} batch={b}")
                            r = Result(stage, text_name, backend, precision, torch.get_num_threads(), b, audio_s,
                                       _timed(fn, runs, warmup, sync))
                            results.append(r)

                        if "fastpitch" in stages:
                            batch_ids = ids.expand(b, -1).contiguous()
                            kw = {"dur_tgt": dur.expand(b, -1).contiguous()} if random_model is not None else {}

                            def run_fastpitch():
                                with torch.inference_mode():
                                    return model.infer(batch_ids, **kw)
                            record("fastpitch", run_fastpitch, seconds * b)
                        if "vocoder" in stages:
                            batch_mel = mel.expand(b, -1, -1).contiguous()
                            record("vocoder", lambda: tts.vocoder.vocode(batch_mel), seconds * b)
                        if "tts" in stages:
                            utts = tts.synthesize_utterances([text] * b)
                            record("tts", lambda: tts.synthesize_utterances([text] * b),
                                   sum(u.audio.shape[0] for u in utts) / tts.sample_rate)
                        if "first_audio" in stages and b == 1:
                            record("first_audio", lambda: next(iter(tts.stream(text))), seconds)
    return results


def table(results: list[Result]) -> str:
    head = (f"{'stage':11s} {'text':9s} {'backend':7s} {'prec':9s} {'thr':>3s} {'batch':>5s} {'audio s':>8s} "
            f"{'p50 s':>8s} {'p90 s':>8s} {'p99 s':>8s} {'RTF':>7s} {'x RT':>7s}")
    lines = [head, "-" * len(head)]
    for r in results:
        s = r.summary()
        rtf = f"{s['rtf']:7.3f} {s['x_realtime']:7.1f}" if "rtf" in s else f"{'':7s} {'':7s}"
        lines.append(f"{r.stage:11s} {r.text[:9]:9s} {r.backend:7s} {r.precision:9s} {r.threads:3d} {r.batch_size:5d} "
                     f"{r.audio_s:8.2f} {s['p50_s']:8.4f} {s['p90_s']:8.4f} {s['p99_s']:8.4f} {rtf}")
    return "\n".join(lines)


def report(results: list[Result], settings: dict, device="cpu") -> dict:
    return {"machine": machine_info(device), "settings": settings,
            "results": [{**r.summary(), "times_s": r.times} for r in results]}


def write_report(path, data: dict) -> None:
    with atomic_output(path) as tmp:
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)


# ---------------------------------------------------------------- real use: unseen sentences

SENTENCES_FILE = Path(__file__).resolve().parent / "data" / "bench_sentences.txt"  # 120 LJ Speech lines (public domain)
WARMUP_TEXT = "One warm-up sentence, not timed."
REAL_STAGES = ("tts", "stream")


def bench_sentences(path=None, n: int | None = None) -> list[str]:
    try:
        text = Path(path or SENTENCES_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise HifiganError(f"{path or SENTENCES_FILE}: cannot read the sentences ({e.__class__.__name__})") from None
    lines = [t.strip() for t in text.splitlines() if t.strip()]
    if len(set(lines)) != len(lines):
        raise HifiganError(f"{path or SENTENCES_FILE}: the sentences must be distinct")
    if not lines:
        raise HifiganError(f"{path or SENTENCES_FILE}: no sentences")
    return lines[:n] if n else lines


def time_unseen(tts, sentences: list[str], stage: str) -> dict:
    """In this process, which has synthesized only :data:`WARMUP_TEXT`: each sentence once (the first
    pass: every text and so every length is new to it), then each again (the second pass). ``tts``:
    :meth:`TextToSpeech.synthesize`; ``stream``: all of :meth:`TextToSpeech.stream`, and the time
    to its first piece. Returns per-sentence times and audio seconds for both passes."""
    if WARMUP_TEXT in sentences:
        raise HifiganError("the warm-up text must not be one of the timed sentences")
    tts.synthesize(WARMUP_TEXT)
    out = {"first": [], "second": [], "first_audio": {"first": [], "second": []}, "audio_s": []}
    for name in ("first", "second"):
        for text in sentences:
            start = time.perf_counter()
            if stage == "tts":
                n = tts.synthesize(text)[0].size
            else:
                n, first = 0, None
                for piece in tts.stream(text):
                    first = first or time.perf_counter() - start
                    n += piece.size
                out["first_audio"][name].append(first)
            out[name].append(time.perf_counter() - start)
            if name == "first":
                out["audio_s"].append(n / tts.sample_rate)
    return out


_WORKER = """
import json, sys, torch
from hifigan.bench import _load, time_unseen
a = json.loads(sys.argv[1])
if a["threads"]:
    torch.set_num_threads(a["threads"])
tts, _ = _load(a["fastpitch"], a["vocoder"], a["device"], a["precision"], a["backend"])
print(json.dumps(time_unseen(tts, a["sentences"], a["stage"])))
"""


@dataclass
class RealUse:
    stage: str
    backend: str
    precision: str
    threads: int
    first: list      # seconds per sentence, first pass (each text new to the process)
    second: list     # the same sentences again
    audio_s: list
    first_audio: dict

    def summary(self) -> dict:
        audio = sum(self.audio_s)
        d = {"stage": self.stage, "backend": self.backend, "precision": self.precision, "threads": self.threads,
             "sentences": len(self.first), "audio_s": audio, "rtf_first": sum(self.first) / audio,
             "rtf_second": sum(self.second) / audio}
        d["first_over_second"] = d["rtf_first"] / d["rtf_second"]
        if self.first_audio["first"]:
            d.update(first_audio_p50_s=percentile(self.first_audio["first"], 50),
                     first_audio_p90_s=percentile(self.first_audio["first"], 90))
        return d


def bench_real_use(fastpitch="default", vocoder=None, sentences=None, stages=REAL_STAGES, precisions=("auto",),
                   backends=("torch",), threads=(None,), device="cpu",
                   progress: Callable[[str], None] | None = None) -> list[RealUse]:
    """Every configuration and stage in a fresh Python process (so nothing was compiled or cached
    for any of the texts before): :func:`time_unseen` on ``sentences`` (default: the packaged 120)."""
    sentences = sentences or bench_sentences()
    bad = sorted(set(stages) - set(REAL_STAGES))
    if bad:
        raise HifiganError(f"unknown stage {bad[0]!r} for distinct sentences: use {', '.join(REAL_STAGES)}")
    results = []
    for n_threads in threads:
        for backend in backends:
            for precision in precisions:
                for stage in stages:
                    if progress:
                        progress(f"{stage} {backend} {precision} threads={n_threads or torch.get_num_threads()}")
                    args = {"fastpitch": str(fastpitch), "vocoder": vocoder, "device": device, "precision": precision,
                            "backend": backend, "threads": n_threads, "sentences": sentences, "stage": stage}
                    r = subprocess.run([sys.executable, "-c", _WORKER, json.dumps(args)], capture_output=True,
                                       text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
                    if r.returncode != 0:
                        lines = r.stderr.strip().splitlines() or ["no output"]
                        raise HifiganError(f"the benchmark process failed: {lines[-1]}")
                    out = json.loads(r.stdout.strip().splitlines()[-1])
                    results.append(RealUse(stage, backend, precision, n_threads or torch.get_num_threads(), **out))
    return results


def real_use_table(results: list[RealUse]) -> str:
    head = (f"{'stage':7s} {'backend':7s} {'prec':9s} {'thr':>3s} {'texts':>5s} {'audio s':>8s} "
            f"{'RTF 1st':>8s} {'RTF 2nd':>8s} {'1st/2nd':>7s} {'first audio p50/p90 (1st pass)':>31s}")
    lines = [head, "-" * len(head)]
    for r in results:
        s = r.summary()
        fa = (f"{1000 * s['first_audio_p50_s']:.0f} / {1000 * s['first_audio_p90_s']:.0f} ms"
              if "first_audio_p50_s" in s else "")
        lines.append(f"{r.stage:7s} {r.backend:7s} {r.precision:9s} {r.threads:3d} {s['sentences']:5d} "
                     f"{s['audio_s']:8.1f} {s['rtf_first']:8.3f} {s['rtf_second']:8.3f} {s['first_over_second']:7.2f} "
                     f"{fa:>31s}")
    return "\n".join(lines)
