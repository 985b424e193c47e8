"""SSML spoken (hifigan.markup) and word timings (hifigan.timing): each element's effect measured
on the output, timings exact in frames, character spans on the raw input."""
import json

import numpy as np
import pytest
import torch

from hifigan.cli import main
from hifigan.errors import HifiganError, TextError
from hifigan.markup import prosody_targets
from hifigan.text.ssml import Prosody
from hifigan.timing import WordTiming, to_srt, to_vtt

from serve_helpers import HOP, tiny_tts

FRAMES = 3  # make_fastpitch: every symbol gets 3 frames


@pytest.fixture(scope="module")
def tts():
    return tiny_tts(0)


def test_word_timings_are_frames_and_spans_point_at_the_raw_words(tts):
    text = "Dr. Smith paid $5.50 today.  It was cheap!"
    audio, sr, words = tts.synthesize(text, timestamps=True)
    assert [w.word for w in words] == ["doctor", "smith", "paid", "five", "dollars", "and", "fifty", "cents", "today",
                                       "it", "was", "cheap"]
    assert [text[w.start_char:w.end_char] for w in words[:3]] == ["Dr.", "Smith", "paid"]
    assert {(w.start_char, w.end_char) for w in words[3:8]} == {(15, 20)}  # one span over "$5.50"
    assert [text[w.start_char:w.end_char] for w in words[9:]] == ["It", "was", "cheap"]
    tp = tts.text_processor
    for w in words[:9]:  # exact in frames: a word lasts 3 frames per symbol
        n = len(tp.encode_text(w.word))
        assert w.end - w.start == pytest.approx(n * FRAMES * HOP / sr, abs=1e-9)
    first = len(tp.encode_text("Dr. Smith paid $5.50 today."))
    pause = round(tts.sentence_pause * sr)
    ids, spoken = tp.encode_with_words("It was cheap!")
    assert words[9].start == pytest.approx((first * FRAMES * HOP + pause + spoken[0].first_id * FRAMES * HOP) / sr)
    assert words[-1].end <= len(audio) / sr
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))


def test_timing_formats():
    words = [WordTiming("hello", 0.0, 0.5, 0, 5), WordTiming("world", 3661.25, 3662.0, 6, 11)]
    assert to_srt(words).splitlines()[:6] == ["1", "00:00:00,000 --> 00:00:00,500", "hello", "", "2",
                                              "01:01:01,250 --> 01:01:02,000"]
    assert to_vtt(words).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.500\nhello\n")


def test_a_break_adds_exactly_its_length(tts):
    sr = tts.sample_rate
    plain, _ = tts.synthesize("<speak><s>One thing.</s><s>Two things.</s></speak>")
    broken, _ = tts.synthesize('<speak><s>One thing.</s><break time="700ms"/><s>Two things.</s></speak>')
    assert broken.size - plain.size == round(0.7 * sr)
    inside, _ = tts.synthesize('<speak>One <break time="1.5s"/> thing.</speak>')
    alone = sum(tts.synthesize(t)[0].size for t in ("One", "thing."))
    assert inside.size - alone == round(1.5 * sr)


def test_rate_scales_only_its_spans_frames(tts):
    doc = '<speak>Say <prosody rate="50%">these words</prosody> slowly please.</speak>'
    _, sr, words = tts.synthesize(doc, timestamps=True)
    _, _, plain = tts.synthesize("Say these words slowly please.", timestamps=True)
    length = {w.word: round((w.end - w.start) * sr / HOP) for w in words}
    base = {w.word: round((w.end - w.start) * sr / HOP) for w in plain}
    assert length["these"] == 2 * base["these"] and length["words"] == 2 * base["words"]
    assert length["say"] == base["say"] and length["slowly"] == base["slowly"]


def test_pitch_targets_move_by_the_stated_amount_in_the_span_only():
    frames = torch.tensor([3, 4, 5])
    pitch = torch.tensor([[0.5, -1.0, 0.2]])
    mean, std = 120.0, 20.0
    prosodies = [Prosody(), Prosody(pitch_semitones=2.0, pitch_hz=20.0), Prosody(rate=0.5, energy=1.5)]
    f, p, e = prosody_targets(frames, pitch, torch.tensor([1.0, 1.0, 2.0]), prosodies, mean, std)
    hz = lambda x: x * std + mean  # noqa: E731
    assert f.tolist() == [3, 4, 10]
    assert float(hz(p[0, 0])) == pytest.approx(hz(0.5)) and float(hz(p[0, 2])) == pytest.approx(hz(0.2))
    assert float(hz(p[0, 1])) == pytest.approx(hz(-1.0) * 2 ** (2 / 12) + 20.0)
    assert e.tolist() == [1.0, 1.0, 3.0]


