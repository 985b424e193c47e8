"""HiFi-GAN training: discriminators and their reference checkpoints, GAN losses against their
formulas, the two-phase task in the shared trainer (loss falls, exact resume, fine-tuning,
torchrun), and teacher-forced mel extraction."""
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import TINY, reference_generator
from hifigan.checkpoints import (discriminator_companion, load_discriminator_checkpoint,
                                 normalize_generator_state_dict, save_fastpitch)
from hifigan.cli import main
from hifigan.models import Generator
from hifigan.train.data import PrepareConfig, prepare
from hifigan.train.discriminators import DiscriminatorConfig, MultiPeriodDiscriminator, MultiScaleDiscriminator
from hifigan.train.losses import (VocoderLossWeights, discriminator_loss, feature_matching_loss,
                                  generator_adversarial_loss)
from hifigan.train.trainer import LoopConfig, Trainer, TrainingError
from hifigan.train.vocoder import VocoderTask, VocoderTrainConfig, load_moments

TINY_LJ = Path(__file__).parent / "data" / "tiny_lj"
TINY_D = dict(mpd=(4, 16, 64, 128, 128), msd=(16, 16, 32, 64, 128, 128, 128))


# ---------------------------------------------------------------- the authors' discriminators, rebuilt
# From the layer table of jik876/hifi-gan models.py (DiscriminatorP, DiscriminatorS and the two
# Multi* wrappers), with the legacy torch.nn.utils.weight_norm / spectral_norm their files carry.
# NVIDIA's models.py has the same layers and keys; its MultiScaleDiscriminator pools with padding 1.

