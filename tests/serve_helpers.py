"""Test helpers for the server: tiny random-weight voices, a slowed-down voice, and a live uvicorn
server on a loopback port of its own."""
from __future__ import annotations

import contextlib
import socket
import threading
import time

import torch

from conftest import TINY
from hifigan.audio import MelConfig
from hifigan.models import Generator
from hifigan.pipeline import TextToSpeech
from hifigan.vocoder import Vocoder
from test_pipeline import TINY_FP, make_fastpitch

HOP = 16  # TINY's hop; make_fastpitch gives 3 frames per symbol


def tiny_tts(seed: int = 0) -> TextToSpeech:
    torch.manual_seed(seed)
    fp = make_fastpitch(**TINY_FP)
    vocoder = Vocoder(Generator(TINY, weight_norm=False), MelConfig(hop_length=HOP)).eval()
    return TextToSpeech(fp, vocoder, batch_size=2)


class SlowTTS(TextToSpeech):
    """A tiny voice whose every sentence takes at least ``delay`` seconds; counts the sentences."""

    def __init__(self, base: TextToSpeech, delay: float):
        super().__init__(base.fastpitch, base.vocoder, base.text_processor)
        self.delay, self.calls, self._lock = delay, 0, threading.Lock()

    def _mels(self, ids, *args):  # the FastPitch step of synthesize and stream, per sentence here
        with self._lock:
            self.calls += len(ids)
        time.sleep(self.delay * len(ids))
        return super()._mels(ids, *args)


@contextlib.contextmanager
def live_server(app):
    """Run ``app`` under uvicorn on 127.0.0.1 (a free port); yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
