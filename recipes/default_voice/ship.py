"""Ship a trained checkpoint as the package's default voice: fp16 weights, same metadata.

    python recipes/default_voice/ship.py ~/.cache/hifigan/joe_run/checkpoints/fastpitch_0001250.safetensors

Writes ``src/hifigan/voices/default_fastpitch.safetensors`` (atomically) and prints its size and
the largest difference the fp16 rounding makes to a synthesised mel.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from hifigan.checkpoints import load_fastpitch_checkpoint, read_safetensors, save_fastpitch
from hifigan.errors import HifiganError

OUT = Path(__file__).resolve().parents[2] / "src" / "hifigan" / "voices" / "default_fastpitch.safetensors"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args()
    try:
        model = load_fastpitch_checkpoint(args.checkpoint)[0]
        meta = read_safetensors(args.checkpoint)[1]
    except HifiganError as e:
        sys.exit(f"error: {e}")
    meta["source"] = {"file": args.checkpoint.name, "dtype": "float16"}
    save_fastpitch(args.out, model.half(), extra=meta)  # the same metadata, fp16 tensors

    from hifigan import TextToSpeech
    text = "The museum opens at nine on weekdays and at ten on Sundays."
    mels = []
    for path in (args.checkpoint, args.out):
        tts = TextToSpeech.from_pretrained(str(path), "lj_v1")
        ids = torch.tensor([tts.text_processor.encode_text(text)])
        with torch.inference_mode():
            mels.append(tts.fastpitch.infer(ids)[0][0])  # [n_mel, frames]
    n = min(mels[0].shape[1], mels[1].shape[1])
    diff = (mels[0][:, :n] - mels[1][:, :n]).abs()
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB; fp16 vs fp32 mel: frames {mels[0].shape[1]} vs "
          f"{mels[1].shape[1]}, mean |diff| {diff.mean():.4f}, max {diff.max():.4f}")


if __name__ == "__main__":
    main()