class RefDiscriminatorP(nn.Module):
    def __init__(self, period, ch=(32, 128, 512, 1024, 1024)):
        super().__init__()
        self.period = period
        wn = nn.utils.weight_norm
        self.convs = nn.ModuleList([
            wn(nn.Conv2d(1, ch[0], (5, 1), (3, 1), padding=(2, 0))),
            wn(nn.Conv2d(ch[0], ch[1], (5, 1), (3, 1), padding=(2, 0))),
            wn(nn.Conv2d(ch[1], ch[2], (5, 1), (3, 1), padding=(2, 0))),
            wn(nn.Conv2d(ch[2], ch[3], (5, 1), (3, 1), padding=(2, 0))),
            wn(nn.Conv2d(ch[3], ch[4], (5, 1), 1, padding=(2, 0))),
        ])
        self.conv_post = wn(nn.Conv2d(ch[4], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x):
        b, c, t = x.shape
        if t % self.period != 0:
            n_pad = self.period - (t % self.period)
            x = F.pad(x, (0, n_pad), "reflect")
            t = t + n_pad
        x = x.view(b, c, t // self.period, self.period)
        fmap = []
        for layer in self.convs:
            x = F.leaky_relu(layer(x), 0.1)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class RefDiscriminatorS(nn.Module):
    def __init__(self, use_spectral_norm=False, ch=(128, 128, 256, 512, 1024, 1024, 1024)):
        super().__init__()
        norm = nn.utils.spectral_norm if use_spectral_norm else nn.utils.weight_norm
        self.convs = nn.ModuleList([
            norm(nn.Conv1d(1, ch[0], 15, 1, padding=7)),
            norm(nn.Conv1d(ch[0], ch[1], 41, 2, groups=4, padding=20)),
            norm(nn.Conv1d(ch[1], ch[2], 41, 2, groups=16, padding=20)),
            norm(nn.Conv1d(ch[2], ch[3], 41, 4, groups=16, padding=20)),
            norm(nn.Conv1d(ch[3], ch[4], 41, 4, groups=16, padding=20)),
            norm(nn.Conv1d(ch[4], ch[5], 41, 1, groups=16, padding=20)),
            norm(nn.Conv1d(ch[5], ch[6], 5, 1, padding=2)),
        ])
        self.conv_post = norm(nn.Conv1d(ch[6], 1, 3, 1, padding=1))

    def forward(self, x):
        fmap = []
        for layer in self.convs:
            x = F.leaky_relu(layer(x), 0.1)
            fmap.append(x)
        x = self.conv_post(x)
        fmap.append(x)
        return torch.flatten(x, 1, -1), fmap


class RefMPD(nn.Module):
    def __init__(self, ch=(32, 128, 512, 1024, 1024)):
        super().__init__()
        self.discriminators = nn.ModuleList([RefDiscriminatorP(p, ch) for p in (2, 3, 5, 7, 11)])

    def forward(self, y, y_hat):
        out = [], [], [], []
        for d in self.discriminators:
            r, fr = d(y)
            g, fg = d(y_hat)
            for lst, v in zip(out, (r, g, fr, fg)):
                lst.append(v)
        return out


class RefMSD(nn.Module):
    def __init__(self, ch=(128, 128, 256, 512, 1024, 1024, 1024), pool_padding=2):
        super().__init__()
        self.discriminators = nn.ModuleList([RefDiscriminatorS(True, ch), RefDiscriminatorS(False, ch),
                                             RefDiscriminatorS(False, ch)])
        self.meanpools = nn.ModuleList([nn.AvgPool1d(4, 2, padding=pool_padding),
                                        nn.AvgPool1d(4, 2, padding=pool_padding)])

    def forward(self, y, y_hat):
        out = [], [], [], []
        for i, d in enumerate(self.discriminators):
            if i != 0:
                y, y_hat = self.meanpools[i - 1](y), self.meanpools[i - 1](y_hat)
            r, fr = d(y)
            g, fg = d(y_hat)
            for lst, v in zip(out, (r, g, fr, fg)):
                lst.append(v)
        return out


def _perturbed(*modules):
    with torch.no_grad():
        for m in modules:
            for p in m.parameters():
                p.add_(0.02 * torch.randn_like(p))


def _same_outputs(ref, ours, audio, train):
    ref.train(train), ours.train(train)
    with torch.no_grad():
        r_scores, _, r_fmaps, _ = ref(audio, audio)
        o_scores, o_fmaps = ours(audio)
    assert len(r_scores) == len(o_scores)
    for a, b in zip(r_scores, o_scores):
        torch.testing.assert_close(b, a, rtol=0, atol=0)
    for fa, fb in zip(r_fmaps, o_fmaps):
        for a, b in zip(fa, fb):
            torch.testing.assert_close(b, a, rtol=0, atol=0)


def test_authors_discriminator_file_loads_with_their_keys_outputs_and_moments(tmp_path, reference_models):
    """A do_XXXXXXXX file of the paper-size discriminators after one step of the authors' update
    (both optimizers), loaded strictly: same scores and feature maps in eval and training mode
    (spectral norm's power iteration included), Adam moments on the same parameters."""
    torch.manual_seed(0)
    mpd, msd = RefMPD(), RefMSD()
    assert sum(p.numel() for p in mpd.parameters()) == 41_105_770  # as the authors' code builds it
    assert sum(p.numel() for p in msd.parameters()) == 29_618_821  # (counted with their models.py)
    assert [k for k in msd.state_dict() if k.startswith("discriminators.0.convs.0.")] == \
        ["discriminators.0.convs.0.bias", "discriminators.0.convs.0.weight_orig",
         "discriminators.0.convs.0.weight_u", "discriminators.0.convs.0.weight_v"]
    gen = reference_generator(reference_models, TINY)
    optim_g = torch.optim.AdamW(gen.parameters(), 2e-4, betas=[0.8, 0.99])
    optim_d = torch.optim.AdamW(itertools.chain(msd.parameters(), mpd.parameters()), 2e-4, betas=[0.8, 0.99])
    y, y_hat = torch.randn(2, 1, 1024) * 0.3, gen(torch.randn(2, 80, 64))
    r, g, _, _ = mpd(y, y_hat.detach())
    r2, g2, _, _ = msd(y, y_hat.detach())
    sum((1 - a).pow(2).mean() + b.pow(2).mean() for a, b in zip(r + r2, g + g2)).backward()
    optim_d.step()
    _, g, fr, fg = mpd(y, y_hat)
    _, g2, fr2, fg2 = msd(y, y_hat)
    loss = sum((1 - b).pow(2).mean() for b in g + g2) + \
        2 * sum((a - b).abs().mean() for fa, fb in zip(fr + fr2, fg + fg2) for a, b in zip(fa, fb))
    loss.backward()
    optim_g.step()
    torch.save({"generator": gen.state_dict()}, tmp_path / "g_00000001")
    torch.save({"mpd": mpd.state_dict(), "msd": msd.state_dict(), "optim_g": optim_g.state_dict(),
                "optim_d": optim_d.state_dict(), "steps": 1, "epoch": 0}, tmp_path / "do_00000001")

    assert discriminator_companion(tmp_path / "g_00000001") == tmp_path / "do_00000001"
    d = load_discriminator_checkpoint(tmp_path / "do_00000001")
    assert d["layout"] == "authors" and d["steps"] == 1 and d["epoch"] == 0
    ours_p, ours_s = MultiPeriodDiscriminator(), MultiScaleDiscriminator()
    assert set(d["mpd"]) == set(ours_p.state_dict()) and set(d["msd"]) == set(ours_s.state_dict())
    ours_p.load_state_dict(d["mpd"])  # strict: no missing or unexpected keys, same shapes
    ours_s.load_state_dict(d["msd"])
    audio = torch.randn(2, 1, 1001) * 0.3  # no multiple of any period: reflect padding
    _same_outputs(mpd, ours_p, audio, train=False)
    _same_outputs(msd, ours_s, audio, train=False)
    _same_outputs(msd, ours_s, audio, train=True)  # one power iteration each, in the same order

    ours_g = Generator(TINY)
    ours_g.load_state_dict(normalize_generator_state_dict(gen.state_dict()))
    opt_d = torch.optim.AdamW(itertools.chain(ours_s.parameters(), ours_p.parameters()), 1e-4)
    opt_g = torch.optim.AdamW(ours_g.parameters(), 1e-4)
    assert load_moments(opt_d, d["optim_d"]).startswith("moments loaded for 154 of 154")
    assert "loaded" in load_moments(opt_g, d["optim_g"])
    assert opt_d.param_groups[0]["lr"] == 1e-4  # our settings stay

    def legacy(name):
        return name.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v")

    for ref, ours, ref_opt, our_opt in ((msd, ours_s, optim_d, opt_d), (mpd, ours_p, optim_d, opt_d),
                                        (gen, ours_g, optim_g, opt_g)):
        ref_params = dict(ref.named_parameters())
        for name, p in ours.named_parameters():
            q = ref_params[legacy(name)]
            assert torch.equal(our_opt.state[p]["exp_avg_sq"], ref_opt.state[q]["exp_avg_sq"]), name


def test_nvidia_discriminator_file_and_its_pooling(tmp_path):
    torch.manual_seed(1)
    mpd, msd = RefMPD(TINY_D["mpd"]), RefMSD(TINY_D["msd"], pool_padding=1)
    _perturbed(mpd, msd)
    opt = torch.optim.AdamW(itertools.chain(msd.parameters(), mpd.parameters()), 3e-4)
    ckpt = {"mpd": {f"module.{k}": v for k, v in mpd.state_dict().items()}, "msd": msd.state_dict(),
            "mpd_ema": None, "msd_ema": None, "optim_g": opt.state_dict(), "optim_d": opt.state_dict(),
            "scaler_g": {}, "scaler_d": {}, "train_state": {"epoch": 3, "iters_all": 30}, "steps": 30, "epoch": 3}
    torch.save(ckpt, tmp_path / "hifigan_discrim_checkpoint_3.pt")
    (tmp_path / "hifigan_gen_checkpoint_3.pt").write_bytes(b"")
    assert discriminator_companion(tmp_path / "hifigan_gen_checkpoint_3.pt") == \
        tmp_path / "hifigan_discrim_checkpoint_3.pt"
    d = load_discriminator_checkpoint(tmp_path / "hifigan_discrim_checkpoint_3.pt")
    assert d["layout"] == "nvidia" and d["steps"] == 30
    cfg = DiscriminatorConfig(mpd_channels=TINY_D["mpd"], msd_channels=TINY_D["msd"], msd_pool_padding=1)
    ours_p, ours_s = MultiPeriodDiscriminator(cfg), MultiScaleDiscriminator(cfg)
    ours_p.load_state_dict(d["mpd"])
    ours_s.load_state_dict(d["msd"])
    audio = torch.randn(1, 1, 4000) * 0.3
    _same_outputs(mpd, ours_p, audio, train=True)
    _same_outputs(msd, ours_s, audio, train=False)
    with pytest.raises(Exception, match="not a HiFi-GAN discriminator checkpoint"):
        torch.save({"generator": {}}, tmp_path / "g.pt")
        load_discriminator_checkpoint(tmp_path / "g.pt")


def test_gan_losses_against_their_formulas():
    rng = np.random.default_rng(0)
    real = [rng.normal(size=(2, n)).astype(np.float32) for n in (5, 9)]
    fake = [rng.normal(size=(2, n)).astype(np.float32) for n in (5, 9)]
    t = lambda xs: [torch.from_numpy(x) for x in xs]  # noqa: E731
    want_d = sum(np.mean((1 - r) ** 2) + np.mean(f ** 2) for r, f in zip(real, fake))
    want_g = sum(np.mean((1 - f) ** 2) for f in fake)
    assert float(discriminator_loss(t(real), t(fake))) == pytest.approx(want_d, rel=1e-6)
    assert float(generator_adversarial_loss(t(fake))) == pytest.approx(want_g, rel=1e-6)
    fr = [[rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 7))] for _ in range(2)]
    fg = [[rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 7))] for _ in range(2)]
    want_fm = 2 * sum(np.mean(np.abs(a - b)) for ra, ga in zip(fr, fg) for a, b in zip(ra, ga))
    got = feature_matching_loss([[torch.tensor(a) for a in r] for r in fr], [[torch.tensor(b) for b in g] for g in fg])
    assert float(got) == pytest.approx(want_fm, rel=1e-6)


