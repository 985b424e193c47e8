"""Command line: ``hifigan vocode ...``. Thin: parsing, file handling and messages only."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

MEL_SUFFIXES = {".npy", ".pt"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".mp3"}
SILENCE_PEAK = 1e-4  # -80 dBFS


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
    vocoder = load_vocoder(args.vocoder, device=args.device, config=args.config)
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


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from hifigan.errors import HifiganError

    try:
        return {"vocode": cmd_vocode}[args.command](args)
    except (CliError, HifiganError) as e:
        print(f"hifigan: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hifigan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
