"""``hifigan extract-mels``: teacher-forced FastPitch mels of a prepared dataset, for fine-tuning
a vocoder on what FastPitch really outputs (``hifigan train vocoder --mels-from``).

Each clip goes through FastPitch's training forward in eval mode: durations from its aligner (MAS
over the clip's own mel), ground-truth pitch and energy averaged per symbol. The output has the
clip's frame count, so frame ``k`` lines up with the audio as the prepared mel does. Written as
``MELS/<id>.npy`` (float32 ``[n_mels, frames]``), each atomically; a rerun skips the clips done,
so an interrupted run resumes. ``MELS/extract.json`` records the FastPitch file (a rerun with
another one is refused) and ``MELS/report.tsv`` the clips that failed, which do not stop the rest.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import torch

from hifigan.checkpoints import load_fastpitch_checkpoint
from hifigan.errors import HifiganError
from hifigan.files import atomic_output
from hifigan.pretrained import resolve_fastpitch
from hifigan.train.data import DatasetError, PreparedDataset, collate, load_manifest


def _fingerprint(path: Path) -> dict:
    st = path.stat()
    return {"fastpitch": str(path.resolve()), "size": st.st_size}


def extract_mels(fastpitch, prepared, out, batch_size: int = 1, device: str = "cpu",
                 progress: bool = True) -> dict:
    """Write the mels; returns ``{'done', 'skipped', 'failed'}`` counts (clips).

    ``batch_size`` 1 gives each clip's mel as FastPitch makes it alone; in a batch, FastPitch's
    feed-forward convolutions see the padding next to a shorter clip's end (NVIDIA's layers do the
    same), which changes its mel slightly (by ~0.04 in a test), so a batched run depends on which
    clips share a batch."""
    from tqdm import tqdm

    if batch_size < 1:
        raise DatasetError(f"--batch-size must be >= 1, got {batch_size}")
    path = resolve_fastpitch(fastpitch)
    manifest = load_manifest(prepared)
    model, config, _ = load_fastpitch_checkpoint(path)
    n_mels = manifest["audio"]["n_mels"]
    if config.n_mel_channels != n_mels:
        raise DatasetError(f"{path}: FastPitch makes {config.n_mel_channels}-band mels, the data has {n_mels}")
    if manifest["n_speakers"] > config.n_speakers:
        raise DatasetError(f"{path}: FastPitch has {config.n_speakers} speaker(s), the data {manifest['n_speakers']}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = {**_fingerprint(path), "prepared": str(Path(prepared).resolve()), "audio": manifest["audio"]}
    info_path = out / "extract.json"
    if info_path.is_file():
        try:
            old = json.loads(info_path.read_text())
        except ValueError:
            old = {}
        if {k: old.get(k) for k in info} != info:
            raise DatasetError(f"{out}: holds mels of another FastPitch or dataset ({old.get('fastpitch')}); "
                               f"use a new folder")
    else:
        with atomic_output(info_path) as tmp:
            tmp.write_text(json.dumps(info, indent=1))

    model = model.to(device).eval()
    # the data's pitch is normalised with its own statistics; FastPitch expects its training ones
    m_mean, m_std = float(model.pitch_mean[0]), float(model.pitch_std[0])
    d_mean, d_std = manifest["pitch"]["mean"], manifest["pitch"]["std"]
    renorm = m_std > 0 and (abs(m_mean - d_mean) > 1e-3 or abs(m_std - d_std) > 1e-3)

    datasets = [PreparedDataset(prepared, split, manifest) for split in ("train", "val")]
    todo, skipped = [], 0
    for ds in datasets:
        for i, c in enumerate(ds.clips):
            if (out / f"{c['id']}.npy").is_file():
                skipped += 1
            else:
                todo.append((ds, i, c["n_frames"]))
    todo.sort(key=lambda t: t[2])  # similar lengths together: little padding
    failed: list[tuple[str, str]] = []
    done = 0
    bar = tqdm(total=len(todo), desc="extract-mels", unit="clip", disable=not progress, dynamic_ncols=True)
    for start in range(0, len(todo), batch_size):
        group = todo[start:start + batch_size]
        items = []
        for ds, i, _ in group:
            try:
                items.append(ds[i])
            except HifiganError as e:
                failed.append((ds.clips[i]["id"], str(e)))
        stats = (renorm, (d_mean, d_std), (m_mean, m_std))
        try:
            pairs = list(zip(items, _teacher_forced(model, items, device, *stats))) if items else []
        except Exception:  # find the clip that fails: one by one
            pairs = []
            for x in items:
                try:
                    pairs.append((x, _teacher_forced(model, [x], device, *stats)[0]))
                except Exception as e:
                    failed.append((x["id"], str(e).splitlines()[0] if str(e) else type(e).__name__))
        for x, mel in pairs:
            with atomic_output(out / f"{x['id']}.npy") as tmp, open(tmp, "wb") as f:
                np.save(f, mel)
            done += 1
        bar.update(len(group))
    bar.close()
    with atomic_output(out / "report.tsv") as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(["id", "reason"])
            w.writerows(failed)
    return {"done": done, "skipped": skipped, "failed": len(failed)}


@torch.no_grad()
def _teacher_forced(model, items, device, renorm, data_stats, model_stats) -> list[np.ndarray]:
    batch = collate(items)
    pitch = batch["pitch"]
    if renorm:
        (d_mean, d_std), (m_mean, m_std) = data_stats, model_stats
        pitch = torch.where(pitch != 0, (pitch * d_std + d_mean - m_mean) / m_std, pitch)
    inputs = (batch["text"], batch["text_lens"], batch["mel"], batch["mel_lens"], pitch, batch["energy"],
              batch["speaker"], batch["prior"])
    inputs = tuple(x.to(device) for x in inputs)
    mel_out = model(inputs)[0].float().cpu()          # [B, T_mel, n_mels]
    out = []
    for b, n in enumerate(batch["mel_lens"].tolist()):
        mel = mel_out[b, :n].T.contiguous().numpy().astype(np.float32)
        if not np.isfinite(mel).all():
            raise ValueError("FastPitch produced NaN or infinite values")
        out.append(mel)
    return out
