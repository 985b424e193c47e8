"""What the CLI's commands share: the one-line error, precision help and parsing, input
collection, the CUDA check and torchrun's ranks."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

from hifigan.errors import HifiganError
from hifigan.precision import split_precision

MEL_SUFFIXES = {".npy", ".pt"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".mp3"}
PRECISION_HELP = ("auto (default): the fastest this device runs natively within the quality gate (bf16 on CPUs "
                  "with AVX512-BF16 or AMX, fp16 on GPUs, else fp32); or fp32 (exact), bf16, fp16 (GPU only)")
TTS_PRECISION_HELP = (PRECISION_HELP + "; or a pair FASTPITCH/VOCODER, e.g. int8/bf16 (int8: FastPitch only, CPUs "
                      "with AMX or VNNI; auto picks it there)")


class CliError(Exception):
    """A usage problem reported as one line."""


def tts_precision(value: str) -> str:
    """argparse type for a pipeline's precision: one name or FASTPITCH/VOCODER."""
    try:
        split_precision(value)
    except HifiganError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value


def check_device(device) -> None:
    """A CUDA device that this machine lacks is a one-line error, before any model is loaded."""
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise CliError(f"--device {device}: CUDA is not available on this machine")


def collect_inputs(inputs: list[str]) -> list[Path]:
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


def output_paths(files: list[Path], output: str, folder_given: bool) -> list[Path]:
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


def read_lines(source: str) -> list[str]:
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


def shard() -> tuple[int, int, int]:
    """``(world, rank, local_rank)`` from torchrun's environment (1, 0, 0 without it)."""
    try:
        world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise CliError("WORLD_SIZE, RANK and LOCAL_RANK must be integers") from None
    if world < 1 or not 0 <= rank < world:
        raise CliError(f"RANK {rank} is not within WORLD_SIZE {world}")
    return world, rank, local_rank
