"""Copy-synthesis error of vocoders on the held-out clips of a prepared dataset: the mean L1 between
the loss mel (the HiFi-GAN authors' convention, up to half the sample rate, as ``train vocoder``
validates) of the vocoded audio and of the real audio, whole clips, fp32.

    python benchmarks/vocoder_l1.py ~/.cache/hifigan/joe_prepared --vocoders lj_v1 runs/voc/checkpoints/hifigan_0000400.safetensors
    python benchmarks/vocoder_l1.py PREPARED --vocoders lj_v1 FT.safetensors --mels-from MELS/   # FastPitch's mels

Inputs: each vocoder's own mel of the real audio, and with ``--mels-from`` also the mels written by
``hifigan extract-mels`` (teacher-forced FastPitch, frame-aligned with the audio), which is what
fine-tuning on FastPitch's mels is meant to improve. Every vocoder sees the same clips.
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
from torch.nn import functional as F

from hifigan import load_vocoder
from hifigan.audio import mel_spectrogram
from hifigan.train.data import load_manifest
from hifigan.train.vocoder import VocoderDataset, audio_paths, loss_mel_config


def clip_l1(vocoder, dataset) -> list[float]:
    loss_mel = loss_mel_config(vocoder.mel_config)
    out = []
    for i in range(len(dataset)):
        item = dataset[i]
        with torch.inference_mode():
            y_hat = vocoder.generator(item["mel"][None]).float()[0, 0]
            n = min(y_hat.shape[0], item["audio"].shape[0])
            out.append(float(F.l1_loss(mel_spectrogram(y_hat[None, :n], loss_mel),
                                       mel_spectrogram(item["audio"][None, :n], loss_mel))))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("prepared")
    p.add_argument("--vocoders", nargs="+", default=["lj_v1"])
    p.add_argument("--mels-from", default=None, help="also FastPitch's mels: DIR/<id>.npy")
    p.add_argument("--split", default="val")
    p.add_argument("--limit", type=int, default=None, help="first N clips of the split")
    args = p.parse_args(argv)

    manifest = load_manifest(args.prepared)
    paths = audio_paths(manifest, args.prepared)
    inputs = [("own mel of the audio", None)] + ([("FastPitch mels", args.mels_from)] if args.mels_from else [])
    print(f"{args.prepared}: {args.split} split, {len(manifest[args.split][:args.limit])} clips; "
          f"mean L1 of the loss mel (lower is better)")
    for name in args.vocoders:
        vocoder = load_vocoder(name)
        for label, mels in inputs:
            ds = VocoderDataset(manifest, args.split, paths, vocoder.mel_config, None, mels, limit=args.limit)
            t0 = time.perf_counter()
            l1 = clip_l1(vocoder, ds)
            print(f"  {name:<60} {label:<22} {sum(l1) / len(l1):.4f}  ({len(l1)} clips, "
                  f"{time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