def test_pitch_in_ssml_reaches_the_model_for_the_span(tts, monkeypatch):
    calls = []
    real = tts.fastpitch.infer
    monkeypatch.setattr(tts.fastpitch, "infer", lambda *a, **k: calls.append(k) or real(*a, **k))
    tts.synthesize('<speak>Low <prosody pitch="+3st">high</prosody> low.</speak>')
    first, second = calls
    ids, words = tts.text_processor.encode_with_words("Low high low.")
    with torch.no_grad():
        _, _, _, pred, _ = real(torch.tensor([ids]))
    mean, std = 218.14, 67.24  # the tiny model's buffers are zero: NVIDIA's LJ fallback
    got, want = second["pitch_tgt"][0, 0] * std + mean, pred[0, 0] * std + mean
    span = range(words[1].first_id, words[2].first_id)  # the word and the space after it (markup.py)
    for i in range(len(ids)):
        expect = want[i] * 2 ** (3 / 12) if i in span else want[i]
        assert float(got[i]) == pytest.approx(float(expect), rel=1e-5)


def test_volume_scales_its_span(tts):
    sr = tts.sample_rate
    doc = '<speak>Loud words here <prosody volume="-6dB">quiet words here</prosody></speak>'
    audio, _, words = tts.synthesize(doc, timestamps=True)
    plain, _, _ = tts.synthesize("Loud words here quiet words here", timestamps=True)
    a, b = int(words[4].start * sr) + HOP, int(words[5].end * sr) - HOP
    ratio = np.sqrt(np.mean(audio[a:b] ** 2) / np.mean(plain[a:b] ** 2))
    assert ratio == pytest.approx(10 ** (-6 / 20), rel=1e-3)
    c = int(words[1].end * sr) - HOP
    np.testing.assert_allclose(audio[:c], plain[:c], atol=1e-6)


def test_say_as_sub_and_phoneme_read_and_point_at_their_elements(tts):
    doc = ('<speak>Call <say-as interpret-as="digits">123</say-as> now, '
           '<sub alias="World Wide Web">WWW</sub> and <phoneme alphabet="x-arpabet" ph="T AH0 M EY1 T OW2">tomato'
           '</phoneme>.</speak>')
    _, _, words = tts.synthesize(doc, timestamps=True)
    said = [(w.word, doc[w.start_char:w.end_char]) for w in words]
    assert said[:4] == [("call", "Call"), ("one", "123"), ("two", "123"), ("three", "123")]
    assert ("world", "WWW") in said and ("web", "WWW") in said
    assert said[-1][1] == "tomato"


def test_voices_switch_and_an_unknown_one_is_an_error(tts):
    other = tiny_tts(1)
    doc = '<speak><s>First here.</s><voice name="other"><s>Second here.</s></voice></speak>'
    audio, _ = tts.synthesize(doc, voices={"other": other})
    first, _ = tts.synthesize("First here.")
    second, _ = other.synthesize("Second here.")
    pause = round(tts.sentence_pause * tts.sample_rate)
    np.testing.assert_allclose(audio, np.concatenate([first, np.zeros(pause, np.float32), second]), atol=1e-5)
    with pytest.raises(HifiganError, match="no such voice"):
        tts.synthesize(doc)


@pytest.mark.parametrize("doc, pattern", [
    ("<speak>Hello <b>world</speak>", "line 1, column"),
    ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     "<speak>&b;</speak>", "DOCTYPE|DTD"),
    ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>', "DOCTYPE|DTD"),
])
def test_bad_documents_are_refused(tts, doc, pattern):
    with pytest.raises(TextError, match=pattern):
        tts.synthesize(doc, ssml=True)


