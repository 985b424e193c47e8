"""FastPitch training: alignment pieces against independent computations, data preparation,
and the trainer (loss falls, exact resume, NaN stop, signals, torchrun)."""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch.nn import functional as F

from hifigan.models.fastpitch import FastPitch, hard_alignment, mas, mas_width1
from hifigan.train.data import (PrepareConfig, PreparedDataset, beta_binomial_prior, bucket_batches, collate,
                                prepare, read_dataset)
from hifigan.train.fastpitch import FastPitchTask, FastPitchTrainConfig, init_from_checkpoint, model_config
from hifigan.train.losses import attention_ctc_loss, binarization_loss
from hifigan.train.pitch import estimate_pitch
from hifigan.train.trainer import LoopConfig, Trainer, TrainingError

TINY_LJ = Path(__file__).parent / "data" / "tiny_lj"
ROOT = Path(__file__).parents[1]


# ---------------------------------------------------------------- alignment


@pytest.mark.parametrize("seed", range(4))
def test_batched_mas_equals_per_utterance_mas(seed):
    rng = np.random.default_rng(seed)
    text_lens, mel_lens = np.array([7, 3, 12, 1]), np.array([20, 9, 40, 5])
    log_p = rng.normal(size=(4, 40, 12)).astype(np.float32) * 3
    got = mas(log_p, text_lens, mel_lens)
    for b in range(4):
        want = mas_width1(log_p[b, :mel_lens[b], :text_lens[b]])
        np.testing.assert_array_equal(got[b, :mel_lens[b], :text_lens[b]], want)
        assert got[b].sum() == mel_lens[b]  # nothing outside the utterance
        path = got[b, :mel_lens[b], :text_lens[b]]
        assert (path.sum(1) == 1).all()
        cols = path.argmax(1)
        assert cols[0] == 0 and cols[-1] == text_lens[b] - 1 and set(np.diff(cols)) <= {0, 1}


def test_mas_on_log_softmax_survives_where_log_of_softmax_underflows():
    # a diagonal alignment, except that frames 25-34 match symbol 0 so strongly that every other
    # symbol's softmax underflows to exactly 0: log(softmax) is -inf on the whole band, every
    # path ties at -inf and the route collapses onto the first symbol (NVIDIA's failure).
    n_mel, n_text = 60, 20
    target = np.minimum(np.arange(n_mel) * n_text // n_mel, n_text - 1)
    scores = -2.0 * (np.arange(n_text)[None] - target[:, None]) ** 2
    scores[25:35] = -500.0 * np.arange(n_text)[None] ** 2
    scores = torch.tensor(scores, dtype=torch.float32)[None, None]
    naive = torch.log(torch.softmax(scores, dim=3))
    assert torch.isinf(naive[0, 0, 25:35, 1:]).all()
    bad = mas(naive[0].numpy(), [n_text], [n_mel])[0].argmax(1)
    assert (bad[:35] == 0).all() and (bad != target).mean() > 0.5  # collapsed onto symbol 0
    good = hard_alignment(F.log_softmax(scores, dim=3), [n_text], [n_mel])[0, 0].numpy().argmax(1)
    exact = mas(F.log_softmax(scores.double(), dim=3)[0].numpy(), [n_text], [n_mel])[0].argmax(1)
    np.testing.assert_array_equal(good, exact)  # the true best path
    assert (bad != exact).sum() > 10


def test_beta_binomial_prior_matches_scipy():
    from scipy.stats import betabinom

    for n_text, n_mel in ((5, 17), (30, 120), (1, 4)):
        prior = beta_binomial_prior(n_text, n_mel)
        want = np.array([betabinom(n_text, i, n_mel + 1 - i).pmf(np.arange(n_text)) for i in range(1, n_mel + 1)])
        assert prior.shape == (n_mel, n_text)
        np.testing.assert_allclose(prior, want, rtol=1e-5, atol=1e-12)


def _ctc_loop(attn_logprob, text_lens, mel_lens, blank=-1.0):
    """NVIDIA's AttentionCTCLoss as written: one ctc_loss call per utterance."""
    padded = F.pad(attn_logprob, (1, 0), value=blank)
    total = 0.0
    for b in range(attn_logprob.shape[0]):
        t, m = int(text_lens[b]), int(mel_lens[b])
        lp = padded[b].permute(1, 0, 2)[:m, :, :t + 1]
        lp = F.log_softmax(lp[None], dim=3)[0]
        total = total + F.ctc_loss(lp, torch.arange(1, t + 1)[None], torch.tensor([m]), torch.tensor([t]),
                                   zero_infinity=True)
    return total / attn_logprob.shape[0]


def test_batched_ctc_loss_equals_nvidia_loop():
    torch.manual_seed(0)
    text_lens, mel_lens = torch.tensor([6, 3, 9]), torch.tensor([30, 12, 25])
    x = torch.randn(3, 1, 30, 9, requires_grad=True)
    got = attention_ctc_loss(x, text_lens, mel_lens)
    want = _ctc_loop(x, text_lens, mel_lens)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    g1, = torch.autograd.grad(got, x)
    g2, = torch.autograd.grad(_ctc_loop(x, text_lens, mel_lens), x)
    assert torch.isfinite(g1).all()
    torch.testing.assert_close(g1, g2, rtol=1e-4, atol=1e-6)


def test_binarization_loss_formula():
    soft = torch.softmax(torch.randn(2, 1, 8, 4), dim=3)
    hard = torch.from_numpy(mas(torch.log(soft)[:, 0].numpy(), [4, 4], [8, 8]))[:, None]
    want = -(torch.log(soft) * hard).sum() / 16
    torch.testing.assert_close(binarization_loss(hard, soft), want)


# ---------------------------------------------------------------- data


def test_bucket_batches_deterministic_and_split_across_ranks():
    lengths = list(np.random.default_rng(0).integers(50, 800, size=103))
    a = bucket_batches(lengths, 8, seed=1, epoch=0)
    assert a == bucket_batches(lengths, 8, seed=1, epoch=0)
    assert a != bucket_batches(lengths, 8, seed=1, epoch=1)
    assert all(len(b) == 8 for b in a) and len({i for b in a for i in b}) == 8 * len(a) == 96
    r0 = bucket_batches(lengths, 8, 1, 0, rank=0, world=2)
    r1 = bucket_batches(lengths, 8, 1, 0, rank=1, world=2)
    assert len(r0) == len(r1) == 6
    assert not {i for b in r0 for i in b} & {i for b in r1 for i in b}
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in a])
    assert spread < 0.3 * np.ptp(lengths)  # batches hold clips of similar length


