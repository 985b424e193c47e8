"""hifigan serve: the HTTP API on a live loopback server with tiny random-weight voices."""
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf
import torch

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from hifigan.pipeline import PitchTransform  # noqa: E402
from hifigan.serve import ServeConfig, create_app  # noqa: E402
from hifigan.serve.encode import mp3_available  # noqa: E402
from hifigan.serve.server import is_loopback, startup_warnings, voice_files  # noqa: E402
from serve_helpers import HOP, SlowTTS, live_server, tiny_tts  # noqa: E402

TEXT = "First sentence here. Second one follows! And a third?"


def int16(audio):
    """Independent of the server's encoder: the same clip-and-round, written out here."""
    return np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def voices():
    return {"tiny": tiny_tts(0), "other": tiny_tts(1)}


@pytest.fixture(scope="module")
def url(voices):
    with live_server(create_app(voices, ServeConfig(max_chars=500, workers=2, queue_size=4))) as base:
        yield base


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


def speech(client, **body):
    return client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, **body})


def assert_json_error(r, status, pattern=""):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == status and re.search(pattern, err["message"]), err
    return err


# ---------------------------------------------------------------- audio

def test_wav_holds_the_pipelines_audio(client, voices):
    r = speech(client, voice="tiny", response_format="wav")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.headers["x-sample-rate"] == "22050"
    samples, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    expected, esr = voices["tiny"].synthesize(TEXT)  # batched, in one piece: an independent path
    n_ids = [len(voices["tiny"].text_processor.encode_text(s))
             for s in ("First sentence here.", "Second one follows!", "And a third?")]
    assert sr == esr and len(samples) == len(expected) == sum(n_ids) * 3 * HOP + 2 * round(0.2 * sr)
    assert np.abs(samples.astype(int) - int16(expected)).max() <= 1
    assert np.abs(samples).max() > 100  # not silence


def test_a_sentence_is_made_in_growing_pieces_that_join_to_the_whole(voices):
    """The workers make a sentence as TextToSpeech.stream does: the first piece after 8 frames."""
    from hifigan.serve.engine import Engine, Options

    tts = voices["tiny"]
    sentence = "A single sentence, long enough to need several pieces of audio."
    pieces = list(Engine.chunks(tts, sentence, Options()))
    assert len(pieces) >= 3 and len(pieces[0]) == 8 * HOP
    assert len(pieces[1]) == 8 * tts.vocoder.stream_growth() * HOP  # growth: 2 in fp32 on the CPU
    whole, _ = tts.synthesize(sentence)
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-5)


def test_pcm_and_flac_decode_to_the_wav_samples(client):
    wav, _ = sf.read(io.BytesIO(speech(client, voice="tiny", response_format="wav").content), dtype="int16")
    r = speech(client, voice="tiny", response_format="pcm")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/pcm"
    np.testing.assert_array_equal(np.frombuffer(r.content, "<i2"), wav)
    r = speech(client, voice="tiny", response_format="flac")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/flac" and r.content[:4] == b"fLaC"
    flac, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    assert sr == 22050
    np.testing.assert_array_equal(flac, wav)


@pytest.mark.skipif(not mp3_available(), reason="this libsndfile has no MP3 encoder")
def test_mp3_is_the_default_and_decodes_to_the_same_length(client):
    wav, _ = sf.read(io.BytesIO(speech(client, response_format="wav").content), dtype="int16")
    r = speech(client)  # no response_format: OpenAI's default, mp3
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    info = sf.info(io.BytesIO(r.content))
    assert info.format == "MP3" and info.samplerate == 22050 and info.frames == len(wav)


def test_speed_pitch_and_voice_are_applied(client, voices):
    def samples(**kw):
        r = speech(client, response_format="pcm", **kw)
        assert r.status_code == 200, r.text
        return np.frombuffer(r.content, "<i2")

    tts = voices["tiny"]
    fast = samples(voice="tiny", speed=2.0)
    expected, _ = tts.synthesize(TEXT, pace=2.0)
    assert len(fast) == len(expected) and np.abs(fast - int16(expected)).max() <= 1
    higher = samples(voice="tiny", pitch_shift_hz=40)
    expected, _ = tts.synthesize(TEXT, pitch=PitchTransform(shift_hz=40))
    assert np.abs(higher.astype(int) - int16(expected)).max() <= 1
    assert not np.array_equal(higher, samples(voice="tiny"))
    other, _ = voices["other"].synthesize(TEXT)
    assert np.abs(samples(voice="other").astype(int) - int16(other)).max() <= 1
    # no voice, or an OpenAI voice name: the default voice (the first loaded)
    np.testing.assert_array_equal(samples(), samples(voice="tiny"))
    np.testing.assert_array_equal(samples(voice="alloy"), samples(voice="tiny"))


