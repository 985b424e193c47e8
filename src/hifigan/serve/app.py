"""The HTTP API (FastAPI): OpenAI's ``POST /v1/audio/speech``, Coqui TTS's ``GET /api/tts``,
``GET /v1/voices``, ``GET /health``, the web page at ``/`` and the OpenAPI schema.

Safety: voices are looked up by name in the list the server loaded (nothing from a request is
ever a path), texts and bodies have size limits, a full queue answers 503 with Retry-After,
every error is a JSON body ``{"error": {"message", "type", "param", "code"}}``, CORS is off unless
origins are given, and an API key (``Authorization: Bearer``) guards the API when one is set.
"""
from __future__ import annotations

import asyncio
import base64
import dataclasses
import hmac
import importlib.resources
import json
import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hifigan.errors import HifiganError
from hifigan.pipeline import TextToSpeech
from hifigan.serve import encode
from hifigan.serve.engine import DONE, Busy, Engine, Job, Options, SynthesisTimeout

log = logging.getLogger("hifigan.serve")

# Voice names that OpenAI clients send; they all mean the server's default voice.
OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
               405: "invalid_request_error", 413: "invalid_request_error", 422: "invalid_request_error",
               429: "rate_limit_error", 503: "server_busy_error", 500: "server_error"}
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/static/style.css": ("style.css", "text/css; charset=utf-8")}
PAGE_HEADERS = {  # the page loads nothing from elsewhere
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                               "connect-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
}


@dataclass
class ServeConfig:
    max_chars: int = 4096  # longest input text (OpenAI's limit); longer: 413
    workers: int = 1  # synthesis threads
    queue_size: int = 8  # admitted requests waiting beyond the busy workers; more: 503
    timeout: float = 600.0  # seconds per request, queueing included
    api_key: str | None = None  # when set, the API needs 'Authorization: Bearer <key>'
    cors_origins: list[str] = field(default_factory=list)  # empty: no CORS headers at all
    denoise: float = 0.0  # denoiser strength for every request

    @property
    def max_body(self) -> int:  # a JSON body of max_chars characters, each \\u-escaped, plus fields
        return 12 * self.max_chars + 4096


class SpeechRequest(BaseModel):
    """OpenAI's speech request; ``pitch_shift_hz`` is our extension."""
    model: str = Field("hifigan", max_length=64, description="accepted and ignored (one model per voice)")
    input: str = Field(..., description="the text to speak")
    voice: str | None = Field(None, max_length=64, description="a name from GET /v1/voices; OpenAI's voice "
                                                               "names mean the default voice")
    speed: float = Field(1.0, ge=0.25, le=4.0, description="speaking rate, 1 = normal")
    response_format: Literal["wav", "pcm", "flac", "mp3"] | None = Field(
        None, description="default mp3 as OpenAI's (wav where no MP3 encoder is installed); pcm is raw "
                          "16-bit little-endian mono at the voice's sample rate (X-Sample-Rate)")
    pitch_shift_hz: float = Field(0.0, ge=-300.0, le=300.0, description="shift the pitch (Hz)")
    timestamps: bool = Field(False, description="answer JSON: the audio file in base64 (response_format) and "
                                                "each spoken word's start, end (s) and character span in input")
    stream_format: Literal["audio", "sse"] = Field(
        "audio", description="sse: server-sent events as the audio is made (speech.audio.delta with base64 "
                             "16-bit PCM, speech.words with timestamps, speech.audio.done); needs pcm")


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.headers = status, message, param, headers