def test_read_filelist_with_speakers(tmp_path):
    wavs = sorted((TINY_LJ / "wavs").glob("*.wav"))[:3]
    (tmp_path / "wavs").mkdir()
    for w in wavs:
        shutil.copy(w, tmp_path / "wavs" / w.name)
    fl = tmp_path / "list.txt"
    fl.write_text(f"wavs/{wavs[0].name}|Hello there.|3\nwavs/{wavs[1].name}|Second one.|0\n"
                  f"wavs/{wavs[2].name}|Third.|3\n")
    clips = read_dataset(fl)
    assert [c.speaker for c in clips] == ["3", "0", "3"]
    assert clips[0].wav == tmp_path / "wavs" / wavs[0].name
    assert len({c.id for c in clips}) == 3


def test_pitch_trackers_on_a_known_tone():
    sr, f0 = 22050, 140.0
    t = np.arange(int(sr * 1.0)) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)).astype(np.float32) * 0.3
    n = 1 + len(x) // 256
    for method in ("praat", "dio", "pyin"):
        p = estimate_pitch(x, sr, 256, n, method)
        assert p.shape == (n,)
        mid = p[10:-10]
        assert (mid > 0).mean() > 0.9, method
        assert abs(np.median(mid[mid > 0]) - f0) < 0.02 * f0, method