# ---------------------------------------------------------------- training


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    out = tmp_path_factory.mktemp("vprep") / "prepared"
    prepare(TINY_LJ, out, PrepareConfig(pitch_method="dio"), workers=1, val_size=2, progress=False)
    return out


def _loop(**kw):
    base = dict(steps=4, batch_size=2, log_every=1, val_every=1000, ckpt_every=2, keep_last=5, progress=False)
    base.update(kw)
    return LoopConfig(**base)


def _tcfg(**kw):
    base = dict(config="tiny", discriminators="tiny", segment_size=512, val_clips=0)
    base.update(kw)
    return VocoderTrainConfig(**base)


def _rows(run):
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_vocoder_training_lowers_the_loss_and_exports_a_vocoder(prepared, tmp_path):
    run = tmp_path / "run"
    res = Trainer(VocoderTask(prepared, _tcfg(lr=2e-3, segment_size=2048, val_clips=1)), run,
                  _loop(steps=12, val_every=12, ckpt_every=12)).fit()
    rows = _rows(run)
    train = [r for r in rows if r["split"] == "train"]
    assert {"disc", "disc_mpd", "disc_msd", "total", "mel_l1", "adv", "fm", "grad_norm_discriminator",
            "grad_norm_generator"} <= train[0].keys()
    first, last = np.mean([r["mel_l1"] for r in train[:4]]), np.mean([r["mel_l1"] for r in train[-4:]])
    assert last < 0.75 * first, (first, last)
    assert np.mean([r["disc"] for r in train[-4:]]) < np.mean([r["disc"] for r in train[:4]])
    val = [r for r in rows if r["split"] == "val"]
    assert len(val) == 1 and 0 < val[0]["mel_l1"] < first
    assert (run / "tensorboard").is_dir()

    import hifigan
    voc = hifigan.load_vocoder(res["checkpoint"])
    assert voc.hop_length == 256 and voc.mel_config.convention == "tacotron"  # the data's mel settings
    wav = sorted((TINY_LJ / "wavs").glob("*.wav"))[0]
    assert main(["vocode", str(wav), "-o", str(tmp_path / "copy.wav"), "--vocoder", res["checkpoint"]]) == 0
    import soundfile as sf
    audio, sr = sf.read(tmp_path / "copy.wav")
    assert sr == 22050 and audio.size > 10000 and np.isfinite(audio).all()


