"""Shape-stable inference (fixed vocoder pieces + FastPitch length buckets) against the default path,
under precision="auto": the mean |log-mel difference| of the two outputs on held-out sentences (the
gate of benchmarks/precision_quality.py: <= 0.06), with auto against fp32 for scale.

    python benchmarks/shape_stable_quality.py --n 20
"""
import argparse
from pathlib import Path

import numpy as np

from hifigan import TextToSpeech

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--sentences", default=str(ROOT / "recipes/default_voice/test_sentences.txt"))
    args = ap.parse_args()
    if args.n < 1:
        ap.error("--n must be >= 1")
    texts = [t.strip() for t in Path(args.sentences).read_text().splitlines() if t.strip()][:args.n]
    off = TextToSpeech.from_pretrained(precision="auto", length_buckets=False)
    off.vocoder.piece_frames = None
    on = TextToSpeech.from_pretrained(precision="auto", length_buckets=True)
    on.vocoder.piece_frames = 256
    fp32 = TextToSpeech.from_pretrained(precision="fp32", length_buckets=False)
    fp32.vocoder.piece_frames = None
    d_on, d_fp32 = [], []
    for text in texts:
        mels = [fp32.vocoder.mel(tts.synthesize(text)[0]) for tts in (off, on, fp32)]
        if mels[0].shape == mels[1].shape:  # a duration rounded the other way changes the length
            d_on.append((mels[0] - mels[1]).abs().mean().item())
        if mels[0].shape == mels[2].shape:
            d_fp32.append((mels[0] - mels[2]).abs().mean().item())
    print(f"on vs off (auto): mean |log-mel diff| {np.mean(d_on):.4f} (max {np.max(d_on):.4f}, "
          f"{len(d_on)} of {len(texts)} same length); auto vs fp32 for scale: {np.mean(d_fp32):.4f} "
          f"({len(d_fp32)} same length); gate 0.06")


if __name__ == "__main__":
    main()