def test_praat_pitch_follows_a_glide_frame_by_frame():
    """A harmonic tone gliding 90 -> 180 Hz after 0.3 s of silence: frame k (centred at sample
    k * 256) must carry the instantaneous f0 there, and the silence must be unvoiced."""
    sr, hop = 22050, 256
    t = np.arange(int(sr * 1.5)) / sr
    f_inst = 90.0 * 2 ** (t / 1.5)  # one octave in 1.5 s
    phase = 2 * np.pi * np.cumsum(f_inst) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 6)).astype(np.float32) * 0.3
    x = np.concatenate([np.zeros(int(0.3 * sr), np.float32), x])
    n = 1 + len(x) // hop
    p = estimate_pitch(x, sr, hop, n, "praat")
    centres = np.arange(n) * hop - int(0.3 * sr)
    inside = (centres > 0.05 * sr) & (centres < 1.45 * sr)
    want = 90.0 * 2 ** (centres[inside] / sr / 1.5)
    cents = 1200 * np.abs(np.log2(np.maximum(p[inside], 1e-3) / want))
    assert np.median(cents) < 3 and cents.max() < 5  # one frame early or late is 9.3 cents off
    assert (p[: int(0.25 * sr) // hop] == 0).all()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The shipped tiny dataset plus four bad clips, prepared once."""
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(TINY_LJ, data, dirs_exist_ok=True)
    sr = 22050
    (data / "wavs" / "bad_corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    sf.write(data / "wavs" / "bad_silent.wav", np.zeros(sr * 2, np.float32), sr)
    sf.write(data / "wavs" / "bad_short.wav", np.random.default_rng(0).normal(0, 0.1, 2000).astype(np.float32), sr)
    # a stereo 44.1 kHz copy of a good clip: mixed down and resampled
    good = sorted((TINY_LJ / "wavs").glob("*.wav"))[0]
    audio, _ = sf.read(good, dtype="float32")
    from hifigan.audio import resample
    up = resample(audio, sr, 44100)
    sf.write(data / "wavs" / "stereo44k.wav", np.stack([up, up], 1), 44100)
    rows = (TINY_LJ / "metadata.csv").read_text()
    rows += ("bad_corrupt|Some words.|Some words.\nbad_silent|Quiet words.|Quiet words.\n"
             "bad_short|Short.|Short.\nbad_missing|Missing file.|Missing file.\nbad_text| | \n"
             "stereo44k|Stereo copy.|Stereo copy.\n")
    sf.write(data / "wavs" / "bad_text.wav", audio, sr)
    (data / "metadata.csv").write_text(rows)
    out = tmp_path_factory.mktemp("prep") / "prepared"
    manifest = prepare(data, out, PrepareConfig(), workers=1, val_size=1, progress=False)
    return data, out, manifest


def test_prepare_reports_bad_clips_and_goes_on(prepared):
    data, out, m = prepared
    report = (out / "report.tsv").read_text().splitlines()[1:]
    reasons = {r.split("\t")[0]: r.split("\t")[2] for r in report}
    assert set(reasons) == {"bad_corrupt", "bad_silent", "bad_short", "bad_missing", "bad_text"}
    assert "not a readable audio file" in reasons["bad_corrupt"]
    assert "silent" in reasons["bad_silent"] and "too short" in reasons["bad_short"]
    assert "no such file" in reasons["bad_missing"] and "text is empty" in reasons["bad_text"]
    assert len(m["clips"]) == 9 and len(m["val"]) == 1 and len(m["train"]) == 8
    assert 80 < m["pitch"]["mean"] < 250


def test_prepare_stops_at_once_when_the_pitch_package_is_missing(prepared, tmp_path, monkeypatch):
    import importlib.util

    from hifigan.train.data import DatasetError
    data, _, _ = prepared
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "parselmouth" else real(name, *a))
    with pytest.raises(DatasetError, match=r"--pitch praat needs praat-parselmouth") as e:
        prepare(data, tmp_path / "out", PrepareConfig(), workers=1, val_size=1, progress=False)
    assert "\n" not in str(e.value) and not (tmp_path / "out").exists()
    with pytest.raises(DatasetError, match="unknown pitch method"):
        prepare(data, tmp_path / "out", PrepareConfig(pitch_method="crepe"), workers=1, val_size=1, progress=False)


def test_prepared_features_match_independent_computation(prepared):
    data, out, m = prepared
    import librosa

    clip = m["clips"][0]
    with np.load(out / "clips" / f"{clip['id']}.npz") as z:
        mel, text, energy, prior, pitch = z["mel"], z["text"], z["energy"], z["prior"], z["pitch"]
    audio, sr = sf.read(data / "wavs" / f"{clip['id']}.wav", dtype="float32")
    # NVIDIA's TacotronSTFT: centred reflect-padded STFT magnitude, Slaney mel, ln(max(x, 1e-5))
    spec = np.abs(librosa.stft(audio, n_fft=1024, hop_length=256, win_length=1024, center=True, pad_mode="reflect"))
    fb = librosa.filters.mel(sr=sr, n_fft=1024, n_mels=80, fmin=0, fmax=8000)
    want = np.log(np.maximum(fb @ spec, 1e-5))
    np.testing.assert_allclose(mel, want, atol=2e-3)
    np.testing.assert_allclose(energy, np.linalg.norm(mel, axis=0), rtol=1e-5)
    assert prior.shape == (mel.shape[1], text.shape[0]) and pitch.shape == (mel.shape[1],)
    from hifigan.text import TextProcessor
    assert text.tolist() == TextProcessor().encode_text(clip["text"])
    stereo = next(c for c in m["clips"] if c["id"] == "stereo44k")
    assert abs(stereo["n_frames"] - clip["n_frames"]) <= 1


def test_prepare_resumes_without_redoing_clips(prepared, tmp_path):
    data, out, m = prepared
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    stamps = {p.name: p.stat().st_mtime_ns for p in (copy / "clips").glob("*.npz")}
    m2 = prepare(data, copy, PrepareConfig(), workers=1, val_size=1, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in (copy / "clips").glob("*.npz")} == stamps
    assert m2["train"] == m["train"] and m2["val"] == m["val"]
    with pytest.raises(Exception, match="other settings"):
        prepare(data, copy, PrepareConfig(pitch_method="pyin"), workers=1, val_size=1, progress=False)


def test_collate_pads_and_normalises_pitch(prepared):
    _, out, m = prepared
    ds = PreparedDataset(out, "train")
    batch = collate([ds[0], ds[1]])
    assert batch["mel"].shape[2] == int(batch["mel_lens"].max())
    raw = np.load(out / "clips" / f"{ds.clips[0]['id']}.npz")["pitch"]
    p = batch["pitch"][0, 0, :len(raw)].numpy()
    voiced = raw > 0
    np.testing.assert_allclose(p[voiced], (raw[voiced] - m["pitch"]["mean"]) / m["pitch"]["std"], rtol=1e-5)
    assert (p[~voiced] == 0).all()


# ---------------------------------------------------------------- trainer


def _loop(**kw):
    base = dict(steps=6, batch_size=4, precision="fp32", log_every=2, val_every=1000, ckpt_every=3,
                keep_last=5, progress=False, ema_decay=0.99)
    base.update(kw)
    return LoopConfig(**base)


def _tcfg(**kw):
    base = dict(config="tiny", lr=3e-3, warmup=2)
    base.update(kw)
    return FastPitchTrainConfig(**base)


def _weights(path):
    from hifigan.checkpoints import read_safetensors
    return read_safetensors(path)[0]


def test_training_lowers_the_loss_and_checkpoint_loads(prepared, tmp_path):
    _, out, _ = prepared
    run = tmp_path / "run"
    res = Trainer(FastPitchTask(out, _tcfg(lr=1e-2, warmup=1)), run,
                  _loop(steps=30, log_every=5, val_every=30, ckpt_every=30)).fit()
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["split"] == "train"]
    assert train[-1]["mel"] < 0.5 * train[0]["mel"]
    assert any(r["split"] == "val" for r in rows) and (run / "val" / "alignment_0000030.png").is_file()
    import hifigan
    model = hifigan.load_fastpitch(res["checkpoint"])
    assert model.config.in_fft_n_layers == 1 and model.train_setup["symbol_set"] == "english_basic"
    tts = hifigan.TextToSpeech(model, hifigan.load_vocoder("lj_v1"))
    audio, sr = tts.synthesize("Hello there.")
    assert sr == 22050 and audio.size > 0 and np.isfinite(audio).all()


def test_resume_is_bit_exact(prepared, tmp_path):
    _, out, _ = prepared
    Trainer(FastPitchTask(out, _tcfg()), tmp_path / "a", _loop()).fit()
    Trainer(FastPitchTask(out, _tcfg()), tmp_path / "b", _loop(steps=3)).fit()
    with pytest.raises(TrainingError, match="--resume"):
        Trainer(FastPitchTask(out, _tcfg()), tmp_path / "b", _loop()).fit()
    Trainer(FastPitchTask(out, _tcfg()), tmp_path / "b", _loop(), resume=True).fit()
    a = torch.load(tmp_path / "a/checkpoints/state_0000006.pt", weights_only=True)
    b = torch.load(tmp_path / "b/checkpoints/state_0000006.pt", weights_only=True)
    for k, v in a["modules"]["fastpitch"].items():
        assert torch.equal(v, b["modules"]["fastpitch"][k]), k
    assert a["ema"]["fastpitch"]["updates"] == b["ema"]["fastpitch"]["updates"] == 6
    for k, v in a["ema"]["fastpitch"]["shadow"].items():
        assert torch.equal(v, b["ema"]["fastpitch"]["shadow"][k]), k
    wa, wb = _weights(tmp_path / "a/checkpoints/fastpitch_0000006.safetensors"), \
        _weights(tmp_path / "b/checkpoints/fastpitch_0000006.safetensors")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(v, a["ema"]["fastpitch"]["shadow"][k]) for k, v in a["modules"]["fastpitch"].items())


