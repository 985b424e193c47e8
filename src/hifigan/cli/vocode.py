"""``hifigan vocode``: saved mels or recordings -> waveforms."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from hifigan.audio import load_audio, write_wav
from hifigan.cli.common import MEL_SUFFIXES, PRECISION_HELP, CliError, check_device, collect_inputs, output_paths
from hifigan.errors import AudioError, HifiganError, MelError
from hifigan.loaders import load_vocoder

SILENCE_PEAK = 1e-4  # -80 dBFS

NAME = "vocode"


def add_parser(sub) -> None:
    v = sub.add_parser("vocode", help="mel spectrogram or recording -> waveform",
                       description="Vocode saved mels (.npy/.pt, [n_mels, T] or [1, n_mels, T]) or "
                                   "re-synthesise recordings (copy-synthesis: wav -> mel -> wav).")
    v.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files, mel files or folders of them")
    v.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output .wav for one input, else a folder (created) for <stem>.wav files")
    v.add_argument("--vocoder", default="lj_v1", metavar="NAME|PATH",
                   help="lj_v1 (default), universal_v1, joe_v1, or a generator checkpoint")
    v.add_argument("--config", metavar="JSON", help="generator config for an authors' checkpoint without one")
    v.add_argument("--denoise", type=float, default=0.0, metavar="S",
                   help="denoiser strength, e.g. 0.005 (default 0: off)")
    v.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    v.add_argument("--precision", default="auto", choices=["fp32", "bf16", "fp16", "auto"], help=PRECISION_HELP)
    v.add_argument("--backend", default="torch", choices=["torch", "onnx"],
                   help="torch (default) or onnx: onnxruntime, the vocoder exported once into ~/.cache/hifigan/onnx "
                        "(--vocoder may then also be a folder from 'hifigan export onnx'; needs pip install 'hifigan[onnx]')")


def run(args) -> int:
    if not args.denoise >= 0:
        raise CliError(f"--denoise must be >= 0, got {args.denoise}")
    check_device(args.device)
    files = collect_inputs(args.inputs)
    targets = output_paths(files, args.output, any(Path(i).is_dir() for i in args.inputs))
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


def _load_mel(path: Path, n_mels: int):
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
    audio = load_audio(path, vocoder.sample_rate)
    if np.abs(audio).max() < SILENCE_PEAK:
        raise AudioError("the recording is silent (peak below -80 dBFS)")
    return vocoder.mel(audio)
