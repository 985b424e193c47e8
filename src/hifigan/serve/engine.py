"""Synthesis off the event loop: a fixed pool of worker threads, a bounded number of admitted
requests, a deadline per request, and cancellation between sentences.

No web framework here: the HTTP layer (``app.py``) submits a :class:`Job` and reads its chunks.
The audio is made by ``TextToSpeech.stream`` (sentence by sentence, and growing pieces within a
sentence), with the pipeline's own pause between sentences, so the concatenated chunks are what
``TextToSpeech.synthesize`` returns for the whole text.
"""
from __future__ import annotations

import asyncio
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import torch

from hifigan.controls import PitchTransform
from hifigan.pipeline import TextToSpeech

DONE = object()  # the last item of a job's queue after its audio


class Busy(Exception):
    """Every worker is busy and the queue is full; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"the server is busy: try again in {retry_after} s")
        self.retry_after = retry_after


class SynthesisTimeout(Exception):
    """The request ran past its deadline (waiting in the queue counts)."""


@dataclass(frozen=True)
class Options:
    pace: float = 1.0
    pitch_shift_hz: float = 0.0
    speaker: int = 0
    denoise: float = 0.0
    timestamps: bool = False  # the words too: each a list of WordTiming, as stream(timestamps=True) yields them


class Job:
    """One request's synthesis: its audio chunks (float32 arrays) arrive on ``queue``, then
    :data:`DONE`, or an exception instead. ``cancel()`` stops it at the next sentence boundary."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deadline: float):
        self.loop = loop
        self.deadline = deadline
        self.queue: asyncio.Queue = asyncio.Queue()
        self.cancelled = threading.Event()
        self.future: Future | None = None  # its sentence in progress or waiting for a worker
        self.started = time.monotonic()

    def put(self, item) -> None:  # called from the worker thread
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: nobody is listening
            self.cancelled.set()

    def cancel(self) -> None:
        self.cancelled.set()
        if self.future is not None:
            self.future.cancel()  # a sentence still waiting for a worker is dropped at once

    async def next(self):
        """The next chunk, :data:`DONE`, or raises the job's error; :class:`SynthesisTimeout` at the deadline."""
        remaining = self.deadline - time.monotonic()
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout=max(remaining, 0.0))
        except asyncio.TimeoutError:
            self.cancel()
            raise SynthesisTimeout("synthesis ran past the server's time limit") from None
        if isinstance(item, BaseException):
            raise item
        return item


