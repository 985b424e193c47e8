"""How far a reduced-precision vocoder is from fp32: the quality gate behind ``precision='auto'``.

    python benchmarks/precision_quality.py AUDIO.wav [...] --seconds 2 --precisions bf16
    python benchmarks/precision_quality.py ~/.cache/hifigan/eval/teacher/0001.wav --device cuda --precisions fp16 bf16

Copy-synthesis of each file's first ``--seconds`` (mel -> audio) in fp32 and in each precision;
prints the mean |log-mel difference| between the two outputs (the gate: <= 0.06), the largest
sample difference, the time of each pass and, for scale, the fp32 copy-synthesis error itself.
On a CPU without native bf16, bf16 is emulated: expect it to be many times slower.
"""
from __future__ import annotations

import argparse
import time

import torch

from hifigan.audio import load_audio
from hifigan.precision import DTYPES, cpu_has_native_bf16
from hifigan.loaders import load_vocoder

GATE = 0.06


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("audio", nargs="+")
    ap.add_argument("--vocoder", default="lj_v1")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--precisions", nargs="+", default=["bf16"], choices=["bf16", "fp16"])
    args = ap.parse_args()
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    ref_voc = load_vocoder(args.vocoder, device=args.device)
    low = {p: load_vocoder(args.vocoder, device=args.device).to(dtype=DTYPES[p]) for p in args.precisions}
    print(f"{args.vocoder} on {args.device}; native CPU bf16: {cpu_has_native_bf16()}; gate {GATE}")
    for path in args.audio:
        audio = load_audio(path, ref_voc.sample_rate)[: int(args.seconds * ref_voc.sample_rate)]
        mel = ref_voc.mel(audio).reshape(1, ref_voc.n_mels, -1).to(args.device)
        t = time.perf_counter(); ref = ref_voc.vocode(mel); sync(); t_ref = time.perf_counter() - t
        ref_mel = ref_voc.mel(ref[0].cpu())
        copy_err = (ref_mel - mel[0].cpu()).abs().mean().item()
        print(f"{path}: {mel.shape[-1]} frames, fp32 {t_ref:.2f} s, copy-synthesis |log-mel| error {copy_err:.3f}")
        for p, voc in low.items():
            t = time.perf_counter(); out = voc.vocode(mel); sync(); t_low = time.perf_counter() - t
            d = (ref_voc.mel(out[0].cpu()) - ref_mel).abs().mean().item()
            print(f"  {p}: mean |log-mel diff| {d:.4f} ({'pass' if d <= GATE else 'FAIL'}), "
                  f"max |sample diff| {(out - ref).abs().max().item():.4f}, {t_low:.2f} s ({t_low / t_ref:.1f}x fp32)")


if __name__ == "__main__":
    main()
