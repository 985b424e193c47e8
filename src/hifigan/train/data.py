"""Training data: reading datasets, ``hifigan prepare`` (features per clip), and batches.

Datasets: the LJ Speech layout (``metadata.csv`` as ``id|text|normalized text``, ``wavs/ID.wav``)
or an NVIDIA filelist (``wavs/x.wav|text`` or ``wavs/x.wav|text|speaker``, paths relative to the
filelist's folder). ``prepare`` writes one ``clips/ID.npz`` per clip (mel in the TacotronSTFT
convention, symbol ids, pitch in Hz per frame, energy, the beta-binomial alignment prior),
``manifest.json`` (settings, pitch statistics, the train/validation split, each clip's audio
file: the audio itself is not copied) and ``report.tsv``
(every clip left out, with the reason).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch

from hifigan.audio import MelConfig, load_audio, mel_spectrogram
from hifigan.errors import HifiganError
from hifigan.files import atomic_output
from hifigan.text import TextProcessor
from hifigan.train.pitch import check_method, estimate_pitch

MANIFEST_VERSION = 1


class DatasetError(HifiganError):
    """A dataset or prepared folder that cannot be used (one-line message)."""


@dataclass
class Clip:
    id: str
    wav: Path
    text: str
    speaker: str = "0"


# ---------------------------------------------------------------- reading datasets

def read_dataset(path) -> list[Clip]:
    """Clips of an LJ Speech folder (``metadata.csv``) or an NVIDIA filelist file."""
    path = Path(path)
    if path.is_dir():
        meta = path / "metadata.csv"
        if not meta.is_file():
            raise DatasetError(f"{path}: no metadata.csv (expected the LJ Speech layout: "
                               f"metadata.csv with id|text|normalized text, and wavs/ID.wav)")
        clips = []
        for n, row in enumerate(_rows(meta), 1):
            if len(row) < 2 or not row[0].strip():
                raise DatasetError(f"{meta}:{n}: expected id|text[|normalized text]")
            text = row[2] if len(row) > 2 and row[2].strip() else row[1]
            clips.append(Clip(row[0].strip(), path / "wavs" / f"{row[0].strip()}.wav", text.strip()))
        return clips
    if path.is_file():
        clips = []
        for n, row in enumerate(_rows(path), 1):
            if len(row) < 2 or not row[0].strip():
                raise DatasetError(f"{path}:{n}: expected wav_path|text[|speaker]")
            wav = Path(row[0].strip())
            wav = wav if wav.is_absolute() else path.parent / wav
            speaker = row[2].strip() if len(row) > 2 and row[2].strip() else "0"
            clips.append(Clip(_clip_id(row[0].strip()), wav, row[1].strip(), speaker))
        return clips
    raise DatasetError(f"{path}: no such dataset folder or filelist")


def _rows(path: Path):
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.strip():
                yield line.split("|")


def _clip_id(wav_path: str) -> str:
    """A file-name-safe, unique id for a filelist entry: its stem plus a short hash of the path."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(wav_path).stem)[:60]
    return f"{stem}-{hashlib.sha1(wav_path.encode()).hexdigest()[:8]}"


def speaker_ids(labels) -> dict[str, int]:
    """Integer labels keep their value (NVIDIA's filelists); other labels are numbered in order."""
    labels = sorted(set(labels))
    if all(s.isdigit() for s in labels):
        return {s: int(s) for s in labels}
    return {s: i for i, s in enumerate(labels)}


# ---------------------------------------------------------------- features of one clip