def test_vocoder_resume_is_bit_exact(prepared, tmp_path):
    Trainer(VocoderTask(prepared, _tcfg()), tmp_path / "a", _loop()).fit()
    Trainer(VocoderTask(prepared, _tcfg()), tmp_path / "b", _loop(steps=2)).fit()
    Trainer(VocoderTask(prepared, _tcfg()), tmp_path / "b", _loop(), resume=True).fit()
    a = torch.load(tmp_path / "a/checkpoints/state_0000004.pt", weights_only=True)
    b = torch.load(tmp_path / "b/checkpoints/state_0000004.pt", weights_only=True)
    for name in ("generator", "mpd", "msd"):
        for k, v in a["modules"][name].items():
            assert torch.equal(v, b["modules"][name][k]), (name, k)
    for name in ("generator", "discriminator"):
        sa, sb = a["optimizers"][name]["state"], b["optimizers"][name]["state"]
        assert sa.keys() == sb.keys() and all(torch.equal(sa[i]["exp_avg"], sb[i]["exp_avg"]) for i in sa)
    assert [r["total"] for r in _rows(tmp_path / "a") if r["split"] == "train"] == \
        [r["total"] for r in _rows(tmp_path / "b") if r["split"] == "train"]
    st2 = torch.load(tmp_path / "b/checkpoints/state_0000002.pt", weights_only=True)
    assert not torch.equal(st2["modules"]["msd"]["discriminators.0.convs.0.weight_u"],
                           a["modules"]["msd"]["discriminators.0.convs.0.weight_u"])  # power iteration went on


