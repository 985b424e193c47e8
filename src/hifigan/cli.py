"""Command line: ``hifigan vocode|synthesize|export|prepare|train|serve ...``. Thin: parsing, file handling and messages only."""
from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path

MEL_SUFFIXES = {".npy", ".pt"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".mp3"}
SILENCE_PEAK = 1e-4  # -80 dBFS
PRECISION_HELP = ("auto (default): the fastest this device runs natively within the quality gate (bf16 on CPUs "
                  "with AVX512-BF16 or AMX, fp16 on GPUs, else fp32); or fp32 (exact), bf16, fp16 (GPU only)")
TTS_PRECISION_HELP = (PRECISION_HELP + "; or a pair FASTPITCH/VOCODER, e.g. int8/bf16 (int8: FastPitch only, CPUs "
                      "with AMX or AVX512-VNNI; auto picks it there)")


def _tts_precision(value: str) -> str:
    """argparse type for a pipeline's precision: one name or FASTPITCH/VOCODER."""
    import argparse

    from hifigan.errors import HifiganError
    from hifigan.precision import split_precision

    try:
        split_precision(value)
    except HifiganError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value


class CliError(Exception):
    """A usage problem reported as one line."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hifigan", description="FastPitch + HiFi-GAN text-to-speech.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    v = sub.add_parser("vocode", help="mel spectrogram or recording -> waveform",
                       description="Vocode saved mels (.npy/.pt, [n_mels, T] or [1, n_mels, T]) or "
                                   "re-synthesise recordings (copy-synthesis: wav -> mel -> wav).")
    v.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files, mel files or folders of them")
    v.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output .wav for one input, else a folder (created) for <stem>.wav files")
    v.add_argument("--vocoder", default="lj_v1", metavar="NAME|PATH",
                   help="lj_v1 (default), universal_v1, or a generator checkpoint")
    v.add_argument("--config", metavar="JSON", help="generator config for an authors' checkpoint without one")
    v.add_argument("--denoise", type=float, default=0.0, metavar="S",
                   help="denoiser strength, e.g. 0.005 (default 0: off)")
    v.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    v.add_argument("--precision", default="auto", choices=["fp32", "bf16", "fp16", "auto"], help=PRECISION_HELP)
    v.add_argument("--backend", default="torch", choices=["torch", "onnx"],
                   help="torch (default) or onnx: onnxruntime, the vocoder exported once into ~/.cache/hifigan/onnx "
                        "(--vocoder may then also be a folder from 'hifigan export onnx'; needs pip install 'hifigan[onnx]')")

    s = sub.add_parser("synthesize", help="text -> speech (FastPitch + HiFi-GAN)",
                       description="Synthesize one text to a .wav, or a file of texts (one utterance per line; "
                                   "'-' reads stdin) to DIR/0001.wav, 0002.wav, ... in line order. Under torchrun "
                                   "(torchrun --nproc_per_node N -m hifigan synthesize -i FILE -o DIR) the lines are "
                                   "shared out: rank r speaks lines r+1, r+1+N, ... and writes the same file names "
                                   "one process would; with --device cuda each rank takes the GPU of its LOCAL_RANK.")
    s.add_argument("text", nargs="?", help="the text to speak (or use -i)")
    s.add_argument("-i", "--input", metavar="FILE", help="text file, one utterance per line; - for stdin")
    s.add_argument("-o", "--output", required=True, metavar="OUT", help="a .wav for TEXT, a folder for -i")
    s.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                   help="the shipped voice 'default' (the default), 'nvidia' (NVIDIA's file in "
                        "$TORCH_HOME/checkpoints) or a FastPitch checkpoint path (NVIDIA's or ours)")
    s.add_argument("--vocoder", default=None, metavar="NAME|PATH",
                   help="lj_v1, universal_v1 or a path (default: the voice's own, lj_v1 for a checkpoint path)")
    s.add_argument("--pace", type=float, default=1.0, help="speaking rate: >1 faster, <1 slower (default 1)")
    s.add_argument("--pitch-shift", type=float, default=0.0, metavar="HZ", help="shift the pitch by HZ")
    s.add_argument("--pitch-flatten", action="store_true", help="monotone speech")
    s.add_argument("--pitch-invert", action="store_true", help="mirror the pitch contour around the mean")
    s.add_argument("--pitch-amplify", type=float, default=1.0, metavar="X", help="scale the pitch contour by X")
    s.add_argument("--energy-scale", type=float, default=1.0, metavar="X", help="scale the predicted energy")
    s.add_argument("--denoise", type=float, default=0.0, metavar="S", help="denoiser strength, e.g. 0.005")
    s.add_argument("--sharpen", type=float, default=None, metavar="X",
                   help="mel post-filter amount, 0 = off (default: the voice's own, see MODEL_CARD.md; 0 for a checkpoint)")
    s.add_argument("--speaker", type=int, default=0, metavar="N", help="speaker id of a multi-speaker model")
    s.add_argument("--batch-size", type=int, default=8, metavar="N", help="sentences per FastPitch batch")
    s.add_argument("--save-mel", action="store_true", help="also write each mel as .npy beside its .wav")
    s.add_argument("--plot", metavar="PNG", help="spectrogram picture: a .png for TEXT, a folder for -i")
    s.add_argument("--stream", nargs="?", const="wav", choices=["wav", "pcm"],
                   help="with TEXT and -o -: write the audio to stdout while it is being made, as a WAV "
                        "(16-bit; its sizes read 0xFFFFFFFF on a pipe and are filled in at the end when stdout "
                        "is a file) or raw 16-bit little-endian PCM ('--stream pcm')")
    s.add_argument("--cmudict", metavar="PATH", help="a cmudict-0.7b file instead of the packaged dictionary")
    s.add_argument("--heteronyms", default="context", choices=["context", "letters"],
                   help="words like 'wind', 'read', 'lives': read by the words around them (default), or left as "
                        "letters for the model to guess, as NVIDIA's front-end does")
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    s.add_argument("--precision", default="auto", type=_tts_precision, metavar="PREC", help=TTS_PRECISION_HELP)
    s.add_argument("--backend", default="torch", choices=["torch", "onnx"],
                   help="torch (default) or onnx: onnxruntime, the models exported once into ~/.cache/hifigan/onnx "
                        "(--fastpitch may then also be a folder from 'hifigan export onnx'; needs pip install 'hifigan[onnx]')")

    ex = sub.add_parser("export", help="export the models for other runtimes (onnx)")
    exsub = ex.add_subparsers(dest="format", metavar="FORMAT")
    eo = exsub.add_parser("onnx", help="FastPitch and the HiFi-GAN generator as ONNX graphs",
                          description="Write DIR/fastpitch.onnx (text ids, pace, pitch shift/amplify, energy scale "
                                      "-> mel and lengths), DIR/generator.onnx (mel -> audio) and "
                                      "DIR/hifigan_onnx.json (configs and text settings), all or nothing. Run them "
                                      "with 'hifigan synthesize --backend onnx --fastpitch DIR' or "
                                      "TextToSpeech.from_onnx(DIR). Needs pip install 'hifigan[onnx]'.")
    eo.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created)")
    eo.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                    help="as for synthesize: 'default' (the default), 'nvidia' or a FastPitch checkpoint")
    eo.add_argument("--vocoder", default=None, metavar="NAME|PATH",
                    help="lj_v1, universal_v1 or a path (default: the voice's own, lj_v1 for a checkpoint path)")
    eo.add_argument("--opset", type=int, default=None, metavar="N", help="ONNX opset (default 17)")

    sv = sub.add_parser("serve", help="HTTP server and web page (needs: pip install 'hifigan[serve]')",
                        description="Serve text to speech over HTTP: OpenAI's POST /v1/audio/speech, GET /api/tts "
                                    "(Coqui TTS's), GET /v1/voices, GET /health, a web page at /. Models are loaded "
                                    "once; synthesis runs on worker threads behind a bounded queue.")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    sv.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                    help="the first (default) voice: a shipped voice name, 'nvidia' or a FastPitch checkpoint")
    sv.add_argument("--vocoder", default=None, metavar="NAME|PATH",
                    help="lj_v1, universal_v1 or a path (default: each voice's own, lj_v1 for a checkpoint)")
    sv.add_argument("--voices", metavar="DIR", help="more voices: each NAME.safetensors / NAME.pt in DIR is voice NAME")
    sv.add_argument("--api-key", metavar="KEY", default=None,
                    help="require 'Authorization: Bearer KEY' (default: $HIFIGAN_API_KEY; unset: no key)")
    sv.add_argument("--workers", type=int, default=None, metavar="N",
                    help="synthesis threads (default: one per two CPU cores)")
    sv.add_argument("--queue", type=int, default=8, metavar="N",
                    help="requests that may wait for a worker; more get 503 + Retry-After (default 8)")
    sv.add_argument("--timeout", type=float, default=600.0, metavar="S",
                    help="seconds per request, queueing included (default 600)")
    sv.add_argument("--max-chars", type=int, default=4096, metavar="N", help="longest text (default 4096; more: 413)")
    sv.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                    help="allow browser pages from ORIGIN to call the API (repeatable; default: no CORS)")
    sv.add_argument("--denoise", type=float, default=0.0, metavar="S", help="denoiser strength, e.g. 0.005")
    sv.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")
    sv.add_argument("--precision", default="auto", type=_tts_precision, metavar="PREC", help=TTS_PRECISION_HELP)

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

    tr = sub.add_parser("train", help="train a model (fastpitch, vocoder)")
    tsub = tr.add_subparsers(dest="model", metavar="MODEL")
    f = tsub.add_parser("fastpitch", help="train FastPitch on a prepared dataset",
                        description="Train FastPitch 1.1 (learned alignment). Also runs under "
                                    "'torchrun --nproc_per_node N -m hifigan train fastpitch ...' (DDP).")
    f.add_argument("prepared", metavar="PREPARED", help="a folder written by 'hifigan prepare'")
    f.add_argument("-o", "--output", required=True, metavar="RUN", help="run folder (checkpoints, logs)")
    f.add_argument("--config", default="small", metavar="NAME|JSON",
                   help="model size: small (CPU, default), compact (a slow CPU), default (NVIDIA's), tiny, or a JSON file")
    f.add_argument("--init-from", metavar="CKPT", help="start from a FastPitch checkpoint (NVIDIA's or ours)")
    f.add_argument("--steps", type=int, default=5000)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--grad-accum", type=int, default=1, metavar="N", help="micro-batches per optimizer step")
    f.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                   help="bf16: CPU with native bf16 or GPU; fp16: GPU only (the aligner always runs in fp32)")
    f.add_argument("--optimizer", default="adamw", choices=["adamw", "lamb"])
    f.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    f.add_argument("--warmup", type=int, default=1000, help="warm-up steps (default 1000)")
    f.add_argument("--val-vocoder", metavar="NAME|PATH", help="vocoder for validation audio in TensorBoard")
    _loop_arguments(f, ema=0.999, every=500)

    vt = tsub.add_parser("vocoder", help="train or fine-tune HiFi-GAN on a prepared dataset",
                         description="Train HiFi-GAN (generator + multi-period and multi-scale discriminators) "
                                     "on random segments of a prepared dataset's audio, or fine-tune a pretrained "
                                     "generator (--init-from), optionally on FastPitch's mels (--mels-from, see "
                                     "'hifigan extract-mels'). Also runs under 'torchrun --nproc_per_node N -m "
                                     "hifigan train vocoder ...' (DDP).")
    vt.add_argument("prepared", metavar="PREPARED", help="a folder written by 'hifigan prepare'")
    vt.add_argument("-o", "--output", required=True, metavar="RUN", help="run folder (checkpoints, logs)")
    vt.add_argument("--config", metavar="NAME|JSON",
                    help="generator: v1 (default), v2, v3, tiny, or a JSON config (the authors' config.json works); "
                         "not with --init-from")
    vt.add_argument("--init-from", metavar="NAME|CKPT",
                    help="start from lj_v1, universal_v1 or a generator file (ours, the authors' g_*, NVIDIA's); "
                         "its discriminators too when their file lies beside it (do_*, hifigan_discrim_*, state_*)")
    vt.add_argument("--init-discriminators", metavar="CKPT",
                    help="discriminators (and Adam moments) from this file: the authors' do_*, NVIDIA's "
                         "hifigan_discrim_checkpoint_*.pt or our state_*.pt")
    vt.add_argument("--data", metavar="DATA", help="the dataset PREPARED was made from (its audio), when "
                                                   "PREPARED's manifest does not name the audio files")
    vt.add_argument("--mels-from", metavar="DIR", help="train on DIR/<id>.npy mels aligned with the audio "
                                                       "(e.g. from 'hifigan extract-mels') instead of mels of the audio")
    vt.add_argument("--discriminators", default="original", metavar="NAME|JSON",
                    help="discriminator sizes: original (the paper's, default), tiny (tests), or a JSON file")
    vt.add_argument("--segment-size", type=int, default=8192, metavar="SAMPLES",
                    help="training segment (default 8192, a multiple of the hop)")
    vt.add_argument("--steps", type=int, default=10000)
    vt.add_argument("--batch-size", type=int, default=16)
    vt.add_argument("--grad-accum", type=int, default=1, metavar="N", help="micro-batches per optimizer step")
    vt.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                    help="bf16: CPU with native bf16 or GPU; fp16: GPU only (mels always in fp32)")
    vt.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    vt.add_argument("--lr-decay", type=float, default=0.999, help="learning-rate factor per epoch (default 0.999)")
    vt.add_argument("--val-clips", type=int, default=8, metavar="N", help="held-out clips vocoded per validation")
    vt.add_argument("--warmup-discriminators", type=int, default=0, metavar="N",
                    help="train only the discriminators for the first N steps, the generator frozen (for a "
                         "generator whose discriminators were not saved, e.g. lj_v1; default 0)")
    vt.add_argument("--no-discriminators", action="store_true",
                    help="train the generator on its mel L1 (and --stft-loss) alone, no discriminators (a "
                         "short fine-tune of a pretrained generator to another model's mels)")
    vt.add_argument("--stft-loss", type=float, default=0.0, metavar="W",
                    help="add W x Parallel WaveGAN's multi-resolution STFT loss (spectral convergence + log "
                         "magnitude, 3 resolutions) to the generator's loss (default 0: off, as the paper)")
    _loop_arguments(vt, ema=0.0, every=1000)

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
    b.add_argument("--precision", nargs="+", default=["fp32"], type=_tts_precision, metavar="PREC",
                   help="fp32 (default), bf16, fp16, auto, or FASTPITCH/VOCODER pairs such as int8/bf16")
    b.add_argument("--backend", nargs="+", default=["torch"], choices=["torch", "onnx"])
    b.add_argument("--threads", nargs="+", type=int, default=None, metavar="N",
                   help="intra-op thread counts (default: torch's current)")
    b.add_argument("--batch-size", nargs="+", type=int, default=[1], metavar="B", help="copies of the text run together")
    b.add_argument("--runs", type=int, default=10, help="measured runs per configuration (default 10)")
    b.add_argument("--warmup", type=int, default=2, help="unmeasured runs first (default 2)")
    b.add_argument("--json", metavar="FILE", help="write the machine, the settings and every run's time here")
    b.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")

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
    return p


def _collect_inputs(inputs: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES | MEL_SUFFIXES)
            if not found:
                raise CliError(f"{path}: folder holds no audio or mel files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise CliError(f"{path}: no such file or folder")
    return files


def _output_paths(files: list[Path], output: str, folder_given: bool) -> list[Path]:
    out = Path(output)
    if len(files) == 1 and not folder_given and not out.is_dir() and not output.endswith(("/", "\\")):
        if out.suffix.lower() != ".wav":
            raise CliError(f"{out}: the output of one input must be a .wav file (or name a folder with a trailing /)")
        return [out]
    if out.exists() and not out.is_dir():
        raise CliError(f"{out}: several outputs need a folder, but this is a file")
    targets = [out / f"{f.stem}.wav" for f in files]
    seen: dict[Path, Path] = {}
    for f, t in zip(files, targets):
        if t in seen:
            raise CliError(f"{f} and {seen[t]} would both be written to {t}")
        seen[t] = f
    return targets


def _load_mel(path: Path, n_mels: int):
    import numpy as np
    import torch

    from hifigan.errors import MelError

    try:
        if path.suffix.lower() == ".npy":
            data = torch.from_numpy(np.load(path, allow_pickle=False))
        else:
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MelError(f"not a readable mel file ({reason})") from None
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    if not isinstance(data, torch.Tensor):
        raise MelError(f"expected a tensor, found {type(data).__name__}")
    shape = list(data.shape)
    if data.dim() == 2:
        data = data[None]
    if data.dim() != 3 or data.shape[0] != 1 or data.shape[1] != n_mels or data.shape[2] < 1:
        raise MelError(f"mel must have shape [{n_mels}, T] or [1, {n_mels}, T], got {shape}")
    if not data.is_floating_point():
        raise MelError(f"mel must be floating point, got {data.dtype}")
    if not torch.isfinite(data).all():
        raise MelError("mel contains NaN or infinite values")
    return data.float()


def _mel_of_recording(path: Path, vocoder):
    import numpy as np

    from hifigan.audio import load_audio
    from hifigan.errors import AudioError

    audio = load_audio(path, vocoder.sample_rate)
    if np.abs(audio).max() < SILENCE_PEAK:
        raise AudioError("the recording is silent (peak below -80 dBFS)")
    return vocoder.mel(audio)


def cmd_vocode(args) -> int:
    import torch
    from tqdm import tqdm

    from hifigan.audio import write_wav
    from hifigan.errors import HifiganError
    from hifigan.vocoder import load_vocoder

    if not args.denoise >= 0:
        raise CliError(f"--denoise must be >= 0, got {args.denoise}")
    if str(args.device).startswith("cuda") and not torch.cuda.is_available():
        raise CliError(f"--device {args.device}: CUDA is not available on this machine")
    files = _collect_inputs(args.inputs)
    targets = _output_paths(files, args.output, any(Path(i).is_dir() for i in args.inputs))
    vocoder = load_vocoder(args.vocoder, device=args.device, config=args.config, precision=args.precision,
                           backend=args.backend)
    failed = 0
    bar = tqdm(list(zip(files, targets)), desc="vocoding", unit="file", disable=len(files) < 2)
    for src, dst in bar:
        try:
            if src.suffix.lower() in MEL_SUFFIXES:
                mel = _load_mel(src, vocoder.n_mels)
            else:
                mel = _mel_of_recording(src, vocoder)
            audio = vocoder.vocode(mel.to(args.device), denoise=args.denoise)
            write_wav(dst, audio[0].cpu(), vocoder.sample_rate)
        except HifiganError as e:
            failed += 1
            msg = str(e) if str(e).startswith(str(src)) else f"{src}: {e}"
            tqdm.write(f"hifigan: error: {msg}", file=sys.stderr)
    if len(files) > 1:
        print(f"wrote {len(files) - failed} of {len(files)} files to {args.output}", file=sys.stderr)
    return 1 if failed else 0


def _read_lines(source: str) -> list[str]:
    if source == "-":
        lines = sys.stdin.read().splitlines()
    else:
        path = Path(source)
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as e:
            raise CliError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    while lines and not lines[-1].strip():  # a trailing newline or two is not an utterance
        lines.pop()
    if not lines:
        raise CliError(f"{'stdin' if source == '-' else source}: no text")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            raise CliError(f"{'stdin' if source == '-' else source}, line {n}: empty line (one utterance per line)")
    return lines


def _save_mel(path: Path, mel) -> None:
    import numpy as np

    from hifigan.files import atomic_output

    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        np.save(f, mel.numpy().astype(np.float32))


def cmd_synthesize(args) -> int:
    import torch
    from tqdm import tqdm

    from hifigan.audio import write_wav
    from hifigan.errors import HifiganError
    from hifigan.pipeline import PitchTransform, TextToSpeech
    from hifigan.plot import plot_spectrogram

    if (args.text is None) == (args.input is None):
        raise CliError("give either TEXT or -i FILE")
    if str(args.device).startswith("cuda") and not torch.cuda.is_available():
        raise CliError(f"--device {args.device}: CUDA is not available on this machine")
    if not args.denoise >= 0:
        raise CliError(f"--denoise must be >= 0, got {args.denoise}")
    if not args.pace > 0:
        raise CliError(f"--pace must be > 0, got {args.pace}")
    if args.sharpen is not None and not (math.isfinite(args.sharpen) and args.sharpen >= 0):
        raise CliError(f"--sharpen must be a finite number >= 0, got {args.sharpen}")
    if args.batch_size < 1:
        raise CliError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.stream:
        if args.text is None or args.output != "-" or args.plot or args.save_mel:
            raise CliError("--stream speaks one TEXT to stdout: use it with TEXT and -o -, without --plot/--save-mel")
        return _stream(args)
    if args.text is not None:
        if not args.text.strip():
            raise CliError("TEXT is empty")
        texts, out = [args.text], Path(args.output)
        if out.suffix.lower() != ".wav":
            raise CliError(f"{out}: the output of one text must be a .wav file")
        wavs = [out]
        pngs = [Path(args.plot)] if args.plot else [None]
        if args.plot and pngs[0].suffix.lower() != ".png":
            raise CliError(f"{args.plot}: --plot needs a .png path")
    else:
        texts, out = _read_lines(args.input), Path(args.output)
        if out.exists() and not out.is_dir():
            raise CliError(f"{out}: -i writes a folder of .wav files, but this is a file")
        width = max(4, len(str(len(texts))))
        wavs = [out / f"{n:0{width}d}.wav" for n in range(1, len(texts) + 1)]
        pngs = [Path(args.plot) / w.with_suffix(".png").name for w in wavs] if args.plot else [None] * len(wavs)
    world, rank, local_rank = _shard()
    device = args.device
    if world > 1 and device == "cuda":
        device = f"cuda:{local_rank}"
    pitch = PitchTransform(args.pitch_flatten, args.pitch_invert, args.pitch_amplify, args.pitch_shift)
    text_kw = _text_options(args)
    tts = TextToSpeech.from_pretrained(args.fastpitch, args.vocoder, device=device, precision=args.precision,
                                       backend=args.backend,
                                       batch_size=args.batch_size, **_sharpen_kw(args), **text_kw)
    kw = dict(pace=args.pace, pitch=pitch, speaker=args.speaker, energy_scale=args.energy_scale, denoise=args.denoise)
    # Check every line before writing anything: a bad line fails the run with its number, no partial outputs.
    for n, text in enumerate(texts, 1):
        try:
            tts.text_processor.encode_text(text)
        except HifiganError as e:
            where = f"line {n}: " if args.input else ""
            raise CliError(f"{where}{e}") from None
    n_all = len(texts)
    if world > 1:  # every rank checked every line above; now each speaks its own share
        texts, wavs, pngs = texts[rank::world], wavs[rank::world], pngs[rank::world]
    chunk = max(1, args.batch_size)
    bar = tqdm(total=len(texts), desc="synthesizing", unit="utt", disable=n_all < 2 or rank > 0)
    for start in range(0, len(texts), chunk):
        try:
            utts = tts.synthesize_utterances(texts[start:start + chunk], **kw)
        except HifiganError as e:
            lines = [rank + 1 + world * k for k in (start, min(start + chunk, len(texts)) - 1)]
            where = f"lines {lines[0]}-{lines[1]}: " if args.input else ""
            raise CliError(f"{where}{e}") from None
        for utt, wav, png in zip(utts, wavs[start:], pngs[start:]):
            write_wav(wav, utt.audio, utt.sample_rate)
            if args.save_mel:
                _save_mel(wav.with_suffix(".npy"), utt.mel)
            if png is not None:
                c = tts.vocoder.mel_config
                plot_spectrogram(utt.mel, png, c.sample_rate, c.hop_length, title=wav.name, f_max=c.f_max)
        bar.update(len(utts))
    bar.close()
    if world > 1:
        print(f"rank {rank}: wrote {len(texts)} of the {n_all} files to {out}", file=sys.stderr)
    elif n_all > 1:
        print(f"wrote {n_all} files to {out}", file=sys.stderr)
    return 0


def _sharpen_kw(args) -> dict:
    """``--sharpen`` when given; otherwise the pipeline takes the voice's own amount."""
    return {} if args.sharpen is None else {"sharpen": args.sharpen}