def error_response(status: int, message: str, param: str | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "error"), "param": param,
                      "code": status}}
    return JSONResponse(body, status_code=status, headers=headers)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413), by Content-Length or as they arrive."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await error_response(413, f"request body over {self.limit} bytes")(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"request body over {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


class StreamCut(Exception):
    """A response whose status is already sent cannot finish (deadline, synthesis error)."""


class CutStreams:
    """End a cut stream without its final chunk, so the client sees an incomplete body (not a
    complete-looking short file), with one log line instead of a traceback."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except StreamCut as e:
            log.warning("response cut short: %s", e)


def _static(name: str) -> bytes:
    return importlib.resources.files("hifigan.serve").joinpath("static", name).read_bytes()


def create_app(voices: dict[str, TextToSpeech], config: ServeConfig | None = None,
               default_voice: str | None = None) -> FastAPI:
    """The ASGI app serving ``voices`` (name -> loaded pipeline; the first is the default)."""
    config = config or ServeConfig()
    engine = Engine(voices, default_voice, workers=config.workers, queue_size=config.queue_size,
                    timeout=config.timeout)
    app = FastAPI(title="hifigan", version=__import__("hifigan").__version__, docs_url=None, redoc_url=None,
                  description="FastPitch + HiFi-GAN text to speech. The API needs 'Authorization: Bearer "
                              "<key>' when the server was started with an API key.")
    app.state.engine, app.state.config = engine, config
    app.router.on_shutdown.append(engine.close)
    app.add_middleware(BodyLimit, limit=config.max_body)
    app.add_middleware(CutStreams)
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    pages = {path: (_static(name), media) for path, (name, media) in STATIC.items()}

    # ---------------------------------------------------------------- errors, all JSON

    @app.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return error_response(e.status, e.message, e.param, e.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, e: StarletteHTTPException):
        return error_response(e.status_code, str(e.detail), headers=getattr(e, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        if first.get("type") == "json_invalid":
            return error_response(400, "the request body is not valid JSON")
        where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query")]
        param = ".".join(where) or None
        message = first.get("msg", "invalid request")
        if first.get("type") == "model_attributes_type":
            message = "the request body must be a JSON object"
        if first.get("type") == "missing" and tuple(first.get("loc", ())) == ("body",):
            message = "the request body is missing: send a JSON object with 'input'"
        return error_response(400, f"{param}: {message}" if param else message, param)

    @app.exception_handler(Exception)
    async def _server_error(request, e: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal server error")

    # ---------------------------------------------------------------- auth

    async def authorized(request: Request) -> None:
        if not config.api_key:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), config.api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": "Bearer"})

    # ---------------------------------------------------------------- synthesis

    def voice_name(requested: str | None, param: str) -> str:
        if requested is None or requested == "" or requested in OPENAI_VOICES:
            return engine.default_voice
        if requested not in engine.voices:  # a lookup, never a path
            raise ApiError(400, f"unknown voice {requested[:64]!r}: use one of {', '.join(engine.voices)}", param)
        return requested

    def check_text(text: str, param: str) -> str:
        if not text.strip():
            raise ApiError(400, f"{param} is empty", param)
        if len(text) > config.max_chars:
            raise ApiError(413, f"{param} is {len(text)} characters; the limit is {config.max_chars}", param)
        return text

    async def speak(text: str, voice: str, options: Options, fmt: str, stream: bool | str) -> Response:
        """The audio of ``text`` as ``fmt``: streamed as it is made (``stream``, WAV or PCM), else
        one complete file with its true sizes and a Content-Length."""
        try:
            job = engine.submit(voice, text, options)
        except Busy as e:
            raise ApiError(503, str(e), headers={"Retry-After": str(e.retry_after)}) from None
        parts = []
        try:
            chunk = await job.next()  # errors in the first sentence still get a proper status
            words = None
            if not stream:  # and so do all errors of a complete file
                while chunk is not DONE:
                    if isinstance(chunk, list):  # options.timestamps: a sentence's words before its audio
                        words = (words or []) + chunk
                    else:
                        parts.append(encode.to_int16(chunk))
                    chunk = await job.next()
        except SynthesisTimeout as e:
            job.cancel()
            raise ApiError(503, str(e), headers={"Retry-After": str(engine.retry_after())}) from None
        except HifiganError as e:
            job.cancel()
            raise ApiError(400, str(e), "input") from None
        except BaseException:
            job.cancel()
            raise
        sr = engine.voices[voice].sample_rate
        headers = {"X-Sample-Rate": str(sr), "Cache-Control": "no-store"}
        if stream == "sse":
            return StreamingResponse(sse_events(job, chunk), media_type="text/event-stream", headers=headers)
        if stream:
            return StreamingResponse(stream_chunks(job, chunk, sr, fmt), media_type=encode.MEDIA_TYPES[fmt],
                                     headers=headers)
        data = await asyncio.to_thread(encode.encode_whole, np.concatenate(parts), sr, fmt)
        if words is not None:
            return JSONResponse({"format": fmt, "sample_rate": sr, "audio": base64.b64encode(data).decode("ascii"),
                                 "words": [w.as_dict() for w in words]}, headers=headers)
        return Response(data, media_type=encode.MEDIA_TYPES[fmt], headers=headers)

    async def sse_events(job: Job, first):
        """Server-sent events, as OpenAI's ``stream_format: "sse"``: ``speech.audio.delta`` (base64
        16-bit PCM), our ``speech.words`` (a sentence's word timings, before its audio), then
        ``speech.audio.done``."""
        def event(kind: str, **fields) -> bytes:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()
        try:
            chunk = first
            while chunk is not DONE:
                if isinstance(chunk, list):
                    yield event("speech.words", words=[w.as_dict() for w in chunk])
                else:
                    yield event("speech.audio.delta", audio=base64.b64encode(encode.to_int16(chunk).tobytes()).decode())
                chunk = await job.next()
            yield event("speech.audio.done")
        except Exception as e:  # the status is sent: all that is left is to cut the stream short
            raise StreamCut(str(e)) from None
        finally:
            job.cancel()

    async def stream_chunks(job: Job, first, sr: int, fmt: str):
        try:
            if fmt == "wav":
                yield encode.wav_header(sr)  # sizes unknown: 'to the end' (OpenAI's API streams so too)
            chunk = first
            while chunk is not DONE:
                yield encode.to_int16(chunk).tobytes()
                chunk = await job.next()
        except Exception as e:  # the status is sent: all that is left is to cut the stream short
            raise StreamCut(str(e)) from None
        finally:
            job.cancel()  # no-op when done; stops the job when the client went away

    def options(speed: float = 1.0, pitch_shift_hz: float = 0.0) -> Options:
        return Options(pace=speed, pitch_shift_hz=pitch_shift_hz, denoise=config.denoise)

    # ---------------------------------------------------------------- routes

    @app.post("/v1/audio/speech", dependencies=[Depends(authorized)], tags=["speech"],
              response_class=Response, responses={200: {"content": {t: {} for t in encode.MEDIA_TYPES.values()}}})
    async def openai_speech(req: SpeechRequest):
        """OpenAI-compatible speech. WAV and PCM stream as the audio is made, as OpenAI's API streams
        them: a WAV's RIFF and data sizes read 0xFFFFFFFF ('to the end'; browsers, ffmpeg and
        libsndfile read it whole, Python's ``wave`` does not). FLAC and MP3 come once complete. For
        a WAV file with its true sizes, use ``GET /api/tts``."""
        fmt = req.response_format or ("mp3" if encode.mp3_available() else "wav")
        if fmt not in encode.formats():
            raise ApiError(400, f"response_format {fmt!r} needs an encoder this server lacks: use one of "
                                f"{', '.join(encode.formats())}", "response_format")
        if not math.isfinite(req.speed) or not math.isfinite(req.pitch_shift_hz):
            raise ApiError(400, "speed and pitch_shift_hz must be finite numbers", "speed")
        text = check_text(req.input, "input")
        voice = voice_name(req.voice, "voice")
        opts = dataclasses.replace(options(req.speed, req.pitch_shift_hz), timestamps=req.timestamps)
        if req.stream_format == "sse":
            if req.response_format not in (None, "pcm"):
                raise ApiError(400, "stream_format sse sends 16-bit PCM: use response_format pcm", "response_format")
            return await speak(text, voice, opts, "pcm", stream="sse")
        return await speak(text, voice, opts, fmt, stream=fmt in encode.STREAMED and not req.timestamps)

    @app.get("/api/tts", dependencies=[Depends(authorized)], tags=["speech"], response_class=Response,
             responses={200: {"content": {"audio/wav": {}}}})
    async def coqui_tts(text: str = Query(..., description="the text to speak"),
                        speaker_id: str = Query("", description="a voice name (empty: the default voice)"),
                        style_wav: str = Query("", description="ignored (Coqui TTS's parameter)"),
                        language_id: str = Query("", description="ignored (Coqui TTS's parameter)")):
        """Coqui TTS's server endpoint: a complete WAV file with its true sizes, as Coqui's sends."""
        text = check_text(text, "text")
        voice = voice_name(speaker_id, "speaker_id")
        return await speak(text, voice, options(), "wav", stream=False)

    @app.get("/v1/voices", dependencies=[Depends(authorized)], tags=["info"])
    async def list_voices():
        """The voices this server loaded; ``voice`` in a request is one of these names."""
        return {"default": engine.default_voice,
                "voices": [{"name": name, "sample_rate": tts.sample_rate, "default": name == engine.default_voice}
                           for name, tts in engine.voices.items()],
                "openai_aliases": list(OPENAI_VOICES), "response_formats": encode.formats(),
                "max_chars": config.max_chars}

    @app.get("/health", tags=["info"])
    async def health():
        """Liveness and load; no key needed."""
        return {"status": "ok", "voices": len(engine.voices), "auth": bool(config.api_key),
                "max_chars": config.max_chars, **engine.stats()}

    def page_route(path: str):
        content, media = pages[path]

        async def page():
            return Response(content, media_type=media, headers=PAGE_HEADERS)

        app.get(path, include_in_schema=False)(page)

    for path in pages:
        page_route(path)
    return app