def test_coqui_endpoint(client, voices):
    r = client.get("/api/tts", params={"text": TEXT, "speaker_id": "other"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    samples, _ = sf.read(io.BytesIO(r.content), dtype="int16")
    expected, _ = voices["other"].synthesize(TEXT)
    assert len(samples) == len(expected) and np.abs(samples.astype(int) - int16(expected)).max() <= 1
    assert client.get("/api/tts", params={"text": "Hi.", "speaker_id": ""}).status_code == 200
    assert_json_error(client.get("/api/tts", params={"text": "Hi.", "speaker_id": "nobody"}), 400, "unknown voice")
    assert_json_error(client.get("/api/tts"), 400, "text")


def test_voices_health_schema_and_page(client):
    v = client.get("/v1/voices").json()
    assert v["default"] == "tiny" and [x["name"] for x in v["voices"]] == ["tiny", "other"]
    assert {"wav", "pcm", "flac"} <= set(v["response_formats"]) and v["max_chars"] == 500
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["workers"] == 2 and h["capacity"] == 6 and h["auth"] is False
    schema = client.get("/openapi.json").json()
    assert {"/v1/audio/speech", "/api/tts", "/v1/voices", "/health"} <= set(schema["paths"])
    body = schema["paths"]["/v1/audio/speech"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("SpeechRequest")
    assert_json_error(client.get("/docs"), 404)  # Swagger UI would load scripts from a CDN
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for path in ("/", "/static/app.js", "/static/style.css"):  # self-contained: nothing from elsewhere
        text = client.get(path).text
        assert client.get(path).status_code == 200 and not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]", text), path


def test_cors_is_off_by_default(client, voices):
    r = client.get("/v1/voices", headers={"Origin": "http://elsewhere.test"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    app = create_app(voices, ServeConfig(cors_origins=["http://app.test"]))
    with live_server(app) as base:
        r = httpx.get(base + "/v1/voices", headers={"Origin": "http://app.test"})
        assert r.headers["access-control-allow-origin"] == "http://app.test"
        r = httpx.get(base + "/v1/voices", headers={"Origin": "http://elsewhere.test"})
        assert "access-control-allow-origin" not in r.headers


# ---------------------------------------------------------------- bad requests

@pytest.mark.parametrize("body,status,pattern", [
    ({"input": ""}, 400, "input is empty"),
    ({"input": "   \n "}, 400, "input is empty"),
    ({"model": "tts-1"}, 400, "input: Field required"),
    ({"input": 12}, 400, "input"),
    ({"input": "🎉 🔥"}, 400, "nothing to say"),
    ({"input": "x" * 501}, 413, "501 characters; the limit is 500"),
    ({"input": "Hi.", "voice": "nobody"}, 400, "unknown voice 'nobody'"),
    ({"input": "Hi.", "voice": "../voices/default_fastpitch"}, 400, "unknown voice"),
    ({"input": "Hi.", "voice": "/etc/passwd"}, 400, "unknown voice"),
    ({"input": "Hi.", "speed": 0}, 400, "speed"),
    ({"input": "Hi.", "speed": 4.5}, 400, "speed"),
    ({"input": "Hi.", "speed": -1}, 400, "speed"),
    ({"input": "Hi.", "speed": "fast"}, 400, "speed"),
    ({"input": "Hi.", "pitch_shift_hz": 1000}, 400, "pitch_shift_hz"),
    ({"input": "Hi.", "response_format": "ogg"}, 400, "response_format"),
    ([1, 2], 400, "JSON object"),
])
def test_bad_requests_get_json_errors(client, body, status, pattern):
    assert_json_error(client.post("/v1/audio/speech", json=body), status, pattern)


def test_path_like_voice_never_loads_a_file(client, tmp_path, voices):
    from hifigan.checkpoints import save_fastpitch

    path = save_fastpitch(tmp_path / "evil.safetensors", voices["tiny"].fastpitch)  # a valid checkpoint
    for voice in (str(path), str(path.with_suffix("")), "evil"):
        assert_json_error(speech(client, voice=voice), 400, "unknown voice|voice: String should have at most 64")
    assert [v["name"] for v in client.get("/v1/voices").json()["voices"]] == ["tiny", "other"]


def test_malformed_and_oversized_bodies(client, url):
    headers = {"content-type": "application/json"}
    assert_json_error(client.post("/v1/audio/speech", content=b"not json", headers=headers), 400, "not valid JSON")
    assert_json_error(client.post("/v1/audio/speech", content=b'{"input": "Hi."', headers=headers), 400, "JSON")
    assert_json_error(client.post("/v1/audio/speech", content=b""), 400, "input")
    big = json.dumps({"input": "a" * 10_000_000}).encode()
    assert_json_error(client.post("/v1/audio/speech", content=big, headers=headers), 413, "request body over")

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 100_000

    assert_json_error(client.post("/v1/audio/speech", content=chunked(), headers=headers), 413, "request body over")
    assert_json_error(client.get("/v1/audio/speech"), 405)
    assert_json_error(client.get("/no/such/page"), 404)
    assert client.get("/health").json()["active"] == 0


def test_api_key(voices, monkeypatch):
    with live_server(create_app(voices, ServeConfig(api_key="s3cret"))) as base:
        with httpx.Client(base_url=base, timeout=60) as c:
            for r in (c.post("/v1/audio/speech", json={"input": "Hi."}),
                      c.post("/v1/audio/speech", json={"input": "Hi."}, headers={"Authorization": "Bearer wrong"}),
                      c.post("/v1/audio/speech", json={"input": "Hi."}, headers={"Authorization": "s3cret"}),
                      c.get("/v1/voices"), c.get("/api/tts", params={"text": "Hi."})):
                assert_json_error(r, 401, "API key")
                assert r.headers["www-authenticate"] == "Bearer"
            ok = {"Authorization": "Bearer s3cret"}
            r = c.post("/v1/audio/speech", json={"input": "Hi.", "response_format": "wav"}, headers=ok)
            assert r.status_code == 200 and r.content[:4] == b"RIFF"
            assert c.get("/v1/voices", headers=ok).status_code == 200
            assert c.get("/health").json()["auth"] is True and c.get("/").status_code == 200  # no secrets there


def test_startup_warning_for_an_open_address_without_a_key():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "tts.example"))
    assert startup_warnings("127.0.0.1", None) == [] and startup_warnings("0.0.0.0", "key") == []
    [warning] = startup_warnings("0.0.0.0", None)
    assert "without an API key" in warning and "HIFIGAN_API_KEY" in warning


# ---------------------------------------------------------------- load, disconnects, deadlines

def wait_idle(client, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        h = client.get("/health").json()
        if h["active"] == 0 and h["running"] == 0:
            return h
        time.sleep(0.05)
    raise AssertionError(f"server still busy: {client.get('/health').json()}")


def test_twelve_simultaneous_requests_get_audio_or_a_clean_503(voices):
    slow = SlowTTS(voices["tiny"], delay=0.3)
    expected = len(slow.synthesize(TEXT)[0])
    app = create_app({"slow": slow}, ServeConfig(workers=2, queue_size=3))
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as c:
        barrier = threading.Barrier(12)

        def one(_):
            barrier.wait()
            return c.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav"})

        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(one, range(12)))
        codes = sorted(r.status_code for r in responses)
        assert set(codes) <= {200, 503} and codes.count(200) >= 2 and codes.count(503) >= 1, codes
        for r in responses:
            if r.status_code == 200:
                assert sf.info(io.BytesIO(r.content)).frames == expected
            else:
                assert_json_error(r, 503, "busy")
                assert int(r.headers["retry-after"]) >= 1
        wait_idle(c)
        r = c.post("/v1/audio/speech", json={"input": "Still here.", "response_format": "wav"})
        assert r.status_code == 200 and c.get("/health").json()["status"] == "ok"


def test_a_client_that_hangs_up_frees_its_worker(voices):
    slow = SlowTTS(voices["tiny"], delay=0.2)
    text = " ".join(f"Sentence number {n} is here." for n in range(1, 21))
    with live_server(create_app({"slow": slow}, ServeConfig(workers=1, queue_size=0))) as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        with c.stream("POST", "/v1/audio/speech", json={"input": text, "response_format": "pcm"}) as r:
            assert r.status_code == 200
            assert len(next(r.iter_raw())) > 0  # the first sentence arrived; now hang up
        wait_idle(c, seconds=5)
        assert slow.calls <= 4, slow.calls  # 20 sentences at 0.2 s: it stopped right after the hang-up
        r = c.post("/v1/audio/speech", json={"input": "Next.", "response_format": "wav"})  # the worker is free
        assert r.status_code == 200


def test_concurrent_requests_take_turns_sentence_by_sentence(voices):
    slow = SlowTTS(voices["tiny"], delay=0.5)
    long_text = " ".join(f"Sentence number {n} is here." for n in range(1, 7))
    with live_server(create_app({"slow": slow}, ServeConfig(workers=1, queue_size=2))) as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        finished = []

        def post(name, text):
            r = c.post("/v1/audio/speech", json={"input": text, "response_format": "wav"})
            finished.append((name, r.status_code))

        with ThreadPoolExecutor(2) as pool:
            pool.submit(post, "long", long_text)
            time.sleep(0.1)
            pool.submit(post, "short", "Just one.")
        # one worker: the short request's sentence went between the long one's, not after all six
        assert finished == [("short", 200), ("long", 200)]
        wait_idle(c)


def test_per_request_deadline(voices):
    slow = SlowTTS(voices["tiny"], delay=0.3)
    text = " ".join(f"Sentence number {n} is here." for n in range(1, 11))
    with live_server(create_app({"slow": slow}, ServeConfig(workers=1, queue_size=2, timeout=1.0))) as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        with pytest.raises(httpx.HTTPError):  # cut off mid-stream, not passed off as a whole (short) file
            c.post("/v1/audio/speech", json={"input": text, "response_format": "wav"})
        wait_idle(c)
        assert slow.calls < 10
        slow.delay = 1.5  # no audio before the deadline: a clean 503
        assert_json_error(c.post("/v1/audio/speech", json={"input": "Hi.", "response_format": "wav"}),
                          503, "time limit")
        wait_idle(c)


# ---------------------------------------------------------------- the command

@pytest.fixture
def voice_files_dir(tmp_path, voices):
    from hifigan.checkpoints import save_fastpitch, save_generator

    save_fastpitch(tmp_path / "main.safetensors", voices["tiny"].fastpitch)
    (tmp_path / "more").mkdir()
    save_fastpitch(tmp_path / "more" / "second.safetensors", voices["other"].fastpitch)
    (tmp_path / "more" / "README.txt").write_text("not a voice")
    save_generator(tmp_path / "voc.safetensors", voices["tiny"].vocoder.generator, voices["tiny"].vocoder.mel_config)
    return tmp_path


def test_voice_files(voice_files_dir, tmp_path):
    from hifigan.errors import HifiganError

    assert list(voice_files(voice_files_dir / "more")) == ["second"]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "two words.pt").write_bytes(b"")
    with pytest.raises(HifiganError, match="voice name"):
        voice_files(tmp_path / "bad")
    (tmp_path / "empty").mkdir()
    with pytest.raises(HifiganError, match="no voice files"):
        voice_files(tmp_path / "empty")


def test_hifigan_serve_command(voice_files_dir):
    d = voice_files_dir
    env = {**os.environ, "HIFIGAN_API_KEY": "k3y"}
    proc = subprocess.Popen([sys.executable, "-m", "hifigan", "serve", "--port", "0", "--workers", "1",
                             "--fastpitch", str(d / "main.safetensors"), "--vocoder", str(d / "voc.safetensors"),
                             "--voices", str(d / "more")],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines, port = [], None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            port = int(m.group(1)) if m else None
        assert port, "".join(lines)
        assert not any("warning" in line for line in lines)  # loopback: no warning
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": "Bearer k3y"}) as c:
            assert [v["name"] for v in c.get("/v1/voices").json()["voices"]] == ["main", "second"]
            r = c.post("/v1/audio/speech", json={"input": "Hello.", "voice": "second", "response_format": "wav"})
            assert r.status_code == 200 and sf.info(io.BytesIO(r.content)).frames > 0
            assert c.get("/v1/voices", headers={"Authorization": ""}).status_code == 401
    finally:
        proc.terminate()
        proc.wait(30)


def test_serve_command_errors(tmp_path, capsys):
    from hifigan.cli import main

    assert main(["serve", "--voices", str(tmp_path / "none"), "--fastpitch", "default"]) == 1
    err = capsys.readouterr().err
    assert "no such voices folder" in err and len(err.strip().splitlines()) == 1
    assert main(["serve", "--workers", "0"]) == 1
    assert "--workers >= 1" in capsys.readouterr().err


def test_inference_does_not_import_the_server():
    code = "import sys, hifigan; hifigan.TextToSpeech; assert 'fastapi' not in sys.modules and 'uvicorn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_workers_share_the_torch_threads_by_the_requests_in_progress(voices):
    """A lone request runs on all the threads; under load each worker gets its share (set in the
    worker thread itself: OpenMP's thread count is per thread)."""
    from hifigan.serve.engine import Engine
    from hifigan.serve.server import default_workers

    eng = Engine(voices, workers=2, threads=4)
    got = []

    def steps():
        got.append(torch.get_num_threads())
        yield None

    def step_with(active):
        eng._active = active
        t = threading.Thread(target=lambda: eng._advance(steps()))
        t.start()
        t.join()

    main_threads = torch.get_num_threads()
    for active in (1, 2, 3):
        step_with(active)
    assert got == [4, 2, 2] and eng.stats()["threads"] == 4
    assert torch.get_num_threads() == main_threads  # the caller's own setting is left alone
    with pytest.raises(ValueError, match="threads"):
        Engine(voices, threads=0)
    assert default_workers(2) == 2 and default_workers(16) == 16
    eng.close()
