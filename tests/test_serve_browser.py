"""The web page in a real browser: Debian's chromium, headless, driven by Playwright (pointed at the
system browser; nothing downloads a browser build). `.ci/run` installs chromium."""
import base64
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

from hifigan.pipeline import TextToSpeech  # noqa: E402
from hifigan.serve import ServeConfig, create_app  # noqa: E402
from serve_helpers import live_server  # noqa: E402

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                                          "(apt-get install chromium; .ci/run does this)")
SENTENCE = "The museum opens at nine on weekdays."


@pytest.fixture(scope="module")
def server():
    voices = {"default": TextToSpeech.from_pretrained()}  # the shipped voice: real speech to look at
    with live_server(create_app(voices, ServeConfig(workers=1))) as base:
        yield base


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server + "/")
        page.wait_for_function("() => document.getElementById('voice').options.length > 0")
        yield page
        browser.close()
        assert not errors, errors


def test_page_speaks_plays_and_draws_the_spectrogram(page, server, tmp_path):
    page.get_by_label("Text").fill(SENTENCE)
    page.get_by_label("Pace").fill("1.2")  # range inputs take fill() in Playwright
    page.get_by_role("button", name="Speak").click()
    page.wait_for_function("() => window.hifiganLast !== undefined", timeout=120_000)
    status = page.locator("#status").inner_text()
    assert "s of audio (22050 Hz)" in status, status

    # the same request outside the browser: the page got exactly this audio
    r = httpx.post(server + "/v1/audio/speech", timeout=120,
                   json={"input": SENTENCE, "voice": "default", "speed": 1.2, "pitch_shift_hz": 0,
                         "response_format": "wav", "timestamps": True})
    samples, sr = sf.read(io.BytesIO(base64.b64decode(r.json()["audio"])), dtype="int16")
    last = page.evaluate("({n: hifiganLast.samples, sr: hifiganLast.sampleRate})")
    assert last == {"n": len(samples), "sr": sr} and 1.0 < len(samples) / sr < 5.0

    # playable: the audio element decodes it to the right duration and plays
    page.wait_for_function("() => document.getElementById('audio').readyState >= 1")
    duration = page.evaluate("document.getElementById('audio').duration")
    assert duration == pytest.approx(len(samples) / sr, abs=0.01)
    played = page.evaluate("""async () => { const a = document.getElementById('audio');
        await a.play(); await new Promise(r => setTimeout(r, 300)); a.pause(); return a.currentTime; }""")
    assert played > 0
    href = page.get_attribute("#download", "href")
    assert href.startswith("blob:") and page.get_attribute("#download", "download") == "speech.wav"
    # the downloaded file carries its real sizes
    riff, size, n = page.evaluate("async (u) => { const b = await (await fetch(u)).arrayBuffer(); "
                                  "const v = new DataView(b); return [v.getUint32(4, true), v.getUint32(40, true), "
                                  "b.byteLength]; }", href)
    assert size == 2 * len(samples) == n - 44 and riff == n - 8

    # the spectrogram: the page's numbers against numpy's, then the picture
    spec = page.evaluate("""() => { const s = hifiganLast.spectrogram;
        return {frames: s.frames, bins: s.bins, hop: s.hop, nfft: s.nfft, db: Array.from(s.db)}; }""")
    x = samples / 32768.0
    nfft, hop = spec["nfft"], spec["hop"]
    frames = (len(x) - nfft) // hop + 1
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(nfft) / nfft)
    ours = np.stack([np.abs(np.fft.rfft(x[f * hop:f * hop + nfft] * window)) ** 2 for f in range(frames)])
    assert spec["frames"] == frames and spec["bins"] == nfft // 2 + 1
    theirs = np.array(spec["db"]).reshape(frames, -1)
    loud = ours > 1e-6  # compare where there is signal (dB of near-zero power is all rounding)
    np.testing.assert_allclose(theirs[loud], 10 * np.log10(ours[loud] + 1e-10), atol=0.05)

    shot = Path(os.environ.get("HIFIGAN_SCREENSHOT_DIR", tmp_path)) / "serve_page.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = page.evaluate("""() => { const c = document.getElementById('spectrogram');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) s.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]); return s.size; }""")
    assert pixels > 50  # a picture, not a blank canvas
    assert page.get_attribute("#spectrogram", "aria-label").startswith("Spectrogram of")


def test_page_highlights_each_word_while_it_plays(page, server):
    text = "Dr. Smith paid $5.50 at nine."
    page.get_by_label("Text").fill(text)
    page.get_by_label("Pace").fill("1")
    page.evaluate("window.hifiganLast = undefined")
    page.get_by_role("button", name="Speak").click()
    page.wait_for_function("() => window.hifiganLast !== undefined", timeout=120_000)
    words = httpx.post(server + "/v1/audio/speech", timeout=120,
                       json={"input": text, "voice": "default", "speed": 1.0, "response_format": "wav",
                             "timestamps": True}).json()["words"]
    spans = page.eval_on_selector_all("#words span", "s => s.map(e => e.textContent)")
    assert spans == ["Dr.", "Smith", "paid", "$5.50", "at", "nine"]  # "$5.50" one stretch for its four words
    assert page.locator("#words").inner_text() == text
    audio = page.locator("#audio")
    for w in (words[1], words[5], words[-1]):  # seek into a word: it, and only it, is highlighted
        audio.evaluate("(a, t) => { a.currentTime = t; }", (w["start"] + w["end"]) / 2)
        page.wait_for_function("(want) => { const c = document.querySelectorAll('#words span.current'); "
                               "return c.length === 1 && c[0].textContent === want; }",
                               arg=text[w["start_char"]:w["end_char"]], timeout=10_000)
    # while it plays, the highlight follows the audio
    seen = page.evaluate("""async () => { const a = document.getElementById('audio'); a.currentTime = 0;
        const got = new Set(); await a.play();
        while (!a.ended && a.currentTime < a.duration) { await new Promise(r => setTimeout(r, 40));
          const c = document.querySelector('#words span.current'); if (c) got.add(c.textContent); }
        return [...got]; }""")
    assert {"Smith", "paid", "$5.50", "nine"} <= set(seen), seen


def test_page_reports_errors(page):
    page.get_by_label("Text").fill("   ")
    page.get_by_role("button", name="Speak").click()
    page.wait_for_function("() => document.getElementById('status').className === 'error'")
    assert "Type some text" in page.locator("#status").inner_text()
    page.get_by_label("Text").fill("🎉 🔥")
    page.get_by_role("button", name="Speak").click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('nothing to say')",
                           timeout=60_000)