def _text_options(args) -> dict:
    kw = {"handle_ambiguous": "context" if args.heteronyms == "context" else "ignore"}
    if args.cmudict:
        kw["cmudict_path"] = args.cmudict
    return kw


def _stream(args) -> int:
    from hifigan.audio import patch_wav_sizes, pcm16, wav_header
    from hifigan.errors import HifiganError
    from hifigan.pipeline import PitchTransform, TextToSpeech

    if not args.text.strip():
        raise CliError("TEXT is empty")
    pitch = PitchTransform(args.pitch_flatten, args.pitch_invert, args.pitch_amplify, args.pitch_shift)
    text_kw = _text_options(args)
    tts = TextToSpeech.from_pretrained(args.fastpitch, args.vocoder, device=args.device, precision=args.precision,
                                       backend=args.backend,
                                       **_sharpen_kw(args), **text_kw)
    pieces = tts.stream(args.text, pace=args.pace, pitch=pitch, speaker=args.speaker,
                        energy_scale=args.energy_scale, denoise=args.denoise)
    out = sys.stdout.buffer
    try:
        first = next(pieces)  # a bad text fails here, before a byte is written
    except HifiganError as e:
        raise CliError(str(e)) from None
    start = _patchable_offset(out) if args.stream == "wav" else None
    try:
        if args.stream == "wav":
            out.write(wav_header(tts.sample_rate))  # sizes unknown until the end
        written = 0
        for piece in itertools.chain([first], pieces):
            data = pcm16(piece)
            out.write(data)
            out.flush()
            written += len(data)
        if start is not None:  # stdout is a file (`> out.wav`): give it its true sizes
            patch_wav_sizes(out, start, written)
            out.flush()
    except BrokenPipeError:  # the reader has gone (e.g. `| head -c`): not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def _patchable_offset(out) -> int | None:
    """Where a WAV header written now to ``out`` begins, if it can be rewritten at the end (a
    regular file, not opened for appending); else None (a pipe or terminal keeps 0xFFFFFFFF)."""
    import fcntl
    import os
    import stat

    try:
        fd = out.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return out.tell()
    except (OSError, ValueError, AttributeError):
        return None