def test_lr_decays_once_per_epoch(prepared, tmp_path):
    # 6 training clips, batch 2: 3 steps an epoch
    run = tmp_path / "run"
    Trainer(VocoderTask(prepared, _tcfg(lr=1e-3, lr_decay=0.5, segment_size=512)), run,
            _loop(steps=7, ckpt_every=7)).fit()
    lrs = [r["lr"] for r in _rows(run) if r["split"] == "train"]
    # the logged lr is the one set for the next step: steps 1-3 at 1e-3, 4-6 at 5e-4, 7 at 2.5e-4
    assert lrs == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 5e-4, 2.5e-4, 2.5e-4])


def test_discriminators_own_learning_rate(prepared, tmp_path, capsys):
    run = tmp_path / "run"
    task = VocoderTask(prepared, _tcfg(lr=1e-4, lr_discriminators=4e-4, lr_decay=0.5))
    Trainer(task, run, _loop(steps=4, ckpt_every=4)).fit()
    st = torch.load(run / "checkpoints/state_0000004.pt", weights_only=True)
    # both decay by epoch from their own start (6 clips, batch 2: steps 4-6 at half)
    assert st["optimizers"]["discriminator"]["param_groups"][0]["lr"] == pytest.approx(2e-4)
    assert st["optimizers"]["generator"]["param_groups"][0]["lr"] == pytest.approx(5e-5)
    rows = [r for r in _rows(run) if r["split"] == "train"]
    assert rows[0]["lr"] == pytest.approx(4e-4) and rows[0]["lr_generator"] == pytest.approx(1e-4)
    # the default: one rate for both, logged once
    same = VocoderTask(prepared, _tcfg(lr=1e-4)).optimizers(task.modules())
    assert {o.param_groups[0]["lr"] for o in same.values()} == {1e-4}
    assert main(["train", "vocoder", str(prepared), "-o", str(tmp_path / "bad"), "--lr-discriminators", "0"]) == 1
    assert "--lr-discriminators must be a finite number > 0" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_finetune_from_a_bundled_vocoder_and_from_our_run(prepared, tmp_path, capsys):
    from hifigan.checkpoints import load_generator_checkpoint, read_safetensors
    from hifigan.pretrained import bundled_vocoder_path

    run = tmp_path / "ft"
    res = Trainer(VocoderTask(prepared, _tcfg(config=None, init_from="lj_v1", segment_size=512)), run,
                  _loop(steps=1, ckpt_every=1)).fit()
    assert "generator from lj_v1" in capsys.readouterr().out
    start = load_generator_checkpoint(bundled_vocoder_path("lj_v1"))[0].state_dict()
    tuned = read_safetensors(res["checkpoint"])[0]
    assert tuned.keys() == start.keys()
    diffs = [float((tuned[k] - start[k]).abs().max()) for k in start]
    assert 0 < max(diffs) < 1e-2  # one small step away from lj_v1
    # our own export: its discriminators come from the state file beside it
    first = Trainer(VocoderTask(prepared, _tcfg(segment_size=512)), tmp_path / "tiny", _loop(steps=1, ckpt_every=1)).fit()
    assert discriminator_companion(first["checkpoint"]) == tmp_path / "tiny/checkpoints/state_0000001.pt"
    capsys.readouterr()
    Trainer(VocoderTask(prepared, _tcfg(config=None, init_from=first["checkpoint"], segment_size=512)),
            tmp_path / "ft2", _loop(steps=1, ckpt_every=1)).fit()
    out = capsys.readouterr().out
    assert "discriminators from" in out and "optim_d moments loaded" in out, out
    with pytest.raises(TrainingError, match="give one"):
        VocoderTask(prepared, _tcfg(init_from="lj_v1"))


