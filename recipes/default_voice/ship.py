"""Ship a trained checkpoint as the package's default voice: fp16 weights, same metadata.

    python recipes/default_voice/ship.py ~/.cache/hifigan/joe_run/checkpoints/fastpitch_0001250.safetensors

Writes ``src/hifigan/voices/default_fastpitch.safetensors`` (atomically) and prints its size and
the largest difference the fp16 rounding makes to a synthesised mel.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from hifigan.checkpoints import read_safetensors
from hifigan.files import atomic_output

OUT = Path(__file__).resolve().parents[2] / "src" / "hifigan" / "voices" / "default_fastpitch.safetensors"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args()
    from safetensors.torch import save_file

    tensors, meta = read_safetensors(args.checkpoint)
    meta["source"] = {"file": args.checkpoint.name, "dtype": "float16"}
    half = {k: v.half().contiguous() if v.is_floating_point() else v for k, v in tensors.items()}
    with atomic_output(args.out) as tmp:
        save_file(half, str(tmp), metadata={"hifigan": json.dumps(meta)})

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
