"""hifigan bench: percentiles of the runs themselves, every combination measured, JSON report."""
import json

import numpy as np
import pytest
import torch

from hifigan.bench import Result, bench, percentile
from hifigan.cli import main
from hifigan.errors import HifiganError

from conftest import needs_int8
from test_precision import tiny_files  # noqa: F401  (the tiny FastPitch + generator checkpoint files)


def test_percentiles_are_measured_values_by_nearest_rank():
    times = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.4, 1.0, 0.6, 0.8]
    assert percentile(times, 50) == 0.5 and percentile(times, 90) == 0.9 and percentile(times, 99) == 1.0
    assert percentile([2.0], 99) == 2.0
    r = Result("vocoder", "s", "torch", "fp32", 1, 1, audio_s=2.0, times=times).summary()
    assert r["p50_s"] == 0.5 and r["rtf"] == 0.25 and r["x_realtime"] == 4.0 and r["runs"] == 10
    assert r["mean_s"] == pytest.approx(np.mean(times))


def test_every_combination_is_measured(tiny_files):
    fp, voc = tiny_files
    seen = []
    results = bench(fp, voc, texts=["sentence", "Two words."], batch_sizes=[1, 2], threads=[1, 2], runs=2,
                    warmup=0, progress=seen.append)
    torch.set_num_threads(2)
    # 2 threads x 2 texts x (3 stages x 2 batch sizes + first_audio once)
    assert len(results) == len(seen) == 2 * 2 * 7
    assert {r.text for r in results} == {"sentence", "text2"} and {r.threads for r in results} == {1, 2}
    for r in results:
        assert len(r.times) == 2 and all(t > 0 for t in r.times)
    by = {(r.stage, r.text, r.batch_size, r.threads): r for r in results}
    one, two = by[("vocoder", "sentence", 1, 1)], by[("vocoder", "sentence", 2, 1)]
    assert two.audio_s == pytest.approx(2 * one.audio_s) and one.audio_s > 0
    assert by[("fastpitch", "sentence", 1, 2)].audio_s == pytest.approx(one.audio_s)
    assert ("first_audio", "sentence", 2, 1) not in by


def test_random_weights_of_a_named_size_take_the_default_voices_durations():
    (r,) = bench("random:tiny", stages=["fastpitch"], texts=["sentence"], runs=1, warmup=0)
    (ref,) = bench("default", stages=["fastpitch"], texts=["sentence"], runs=1, warmup=0)
    assert r.audio_s == pytest.approx(ref.audio_s) and r.audio_s > 1.0


@needs_int8
def test_random_weights_run_in_int8_when_asked(monkeypatch):
    import hifigan.models.fastpitch as fpm

    calls = []
    real = fpm.FastPitch.quantize_int8
    monkeypatch.setattr(fpm.FastPitch, "quantize_int8", lambda self: calls.append(self) or real(self))
    (r,) = bench("random:tiny", stages=["fastpitch"], texts=["sentence"], precisions=["int8/fp32"], runs=1, warmup=0)
    assert r.precision == "int8/fp32" and r.audio_s > 1.0
    assert len(calls) == 2 and all(m.is_int8 for m in calls)  # the random model and the pipeline's voice


@pytest.mark.parametrize("kw, pattern", [
    (dict(stages=["vocoder"], fastpitch="random:tiny"), "random weights make no speech"),
    (dict(stages=["fastpitch"], fastpitch="random:huge"), "unknown size 'huge'"),
    (dict(stages=["warp"]), "unknown stage 'warp'"),
    (dict(runs=0), "runs >= 1"),
])
def test_bad_settings(kw, pattern):
    with pytest.raises(HifiganError, match=pattern):
        bench(**kw)


