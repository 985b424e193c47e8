"""How far int8 and bf16 FastPitch are from fp32: the quality side of ``precision='auto'`` for FastPitch.

    python benchmarks/fastpitch_int8.py                      # the default voice, the 150 test sentences
    python benchmarks/fastpitch_int8.py --fastpitch CKPT --sentences FILE [...]

For each sentence, FastPitch runs in fp32 and then in each precision with the fp32 durations
(so that both decode the same frames); prints the mean |mel difference| (natural-log mel, the
model's output) averaged over the sentences and its worst sentence, and how many symbols' rounded
durations the precision itself would change. Speed is
``hifigan bench --fastpitch random:default --stages fastpitch --precision fp32 bf16 int8/fp32``.
"""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import torch

from hifigan import TextToSpeech
from hifigan.acoustic import to_precision

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT / "recipes" / "default_voice" / "test_sentences.txt", ROOT / "recipes" / "default_voice" / "test_sentences_b.txt"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastpitch", default="default")
    ap.add_argument("--sentences", nargs="+", type=Path, default=SETS)
    ap.add_argument("--precisions", nargs="+", default=["int8", "bf16"], choices=["int8", "bf16"])
    args = ap.parse_args()
    tts = TextToSpeech.from_pretrained(args.fastpitch, precision="fp32")
    ref = tts.fastpitch
    models = {p: to_precision(copy.deepcopy(ref), precision=p) for p in args.precisions}
    lines = [t.strip() for f in args.sentences for t in f.read_text().splitlines() if t.strip()]
    diffs = {p: [] for p in models}
    changed = {p: 0 for p in models}
    symbols = 0
    with torch.inference_mode():
        for text in lines:
            ids = torch.tensor([tts.text_processor.encode_text(text)])
            mel, _, dur = ref.infer(ids)[:3]
            symbols += ids.numel()
            for p, m in models.items():
                out, _, d = m.infer(ids, dur_tgt=dur)[:3]
                diffs[p].append((out.float() - mel).abs().mean().item())
                changed[p] += int(((m.infer(ids)[2] + 0.5).long() != (dur + 0.5).long()).sum())
    print(f"{args.fastpitch}: {len(lines)} sentences, {symbols} symbols; mean |mel difference| to fp32 "
          "with fp32's durations, and the symbols whose rounded duration changes")
    for p in models:
        d = torch.tensor(diffs[p])
        print(f"  {p:5s} mean {d.mean():.4f}  worst sentence {d.max():.4f}  durations changed "
              f"{changed[p]} ({changed[p] / symbols:.1%})")


if __name__ == "__main__":
    main()
