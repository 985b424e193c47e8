"""Load test of `hifigan serve` on loopback: throughput, time to first byte and latency percentiles
at 1, 4 and 12 concurrent clients.

    python benchmarks/serve_load.py                           # starts `hifigan serve` (default voice)
    python benchmarks/serve_load.py --clients 1 4 --requests 4 8 --budget 60
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --api-key KEY   # a server already running

Each client sends one request at a time (POST /v1/audio/speech, streamed WAV, two-sentence texts in turn);
a 503 is counted and the client waits its Retry-After. A level stops starting requests after
`--requests` (its count) or `--budget` seconds, whichever comes first. Only loopback addresses
are accepted. Percentiles are over the measured requests of a level (numpy's linear
interpolation: with few requests p99 is close to the maximum). With the server started here, the
last line is the yardstick: one process's offline ``synthesize`` throughput on the same texts (the
mean of a run before the levels and one after, while the server idles) and each level's throughput
as a fraction of it.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import numpy as np

TEXTS = [  # two sentences each (about 4 s of speech), so the first one streams before the second is made
    "The museum opens at nine on weekdays. Please leave your umbrella by the door.",
    "The next train to the harbour leaves in ten minutes. Tickets are sold on board.",
    "She counted the boats as they came back in the evening. Two were still missing.",
    "Turn left at the bakery, then walk two blocks north. The library is on your right.",
    "Nobody expected the meeting to end so early. Everyone went home before lunch.",
    "The weather will be dry and mild tomorrow. Rain returns on Sunday night.",
]


OFFLINE = """
import json, sys, time
import torch
from hifigan.pipeline import TextToSpeech
fastpitch, threads, count, texts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
torch.set_num_threads(threads)
tts = TextToSpeech.from_pretrained(fastpitch, precision="auto")
tts.synthesize("Ready.")
for text in texts:  # each text once first, as the server has seen them before the level measured
    tts.synthesize(text)
audio, t0 = 0.0, time.perf_counter()
for k in range(count):
    a, sr = tts.synthesize(texts[k % len(texts)])
    audio += len(a) / sr