def test_cli_prints_a_table_and_writes_every_run_to_json(tiny_files, tmp_path, capsys):
    fp, voc = tiny_files
    out = tmp_path / "r" / "bench.json"
    assert main(["bench", "--fastpitch", str(fp), "--vocoder", str(voc), "--texts", "sentence", "--runs", "3",
                 "--warmup", "0", "--stages", "vocoder", "tts", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "p99 s" in printed and printed.count("sentence") == 2
    data = json.loads(out.read_text())
    assert data["machine"]["cpu_count"] >= 1 and "native_bf16" in data["machine"]
    assert [r["stage"] for r in data["results"]] == ["vocoder", "tts"]
    assert all(len(r["times_s"]) == 3 and r["p99_s"] == max(r["times_s"]) for r in data["results"])
    assert not list(out.parent.glob(".*.part"))
    assert main(["bench", "--fastpitch", "random:tiny", "--stages", "tts"]) == 1
    assert "random weights make no speech" in capsys.readouterr().err


def test_onnx_backend_is_benchmarked_beside_torch(tiny_files, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("HIFIGAN_CACHE", str(tmp_path / "cache"))
    fp, voc = tiny_files
    results = bench(fp, voc, texts=["sentence"], stages=["fastpitch", "vocoder"], backends=["torch", "onnx"],
                    runs=1, warmup=0)
    assert [(r.stage, r.backend) for r in results] == [("fastpitch", "torch"), ("vocoder", "torch"),
                                                       ("fastpitch", "onnx"), ("vocoder", "onnx")]
    assert results[1].audio_s == pytest.approx(results[3].audio_s)


def test_real_use_first_pass_texts_are_new_to_the_process(tiny_files):
    """time_unseen: only the warm-up text is spoken before the first pass, every first-pass text is
    spoken there for the first time, then once more in the second pass."""
    from hifigan import TextToSpeech
    from hifigan.bench import WARMUP_TEXT, time_unseen

    fp, voc = tiny_files
    tts = TextToSpeech.from_pretrained(fp, voc)
    seen = []
    real_synth, real_stream = tts.synthesize, tts.stream
    tts.synthesize = lambda text, **kw: seen.append(text) or real_synth(text, **kw)
    tts.stream = lambda text, **kw: seen.append(text) or real_stream(text, **kw)
    texts = ["One short line.", "A second, somewhat longer line of text.", "Three."]
    out = time_unseen(tts, texts, "stream")
    assert seen[0] == WARMUP_TEXT and seen[1:] == texts + texts
    assert len(out["first"]) == len(out["second"]) == len(out["first_audio"]["first"]) == 3
    assert all(a > 0 for a in out["audio_s"])
    with pytest.raises(HifiganError, match="warm-up"):
        time_unseen(tts, [WARMUP_TEXT], "tts")


def test_real_use_runs_each_configuration_in_a_fresh_process(tiny_files, tmp_path, capsys):
    from hifigan.bench import bench_sentences

    fp, voc = tiny_files
    assert len(bench_sentences()) >= 100 and len(set(bench_sentences())) == len(bench_sentences())
    (tmp_path / "s.txt").write_text("First line here.\nA second line, longer.\nThird.\n")
    out = tmp_path / "real.json"
    assert main(["bench", "--fastpitch", str(fp), "--vocoder", str(voc), "--sentences", str(tmp_path / "s.txt"),
                 "--precision", "fp32", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "RTF 1st" in printed and "RTF 2nd" in printed
    data = json.loads(out.read_text())
    assert [r["stage"] for r in data["results"]] == ["tts", "stream"]
    for r in data["results"]:
        assert r["sentences"] == 3 and len(r["first_s"]) == len(r["second_s"]) == 3
        assert r["rtf_first"] == pytest.approx(sum(r["first_s"]) / r["audio_s"])
    assert "first_audio_p50_s" in data["results"][1]
    (tmp_path / "dup.txt").write_text("Same.\nSame.\n")
    assert main(["bench", "--fastpitch", str(fp), "--vocoder", str(voc), "--sentences", str(tmp_path / "dup.txt")]) == 1
    assert "distinct" in capsys.readouterr().err
    assert main(["bench", "--sentences", str(tmp_path / "missing.txt")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "cannot read the sentences" in err[-1] and not any("Traceback" in line for line in err)
