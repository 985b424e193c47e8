"""``hifigan bench``: how fast FastPitch, the vocoder and the whole pipeline run on this machine.

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
import time
from dataclasses import asdict, dataclass, field
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