class _NaNAt(FastPitchTask):
    def __init__(self, *a, bad_step, **kw):
        super().__init__(*a, **kw)
        self.bad_step = bad_step

    def loss(self, modules, batch, step):
        total, parts = super().loss(modules, batch, step)
        if step == self.bad_step:
            total = total * float("nan")
        return total, parts


def test_nan_loss_stops_without_touching_good_checkpoints(prepared, tmp_path):
    _, out, _ = prepared
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"step 5: the loss is not finite.*fastpitch_0000003"):
        Trainer(_NaNAt(out, _tcfg(), bad_step=5), run, _loop()).fit()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == \
        ["fastpitch_0000003.safetensors", "state_0000003.pt"]
    assert not list((run / "checkpoints").glob(".*part"))


class _SignalAt(FastPitchTask):
    def loss(self, modules, batch, step):
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().loss(modules, batch, step)


def test_sigterm_saves_then_exits_and_resume_continues(prepared, tmp_path):
    _, out, _ = prepared
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        Trainer(_SignalAt(out, _tcfg()), run, _loop(ckpt_every=100)).fit()
    assert e.value.code == 128 + signal.SIGTERM
    assert (run / "checkpoints" / "state_0000002.pt").is_file()
    res = Trainer(FastPitchTask(out, _tcfg()), run, _loop(ckpt_every=100), resume=True).fit()
    assert res["step"] == 6


