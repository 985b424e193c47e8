"""Intelligibility of copy-synthesis: ASR word error rate of real recordings vs. the same
recordings passed through wav -> mel -> HiFi-GAN -> wav.

Needs the LibriVox clips of Debian's pocketsphinx-testdata and the offline ASR of ../shared
(see ../shared/README.md for its one-time setup in ../asr-venv):

    apt-get install -y pocketsphinx-testdata
    python benchmarks/copy_synthesis_wer.py --vocoder universal_v1 --asr-python ../asr-venv/bin/python
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hifigan.audio import load_audio, write_wav
from hifigan.loaders import load_vocoder

DATA = Path("/usr/share/pocketsphinx/test/data/librivox")
ROOT = Path(__file__).resolve().parents[1]


def transcripts(folder: Path) -> dict[str, str]:
    out = {}
    for line in (folder / "transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((\S+)\)", line.strip())
        if m:
            out[m.group(2)] = m.group(1).strip()
    return out


def wer(asr_python: str, rows: list[tuple[Path, str]], workdir: Path, name: str) -> str:
    tsv = workdir / f"{name}.tsv"
    tsv.write_text("".join(f"{p}\t{t}\n" for p, t in rows))
    res = subprocess.run([asr_python, str(ROOT.parent / "shared/tools/asr_wer.py"), str(tsv)],
                         capture_output=True, text=True, check=True)
    print(res.stdout.strip())
    return res.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocoder", default="universal_v1")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--asr-python", default=str(ROOT.parent / "asr-venv/bin/python"))
    ap.add_argument("--denoise", type=float, default=0.0)
    args = ap.parse_args()
    if not (args.data / "transcription").is_file():
        sys.exit(f"no LibriVox clips at {args.data}: apt-get install pocketsphinx-testdata")
    texts = transcripts(args.data)
    vocoder = load_vocoder(args.vocoder)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        originals, resynth = [], []
        for stem, text in sorted(texts.items()):
            src = args.data / f"{stem}.wav"
            mel = vocoder.mel(load_audio(src, vocoder.sample_rate))
            out = write_wav(tmp / f"{stem}.wav", vocoder.vocode(mel, args.denoise)[0], vocoder.sample_rate)
            originals.append((src, text))
            resynth.append((out, text))
        print(f"== originals ({len(originals)} clips)")
        a = wer(args.asr_python, originals, tmp, "orig")
        print(f"== copy-synthesis with {args.vocoder}")
        b = wer(args.asr_python, resynth, tmp, "resynth")
    wa, wb = (float(x.split()[1]) for x in (a, b))
    print(f"WER originals {wa:.3f}  copy-synthesis {wb:.3f}  difference {wb - wa:+.3f}")


if __name__ == "__main__":
    main()
