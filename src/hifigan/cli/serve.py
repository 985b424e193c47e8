"""``hifigan serve``: the HTTP server and web page (the optional server extra)."""
from __future__ import annotations

import os

from hifigan.cli.common import TTS_PRECISION_HELP, CliError, tts_precision

NAME = "serve"


def add_parser(sub) -> None:
    sv = sub.add_parser("serve", help="HTTP server and web page (needs: pip install 'hifigan[serve]')",
                        description="Serve text to speech over HTTP: OpenAI's POST /v1/audio/speech, GET /api/tts "
                                    "(Coqui TTS's), GET /v1/voices, GET /health, a web page at /. Models are loaded "
                                    "once; synthesis runs on worker threads behind a bounded queue.")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    sv.add_argument("--fastpitch", default="default", metavar="NAME|PATH",
                    help="the first (default) voice: a shipped voice name, 'nvidia' or a FastPitch checkpoint")
    sv.add_argument("--vocoder", default=None, metavar="NAME|PATH",
                    help="lj_v1, universal_v1, joe_v1 or a path (default: each voice's own, lj_v1 for a checkpoint)")
    sv.add_argument("--voices", metavar="DIR", help="more voices: each NAME.safetensors / NAME.pt in DIR is voice NAME")
    sv.add_argument("--api-key", metavar="KEY", default=None,
                    help="require 'Authorization: Bearer KEY' (default: $HIFIGAN_API_KEY; unset: no key)")
    sv.add_argument("--workers", type=int, default=None, metavar="N",
                    help="synthesis threads (default: one per CPU core)")
    sv.add_argument("--queue", type=int, default=8, metavar="N",
                    help="requests that may wait for a worker; more get 503 + Retry-After (default 8)")
    sv.add_argument("--timeout", type=float, default=600.0, metavar="S",
                    help="seconds per request, queueing included (default 600)")
    sv.add_argument("--max-chars", type=int, default=4096, metavar="N", help="longest text (default 4096; more: 413)")
    sv.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                    help="allow browser pages from ORIGIN to call the API (repeatable; default: no CORS)")
    sv.add_argument("--denoise", type=float, default=0.0, metavar="S", help="denoiser strength, e.g. 0.005")
    sv.add_argument("--device", default="cpu", help="cpu, cuda, ... (default cpu)")
    sv.add_argument("--precision", default="auto", type=tts_precision, metavar="PREC", help=TTS_PRECISION_HELP)


def run(args) -> int:
    try:  # the server extra (FastAPI, uvicorn) is optional: imported when serving, with the install hint
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
