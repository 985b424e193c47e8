"""``hifigan train fastpitch``: FastPitch 1.1 with its learned aligner, as a :class:`Task`."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from hifigan.checkpoints import load_fastpitch_checkpoint, save_fastpitch
from hifigan.loaders import load_vocoder
from hifigan.models.fastpitch import FASTPITCH_PRESETS as PRESETS
from hifigan.models.fastpitch import FastPitch, FastPitchConfig
from hifigan.text.symbols import get_symbols
from hifigan.train.data import PreparedDataset, collate, load_manifest
from hifigan.train.losses import FastPitchLossWeights, fastpitch_loss
from hifigan.train.optim import Lamb
from hifigan.train.trainer import Task, TrainingError, read_json_config


def model_config(name_or_path: str, n_symbols: int, n_speakers: int) -> FastPitchConfig:
    """A preset name or a JSON file of FastPitchConfig fields; vocabulary and speakers from the data."""
    if name_or_path in PRESETS:
        d = dict(PRESETS[name_or_path])
    else:
        d = read_json_config(name_or_path, ", ".join(PRESETS))
        unknown = sorted(set(d) - set(FastPitchConfig.__dataclass_fields__))
        if unknown:
            raise TrainingError(f"{name_or_path}: unknown FastPitch settings {', '.join(unknown)}")
    d.update(n_symbols=n_symbols, n_speakers=n_speakers)
    try:
        return FastPitchConfig.from_dict(d)
    except (TypeError, ValueError) as e:
        raise TrainingError(f"bad FastPitch config: {e}") from None


@dataclass
class FastPitchTrainConfig:
    config: str = "small"
    optimizer: str = "adamw"        # adamw | lamb
    lr: float = 1e-3                # peak learning rate (NVIDIA's LAMB 0.1 with warm-up 1000 is 3.16e-3)
    warmup: int = 1000
    weight_decay: float = 1e-6
    init_from: str | None = None
    val_vocoder: str | None = None  # a vocoder name or path for validation audio
    loss: FastPitchLossWeights = field(default_factory=FastPitchLossWeights)


class FastPitchTask(Task):
    name = "fastpitch"

    def __init__(self, prepared, tcfg: FastPitchTrainConfig):
        self.root = Path(prepared)
        self.manifest = load_manifest(prepared)
        self.tcfg = tcfg
        symbols = get_symbols(self.manifest["text"]["symbol_set"])
        self.config = model_config(tcfg.config, len(symbols), self.manifest["n_speakers"])
        if tcfg.optimizer not in ("adamw", "lamb"):
            raise TrainingError(f"optimizer must be adamw or lamb, got {tcfg.optimizer!r}")
        self._vocoder = None

    # ------------------------------------------------------------ model and optimizer

    def modules(self):
        model = FastPitch(self.config)
        if self.tcfg.init_from:
            print(init_from_checkpoint(model, self.tcfg.init_from))
        model.pitch_mean.fill_(self.manifest["pitch"]["mean"])  # the statistics this data is normalised with
        model.pitch_std.fill_(self.manifest["pitch"]["std"])
        model.attention.attn_proj.requires_grad_(False)  # in NVIDIA's files, never used
        return {"fastpitch": model.train()}

    def optimizers(self, modules):
        params = [p for p in modules["fastpitch"].parameters() if p.requires_grad]
        t = self.tcfg
        if t.optimizer == "lamb":
            opt = Lamb(params, lr=t.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=t.weight_decay)
        else:
            opt = torch.optim.AdamW(params, lr=t.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=t.weight_decay)
        return {"fastpitch": opt}

    def lr_scale(self, step: int, epoch: int = 0) -> float:
        """NVIDIA's schedule normalised to peak 1: linear warm-up, then ``sqrt(warmup / step)``."""
        w = self.tcfg.warmup
        if w <= 0:
            return 1.0
        return step / w if step <= w else math.sqrt(w / step)

    # ------------------------------------------------------------ data

    def train_dataset(self):
        return PreparedDataset(self.root, "train", self.manifest)

    def val_dataset(self):
        return PreparedDataset(self.root, "val", self.manifest)

    def collate(self, items):
        return collate(items)

    def lengths(self, dataset):
        return dataset.lengths()

    # ------------------------------------------------------------ steps

    @staticmethod
    def _inputs(batch):
        return (batch["text"], batch["text_lens"], batch["mel"], batch["mel_lens"], batch["pitch"],
                batch["energy"], batch["speaker"], batch["prior"])

    def loss(self, modules, batch, step):
        out = modules["fastpitch"](self._inputs(batch))
        return fastpitch_loss(out, batch, self.tcfg.loss, step)

    def validate(self, modules, loader, step, log):
        model = modules["fastpitch"]
        sums, n = {}, 0
        first = None
        for batch in loader:
            batch = {k: v.to(next(model.parameters()).device) if isinstance(v, torch.Tensor) else v
                     for k, v in batch.items()}
            out = model(self._inputs(batch))
            _, parts = fastpitch_loss(out, batch, self.tcfg.loss, step)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + float(v) * batch["text"].size(0)
            n += batch["text"].size(0)
            if first is None:
                first = (batch, out)
        rec = {k: v / n for k, v in sums.items()}
        if first is not None:
            rec.update(self._pictures(model, *first, step, log))
        return rec

    def _pictures(self, model, batch, out, step, log) -> dict:
        """Alignment and mel images and audio of the first validation clip; the share of
        frames where soft and hard alignment agree (a cheap alignment-quality figure)."""
        from hifigan.train.plots import alignment_figure, mel_pair_figure

        t, m = int(batch["text_lens"][0]), int(batch["mel_lens"][0])
        soft = out[8][0, 0, :m, :t].float().cpu()
        hard = out[9][0, 0, :m, :t].float().cpu()
        agree = float((soft.argmax(1) == hard.argmax(1)).float().mean())
        pred = out[0][0, :m].float().cpu().T
        tgt = batch["mel"][0, :, :m].float().cpu()
        vdir = None
        if log.f is not None:
            vdir = Path(log.f.name).parent / "val"
            vdir.mkdir(exist_ok=True)
        img = alignment_figure(soft, hard, f"step {step}: {batch['ids'][0]}",
                               vdir / f"alignment_{step:07d}.png" if vdir else None)
        log.image("val/alignment", img, step)
        log.image("val/mel", mel_pair_figure(pred, tgt, f"step {step}: predicted (teacher-forced) vs target"), step)
        # free-running synthesis: predicted durations, pitch and energy
        text = batch["text"][:1, :t]
        mel_inf = model.infer(text, speaker=int(batch["speaker"][0]))[0][0].float().cpu()
        log.image("val/mel_inferred", mel_pair_figure(mel_inf, tgt, f"step {step}: synthesised vs target"), step)
        voc = self._val_vocoder()
        if voc is not None:
            with torch.autocast("cpu", enabled=False):
                log.audio("val/synthesised", voc(mel_inf[None])[0], voc.sample_rate, step)
                log.audio("val/teacher_forced", voc(pred[None])[0], voc.sample_rate, step)
        return {"align_agree": agree}

    def _val_vocoder(self):
        if self.tcfg.val_vocoder and self._vocoder is None:
            self._vocoder = load_vocoder(self.tcfg.val_vocoder)
        return self._vocoder

    def export(self, modules, path, step):
        text = self.manifest["text"]
        setup = {"symbol_set": text["symbol_set"], "text_cleaners": text["cleaners"],
                 "p_arpabet": text["p_arpabet"], "handle_ambiguous": text["handle_ambiguous"],
                 "sampling_rate": self.manifest["audio"]["sample_rate"],
                 "hop_length": self.manifest["audio"]["hop_length"],
                 "pitch_mean": self.manifest["pitch"]["mean"], "pitch_std": self.manifest["pitch"]["std"]}
        return save_fastpitch(path, modules["fastpitch"], extra={
            "train_setup": setup, "audio": self.manifest["audio"], "step": step,
            "training": {"config": self.tcfg.config, "optimizer": self.tcfg.optimizer, "lr": self.tcfg.lr,
                         "warmup": self.tcfg.warmup, "loss": asdict(self.tcfg.loss)}})


def init_from_checkpoint(model: FastPitch, path) -> str:
    """Copy every tensor of a FastPitch checkpoint (NVIDIA's or ours) whose name and shape fit;
    a different vocabulary or speaker count keeps the rows both have. Returns a one-line report."""

    src = load_fastpitch_checkpoint(path)[0].state_dict()
    dst = model.state_dict()
    copied, partial, skipped = 0, [], []
    with torch.no_grad():
        for k, v in dst.items():
            s = src.get(k)
            if s is None:
                skipped.append(k)
            elif s.shape == v.shape:
                v.copy_(s)
                copied += 1
            elif k in ("encoder.word_emb.weight", "speaker_emb.weight") and s.shape[1:] == v.shape[1:]:
                n = min(s.shape[0], v.shape[0])
                v[:n].copy_(s[:n])
                partial.append(f"{k} ({n} of {v.shape[0]} rows)")
            else:
                skipped.append(k)
    msg = f"init from {path}: {copied} tensors copied"
    if partial:
        msg += f"; partly: {', '.join(partial)}"
    if skipped:
        msg += f"; kept fresh: {len(skipped)} ({', '.join(skipped[:4])}{', ...' if len(skipped) > 4 else ''})"
    return msg