def test_keep_last_and_cli(prepared, tmp_path):
    _, out, _ = prepared
    from hifigan.cli import main
    run = tmp_path / "run"
    args = ["train", "fastpitch", str(out), "-o", str(run), "--config", "tiny", "--steps", "4",
            "--batch-size", "4", "--ckpt-every", "1", "--keep-last", "2", "--no-progress", "--log-every", "1"]
    assert main(args) == 0
    assert sorted(p.name for p in (run / "checkpoints").glob("state_*")) == ["state_0000003.pt", "state_0000004.pt"]
    assert main(args) == 1  # exists, no --resume
    run = tmp_path / "every"  # --keep-every: weights of every 2nd step stay, resume states still pruned
    assert main([*args[:4], str(run), *args[5:], "--keep-last", "1", "--keep-every", "2"]) == 0
    assert [p.name for p in (run / "checkpoints").glob("state_*")] == ["state_0000004.pt"]
    assert sorted(p.name for p in (run / "checkpoints").glob("fastpitch_*")) == [
        "fastpitch_0000002.safetensors", "fastpitch_0000004.safetensors"]
    assert main(["train", "fastpitch", str(out), "-o", str(tmp_path / "r2"), "--config", "nope.json"]) == 1
    assert main(["train", "fastpitch", str(tmp_path), "-o", str(tmp_path / "r3")]) == 1


def test_init_from_other_vocabulary(prepared, tmp_path):
    from hifigan.checkpoints import save_fastpitch
    src = FastPitch(model_config("tiny", n_symbols=100, n_speakers=1))
    path = save_fastpitch(tmp_path / "src.safetensors", src)
    dst = FastPitch(model_config("tiny", n_symbols=148, n_speakers=1))
    msg = init_from_checkpoint(dst, path)
    assert "encoder.word_emb.weight (100 of 148 rows)" in msg
    assert torch.equal(dst.encoder.word_emb.weight[:100], src.encoder.word_emb.weight)
    assert torch.equal(dst.decoder.layers[0].pos_ff.CoreNet[0].weight, src.decoder.layers[0].pos_ff.CoreNet[0].weight)


def test_torchrun_two_processes_on_cpu(prepared, tmp_path):
    _, out, _ = prepared
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "hifigan", "train", "fastpitch", str(out), "-o", str(run), "--config", "tiny", "--steps", "3",
           "--batch-size", "2", "--ckpt-every", "3", "--no-progress", "--log-every", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (run / "checkpoints" / "fastpitch_0000003.safetensors").is_file()
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["split"] == "train"] == [1, 2, 3]  # rank 0 alone logs
    st = torch.load(run / "checkpoints" / "state_0000003.pt", weights_only=True)
    assert st["step"] == 3