def beta_binomial_prior(n_text: int, n_mel: int, scaling: float = 1.0) -> np.ndarray:
    """``[n_mel, n_text]`` float32: row ``i`` (1-based) is BetaBinomial(n=n_text, a=s*i,
    b=s*(n_mel+1-i)) at 0..n_text-1, as NVIDIA's ``beta_binomial_prior_distribution``."""
    n = float(n_text)
    k = torch.arange(n_text, dtype=torch.float64)[None]
    i = torch.arange(1, n_mel + 1, dtype=torch.float64)[:, None]
    a, b = scaling * i, scaling * (n_mel + 1 - i)

    def log_beta(x, y):
        return torch.lgamma(x) + torch.lgamma(y) - torch.lgamma(x + y)

    log_comb = torch.lgamma(torch.tensor(n + 1.0)) - torch.lgamma(k + 1) - torch.lgamma(n - k + 1)
    return (log_comb + log_beta(k + a, n - k + b) - log_beta(a, b)).exp().numpy().astype(np.float32)


@dataclass
class PrepareConfig:
    pitch_method: str = "praat"
    min_seconds: float = 0.5
    max_seconds: float = 15.0
    silence_peak: float = 1e-3          # -60 dBFS: a clip quieter than this everywhere is silent
    symbol_set: str = "english_basic"
    cleaners: tuple = ("english_cleaners_v2",)
    p_arpabet: float = 1.0
    handle_ambiguous: str = "ignore"

    def text_settings(self) -> dict:
        return {"symbol_set": self.symbol_set, "cleaners": list(self.cleaners),
                "p_arpabet": self.p_arpabet, "handle_ambiguous": self.handle_ambiguous}


_worker: dict = {}


def _init_worker(cfg: PrepareConfig, mel_cfg: MelConfig):
    torch.set_num_threads(1)
    _worker.update(cfg=cfg, mel=mel_cfg, tp=TextProcessor(
        cfg.symbol_set, cfg.cleaners, cfg.p_arpabet, handle_ambiguous=cfg.handle_ambiguous, seed=0))


def _features(clip: Clip) -> dict:
    cfg, mel_cfg, tp = _worker["cfg"], _worker["mel"], _worker["tp"]
    audio = load_audio(clip.wav, mel_cfg.sample_rate)
    seconds = audio.shape[0] / mel_cfg.sample_rate
    if seconds < cfg.min_seconds:
        raise DatasetError(f"too short ({seconds:.2f} s < {cfg.min_seconds} s)")
    if seconds > cfg.max_seconds:
        raise DatasetError(f"too long ({seconds:.1f} s > {cfg.max_seconds} s)")
    if float(np.abs(audio).max()) < cfg.silence_peak:
        raise DatasetError(f"silent (peak {float(np.abs(audio).max()):.1e})")
    ids = tp.encode_text(clip.text)
    if not ids:
        raise DatasetError("the text has no speakable symbols after cleaning")
    mel = mel_spectrogram(torch.from_numpy(audio), mel_cfg)[0]
    n_frames = mel.shape[1]
    if n_frames < len(ids):
        raise DatasetError(f"fewer mel frames ({n_frames}) than symbols ({len(ids)})")
    pitch = estimate_pitch(audio, mel_cfg.sample_rate, mel_cfg.hop_length, n_frames, cfg.pitch_method)
    return {"mel": mel.numpy().astype(np.float32), "text": np.asarray(ids, dtype=np.int32),
            "pitch": pitch, "energy": torch.linalg.vector_norm(mel, dim=0).numpy().astype(np.float32),
            "prior": beta_binomial_prior(len(ids), n_frames)}


def _prepare_one(job):
    clip, out = job
    path = out / "clips" / f"{clip.id}.npz"
    try:
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                return clip, int(z["mel"].shape[1]), int(z["text"].shape[0]), None
        feats = _features(clip)
        buf = io.BytesIO()
        np.savez(buf, **feats)
        with atomic_output(path) as tmp:
            tmp.write_bytes(buf.getvalue())
        return clip, feats["mel"].shape[1], feats["text"].shape[0], None
    except Exception as e:  # every bad clip is reported; none stops the run
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        return clip, 0, 0, msg.replace(f"{clip.wav}: ", "")


