"""``hifigan synthesize``: text -> speech, one text to a WAV, a file of lines to a folder, or a stream
to stdout; under torchrun the lines are shared out among the ranks."""
from __future__ import annotations

import fcntl
import itertools
import math
import os
import stat
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hifigan.audio import patch_wav_sizes, pcm16, wav_header, write_wav
from hifigan.cli.common import TTS_PRECISION_HELP, CliError, check_device, read_lines, shard, tts_precision
from hifigan.controls import PitchTransform
from hifigan.errors import HifiganError
from hifigan.files import atomic_output
from hifigan.pipeline import TextToSpeech
from hifigan.plot import plot_spectrogram
from hifigan.text import is_ssml, parse_ssml
from hifigan.timing import write_timings

NAME = "synthesize"


def add_parser(sub) -> None:
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
                   help="lj_v1, universal_v1, joe_v1 or a path (default: the voice's own, lj_v1 for a checkpoint path)")
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
    s.add_argument("--ssml", action="store_true",
                   help="read TEXT (or each line of -i) as SSML; without it, text that starts with <speak is SSML anyway")
    s.add_argument("--timestamps", choices=["json", "srt", "vtt"],
                   help="also write each WAV's word timings beside it, same name with this suffix "
                        "(out.wav -> out.json; DIR/0001.wav -> DIR/0001.json)")
    s.add_argument("--heteronyms", default="context", choices=["context", "letters"],
                   help="words like 'wind', 'read', 'lives': read by the words around them (default), or left as "
                        "letters for the model to guess, as NVIDIA's front-end does")
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    s.add_argument("--precision", default="auto", type=tts_precision, metavar="PREC", help=TTS_PRECISION_HELP)
    s.add_argument("--backend", default="torch", choices=["torch", "onnx"],
                   help="torch (default) or onnx: onnxruntime, the models exported once into ~/.cache/hifigan/onnx "
                        "(--fastpitch may then also be a folder from 'hifigan export onnx'; needs pip install 'hifigan[onnx]')")


def run(args) -> int:
    if (args.text is None) == (args.input is None):
        raise CliError("give either TEXT or -i FILE")
    check_device(args.device)
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
        if args.timestamps:
            raise CliError("--timestamps writes a file beside each WAV: not with --stream")
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
        texts, out = read_lines(args.input), Path(args.output)
        if out.exists() and not out.is_dir():
            raise CliError(f"{out}: -i writes a folder of .wav files, but this is a file")
        width = max(4, len(str(len(texts))))
        wavs = [out / f"{n:0{width}d}.wav" for n in range(1, len(texts) + 1)]
        pngs = [Path(args.plot) / w.with_suffix(".png").name for w in wavs] if args.plot else [None] * len(wavs)
    world, rank, local_rank = shard()
    device = args.device
    if world > 1 and device == "cuda":
        device = f"cuda:{local_rank}"
    tts = _load(args, device, batch_size=args.batch_size)
    kw = _controls(args)
    # Check every line before writing anything: a bad line fails the run with its number, no partial outputs.
    for n, text in enumerate(texts, 1):
        try:
            if args.ssml or is_ssml(text):
                parse_ssml(text)
            else:
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
            utts = tts.synthesize_utterances(texts[start:start + chunk], timestamps=bool(args.timestamps),
                                             ssml=True if args.ssml else None, **kw)
        except HifiganError as e:
            lines = [rank + 1 + world * k for k in (start, min(start + chunk, len(texts)) - 1)]
            where = f"lines {lines[0]}-{lines[1]}: " if args.input else ""
            raise CliError(f"{where}{e}") from None
        for utt, wav, png in zip(utts, wavs[start:], pngs[start:]):
            write_wav(wav, utt.audio, utt.sample_rate)
            if args.timestamps:
                write_timings(wav.with_suffix("." + args.timestamps), utt.words, args.timestamps)
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


def _load(args, device, **kwargs) -> TextToSpeech:
    """The pipeline the options name: models, precision, backend, post-filter and text front-end."""
    text_kw = {"handle_ambiguous": "context" if args.heteronyms == "context" else "ignore"}
    if args.cmudict:
        text_kw["cmudict_path"] = args.cmudict
    if args.sharpen is not None:  # otherwise the pipeline takes the voice's own amount
        kwargs["sharpen"] = args.sharpen
    return TextToSpeech.from_pretrained(args.fastpitch, args.vocoder, device=device, precision=args.precision,
                                        backend=args.backend, **kwargs, **text_kw)


def _controls(args) -> dict:
    """The synthesis controls the options name (synthesize_utterances' and stream's keywords)."""
    pitch = PitchTransform(args.pitch_flatten, args.pitch_invert, args.pitch_amplify, args.pitch_shift)
    return dict(pace=args.pace, pitch=pitch, speaker=args.speaker, energy_scale=args.energy_scale,
                denoise=args.denoise)


def _stream(args) -> int:
    if not args.text.strip():
        raise CliError("TEXT is empty")
    tts = _load(args, args.device)
    pieces = tts.stream(args.text, ssml=True if args.ssml else None, **_controls(args))
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
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def _patchable_offset(out) -> int | None:
    """Where a WAV header written now to ``out`` begins, if it can be rewritten at the end (a
    regular file, not opened for appending); else None (a pipe or terminal keeps 0xFFFFFFFF)."""
    try:
        fd = out.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return out.tell()
    except (OSError, ValueError, AttributeError):
        return None


def _save_mel(path: Path, mel) -> None:
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        np.save(f, mel.numpy().astype(np.float32))