print(json.dumps({"audio_s": audio, "wall_s": time.perf_counter() - t0}))
"""


def offline_throughput(fastpitch: str, threads: int, count: int) -> float:
    """Seconds of audio per second from one process's ``TextToSpeech.synthesize`` (default
    precision, ``threads`` torch threads: all the CPUs) on ``count`` of the same texts in turns."""
    out = subprocess.run([sys.executable, "-c", OFFLINE, fastpitch, str(threads), str(count), json.dumps(TEXTS)],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["audio_s"] / r["wall_s"]


def loopback_url(url: str) -> str:
    host = urlparse(url).hostname or ""
    ok = host == "localhost"
    try:
        ok = ok or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not ok:
        sys.exit(f"serve_load: {url}: only loopback servers (127.0.0.0/8, ::1, localhost) are load-tested")
    return url.rstrip("/")


def start_server(args) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "hifigan", "serve", "--host", "127.0.0.1", "--port", "0", "--queue", str(args.queue)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.fastpitch:
        cmd += ["--fastpitch", args.fastpitch]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        sys.stderr.write("  server: " + line)
        m = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
        if m:  # keep reading its log so a full pipe never blocks it
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, m.group(1)
    proc.kill()
    sys.exit("serve_load: the server did not start")


async def one_request(client, text: str, timeout: float) -> dict:
    t0 = time.perf_counter()
    async with client.stream("POST", "/v1/audio/speech", timeout=timeout,
                             json={"model": "tts-1", "input": text, "response_format": "wav"}) as r:
        if r.status_code != 200:
            await r.aread()
            return {"status": r.status_code, "retry_after": float(r.headers.get("retry-after", 1))}
        first, size = None, 0
        async for chunk in r.aiter_raw():
            if first is None and chunk:
                first = time.perf_counter() - t0
            size += len(chunk)
        sample_rate = int(r.headers.get("x-sample-rate", 22050))
    return {"status": 200, "ttfb": first, "latency": time.perf_counter() - t0,
            "audio_s": (size - 44) / 2 / sample_rate}


async def run_level(url: str, headers: dict, clients: int, count: int, budget: float, timeout: float) -> dict:
    import httpx

    results, started, next_text = [], 0, 0
    cpu_start = time.process_time()
    t_start = time.perf_counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def client_loop():
            nonlocal started, next_text
            while started < count and time.perf_counter() - t_start < budget:
                started += 1
                text = TEXTS[next_text % len(TEXTS)]
                next_text += 1
                try:
                    res = await one_request(client, text, timeout)
                except Exception as e:  # a cut or failed request counts as an error
                    res = {"status": "error", "error": f"{type(e).__name__}: {e}"}
                results.append(res)
                if res["status"] == 503:
                    await asyncio.sleep(res["retry_after"])

        await asyncio.gather(*(client_loop() for _ in range(clients)))
    wall = time.perf_counter() - t_start
    client_cpu = time.process_time() - cpu_start  # this process's own share of the cores
    ok = [r for r in results if r["status"] == 200]

    def pct(key):
        values = np.array([r[key] for r in ok])
        return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 90, 99)} if len(values) else {}

    return {"clients": clients, "requests": len(results), "ok": len(ok),
            "rejected_503": sum(r["status"] == 503 for r in results),
            "errors": sum(r["status"] not in (200, 503) for r in results), "wall_s": round(wall, 2),
            "requests_per_s": round(len(ok) / wall, 3),
            "audio_s_per_s": round(sum(r["audio_s"] for r in ok) / wall, 3),
            "ttfb_s": pct("ttfb"), "latency_s": pct("latency"),
            "client_cpu_share": round(client_cpu / (wall * (os.cpu_count() or 1)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server on loopback (default: start `hifigan serve` here)")
    ap.add_argument("--api-key", default=os.environ.get("HIFIGAN_API_KEY"))
    ap.add_argument("--fastpitch", help="voice for the started server (default: the shipped default voice)")
    ap.add_argument("--workers", type=int, help="--workers of the started server (default: its own)")
    ap.add_argument("--queue", type=int, default=8, help="--queue of the started server (default 8)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 12])
    ap.add_argument("--requests", type=int, nargs="+", default=[6, 12, 24],
                    help="requests per level (one number, or one per --clients)")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per level before no new requests start")
    ap.add_argument("--timeout", type=float, default=300.0, help="client timeout per request")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    counts = args.requests * len(args.clients) if len(args.requests) == 1 else args.requests
    if len(counts) != len(args.clients):
        ap.error("--requests takes one number or one per --clients")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the server it started
    proc = None
    if args.url:
        url = loopback_url(args.url)
    else:
        proc, url = start_server(args)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    try:
        import httpx

        health = httpx.get(url + "/health").json()
        asyncio.run(run_level(url, headers, 1, 1, 60, args.timeout))  # warm-up, not measured
        print(f"server {url}: {health['workers']} worker(s), capacity {health['capacity']}; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start", flush=True)
        if not args.url:  # measured before and after the levels (the mean): this machine's speed drifts
            before = offline_throughput(args.fastpitch or "default", os.cpu_count() or 1, max(counts))
        rows = []
        for clients, count in zip(args.clients, counts):
            row = asyncio.run(run_level(url, headers, clients, count, args.budget, args.timeout))
            rows.append(row)
            t, lat = row["ttfb_s"], row["latency_s"]
            print(f"clients {clients:>2}: {row['ok']}/{row['requests']} ok, {row['rejected_503']} x 503, "
                  f"{row['errors']} errors in {row['wall_s']} s | {row['requests_per_s']} req/s, "
                  f"{row['audio_s_per_s']} s of audio per s | TTFB p50/p90/p99 "
                  f"{t.get('p50')}/{t.get('p90')}/{t.get('p99')} s | latency p50/p90/p99 "
                  f"{lat.get('p50')}/{lat.get('p90')}/{lat.get('p99')} s | the clients' own CPU "
                  f"{100 * row['client_cpu_share']:.1f}% of the machine", flush=True)
        offline = None
        if not args.url:  # the same texts in one process, no server: the yardstick for throughput
            offline = (before + offline_throughput(args.fastpitch or "default", os.cpu_count() or 1, max(counts))) / 2
            print(f"offline synthesize (one process, same texts): {offline:.3f} s of audio per s; server/offline: "
                  + ", ".join(f"{r['clients']} client(s) {r['audio_s_per_s'] / offline:.2f}" for r in rows), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"url": url, "health": health, "levels": rows, "offline_audio_s_per_s": offline}, f, indent=1)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
