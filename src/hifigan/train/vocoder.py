"""``hifigan train vocoder``: HiFi-GAN (generator, multi-period and multi-scale discriminators) as
a two-phase :class:`Task`: each step updates the discriminators on real audio and the generator's
output, then the generator on LSGAN + feature matching x2 + mel L1 x45 (the authors' ``train.py``).
Options for fine-tuning: the discriminators alone for the first steps (``warmup_discriminators``),
no discriminators at all (``no_discriminators``), Parallel WaveGAN's multi-resolution STFT loss
added (``loss.stft``).

Data: a prepared folder (``hifigan prepare``) for the clip list, split and audio settings; the
audio from each clip's file (the manifest names it; older manifests need ``--data``, the dataset
they were made from). Input mels are computed from the audio in the vocoder's own mel convention,
or read from ``--mels-from DIR/<id>.npy`` (e.g. ``hifigan extract-mels``), frame ``k`` standing for
samples ``[k * hop, (k + 1) * hop)``. The loss mel is the authors': the ``hifigan`` convention up to
half the sample rate. Training takes random segments (8192 samples); validation vocodes whole
held-out clips and reports the mel L1 of that copy-synthesis.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from hifigan.audio import LOG_FLOOR, MelConfig, load_audio, mel_spectrogram
from hifigan.checkpoints import (
    discriminator_companion,
    load_discriminator_checkpoint,
    load_generator_checkpoint,
    save_generator,
    state_dict_mismatch,
)
from hifigan.errors import HifiganError
from hifigan.models.hifigan import PRESETS as GENERATOR_PRESETS
from hifigan.models.hifigan import Generator, GeneratorConfig
from hifigan.pretrained import resolve_vocoder, vocoder_names
from hifigan.train.data import DatasetError, load_manifest, read_dataset
from hifigan.train.discriminators import PRESETS as DISCRIMINATOR_PRESETS
from hifigan.train.discriminators import (
    DiscriminatorConfig,
    MultiPeriodDiscriminator,
    MultiScaleDiscriminator,
)
from hifigan.train.losses import (
    STFT_RESOLUTIONS,
    VocoderLossWeights,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    multi_resolution_stft_loss,
)
from hifigan.train.trainer import Task, TrainingError, read_json_config

# a generator small enough for tests (hop 256, as the data)
TINY_GENERATOR = GeneratorConfig(upsample_rates=(8, 8, 4), upsample_kernel_sizes=(16, 16, 8),
                                 upsample_initial_channel=32, resblock_kernel_sizes=(3,),
                                 resblock_dilation_sizes=((1, 3),))


@dataclass
class VocoderTrainConfig:
    config: str | None = None           # v1 | v2 | v3 | tiny | a JSON file (default v1; ignored with init_from)
    discriminators: str = "original"    # original | tiny | a JSON file of DiscriminatorConfig fields
    init_from: str | None = None        # lj_v1 | universal_v1 | joe_v1 | a generator file (ours, the authors', NVIDIA's)
    init_discriminators: str | None = None  # a discriminator file; default: the one saved beside init_from
    data: str | None = None             # the dataset the prepared folder was made from (audio paths)
    mels_from: str | None = None        # DIR of <id>.npy mels aligned to the audio
    segment_size: int = 8192
    lr: float = 2e-4
    lr_discriminators: float | None = None  # the discriminators' own learning rate (default: lr)
    betas: tuple = (0.8, 0.99)
    weight_decay: float = 0.01          # torch's AdamW default, which the authors keep
    lr_decay: float = 0.999             # per epoch
    val_clips: int = 8
    warmup_discriminators: int = 0      # first steps that train only the discriminators (generator frozen)
    no_discriminators: bool = False     # the generator on its regression losses alone (mel L1, STFT)
    loss: VocoderLossWeights = field(default_factory=VocoderLossWeights)


def generator_config(name_or_path: str | None) -> GeneratorConfig:
    name = name_or_path or "v1"
    if name == "tiny":
        return TINY_GENERATOR
    if name in GENERATOR_PRESETS:
        return GENERATOR_PRESETS[name]
    d = read_json_config(name, "v1, v2, v3, tiny")
    try:
        return GeneratorConfig.from_dict(d)  # our fields or the authors' config.json
    except (TypeError, ValueError) as e:
        raise TrainingError(f"{name}: bad generator config ({e})") from None


def discriminator_config(name: str) -> DiscriminatorConfig:
    if name in DISCRIMINATOR_PRESETS:
        return DISCRIMINATOR_PRESETS[name]
    try:
        return DiscriminatorConfig.from_dict(read_json_config(name, ", ".join(DISCRIMINATOR_PRESETS)))
    except (TypeError, ValueError) as e:
        raise TrainingError(f"{name}: bad discriminator config ({e})") from None


def loss_mel_config(cfg: MelConfig) -> MelConfig:
    """The authors' loss mel: their convention, up to half the sample rate (``fmax_for_loss`` null)."""
    return replace(cfg, f_max=None, convention="hifigan")