class Engine:
    """``workers`` threads synthesize; at most ``workers + queue_size`` requests are admitted at
    once (the rest get :class:`Busy`). A job queues one piece of audio at a time (a growing piece of
    a sentence, or a pause), behind the other jobs' pieces, and holds its slot until its last piece
    is done; a cancelled job frees it once the piece in progress (if any) is done.

    The workers share ``threads`` torch threads (default: torch's count when made): each piece runs
    on ``threads // k`` of them, ``k`` the requests in progress then (at most ``workers``). A lone
    request gets them all; under load each worker runs on its own share of the cores, without the
    waits of a parallel region that other work interrupts (on a 2-core EPYC, 4 clients got 4.8 s
    of audio a second from one 2-thread worker, 6.0 from two 1-thread ones)."""

    def __init__(self, voices: dict[str, TextToSpeech], default_voice: str | None = None, workers: int = 1,
                 queue_size: int = 8, timeout: float = 600.0, threads: int | None = None):
        if not voices:
            raise ValueError("the server needs at least one voice")
        threads = torch.get_num_threads() if threads is None else threads
        if workers < 1 or queue_size < 0 or not timeout > 0 or threads < 1:
            raise ValueError("workers and threads must be >= 1, queue_size >= 0 and timeout > 0")
        self.threads = threads
        self.voices = dict(voices)
        self.default_voice = default_voice or next(iter(self.voices))
        if self.default_voice not in self.voices:
            raise ValueError(f"default voice {self.default_voice!r} is not among the voices")
        self.workers = workers
        self.capacity = workers + queue_size
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hifigan-synth")
        self._lock = threading.Lock()
        self._active = 0  # admitted jobs not yet finished
        self._running = 0  # sentences being synthesized
        self._mean_seconds = 1.0  # running mean of a job's duration, for Retry-After

    # ---------------------------------------------------------------- bookkeeping

    def stats(self) -> dict:
        with self._lock:
            return {"workers": self.workers, "threads": self.threads, "capacity": self.capacity,
                    "active": self._active, "running": self._running}

    def retry_after(self) -> int:
        return int(min(60, max(1, math.ceil(self._mean_seconds))))

    def _admit(self) -> None:
        with self._lock:
            if self._active >= self.capacity:
                raise Busy(self.retry_after())
            self._active += 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------- jobs

    def submit(self, voice: str, text: str, options: Options) -> Job:
        """Admit and queue a job (raises :class:`Busy`); ``voice`` must be a key of ``voices``."""
        tts = self.voices[voice]
        self._admit()
        job = Job(asyncio.get_running_loop(), time.monotonic() + self.timeout)
        steps = self.chunks(tts, text, options, job, self.voices)
        if not self._step(job, steps):
            raise Busy(self.retry_after())
        return job

    def _step(self, job: Job, steps) -> bool:
        """Queue the job's next piece behind the pieces already waiting, so that concurrent
        requests take turns piece by piece (each gets its first audio early)."""
        try:
            future = self._pool.submit(self._advance, steps)
        except RuntimeError:  # the pool is shut down
            self._finish(job, steps)
            return False
        job.future = future
        future.add_done_callback(lambda f: self._stepped(job, steps, f))
        return True

    def _advance(self, steps):
        with self._lock:
            self._running += 1
            share = max(1, self.threads // min(self._active, self.workers))  # this job is active: >= 1
        torch.set_num_threads(share)  # this worker thread's own setting (OpenMP's is per thread)
        try:
            return next(steps, DONE)
        finally:
            with self._lock:
                self._running -= 1

    def _stepped(self, job: Job, steps, future: Future) -> None:
        if future.cancelled():
            return self._finish(job, steps)
        error = future.exception()
        if error is not None:
            job.put(error)  # handed to the request, which reports it
            return self._finish(job, steps)
        item = future.result()
        job.put(item)
        if item is DONE or job.cancelled.is_set():
            return self._finish(job, steps)
        if not self._step(job, steps):
            job.put(RuntimeError("the server is shutting down"))

    def _finish(self, job: Job, steps) -> None:
        """The job holds no worker and no slot any more (called once per job: no step is pending)."""
        steps.close()
        with self._lock:
            self._active -= 1
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * (time.monotonic() - job.started)

    @staticmethod
    def chunks(tts: TextToSpeech, text: str, options: Options, job: Job | None = None, voices: dict | None = None):
        """The audio of ``text`` as :meth:`TextToSpeech.stream` makes it: sentence by sentence and,
        within a sentence, pieces of 8 mel frames and then 4 (bf16) or 2 times as many each time
        (each a step the workers take in turn with other requests), so the first audio leaves early. Joined, the
        pieces are ``TextToSpeech.synthesize``'s audio. Stops quietly when ``job`` is cancelled,
        raises :class:`SynthesisTimeout` past its deadline. An SSML document (``<speak>...``) comes
        whole, its ``<voice>`` elements naming ``voices``; with ``options.timestamps`` each sentence's
        word timings (a list) come before its audio."""
        pitch = PitchTransform(shift_hz=options.pitch_shift_hz)
        kw = dict(pace=options.pace, pitch=pitch, speaker=options.speaker, denoise=options.denoise, voices=voices)
        pieces = tts.stream(text, timestamps=options.timestamps, **kw)
        try:
            while True:
                if job is not None:
                    if job.cancelled.is_set():
                        return
                    if time.monotonic() > job.deadline:
                        raise SynthesisTimeout("synthesis ran past the server's time limit")
                piece = next(pieces, None)
                if piece is None:
                    return
                yield piece
        finally:
            pieces.close()
