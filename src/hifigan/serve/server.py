"""Loading the voices once and running the app under uvicorn (what ``hifigan serve`` calls)."""
from __future__ import annotations

import ipaddress
import os
import re
import sys
from pathlib import Path

from hifigan.errors import HifiganError
from hifigan.pipeline import TextToSpeech
from hifigan.pretrained import VOICES

API_KEY_ENV = "HIFIGAN_API_KEY"
VOICE_SUFFIXES = (".safetensors", ".pt")
VOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def startup_warnings(host: str, api_key: str | None) -> list[str]:
    if not is_loopback(host) and not api_key:
        return [f"listening on {host} without an API key: anyone who can reach this port can use the server "
                f"(set {API_KEY_ENV} or --api-key)"]
    return []


def default_workers(cpus: int | None = None) -> int:
    """One synthesis thread per core (they share the cores' torch threads: :class:`Engine`)."""
    return max(1, cpus or os.cpu_count() or 1)


def voice_files(folder) -> dict[str, Path]:
    """``NAME.safetensors`` / ``NAME.pt`` FastPitch checkpoints in ``folder``, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HifiganError(f"{folder}: no such voices folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix not in VOICE_SUFFIXES:
            continue
        if not VOICE_NAME.fullmatch(path.stem):
            raise HifiganError(f"{path}: a voice name must be letters, digits, '_', '.' or '-' (at most 64)")
        if path.stem in found:
            raise HifiganError(f"{path} and {found[path.stem]} would both be voice {path.stem!r}")
        found[path.stem] = path
    if not found:
        raise HifiganError(f"{folder}: no voice files (*.safetensors, *.pt) in this folder")
    return found


def load_voices(fastpitch="default", vocoder=None, voices_dir=None, device="cpu", precision="fp32") -> dict:
    """Name -> ``TextToSpeech``: ``fastpitch`` first (named after the voice or the file's stem),
    then every checkpoint in ``voices_dir``, all with ``vocoder`` (default: each voice's own)."""

    first = fastpitch if fastpitch in VOICES or fastpitch == "nvidia" else Path(fastpitch).stem
    entries = {first: fastpitch}
    if voices_dir is not None:
        for name, path in voice_files(voices_dir).items():
            if name in entries:
                raise HifiganError(f"{path}: voice {name!r} is already loaded from {entries[name]}")
            entries[name] = str(path)
    return {name: TextToSpeech.from_pretrained(source, vocoder=vocoder, device=device, precision=precision)
            for name, source in entries.items()}


def warm_up(voices: dict) -> None:
    """One short sentence per voice, so the first request pays no one-off costs."""
    for tts in voices.values():
        tts.synthesize("Ready.")


def serve(voices: dict, config, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    import torch
    import uvicorn

    from hifigan.serve.app import create_app

    for warning in startup_warnings(host, config.api_key):
        print(f"hifigan: warning: {warning}", file=sys.stderr)
    torch.set_num_threads(os.cpu_count() or 1)  # shared out by the workers, a lone request gets them all
    warm_up(voices)
    app = create_app(voices, config)
    print(f"hifigan: {len(voices)} voice(s) ({', '.join(voices)}), {config.workers} worker(s), "
          f"queue {config.queue_size}", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False,
                limit_concurrency=max(256, 4 * (config.workers + config.queue_size)), timeout_keep_alive=5)