def test_cli_timestamps_beside_every_wav_and_ssml(tmp_path, capsys):
    fp, voc = _files(tmp_path)
    models = ["--fastpitch", str(fp), "--vocoder", str(voc)]
    assert main(["synthesize", "It costs $5.50.", "-o", str(tmp_path / "out.wav"), "--timestamps", "json",
                 *models]) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    assert [w["word"] for w in data["words"]] == ["it", "costs", "five", "dollars", "and", "fifty", "cents"]
    assert set(data["words"][0]) == {"word", "start", "end", "start_char", "end_char"}
    assert data["words"][2]["start_char"] == 9 and data["words"][2]["end_char"] == 14
    (tmp_path / "lines.txt").write_text('Plain line.\n<speak>An <break time="200ms"/> SSML line.</speak>\n')
    assert main(["synthesize", "-i", str(tmp_path / "lines.txt"), "-o", str(tmp_path / "d"), "--timestamps", "vtt",
                 *models]) == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["0001.vtt", "0001.wav", "0002.vtt", "0002.wav"]
    capsys.readouterr()
    assert main(["synthesize", "<speak>oops</spek>", "-o", str(tmp_path / "bad.wav"), *models]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "line 1, column" in err[0] and not (tmp_path / "bad.wav").exists()
    assert main(["synthesize", "Not markup.", "--ssml", "-o", str(tmp_path / "bad.wav"), *models]) == 1


def _files(tmp_path):
    from conftest import TINY
    from hifigan.audio import MelConfig
    from hifigan.checkpoints import save_fastpitch, save_generator
    from hifigan.models import Generator
    from test_pipeline import TINY_FP, make_fastpitch

    torch.manual_seed(0)
    return (save_fastpitch(tmp_path / "fp.safetensors", make_fastpitch(**TINY_FP)),
            save_generator(tmp_path / "voc.safetensors", Generator(TINY), MelConfig(hop_length=16)))


def test_the_server_speaks_ssml_and_answers_words_as_json():
    import base64
    import io

    pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    import soundfile as sf

    from hifigan.serve import ServeConfig, create_app
    from serve_helpers import live_server

    voice, other = tiny_tts(0), tiny_tts(1)
    doc = '<speak><s>It costs $5.50.</s><voice name="other"><s>Yes.</s></voice></speak>'
    want, sr, words = voice.synthesize(doc, timestamps=True, voices={"tiny": voice, "other": other})
    with live_server(create_app({"tiny": voice, "other": other}, ServeConfig(workers=1))) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        r = client.post("/v1/audio/speech", json={"input": doc, "response_format": "wav", "timestamps": True})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
        body = r.json()
        audio, got_sr = sf.read(io.BytesIO(base64.b64decode(body["audio"])), dtype="float32")
        assert got_sr == sr and audio.shape == want.shape
        assert body["words"] == [w.as_dict() for w in words]
        assert doc[body["words"][2]["start_char"]:body["words"][2]["end_char"]].startswith("$5.50")
        r = client.get("/api/tts", params={"text": doc})  # SSML through Coqui's endpoint too
        assert r.status_code == 200 and sf.read(io.BytesIO(r.content))[0].shape == want.shape
        r = client.post("/v1/audio/speech", json={"input": "<speak>bad</spek>", "response_format": "wav"})
        assert r.status_code == 400 and "line 1, column" in r.json()["error"]["message"]


def test_stream_gives_each_sentences_words_before_its_audio(tts):
    text = "First one here. Then it costs $5.50!"
    audio, sr, words = tts.synthesize(text, timestamps=True)
    items = list(tts.stream(text, timestamps=True))
    assert isinstance(items[0], list)
    got = [w for item in items if isinstance(item, list) for w in item]
    assert got == words
    np.testing.assert_allclose(np.concatenate([i for i in items if not isinstance(i, list)]), audio, atol=1e-4)


def test_the_server_streams_words_as_events():
    import base64

    pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    from hifigan.serve import ServeConfig, create_app
    from serve_helpers import live_server

    voice = tiny_tts(0)
    text = "First one here. Then it costs $5.50!"
    want, sr, words = voice.synthesize(text, timestamps=True)
    with live_server(create_app({"tiny": voice}, ServeConfig(workers=1))) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        r = client.post("/v1/audio/speech", json={"input": text, "stream_format": "sse", "timestamps": True})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
        kinds = [e["type"] for e in events]
        assert kinds[0] == "speech.words" and kinds[-1] == "speech.audio.done" and kinds.count("speech.words") == 2
        assert [w for e in events if e["type"] == "speech.words" for w in e["words"]] == [w.as_dict() for w in words]
        pcm = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
        assert len(pcm) == 2 * want.size
        r = client.post("/v1/audio/speech", json={"input": text, "stream_format": "sse", "response_format": "mp3"})
        assert r.status_code == 400
