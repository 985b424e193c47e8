"""Every WAV we write tells its true length: read with Python's ``wave`` (which trusts the header),
frames x sample width = the bytes of data that are really there = the header's data size, and the
RIFF size is the file's length less 8. The one exception is documented: ``POST /v1/audio/speech``
streams a WAV with unknown sizes (0xFFFFFFFF), as OpenAI's API does, and so does ``--stream`` to
a pipe."""
import io
import os
import struct
import subprocess
import sys
import wave

import numpy as np
import pytest
import soundfile as sf

from hifigan.audio import write_wav
from hifigan.cli import main

from conftest import speechlike
from test_precision import tiny_files  # noqa: F401  (the tiny FastPitch + generator checkpoint files)

UNKNOWN = 0xFFFFFFFF


def chunks(data: bytes) -> dict:
    """The RIFF file's chunks, walked by hand: {id: (offset of its payload, declared size)}."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:12]
    found, pos = {}, 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        found[cid] = (pos + 8, size)
        if cid == b"data":
            break
        pos += 8 + size + (size & 1)
    return found


def assert_honest(data: bytes) -> int:
    """``data`` is a complete WAV whose header tells its true length; returns its sample count."""
    start, size = chunks(data)[b"data"]
    riff = struct.unpack("<I", data[4:8])[0]
    assert riff == len(data) - 8, (riff, len(data))
    assert size == len(data) - start, (size, len(data) - start)
    with wave.open(io.BytesIO(data)) as w:
        frames, width, channels = w.getnframes(), w.getsampwidth(), w.getnchannels()
    assert frames * width * channels == size and frames > 0
    return frames


def honest_file(path) -> int:
    with open(path, "rb") as f:
        return assert_honest(f.read())


def test_the_checker_catches_a_header_with_unknown_sizes():
    buf = io.BytesIO()
    sf.write(buf, np.zeros(100, np.int16), 22050, format="WAV", subtype="PCM_16")
    good = buf.getvalue()
    assert assert_honest(good) == 100
    lying = good[:4] + struct.pack("<I", UNKNOWN) + good[8:chunks(good)[b"data"][0] - 4] + struct.pack("<I", UNKNOWN) \
        + good[chunks(good)[b"data"][0]:]
    with pytest.raises(AssertionError):
        assert_honest(lying)
    with wave.open(io.BytesIO(lying)) as w:  # what the issue saw: wave believes the header
        assert w.getnframes() == UNKNOWN // 2


def test_the_cli_and_the_python_api_write_true_sizes(tmp_path, tiny_files):
    fp, voc = tiny_files
    models = ["--fastpitch", str(fp), "--vocoder", str(voc)]
    assert main(["synthesize", "Hello there. A second sentence.", "-o", str(tmp_path / "one.wav"), *models]) == 0
    honest_file(tmp_path / "one.wav")
    (tmp_path / "lines.txt").write_text("First line.\nSecond, longer line here.\n")
    assert main(["synthesize", "-i", str(tmp_path / "lines.txt"), "-o", str(tmp_path / "out"), *models]) == 0
    assert [honest_file(tmp_path / "out" / n) > 0 for n in ("0001.wav", "0002.wav")] == [True, True]
    sf.write(str(tmp_path / "in.wav"), speechlike(0.5), 22050)
    assert main(["vocode", str(tmp_path / "in.wav"), "-o", str(tmp_path / "voc.wav"), "--vocoder", str(voc)]) == 0
    honest_file(tmp_path / "voc.wav")
    from hifigan import TextToSpeech

    tts = TextToSpeech.from_pretrained(fp, voc)
    audio, _ = tts.synthesize("Hello there.")
    assert honest_file(tts.to_file("Hello there.", tmp_path / "api.wav")) == len(audio)
    assert honest_file(write_wav(tmp_path / "w.wav", audio, 22050)) == len(audio)


def test_stream_to_a_file_gets_its_true_sizes_and_to_a_pipe_unknown_ones(tmp_path, tiny_files):
    fp, voc = tiny_files
    argv = [sys.executable, "-m", "hifigan", "synthesize", "Streamed speech. Two sentences.", "-o", "-",
            "--stream", "--fastpitch", str(fp), "--vocoder", str(voc)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "stream.wav"
    with open(out, "wb") as f:
        subprocess.run(argv, stdout=f, check=True, env=env, timeout=120)
    n = honest_file(out)
    piped = subprocess.run(argv, stdout=subprocess.PIPE, check=True, env=env, timeout=120).stdout
    assert piped[4:8] == piped[40:44] == struct.pack("<I", UNKNOWN)  # a pipe cannot be rewound
    assert piped[44:] == out.read_bytes()[44:] and len(piped[44:]) == 2 * n
    with open(out, "ab") as f:  # appending: the header is not at a place we may rewrite; left alone
        f.truncate(0)
        subprocess.run(argv, stdout=f, check=True, env=env, timeout=120)
    assert out.read_bytes() == piped


def test_the_servers_coqui_wav_is_complete_and_openais_stream_is_documented():
    pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    from hifigan.serve import ServeConfig, create_app
    from serve_helpers import live_server, tiny_tts

    tts = tiny_tts(0)
    text = "First sentence here. Second one follows!"
    want, _ = tts.synthesize(text)
    with live_server(create_app({"tiny": tts}, ServeConfig(workers=1))) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        r = client.get("/api/tts", params={"text": text})
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        assert assert_honest(r.content) == len(want) and int(r.headers["content-length"]) == len(r.content)
        r = client.post("/v1/audio/speech", json={"input": text, "response_format": "wav"})
        assert r.status_code == 200
        assert r.content[4:8] == r.content[40:44] == struct.pack("<I", UNKNOWN)  # streamed, as OpenAI's
        assert len(r.content) - 44 == 2 * len(want)
        doc = client.get("/openapi.json").json()["paths"]["/v1/audio/speech"]["post"]["description"]
        assert "0xFFFFFFFF" in doc and "/api/tts" in doc