# ---------------------------------------------------------------- data

def audio_paths(manifest: dict, root, data=None) -> dict[str, Path]:
    """Each clip's audio file: from ``data`` (a dataset folder or filelist) when given, else the
    manifest's own record. Every file must exist."""
    ids = [c["id"] for c in manifest["clips"]]
    if data is not None:
        found = {c.id: c.wav for c in read_dataset(data)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise DatasetError(f"{data}: has no clip {missing[0]!r} of {root} ({len(missing)} missing); "
                               f"is it the dataset this folder was prepared from?")
        paths = {i: Path(found[i]) for i in ids}
    elif all("wav" in c for c in manifest["clips"]):
        paths = {c["id"]: Path(c["wav"]) for c in manifest["clips"]}
    else:
        raise DatasetError(f"{root}: the manifest does not name the audio files (prepared by an older "
                           f"version); pass --data DATASET, the folder or filelist it was prepared from")
    absent = [p for p in paths.values() if not p.is_file()]
    if absent:
        raise DatasetError(f"{absent[0]}: no such audio file ({len(absent)} of {len(paths)} clips' audio missing)")
    return paths


class VocoderDataset(torch.utils.data.Dataset):
    """Clips of one split as ``{'mel' [n_mels, F], 'audio' [F * hop], 'id'}``.

    With ``segment`` (samples, a multiple of hop) each item is a random ``segment // hop``-frame
    piece, its start drawn from ``(seed, epoch, index)``, so it does not depend on loader workers
    or on where a run resumed: keys are ``(index, epoch)``. Without, the whole clip (keys are
    indices). Mels are computed with ``mel_config`` or read from ``mels_from``."""

    def __init__(self, manifest: dict, split: str, paths: dict, mel_config: MelConfig, segment: int | None,
                 mels_from=None, seed: int = 1234, limit: int | None = None):
        by_id = {c["id"]: c for c in manifest["clips"]}
        ids = manifest[split][:limit] if limit is not None else manifest[split]
        self.clips = [by_id[i] for i in ids]
        self.paths, self.mel_config, self.segment, self.seed = paths, mel_config, segment, seed
        self.mels_from = Path(mels_from) if mels_from else None
        self.hop = mel_config.hop_length

    def __len__(self):
        return len(self.clips)

    def _mel_and_audio(self, clip) -> tuple[torch.Tensor, torch.Tensor]:
        audio = torch.from_numpy(load_audio(self.paths[clip["id"]], self.mel_config.sample_rate))
        if self.mels_from is None:
            mel = mel_spectrogram(audio, self.mel_config)[0]
        else:
            path = self.mels_from / f"{clip['id']}.npy"
            try:
                mel = torch.from_numpy(np.load(path, allow_pickle=False)).float()
            except Exception as e:
                raise DatasetError(f"{path}: unreadable mel ({str(e).splitlines()[0]})") from None
            expect = audio.shape[0] / self.hop
            if mel.dim() != 2 or mel.shape[0] != self.mel_config.n_mels or abs(mel.shape[1] - expect) > 2:
                raise DatasetError(f"{path}: expected a [{self.mel_config.n_mels}, ~{expect:.0f}] mel aligned "
                                   f"with its audio, got {list(mel.shape)}")
            if not torch.isfinite(mel).all():
                raise DatasetError(f"{path}: the mel holds NaN or infinite values")
        n = mel.shape[1]
        audio = F.pad(audio, (0, max(0, n * self.hop - audio.shape[0])))[:n * self.hop]
        return mel, audio

    def __getitem__(self, key) -> dict:
        i, epoch = key if isinstance(key, tuple) else (key, None)
        clip = self.clips[i]
        mel, audio = self._mel_and_audio(clip)
        if self.segment is not None:
            frames = self.segment // self.hop
            n = mel.shape[1]
            if n >= frames:
                start = int(np.random.default_rng([self.seed, epoch or 0, i]).integers(0, n - frames + 1))
                mel = mel[:, start:start + frames]
                audio = audio[start * self.hop:(start + frames) * self.hop]
            else:
                mel = F.pad(mel, (0, frames - n), value=math.log(LOG_FLOOR))
                audio = F.pad(audio, (0, (frames - n) * self.hop))
        return {"mel": mel, "audio": audio, "id": clip["id"]}


def collate_vocoder(items: list[dict]) -> dict:
    """Pad to the longest clip: mels with the log floor (silence), audio with zeros."""
    n = max(x["mel"].shape[1] for x in items)
    hop = items[0]["audio"].shape[0] // items[0]["mel"].shape[1]
    mel = torch.stack([F.pad(x["mel"], (0, n - x["mel"].shape[1]), value=math.log(LOG_FLOOR)) for x in items])
    audio = torch.stack([F.pad(x["audio"], (0, n * hop - x["audio"].shape[0])) for x in items])[:, None]
    return {"mel": mel, "audio": audio, "mel_lens": torch.tensor([x["mel"].shape[1] for x in items]),
            "ids": [x["id"] for x in items]}


# ---------------------------------------------------------------- the task

class VocoderTask(Task):
    name = "hifigan"
    phases = ("discriminator", "generator")

    def __init__(self, prepared, tcfg: VocoderTrainConfig, seed: int = 1234):
        self.root = Path(prepared)
        self.manifest = load_manifest(prepared)
        self.tcfg, self.seed = tcfg, seed
        audio = self.manifest["audio"]
        self.init_state = None
        if tcfg.init_from:
            self.gen_config, self.mel_config, self.init_state = self._load_generator(tcfg.init_from)
            if tcfg.config:
                raise TrainingError("--config and --init-from both set the generator: give one")
        else:
            self.gen_config = generator_config(tcfg.config)
            self.mel_config = MelConfig.from_dict(audio)
        self.disc_config = discriminator_config(tcfg.discriminators)
        self.init_disc = self._load_discriminators()
        g, m = self.gen_config, self.mel_config
        if m.sample_rate != audio["sample_rate"] or g.hop_length != audio["hop_length"] or g.n_mels != audio["n_mels"]:
            raise TrainingError(f"the vocoder ({m.sample_rate} Hz, hop {g.hop_length}, {g.n_mels} mels) does not "
                                f"fit the data ({audio['sample_rate']} Hz, hop {audio['hop_length']}, "
                                f"{audio['n_mels']} mels)")
        if tcfg.segment_size % g.hop_length or tcfg.segment_size <= (m.n_fft - m.hop_length) // 2:
            raise TrainingError(f"--segment-size {tcfg.segment_size} must be a multiple of the hop {g.hop_length} "
                                f"above {(m.n_fft - m.hop_length) // 2} samples (the loss mel's padding)")
        longest = max(n for n, _, _ in STFT_RESOLUTIONS)
        if tcfg.loss.stft and tcfg.segment_size <= longest // 2:
            raise TrainingError(f"--stft-loss needs --segment-size above {longest // 2} samples (its {longest}-point "
                                f"FFT's padding), got {tcfg.segment_size}")
        self.loss_mel = loss_mel_config(self.mel_config)
        self.paths = audio_paths(self.manifest, self.root, tcfg.data)
        if tcfg.mels_from:
            d = Path(tcfg.mels_from)
            if not d.is_dir():
                raise TrainingError(f"--mels-from {d}: no such folder")
            missing = [i for i in self.manifest["train"] + self.manifest["val"] if not (d / f"{i}.npy").is_file()]
            if missing:
                raise TrainingError(f"--mels-from {d}: no mel for {len(missing)} clips (first: {missing[0]}.npy); "
                                    f"run 'hifigan extract-mels' to the end")
        self.messages: list[str] = []

    # ------------------------------------------------------------ initial weights

    @staticmethod
    def _load_generator(name_or_path):
        try:
            g, mel_cfg, _ = load_generator_checkpoint(resolve_vocoder(name_or_path))
        except HifiganError as e:
            raise TrainingError(f"--init-from: {e}") from None
        g.apply_weight_norm()  # a file saved without weight norm trains with it again (same weights)
        return g.config, mel_cfg, g.state_dict()

    def _load_discriminators(self):
        path = self.tcfg.init_discriminators
        if path is None and self.tcfg.init_from and self.tcfg.init_from not in vocoder_names():
            path = discriminator_companion(self.tcfg.init_from)
        if path is None:
            return None
        try:
            d = load_discriminator_checkpoint(path)
        except HifiganError as e:
            raise TrainingError(f"discriminators: {e}") from None
        if d["layout"] == "nvidia" and self.disc_config.msd_pool_padding != 1:
            self.disc_config = replace(self.disc_config, msd_pool_padding=1)  # NVIDIA's AvgPool1d(4, 2, 1)
        d["path"] = str(path)
        return d

    def modules(self):
        g = Generator(self.gen_config)
        mpd, msd = MultiPeriodDiscriminator(self.disc_config), MultiScaleDiscriminator(self.disc_config)
        if self.init_state is not None:
            g.load_state_dict(self.init_state)
            self.messages.append(f"generator from {self.tcfg.init_from}")
        if self.init_disc is not None:
            for name, m in (("mpd", mpd), ("msd", msd)):
                problem = state_dict_mismatch(self.init_disc[name], m.state_dict())
                if problem:
                    raise TrainingError(f"{self.init_disc['path']}: the {name} weights do not fit: {problem}")
                m.load_state_dict(self.init_disc[name])
            self.messages.append(f"discriminators from {self.init_disc['path']} ({self.init_disc['layout']}'s layout"
                                 f"{', their pooling' if self.init_disc['layout'] == 'nvidia' else ''})")
        elif self.tcfg.no_discriminators:
            self.messages.append("discriminators unused (--no-discriminators)")
        elif self.init_state is not None:
            self.messages.append("discriminators fresh (no discriminator file)")
        for msg in self.messages:
            print(f"init: {msg}")
        return {"generator": g.train(), "mpd": mpd.train(), "msd": msd.train()}

    def optimizers(self, modules):
        t = self.tcfg
        kw = dict(lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay)
        kw_d = dict(kw, lr=t.lr if t.lr_discriminators is None else t.lr_discriminators)
        # the authors' parameter order (msd, then mpd), so their optim_d state fits
        opt_d = torch.optim.AdamW(itertools.chain(modules["msd"].parameters(), modules["mpd"].parameters()), **kw_d)
        opt_g = torch.optim.AdamW(modules["generator"].parameters(), **kw)
        if self.init_disc is not None:
            for opt, key in ((opt_d, "optim_d"), (opt_g, "optim_g")):
                if self.init_disc.get(key) is not None:
                    note = load_moments(opt, self.init_disc[key])
                    print(f"init: {key} {note}")
        return {"discriminator": opt_d, "generator": opt_g}

    def active_phases(self, step: int) -> tuple[str, ...]:
        # fresh discriminators next to a trained generator: let them learn its output first, so
        # that their early, random feedback does not pull the generator off
        if self.tcfg.no_discriminators:
            return ("generator",)
        return ("discriminator",) if step <= self.tcfg.warmup_discriminators else self.phases

    def lr_scale(self, step: int, epoch: int = 0) -> float:
        return self.tcfg.lr_decay ** epoch  # ExponentialLR stepped once per epoch, as the authors'

    # ------------------------------------------------------------ data

    def train_dataset(self):
        return VocoderDataset(self.manifest, "train", self.paths, self.mel_config, self.tcfg.segment_size,
                              self.tcfg.mels_from, self.seed)

    def val_dataset(self):
        return VocoderDataset(self.manifest, "val", self.paths, self.mel_config, None, self.tcfg.mels_from,
                              self.seed, limit=self.tcfg.val_clips)

    def collate(self, items):
        return collate_vocoder(items)

    def batches(self, lengths, cfg, epoch, rank, world):
        return [[(i, epoch) for i in b] for b in super().batches(lengths, cfg, epoch, rank, world)]

    # ------------------------------------------------------------ steps

    def _mel_of(self, audio):
        with torch.autocast(audio.device.type, enabled=False):
            return mel_spectrogram(audio[:, 0].float(), self.loss_mel)

    def phase_loss(self, phase, modules, batch, step):
        mpd, msd = modules["mpd"], modules["msd"]
        y = batch["audio"]
        if phase == "discriminator":
            if "generator" in self.active_phases(step):
                y_hat = modules["generator"](batch["mel"])
                batch["_y_hat"] = y_hat                    # for the generator phase
            else:
                with torch.no_grad():
                    y_hat = modules["generator"](batch["mel"])
            fake = y_hat.detach()
            loss_p = discriminator_loss(mpd(y)[0], mpd(fake)[0])
            loss_s = discriminator_loss(msd(y)[0], msd(fake)[0])
            total = loss_p + loss_s
            return total, {"disc": total, "disc_mpd": loss_p, "disc_msd": loss_s}
        y_hat = batch.pop("_y_hat", None)
        if y_hat is None:                                  # no discriminator phase this step
            y_hat = modules["generator"](batch["mel"])
        w = self.tcfg.loss
        with torch.no_grad():
            mel_y = self._mel_of(y)
        mel_l1 = F.l1_loss(self._mel_of(y_hat), mel_y)
        total, parts = w.mel * mel_l1, {"mel_l1": mel_l1}
        if w.stft:
            with torch.autocast(y.device.type, enabled=False):
                sc, mag = multi_resolution_stft_loss(y_hat[:, 0].float(), y[:, 0].float())
            total = total + w.stft * (sc + mag)
            parts.update(stft_sc=sc, stft_mag=mag)
        if self.tcfg.no_discriminators:
            return total, {"total": total, **parts}
        with torch.no_grad():
            _, real_p = mpd(y)
            _, real_s = msd(y)
        score_p, fake_p = mpd(y_hat)
        score_s, fake_s = msd(y_hat)
        adv = generator_adversarial_loss(score_p) + generator_adversarial_loss(score_s)
        fm = feature_matching_loss(real_p, fake_p) + feature_matching_loss(real_s, fake_s)
        total = total + w.adversarial * adv + w.feature * fm
        return total, {"total": total, **parts, "adv": adv, "fm": fm}

    def validate(self, modules, loader, step, log):
        """Copy-synthesis of whole held-out clips: the mean mel L1 (the loss mel) against the
        real audio; the first clip's mels as an image, its audio in TensorBoard."""
        from hifigan.train.plots import mel_pair_figure

        g = modules["generator"]
        dev = next(g.parameters()).device
        total, n = 0.0, 0
        for batch in loader:
            for b in range(batch["mel"].shape[0]):
                frames = int(batch["mel_lens"][b])
                mel = batch["mel"][b:b + 1, :, :frames].to(dev)
                y = batch["audio"][b:b + 1, :, :frames * self.mel_config.hop_length].to(dev)
                y_hat = g(mel).float()
                m_hat, m_y = self._mel_of(y_hat), self._mel_of(y)
                total += float(F.l1_loss(m_hat, m_y))
                if n == 0:
                    title = f"step {step}: {batch['ids'][b]}, generated vs real (loss mel)"
                    log.image("val/mel", mel_pair_figure(m_hat[0].cpu(), m_y[0].cpu(), title), step)
                    log.audio("val/generated", y_hat[0, 0].cpu().clamp(-1, 1), self.mel_config.sample_rate, step)
                    log.audio("val/real", y[0, 0].cpu(), self.mel_config.sample_rate, step)
                n += 1
        return {"mel_l1": total / max(n, 1)}

    def export(self, modules, path, step):
        t = self.tcfg
        return save_generator(path, modules["generator"], self.mel_config, extra={
            "step": step, "training": {
                "prepared": str(self.root.resolve()), "init_from": t.init_from, "mels_from": t.mels_from,
                "segment_size": t.segment_size, "lr": t.lr, "lr_discriminators": t.lr_discriminators, "betas": list(t.betas), "lr_decay": t.lr_decay,
                "discriminators": self.disc_config.to_dict(), "loss": asdict(t.loss)}})


def load_moments(opt: torch.optim.Optimizer, saved: dict) -> str:
    """Adam moments from another code's optimizer state (same parameters in the same order),
    keeping this optimizer's own settings (learning rate, betas). Returns a short note."""
    ours = opt.state_dict()
    if len(saved.get("param_groups", [])) != len(ours["param_groups"]):
        return "skipped: another number of parameter groups"
    params = [p for g in opt.param_groups for p in g["params"]]
    old_ids = [i for g in saved["param_groups"] for i in g.get("params", [])]
    if len(old_ids) != len(params):
        return f"skipped: {len(old_ids)} parameters saved, {len(params)} here"
    state = {}
    for new_id, (old_id, p) in enumerate(zip(old_ids, params)):
        st = saved["state"].get(old_id)
        if st is None:
            continue
        if any(isinstance(v, torch.Tensor) and v.dim() and v.shape != p.shape for v in st.values()):
            return f"skipped: parameter {new_id} has shape {tuple(p.shape)} here, not as saved"
        st = dict(st)
        if not isinstance(st.get("step"), torch.Tensor):
            st["step"] = torch.tensor(float(st.get("step", 0)))
        state[new_id] = st
    opt.load_state_dict({"state": state, "param_groups": ours["param_groups"]})
    return f"moments loaded for {len(state)} of {len(params)} parameters"