def cmd_export(args) -> int:
    if args.format != "onnx":
        raise CliError("say what to export to: hifigan export onnx -o DIR")
    from hifigan.checkpoints import ONNX_FILES, ONNX_MANIFEST
    from hifigan.onnx_export import DEFAULT_OPSET, export_pretrained

    folder = export_pretrained(args.output, args.fastpitch, args.vocoder,
                               DEFAULT_OPSET if args.opset is None else args.opset)
    sizes = ", ".join(f"{name} ({(folder / name).stat().st_size / 1e6:.1f} MB)" for name in ONNX_FILES.values())
    print(f"wrote {sizes} and {ONNX_MANIFEST} to {folder}", file=sys.stderr)
    return 0


def _shard() -> tuple[int, int, int]:
    """``(world, rank, local_rank)`` from torchrun's environment (1, 0, 0 without it)."""
    import os

    try:
        world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise CliError("WORLD_SIZE, RANK and LOCAL_RANK must be integers") from None
    if world < 1 or not 0 <= rank < world:
        raise CliError(f"RANK {rank} is not within WORLD_SIZE {world}")
    return world, rank, local_rank


def cmd_prepare(args) -> int:
    import os

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


def _loop_arguments(p, ema: float, every: int) -> None:
    """The training loop's options, shared by every 'hifigan train MODEL' (see LoopConfig)."""
    p.add_argument("--ema", type=float, default=ema, metavar="DECAY", help=f"EMA of weights (default {ema:g}; 0: off)")
    p.add_argument("--grad-clip", type=float, default=1000.0)
    p.add_argument("--val-every", type=int, default=every)
    p.add_argument("--ckpt-every", type=int, default=every)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--keep-last", type=int, default=3, help="checkpoints kept (default 3)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="data-loading processes")
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_serve(args) -> int:
    import os

    try:
        from hifigan.serve import ServeConfig
        from hifigan.serve.server import API_KEY_ENV, default_workers, load_voices, serve
    except ImportError as e:
        raise CliError(f"hifigan serve needs the server extra ({e.name} is missing): pip install 'hifigan[serve]'") \
            from None
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1 or args.queue < 0 or not args.timeout > 0 or args.max_chars < 1 or not 0 <= args.port < 65536:
        raise CliError("need --workers >= 1, --queue >= 0, --timeout > 0, --max-chars >= 1 and a port in 0-65535")
    if not args.denoise >= 0:
        raise CliError(f"--denoise must be >= 0, got {args.denoise}")
    config = ServeConfig(max_chars=args.max_chars, workers=workers, queue_size=args.queue, timeout=args.timeout,
                         api_key=args.api_key or os.environ.get(API_KEY_ENV) or None,
                         cors_origins=args.cors_origin, denoise=args.denoise)
    voices = load_voices(args.fastpitch, args.vocoder, args.voices, device=args.device, precision=args.precision)
    serve(voices, config, host=args.host, port=args.port)
    return 0