def prepare(data, out, cfg: PrepareConfig = PrepareConfig(), mel_cfg: MelConfig | None = None,
            workers: int = 1, val_size: int | None = None, seed: int = 1234, progress: bool = True) -> dict:
    """Features for every clip of ``data`` into ``out``; resumable (done clips are kept).
    Returns the manifest (also written to ``out/manifest.json``)."""
    from tqdm import tqdm

    try:
        check_method(cfg.pitch_method)
    except (ValueError, ImportError) as e:  # before any clip: not one failure per clip in the report
        raise DatasetError(str(e)) from None
    mel_cfg = mel_cfg or MelConfig(convention="tacotron")
    out = Path(out)
    clips = read_dataset(data)
    if not clips:
        raise DatasetError(f"{data}: the dataset lists no clips")
    ids = [c.id for c in clips]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DatasetError(f"{data}: clip id {dup!r} appears more than once")
    old = out / "manifest.json"
    if old.is_file():
        prev = json.loads(old.read_text())
        if prev.get("audio") != mel_cfg.to_dict() or prev.get("text") != cfg.text_settings() or \
                prev.get("pitch", {}).get("method") != cfg.pitch_method:
            raise DatasetError(f"{out}: was prepared with other settings; use a new output folder")
    (out / "clips").mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    kept, report = [], []
    jobs = [(c, out) for c in clips]
    ctx = get_context("spawn" if workers > 1 else "fork")
    with ctx.Pool(max(1, workers), initializer=_init_worker, initargs=(cfg, mel_cfg)) as pool:
        results = pool.imap(_prepare_one, jobs, chunksize=8)
        for clip, n_frames, n_sym, err in tqdm(results, total=len(jobs), desc="prepare", unit="clip",
                                               disable=not progress, dynamic_ncols=True):
            if err:
                report.append((clip.id, str(clip.wav), err))
            else:
                kept.append({"id": clip.id, "n_frames": n_frames, "n_symbols": n_sym,
                             "speaker": clip.speaker, "text": clip.text, "wav": str(Path(clip.wav).resolve())})
    if not kept:
        raise DatasetError(f"{data}: no usable clip (see {out / 'report.tsv'})")
    with atomic_output(out / "report.tsv") as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(["id", "wav", "reason"])
            w.writerows(report)

    spk = speaker_ids(c["speaker"] for c in kept)
    for c in kept:
        c["speaker"] = spk[c["speaker"]]
    order = sorted(range(len(kept)), key=lambda i: hashlib.sha1(f"{seed}:{kept[i]['id']}".encode()).hexdigest())
    n_val = min(50, max(1, len(kept) // 20)) if val_size is None else val_size
    n_val = min(n_val, len(kept) - 1)
    val = sorted(kept[i]["id"] for i in order[:n_val])
    train = sorted(kept[i]["id"] for i in order[n_val:])

    voiced = []
    train_set = set(train)
    for c in kept:
        if c["id"] in train_set:
            with np.load(out / "clips" / f"{c['id']}.npz", allow_pickle=False) as z:
                p = z["pitch"]
                voiced.append(p[p > 0])
    voiced = np.concatenate(voiced) if voiced else np.zeros(0)
    if voiced.size == 0:
        raise DatasetError(f"{data}: no voiced frame found in the training clips")
    manifest = {
        "version": MANIFEST_VERSION, "audio": mel_cfg.to_dict(), "text": cfg.text_settings(),
        "pitch": {"method": cfg.pitch_method, "mean": float(voiced.mean()), "std": float(voiced.std())},
        "speakers": spk, "n_speakers": max(spk.values()) + 1, "clips": kept, "train": train, "val": val,
        "skipped": len(report), "seconds": round(time.time() - t0, 1),
    }
    with atomic_output(out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return manifest


# ---------------------------------------------------------------- training batches

def load_manifest(root) -> dict:
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise DatasetError(f"{root}: not a prepared dataset (no manifest.json); run 'hifigan prepare' first")
    try:
        m = json.loads(path.read_text())
    except ValueError:
        raise DatasetError(f"{path}: not valid JSON") from None
    if m.get("version") != MANIFEST_VERSION:
        raise DatasetError(f"{path}: manifest version {m.get('version')!r} is not {MANIFEST_VERSION}")
    return m


class PreparedDataset(torch.utils.data.Dataset):
    """One split of a prepared folder; items are dicts of tensors, pitch normalised
    (``(f0 - mean) / std``, unvoiced frames 0, as NVIDIA's ``normalize_pitch``)."""

    def __init__(self, root, split: str = "train", manifest: dict | None = None):
        self.root = Path(root)
        self.manifest = manifest or load_manifest(root)
        by_id = {c["id"]: c for c in self.manifest["clips"]}
        self.clips = [by_id[i] for i in self.manifest[split]]
        self.pitch_mean = self.manifest["pitch"]["mean"]
        self.pitch_std = self.manifest["pitch"]["std"]

    def __len__(self):
        return len(self.clips)

    def lengths(self) -> list[int]:
        return [c["n_frames"] for c in self.clips]

    def __getitem__(self, i: int) -> dict:
        c = self.clips[i]
        path = self.root / "clips" / f"{c['id']}.npz"
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: torch.from_numpy(z[k].copy()) for k in ("mel", "text", "pitch", "energy", "prior")}
        except Exception as e:
            raise DatasetError(f"{path}: unreadable prepared clip ({str(e).splitlines()[0]}); "
                               f"delete it and rerun 'hifigan prepare'") from None
        p = d["pitch"]
        d["pitch"] = torch.where(p > 0, (p - self.pitch_mean) / self.pitch_std, torch.zeros_like(p))[None]
        d["text"] = d["text"].long()
        d["speaker"] = int(c["speaker"])
        d["id"] = c["id"]
        return d


def collate(items: list[dict]) -> dict:
    """Pad to the longest text and mel of the batch (zeros, as NVIDIA's ``TTSCollate``)."""
    b = len(items)
    t_max = max(x["text"].shape[0] for x in items)
    m_max = max(x["mel"].shape[1] for x in items)
    n_mels = items[0]["mel"].shape[0]
    text = torch.zeros(b, t_max, dtype=torch.long)
    mel = torch.zeros(b, n_mels, m_max)
    pitch = torch.zeros(b, items[0]["pitch"].shape[0], m_max)
    energy = torch.zeros(b, m_max)
    prior = torch.zeros(b, m_max, t_max)
    for i, x in enumerate(items):
        t, m = x["text"].shape[0], x["mel"].shape[1]
        text[i, :t], mel[i, :, :m], pitch[i, :, :m], energy[i, :m] = x["text"], x["mel"], x["pitch"], x["energy"]
        prior[i, :m, :t] = x["prior"]
    return {"text": text, "text_lens": torch.tensor([x["text"].shape[0] for x in items]),
            "mel": mel, "mel_lens": torch.tensor([x["mel"].shape[1] for x in items]),
            "pitch": pitch, "energy": energy, "speaker": torch.tensor([x["speaker"] for x in items]),
            "prior": prior, "ids": [x["id"] for x in items]}


def bucket_batches(lengths: list[int], batch_size: int, seed: int, epoch: int, rank: int = 0,
                   world: int = 1, bucket: int = 32) -> list[list[int]]:
    """This rank's batches for one epoch: a seeded shuffle, sorted by length within groups of
    ``bucket`` batches (little padding), batches in random order, then dealt round-robin to the
    ``world`` ranks (each gets the same number). Depends on nothing but its arguments."""
    rng = random.Random(f"{seed}:{epoch}")
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    batches = []
    group = batch_size * bucket
    for g in range(0, len(idx), group):
        chunk = sorted(idx[g:g + group], key=lambda i: lengths[i])
        batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    batches = [bt for bt in batches if len(bt) == batch_size] or batches[:1]
    rng.shuffle(batches)
    n = len(batches) // world if len(batches) >= world else 1
    return [batches[(r * world + rank) % len(batches)] for r in range(n)]