def test_aligner_distances_match_nvidias_broadcast():
    from hifigan.models.fastpitch import ConvAttention
    torch.manual_seed(0)
    att = ConvAttention(80, 32)
    mel, keys = torch.randn(2, 80, 50), torch.randn(2, 32, 12)
    prior = torch.softmax(torch.randn(2, 50, 12), dim=2)
    got_soft, got_log = att(mel, keys, attn_prior=prior)
    q, k = att.query_proj(mel), att.key_proj(keys)
    ref = -0.0005 * ((q[:, :, :, None] - k[:, :, None]) ** 2).sum(1, keepdim=True)  # NVIDIA's expression
    ref = F.log_softmax(ref, dim=3) + torch.log(prior[:, None] + 1e-8)
    torch.testing.assert_close(got_log, ref, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(got_soft, torch.softmax(ref, dim=3), rtol=1e-4, atol=1e-6)


def test_ema_warms_up_then_keeps_its_decay():
    from hifigan.train.trainer import EMA
    m = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        m.weight.fill_(0.0)
    ema = EMA(m, 0.999)
    with torch.no_grad():
        m.weight.fill_(1.0)
    want = 0.0
    for n in range(1, 2001):
        ema.update(m)
        d = min(0.999, (1 + n) / (10 + n))
        want = d * want + (1 - d)
    assert ema.shadow["weight"].item() == pytest.approx(want, rel=1e-5)
    assert ema.shadow["weight"].item() > 0.99  # a plain 0.999 average would still hold 13.5% of the start
    e2 = EMA(m, 0.999)
    e2.load_state_dict(ema.state_dict())
    assert e2.updates == 2000 and torch.equal(e2.shadow["weight"], ema.shadow["weight"])


class _SignalReport(torch.utils.data.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return {"born_blocked": int(getattr(self, "born_blocked", -1)), "blocked": int(signal.SIGTERM in blocked),
                "ignored": int(signal.getsignal(signal.SIGTERM) == signal.SIG_IGN)}


def _record_birth_mask(worker_id):
    from hifigan.train.trainer import _ignore_stop_signals

    torch.utils.data.get_worker_info().dataset.born_blocked = signal.SIGTERM in signal.pthread_sigmask(
        signal.SIG_BLOCK, [])
    _ignore_stop_signals(worker_id)


def test_loader_workers_are_born_with_stop_signals_blocked_then_ignore_them():
    """A worker starting when `kill -TERM -PGID` comes must not die of it (each epoch starts new ones)."""
    from hifigan.train.trainer import _Loader

    seen = []

    def collate(items):
        return items

    loader = _Loader(torch.utils.data.DataLoader(_SignalReport(), batch_size=1, num_workers=1, collate_fn=collate,
                                                 worker_init_fn=_record_birth_mask))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    for batch in loader:
        seen += batch
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # the main process's mask is back
    # the worker was born with SIGTERM blocked, then ignores it and no longer blocks it
    assert seen == [{"born_blocked": 1, "blocked": 0, "ignored": 1}] * 2
    assert len(loader) == 2


def test_sigterm_to_the_process_group_with_loader_workers_still_saves(prepared, tmp_path):
    """`kill -TERM -PGID` (or a scheduler's stop) reaches the data-loading workers too: they must
    leave the shutdown to the main process, which saves before exiting."""
    import time

    _, out, _ = prepared
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "hifigan", "train", "fastpitch", str(out), "-o", str(run), "--config", "tiny",
           "--steps", "100000", "--batch-size", "2", "--workers", "1", "--ckpt-every", "100000",
           "--val-every", "100000", "--no-progress", "--log-every", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 3:
            break
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, err[-2000:]
    states = list((run / "checkpoints").glob("state_*.pt"))
    assert len(states) == 1 and torch.load(states[0], weights_only=True)["step"] >= 3, err[-2000:]


@pytest.mark.parametrize("native", [False, True])
def test_bf16_on_a_cpu_without_native_bf16_warns(tmp_path, capsys, monkeypatch, native):
    from hifigan.train import trainer as T

    monkeypatch.setattr(T, "cpu_has_native_bf16", lambda: native)
    T.Trainer(T.Task(), tmp_path / "run", T.LoopConfig(precision="bf16", device="cpu"))
    err = capsys.readouterr().err
    assert ("no native bf16" in err) is (not native)
    T.Trainer(T.Task(), tmp_path / "run", T.LoopConfig(precision="fp32", device="cpu"))
    assert "bf16" not in capsys.readouterr().err