def _loop_config(args):
    from hifigan.train.trainer import LoopConfig

    return LoopConfig(steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
                      precision=args.precision, grad_clip=args.grad_clip, ema_decay=args.ema,
                      log_every=args.log_every, val_every=args.val_every, ckpt_every=args.ckpt_every,
                      keep_last=args.keep_last, seed=args.seed, device=args.device, num_workers=args.workers,
                      progress=not args.no_progress)


def cmd_train_vocoder(args) -> int:
    from hifigan.train.losses import VocoderLossWeights
    from hifigan.train.trainer import Trainer
    from hifigan.train.vocoder import VocoderTask, VocoderTrainConfig

    if args.val_clips < 0:
        raise CliError(f"--val-clips must be >= 0, got {args.val_clips}")
    if args.warmup_discriminators < 0:
        raise CliError(f"--warmup-discriminators must be >= 0, got {args.warmup_discriminators}")
    if not (math.isfinite(args.stft_loss) and args.stft_loss >= 0):
        raise CliError(f"--stft-loss must be a finite number >= 0, got {args.stft_loss}")
    if args.no_discriminators and args.warmup_discriminators:
        raise CliError("--no-discriminators and --warmup-discriminators exclude each other")
    tcfg = VocoderTrainConfig(config=args.config, discriminators=args.discriminators, init_from=args.init_from,
                              init_discriminators=args.init_discriminators, data=args.data,
                              mels_from=args.mels_from, segment_size=args.segment_size, lr=args.lr,
                              lr_decay=args.lr_decay, val_clips=args.val_clips,
                              warmup_discriminators=args.warmup_discriminators,
                              no_discriminators=args.no_discriminators,
                              loss=VocoderLossWeights(stft=args.stft_loss))
    task = VocoderTask(args.prepared, tcfg, seed=args.seed)
    info = {"task": "vocoder", "prepared": str(Path(args.prepared).resolve()), "generator": task.gen_config.to_dict(),
            "audio": task.mel_config.to_dict(), "init_from": args.init_from,
            "init_discriminators": args.init_discriminators, "mels_from": args.mels_from,
            "segment_size": args.segment_size, "lr": args.lr, "lr_decay": args.lr_decay,
            "warmup_discriminators": args.warmup_discriminators, "no_discriminators": args.no_discriminators,
            "stft_loss": args.stft_loss}
    previous = Path(args.output) / "run.json"
    if args.resume and previous.is_file():  # the generator and its mels must be those the run began with
        import json

        try:
            old = json.loads(previous.read_text())
        except ValueError:
            old = {}
        for key in ("generator", "audio", "mels_from", "segment_size"):
            if key in old and json.loads(json.dumps(info[key])) != old[key]:
                raise CliError(f"{args.output}: the run began with another {key.replace('_', ' ')} "
                               f"({old[key]}); resume with the options it was started with")
    result = Trainer(task, args.output, _loop_config(args), resume=args.resume, run_info=info).fit()
    if result.get("checkpoint"):
        print(f"step {result['step']}: {result['checkpoint']}", file=sys.stderr)
    return 0


