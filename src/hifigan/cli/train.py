"""``hifigan train fastpitch|vocoder``: one trainer loop for both models (checkpoints, resume, DDP)."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from hifigan.cli.common import CliError

NAME = "train"


def add_parser(sub) -> None:
    tr = sub.add_parser("train", help="train a model (fastpitch, vocoder)")
    tsub = tr.add_subparsers(dest="model", metavar="MODEL")
    f = tsub.add_parser("fastpitch", help="train FastPitch on a prepared dataset",
                        description="Train FastPitch 1.1 (learned alignment). Also runs under "
                                    "'torchrun --nproc_per_node N -m hifigan train fastpitch ...' (DDP).")
    f.add_argument("prepared", metavar="PREPARED", help="a folder written by 'hifigan prepare'")
    f.add_argument("-o", "--output", required=True, metavar="RUN", help="run folder (checkpoints, logs)")
    f.add_argument("--config", default="small", metavar="NAME|JSON",
                   help="model size: small (CPU, default), compact (a slow CPU), default (NVIDIA's), tiny, or a JSON file")
    f.add_argument("--init-from", metavar="CKPT", help="start from a FastPitch checkpoint (NVIDIA's or ours)")
    f.add_argument("--steps", type=int, default=5000)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--grad-accum", type=int, default=1, metavar="N", help="micro-batches per optimizer step")
    f.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                   help="bf16: CPU with native bf16 or GPU; fp16: GPU only (the aligner always runs in fp32)")
    f.add_argument("--optimizer", default="adamw", choices=["adamw", "lamb"])
    f.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    f.add_argument("--warmup", type=int, default=1000, help="warm-up steps (default 1000)")
    f.add_argument("--val-vocoder", metavar="NAME|PATH", help="vocoder for validation audio in TensorBoard")
    loop_arguments(f, ema=0.999, every=500)

    vt = tsub.add_parser("vocoder", help="train or fine-tune HiFi-GAN on a prepared dataset",
                         description="Train HiFi-GAN (generator + multi-period and multi-scale discriminators) "
                                     "on random segments of a prepared dataset's audio, or fine-tune a pretrained "
                                     "generator (--init-from), optionally on FastPitch's mels (--mels-from, see "
                                     "'hifigan extract-mels'). Also runs under 'torchrun --nproc_per_node N -m "
                                     "hifigan train vocoder ...' (DDP).")
    vt.add_argument("prepared", metavar="PREPARED", help="a folder written by 'hifigan prepare'")
    vt.add_argument("-o", "--output", required=True, metavar="RUN", help="run folder (checkpoints, logs)")
    vt.add_argument("--config", metavar="NAME|JSON",
                    help="generator: v1 (default), v2, v3, tiny, or a JSON config (the authors' config.json works); "
                         "not with --init-from")
    vt.add_argument("--init-from", metavar="NAME|CKPT",
                    help="start from lj_v1, universal_v1, joe_v1 or a generator file (ours, the authors' g_*, NVIDIA's); "
                         "its discriminators too when their file lies beside it (do_*, hifigan_discrim_*, state_*)")
    vt.add_argument("--init-discriminators", metavar="CKPT",
                    help="discriminators (and Adam moments) from this file: the authors' do_*, NVIDIA's "
                         "hifigan_discrim_checkpoint_*.pt or our state_*.pt")
    vt.add_argument("--data", metavar="DATA", help="the dataset PREPARED was made from (its audio), when "
                                                   "PREPARED's manifest does not name the audio files")
    vt.add_argument("--mels-from", metavar="DIR", help="train on DIR/<id>.npy mels aligned with the audio "
                                                       "(e.g. from 'hifigan extract-mels') instead of mels of the audio")
    vt.add_argument("--discriminators", default="original", metavar="NAME|JSON",
                    help="discriminator sizes: original (the paper's, default), tiny (tests), or a JSON file")
    vt.add_argument("--segment-size", type=int, default=8192, metavar="SAMPLES",
                    help="training segment (default 8192, a multiple of the hop)")
    vt.add_argument("--steps", type=int, default=10000)
    vt.add_argument("--batch-size", type=int, default=16)
    vt.add_argument("--grad-accum", type=int, default=1, metavar="N", help="micro-batches per optimizer step")
    vt.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                    help="bf16: CPU with native bf16 or GPU; fp16: GPU only (mels always in fp32)")
    vt.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    vt.add_argument("--lr-discriminators", type=float, default=None, metavar="LR",
                    help="the discriminators' learning rate (default: --lr), e.g. higher for fresh ones")
    vt.add_argument("--lr-decay", type=float, default=0.999, help="learning-rate factor per epoch (default 0.999)")
    vt.add_argument("--val-clips", type=int, default=8, metavar="N", help="held-out clips vocoded per validation")
    vt.add_argument("--warmup-discriminators", type=int, default=0, metavar="N",
                    help="train only the discriminators for the first N steps, the generator frozen (for a "
                         "generator whose discriminators were not saved, e.g. lj_v1; default 0)")
    vt.add_argument("--no-discriminators", action="store_true",
                    help="train the generator on its mel L1 (and --stft-loss) alone, no discriminators (a "
                         "short fine-tune of a pretrained generator to another model's mels)")
    vt.add_argument("--stft-loss", type=float, default=0.0, metavar="W",
                    help="add W x Parallel WaveGAN's multi-resolution STFT loss (spectral convergence + log "
                         "magnitude, 3 resolutions) to the generator's loss (default 0: off, as the paper)")
    loop_arguments(vt, ema=0.0, every=1000)


def run(args) -> int:
    if args.model == "vocoder":
        return _vocoder(args)
    if args.model != "fastpitch":
        raise CliError("say what to train: hifigan train fastpitch|vocoder PREPARED -o RUN")
    # imported when the command runs: the training package stays off the inference path (synthesize, serve)
    from hifigan.train.fastpitch import FastPitchTask, FastPitchTrainConfig
    from hifigan.train.trainer import Trainer

    tcfg = FastPitchTrainConfig(config=args.config, optimizer=args.optimizer, lr=args.lr, warmup=args.warmup,
                                init_from=args.init_from, val_vocoder=args.val_vocoder)
    loop = loop_config(args)
    task = FastPitchTask(args.prepared, tcfg)
    info = {"task": "fastpitch", "prepared": str(Path(args.prepared).resolve()), "fastpitch": tcfg.config,
            "optimizer": tcfg.optimizer, "lr": tcfg.lr, "warmup": tcfg.warmup, "init_from": tcfg.init_from}
    result = Trainer(task, args.output, loop, resume=args.resume, run_info=info).fit()
    if result.get("checkpoint"):
        print(f"step {result['step']}: {result['checkpoint']}", file=sys.stderr)
    return 0


def _vocoder(args) -> int:
    # imported when the command runs: the training package stays off the inference path (synthesize, serve)
    from hifigan.train.losses import VocoderLossWeights
    from hifigan.train.trainer import Trainer
    from hifigan.train.vocoder import VocoderTask, VocoderTrainConfig

    if args.val_clips < 0:
        raise CliError(f"--val-clips must be >= 0, got {args.val_clips}")
    if args.warmup_discriminators < 0:
        raise CliError(f"--warmup-discriminators must be >= 0, got {args.warmup_discriminators}")
    if not (math.isfinite(args.stft_loss) and args.stft_loss >= 0):
        raise CliError(f"--stft-loss must be a finite number >= 0, got {args.stft_loss}")
    if args.lr_discriminators is not None and not (math.isfinite(args.lr_discriminators)
                                                   and args.lr_discriminators > 0):
        raise CliError(f"--lr-discriminators must be a finite number > 0, got {args.lr_discriminators}")
    if args.no_discriminators and args.warmup_discriminators:
        raise CliError("--no-discriminators and --warmup-discriminators exclude each other")
    tcfg = VocoderTrainConfig(config=args.config, discriminators=args.discriminators, init_from=args.init_from,
                              init_discriminators=args.init_discriminators, data=args.data,
                              mels_from=args.mels_from, segment_size=args.segment_size, lr=args.lr,
                              lr_discriminators=args.lr_discriminators, lr_decay=args.lr_decay, val_clips=args.val_clips,
                              warmup_discriminators=args.warmup_discriminators,
                              no_discriminators=args.no_discriminators,
                              loss=VocoderLossWeights(stft=args.stft_loss))
    task = VocoderTask(args.prepared, tcfg, seed=args.seed)
    info = {"task": "vocoder", "prepared": str(Path(args.prepared).resolve()), "generator": task.gen_config.to_dict(),
            "audio": task.mel_config.to_dict(), "init_from": args.init_from,
            "init_discriminators": args.init_discriminators, "mels_from": args.mels_from,
            "segment_size": args.segment_size, "lr": args.lr, "lr_discriminators": args.lr_discriminators,
            "lr_decay": args.lr_decay, "warmup_discriminators": args.warmup_discriminators, "no_discriminators": args.no_discriminators,
            "stft_loss": args.stft_loss}
    previous = Path(args.output) / "run.json"
    if args.resume and previous.is_file():  # the generator and its mels must be those the run began with
        try:
            old = json.loads(previous.read_text())
        except ValueError:
            old = {}
        for key in ("generator", "audio", "mels_from", "segment_size"):
            if key in old and json.loads(json.dumps(info[key])) != old[key]:
                raise CliError(f"{args.output}: the run began with another {key.replace('_', ' ')} "
                               f"({old[key]}); resume with the options it was started with")
    result = Trainer(task, args.output, loop_config(args), resume=args.resume, run_info=info).fit()
    if result.get("checkpoint"):
        print(f"step {result['step']}: {result['checkpoint']}", file=sys.stderr)
    return 0


def loop_arguments(p, ema: float, every: int) -> None:
    """The training loop's options, shared by every 'hifigan train MODEL' (see LoopConfig)."""
    p.add_argument("--ema", type=float, default=ema, metavar="DECAY", help=f"EMA of weights (default {ema:g}; 0: off)")
    p.add_argument("--grad-clip", type=float, default=1000.0)
    p.add_argument("--val-every", type=int, default=every)
    p.add_argument("--ckpt-every", type=int, default=every)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--keep-last", type=int, default=3, help="checkpoints kept (default 3)")
    p.add_argument("--keep-every", type=int, default=0, metavar="N",
                   help="also keep the exported weights (not the resume state) of every N-th step, for evaluation")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="data-loading processes")
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def loop_config(args):
    # imported when the command runs: the training package stays off the inference path (synthesize, serve)
    from hifigan.train.trainer import LoopConfig

    return LoopConfig(steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
                      precision=args.precision, grad_clip=args.grad_clip, ema_decay=args.ema,
                      log_every=args.log_every, val_every=args.val_every, ckpt_every=args.ckpt_every,
                      keep_last=args.keep_last, keep_every=args.keep_every, seed=args.seed, device=args.device, num_workers=args.workers,
                      progress=not args.no_progress)