def test_discriminator_warmup_keeps_the_generator_then_trains_both(prepared, tmp_path, capsys):
    from hifigan.checkpoints import read_safetensors

    run = tmp_path / "warm"
    Trainer(VocoderTask(prepared, _tcfg(lr=1e-3, warmup_discriminators=2)), run, _loop(steps=4, ckpt_every=1)).fit()
    states = [torch.load(run / f"checkpoints/state_{s:07d}.pt", weights_only=True) for s in (1, 2, 3)]
    torch.manual_seed(_loop().seed)  # the trainer's seed on one process: the generator the run began with
    start = VocoderTask(prepared, _tcfg()).modules()["generator"].state_dict()
    for st in states[:2]:  # steps 1-2: only the discriminators move; the generator's optimizer is untouched
        assert all(torch.equal(v, start[k]) for k, v in st["modules"]["generator"].items())
        assert not st["optimizers"]["generator"]["state"]
        assert st["optimizers"]["discriminator"]["state"]
    for name in ("mpd", "msd"):
        a, b = states[0]["modules"][name], states[1]["modules"][name]
        assert any(not torch.equal(v, b[k]) for k, v in a.items()), name
    assert any(not torch.equal(v, start[k]) for k, v in states[2]["modules"]["generator"].items())  # step 3: both
    rows = [r for r in _rows(run) if r["split"] == "train"]
    assert ["mel_l1" in r for r in rows] == [False, False, True, True]
    assert all("disc" in r for r in rows)
    assert read_safetensors(run / "checkpoints/hifigan_0000001.safetensors")[0].keys()
    assert main(["train", "vocoder", str(prepared), "-o", str(tmp_path / "bad"), "--warmup-discriminators",
                 "-1"]) == 1
    assert "--warmup-discriminators must be >= 0" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_no_discriminators_trains_the_generator_alone(prepared, tmp_path, capsys):
    run = tmp_path / "mel"
    Trainer(VocoderTask(prepared, _tcfg(lr=1e-3, no_discriminators=True)), run, _loop(steps=2, ckpt_every=1)).fit()
    assert "discriminators unused" in capsys.readouterr().out
    st1, st2 = (torch.load(run / f"checkpoints/state_{s:07d}.pt", weights_only=True) for s in (1, 2))
    for name in ("mpd", "msd"):  # never stepped
        assert all(torch.equal(v, st2["modules"][name][k]) for k, v in st1["modules"][name].items())
    assert not st2["optimizers"]["discriminator"]["state"] and st2["optimizers"]["generator"]["state"]
    assert any(not torch.equal(v, st2["modules"]["generator"][k]) for k, v in st1["modules"]["generator"].items())
    rows = [r for r in _rows(run) if r["split"] == "train"]
    assert all(r.keys() >= {"mel_l1", "total"} and "disc" not in r and "adv" not in r for r in rows)
    assert rows[0]["total"] == pytest.approx(45 * rows[0]["mel_l1"], rel=1e-5)
    assert main(["train", "vocoder", str(prepared), "-o", str(tmp_path / "bad"), "--no-discriminators",
                 "--warmup-discriminators", "3"]) == 1
    assert "exclude each other" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def _stft_magnitude_numpy(x, n_fft, hop, win):
    """|STFT| by hand: reflect padding n_fft/2, a periodic Hann of win samples centred in n_fft."""
    w = np.zeros(n_fft)
    start = (n_fft - win) // 2
    w[start:start + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    xp = np.pad(x, n_fft // 2, mode="reflect")
    frames = np.stack([xp[i:i + n_fft] * w for i in range(0, len(xp) - n_fft + 1, hop)])
    return np.sqrt(np.maximum(np.abs(np.fft.rfft(frames, axis=1)) ** 2, 1e-7)).T


def test_multi_resolution_stft_loss_against_numpy():
    from hifigan.train.losses import STFT_RESOLUTIONS, multi_resolution_stft_loss, stft_magnitude

    rng = np.random.default_rng(0)
    y = rng.standard_normal((2, 6000)) * 0.3
    y_hat = y + 0.1 * rng.standard_normal((2, 6000))
    sc_ref = mag_ref = 0.0
    for n_fft, hop, win in STFT_RESOLUTIONS:
        a = np.stack([_stft_magnitude_numpy(v, n_fft, hop, win) for v in y_hat])
        b = np.stack([_stft_magnitude_numpy(v, n_fft, hop, win) for v in y])
        got = stft_magnitude(torch.tensor(y[0], dtype=torch.float32)[None], n_fft, hop, win)[0].double().numpy()
        np.testing.assert_allclose(got, b[0], rtol=1e-3, atol=1e-4)
        sc_ref += np.linalg.norm(b - a) / np.linalg.norm(b) / 3
        mag_ref += np.mean(np.abs(np.log(a) - np.log(b))) / 3
    sc, mag = multi_resolution_stft_loss(torch.tensor(y_hat, dtype=torch.float32), torch.tensor(y, dtype=torch.float32))
    assert float(sc) == pytest.approx(sc_ref, rel=1e-4) and float(mag) == pytest.approx(mag_ref, rel=1e-4)
    zero = multi_resolution_stft_loss(torch.tensor(y, dtype=torch.float32), torch.tensor(y, dtype=torch.float32))
    assert float(zero[0]) == 0 and float(zero[1]) == 0


def test_stft_loss_joins_the_generator_loss(prepared, tmp_path, capsys):
    run = tmp_path / "stft"
    with pytest.raises(TrainingError, match="segment-size above 1024"):
        VocoderTask(prepared, _tcfg(loss=VocoderLossWeights(stft=2.5)))
    Trainer(VocoderTask(prepared, _tcfg(no_discriminators=True, segment_size=2048,
                                        loss=VocoderLossWeights(stft=2.5))), run,
            _loop(steps=1)).fit()
    r = [r for r in _rows(run) if r["split"] == "train"][0]
    assert r["total"] == pytest.approx(45 * r["mel_l1"] + 2.5 * (r["stft_sc"] + r["stft_mag"]), rel=1e-5)
    Trainer(VocoderTask(prepared, _tcfg(segment_size=2048, loss=VocoderLossWeights(stft=2.5))), tmp_path / "gan",
            _loop(steps=1)).fit()
    r = [r for r in _rows(tmp_path / "gan") if r["split"] == "train"][0]
    assert r["total"] == pytest.approx(45 * r["mel_l1"] + 2.5 * (r["stft_sc"] + r["stft_mag"]) + r["adv"] + r["fm"],
                                       rel=1e-5)
    for bad in ("-1", "nan"):
        assert main(["train", "vocoder", str(prepared), "-o", str(tmp_path / "bad"), "--stft-loss", bad]) == 1
        assert "--stft-loss must be" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_cli_audio_paths_and_errors(prepared, tmp_path):
    old = tmp_path / "old_prepared"  # a manifest written before audio paths were recorded
    old.mkdir()
    m = json.loads((prepared / "manifest.json").read_text())
    for c in m["clips"]:
        del c["wav"]
    (old / "manifest.json").write_text(json.dumps(m))
    os.symlink(prepared / "clips", old / "clips")
    base = ["train", "vocoder", str(old), "--config", "tiny", "--discriminators", "tiny", "--segment-size", "512",
            "--batch-size", "2", "--steps", "1", "--val-clips", "0", "--no-progress"]
    assert main(base + ["-o", str(tmp_path / "r1")]) == 1            # no --data
    assert not (tmp_path / "r1").exists()
    assert main(base + ["-o", str(tmp_path / "r2"), "--data", str(TINY_LJ)]) == 0
    assert (tmp_path / "r2/checkpoints/hifigan_0000001.safetensors").is_file()
    assert main(base + ["-o", str(tmp_path / "r3"), "--data", str(TINY_LJ), "--segment-size", "1000"]) == 1
    assert main(base + ["-o", str(tmp_path / "r6"), "--data", str(TINY_LJ), "--init-from", "lj_v1"]) == 1
    more = ["--data", str(TINY_LJ), "--steps", "2", "--resume"]
    assert main(base + ["-o", str(tmp_path / "r2")] + more + ["--segment-size", "1024"]) == 1  # not as it began
    assert main(base + ["-o", str(tmp_path / "r2")] + more) == 0
    assert (tmp_path / "r2/checkpoints/hifigan_0000002.safetensors").is_file()
    assert main(base + ["-o", str(tmp_path / "r4"), "--data", str(TINY_LJ), "--mels-from", str(tmp_path)]) == 1
    assert main(base + ["-o", str(tmp_path / "r5"), "--data", str(TINY_LJ), "--init-discriminators",
                        str(TINY_LJ / "metadata.csv")]) == 1


def test_extract_mels_then_train_on_them(prepared, tmp_path):
    from hifigan.models.fastpitch import FastPitch
    from hifigan.text.symbols import get_symbols
    from hifigan.train.data import PreparedDataset, collate
    from hifigan.train.fastpitch import model_config

    torch.manual_seed(0)
    fp = FastPitch(model_config("tiny", len(get_symbols("english_basic")), 1))
    fp.pitch_mean.fill_(90.0)
    fp.pitch_std.fill_(20.0)
    ckpt = save_fastpitch(tmp_path / "fp.safetensors", fp)
    manifest = json.loads((prepared / "manifest.json").read_text())
    batched = tmp_path / "batched"
    assert main(["extract-mels", str(prepared), "--fastpitch", str(ckpt), "-o", str(batched), "--batch-size", "3",
                 "--no-progress"]) == 0
    for c in manifest["clips"]:
        assert np.load(batched / f"{c['id']}.npy").shape == (80, c["n_frames"])  # frame-aligned with the data
    mels = tmp_path / "mels"
    args = ["extract-mels", str(prepared), "--fastpitch", str(ckpt), "-o", str(mels), "--no-progress"]
    assert main(args) == 0
    files = {c["id"]: mels / f"{c['id']}.npy" for c in manifest["clips"]}
    assert all(p.is_file() for p in files.values())
    # one clip alone through the training forward (eval, teacher-forced), pitch renormalised to
    # the model's statistics by hand
    ds = PreparedDataset(prepared, "val", manifest)
    item = ds[0]
    b = collate([item])
    raw = item["pitch"] * manifest["pitch"]["std"] + manifest["pitch"]["mean"]
    pitch = torch.where(item["pitch"] != 0, (raw - 90.0) / 20.0, torch.zeros_like(raw))[None]
    fp.eval()
    with torch.no_grad():
        want = fp((b["text"], b["text_lens"], b["mel"], b["mel_lens"], pitch, b["energy"], b["speaker"],
                   b["prior"]))[0][0].T.numpy()
    np.testing.assert_allclose(np.load(files[item["id"]]), want, atol=1e-5, rtol=1e-5)
    # resumable: done clips are not redone; a missing one is
    stamps = {k: p.stat().st_mtime_ns for k, p in files.items()}
    files[item["id"]].unlink()
    assert main(args) == 0
    assert all(files[k].stat().st_mtime_ns == s for k, s in stamps.items() if k != item["id"])
    assert files[item["id"]].is_file()
    other = save_fastpitch(tmp_path / "other.safetensors", FastPitch(model_config("tiny", 148, 2)))
    assert main(["extract-mels", str(prepared), "--fastpitch", str(other), "-o", str(mels), "--no-progress"]) == 1

    run = tmp_path / "run"
    task = VocoderTask(prepared, _tcfg(mels_from=str(mels)))
    seg = task.train_dataset()[(0, 0)]
    assert seg["mel"].shape == (80, 2) and seg["audio"].shape == (512,)
    clip = task.train_dataset().clips[0]["id"]
    starts = [int(np.argmin(np.abs(np.load(files[clip]).T - task.train_dataset()[(0, e)]["mel"][:, 0].numpy()).sum(1)))
              for e in range(3)]
    assert len(set(starts)) > 1  # a new segment each epoch
    Trainer(task, run, _loop(steps=2, ckpt_every=2)).fit()
    assert (run / "checkpoints/hifigan_0000002.safetensors").is_file()


def test_torchrun_two_processes_on_cpu(prepared, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "hifigan", "train", "vocoder", str(prepared), "-o", str(run), "--config", "tiny",
           "--discriminators", "tiny", "--segment-size", "512", "--steps", "2", "--batch-size", "2",
           "--val-clips", "1",
           "--ckpt-every", "2", "--no-progress", "--log-every", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    rows = _rows(run)
    assert [x["step"] for x in rows if x["split"] == "train"] == [1, 2]  # rank 0 alone logs
    st = torch.load(run / "checkpoints/state_0000002.pt", weights_only=True)
    assert st["step"] == 2 and set(st["optimizers"]) == {"generator", "discriminator"}
    # each rank sees other clips: equal weights afterwards mean both phases' gradients were averaged
    script = tmp_path / "ranks.py"
    script.write_text(f"""
import os, torch
from hifigan.train.trainer import LoopConfig, Trainer
from hifigan.train.vocoder import VocoderTask, VocoderTrainConfig
task = VocoderTask({str(prepared)!r}, VocoderTrainConfig(config="tiny", discriminators="tiny", segment_size=512,
                                                         val_clips=0))
tr = Trainer(task, {str(tmp_path / "ddp2")!r}, LoopConfig(steps=3, batch_size=2, progress=False, ckpt_every=100))
tr.fit()
torch.save({{k: tr._bare(m).state_dict() for k, m in tr.modules.items()}}, f"rank{{os.environ['RANK']}}.pt")
""")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = (torch.load(tmp_path / f"rank{i}.pt", weights_only=True) for i in (0, 1))
    for name in ("generator", "mpd", "msd"):
        assert all(torch.equal(v, b[name][k]) for k, v in a[name].items()), name
    torch.manual_seed(1234)  # as Trainer.fit seeds rank 0, whose weights DDP gives every rank
    start = VocoderTask(prepared, _tcfg()).modules()["generator"].state_dict()
    assert not torch.equal(start["conv_pre.bias"], a["generator"]["conv_pre.bias"])  # it trained


class _NaNDiscriminatorAt(VocoderTask):
    def phase_loss(self, phase, modules, batch, step):
        loss, parts = super().phase_loss(phase, modules, batch, step)
        if phase == "discriminator" and step == 3:
            loss = loss * float("nan")
        return loss, parts


def test_a_non_finite_phase_loss_stops_and_keeps_the_good_checkpoint(prepared, tmp_path):
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"step 3: the discriminator loss is not finite.*hifigan_0000002"):
        Trainer(_NaNDiscriminatorAt(prepared, _tcfg()), run, _loop()).fit()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["hifigan_0000002.safetensors",
                                                                       "state_0000002.pt"]