def cmd_extract_mels(args) -> int:
    from hifigan.train.extract_mels import extract_mels

    r = extract_mels(args.fastpitch, args.prepared, args.output, batch_size=args.batch_size, device=args.device,
                     progress=not args.no_progress)
    print(f"extract-mels: {r['done']} written, {r['skipped']} already there, {r['failed']} failed"
          f"{' (see ' + str(Path(args.output) / 'report.tsv') + ')' if r['failed'] else ''}", file=sys.stderr)
    return 1 if r["failed"] else 0


def cmd_train(args) -> int:
    if args.model == "vocoder":
        return cmd_train_vocoder(args)
    if args.model != "fastpitch":
        raise CliError("say what to train: hifigan train fastpitch|vocoder PREPARED -o RUN")
    from hifigan.train.fastpitch import FastPitchTask, FastPitchTrainConfig
    from hifigan.train.trainer import Trainer

    tcfg = FastPitchTrainConfig(config=args.config, optimizer=args.optimizer, lr=args.lr, warmup=args.warmup,
                                init_from=args.init_from, val_vocoder=args.val_vocoder)
    loop = _loop_config(args)
    task = FastPitchTask(args.prepared, tcfg)
    info = {"task": "fastpitch", "prepared": str(Path(args.prepared).resolve()), "fastpitch": tcfg.config,
            "optimizer": tcfg.optimizer, "lr": tcfg.lr, "warmup": tcfg.warmup, "init_from": tcfg.init_from}
    result = Trainer(task, args.output, loop, resume=args.resume, run_info=info).fit()
    if result.get("checkpoint"):
        print(f"step {result['step']}: {result['checkpoint']}", file=sys.stderr)
    return 0


def cmd_bench(args) -> int:
    import torch
    from tqdm import tqdm

    from hifigan.bench import bench, report, table, write_report

    if str(args.device).startswith("cuda") and not torch.cuda.is_available():
        raise CliError(f"--device {args.device}: CUDA is not available on this machine")
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


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from hifigan.errors import HifiganError

    try:
        return {"vocode": cmd_vocode, "synthesize": cmd_synthesize, "prepare": cmd_prepare,
                "train": cmd_train, "extract-mels": cmd_extract_mels, "serve": cmd_serve,
                "export": cmd_export, "bench": cmd_bench}[args.command](args)
    except (CliError, HifiganError) as e:
        print(f"hifigan: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hifigan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
