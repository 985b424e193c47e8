"""Training speed on CPU, step for step: our FastPitch against NVIDIA's original code, and our
HiFi-GAN step (generator + MPD + MSD) against the HiFi-GAN authors' code (``--model vocoder``).

    git -C /path/to/DeepLearningExamples archive HEAD PyTorch/SpeechSynthesis/FastPitch | tar -x -C /tmp/nv
    python benchmarks/train_speed.py --nvidia-dir /tmp/nv/PyTorch/SpeechSynthesis/FastPitch
    python benchmarks/train_speed.py --impl ours --configs small --precisions bf16 --threads 4
    python benchmarks/train_speed.py --nvidia-dir DIR --prepared data/lj_prepared   # real clips

One training step is timed from ``zero_grad`` to the end of the optimizer step, as each code base
trains. Ours is :meth:`hifigan.train.trainer.Trainer._train_step` itself (bf16 autocast on the CPU
around the forward and the loss; our aligner runs in fp32 inside ``FastPitch.align``; the
finiteness check, the logged floats, ``clip_grad_norm_`` at ``LoopConfig.grad_clip``, AdamW as
``FastPitchTask.optimizers`` makes it, the learning-rate schedule; ``attention.attn_proj`` frozen
as ``FastPitchTask.modules`` does). NVIDIA's is the body of their ``train.py`` loop for one batch:
``model.zero_grad``, forward, ``FastPitchLoss`` (dur 0.1, pitch 0.1, energy 0.1, attn 1.0, as
``scripts/train.sh``) plus ``AttentionBinarizationLoss``, ``loss.item()``, backward,
``clip_grad_norm_(model.parameters(), 1000)``, optimizer step, the logged ``.item()``s.
The binarization (KL) loss is on at full weight for both (its state after the warm-up).
Both models are built from the same FastPitchConfig (its fields are NVIDIA's constructor
arguments), start from the same weights, and see the same batch, ordered as NVIDIA's
``TTSCollate`` orders it (longest text first). The median of ``--steps`` steps after ``--warmup``
steps is reported; frames/s is the batch's mel frames (the sum of ``mel_lens``) per second.

What NVIDIA's code needs on a CPU-only machine (patched here at run time, their files untouched):

* ``FastPitch.binarize_attention`` builds its result with ``torch.tensor(..., device=attn.get_device())``,
  and ``get_device()`` is -1 for a CPU tensor, which ``torch.tensor`` rejects. The ``torch`` name
  inside ``fastpitch.model`` is replaced by a proxy of the torch module whose ``tensor`` maps a
  negative device index to ``"cpu"`` (everything else is torch's own).
* Their ``AttentionCTCLoss`` masks padded symbols with ``-inf``; on the CPU the backward of
  ``ctc_loss`` turns those into NaN gradients that reach every weight (the loss is NaN from the
  second step on, and their loop stops). A gradient hook on the input of their ``nn.CTCLoss``
  module replaces those NaN entries by 0, their true value; the gradient then equals ours.
* ``train.py`` cannot be imported (apex, ``amp_C``, CUDA), so its step is written out here with
  ``torch.optim.AdamW`` (betas 0.9/0.98, eps 1e-9, weight decay 1e-6, their ``--optimizer adam``
  is apex's ``FusedAdam``, AdamW-mode) in place of apex's fused optimizers, CPU bf16 autocast in
  place of ``torch.cuda.amp.autocast`` (no GradScaler: bf16 needs none) and without their
  learning-rate adjustment and TensorBoard gradient logging; ``batch_to_gpu`` is not imported
  (``fastpitch.data_function`` needs ``inflect``), its conventions (the 9-tuple ``x`` with
  ``audiopaths`` last, ``y = (mel, text_lens, mel_lens)``) are followed.
* Their folder is on ``sys.path`` only while their modules are imported: it also holds packages
  named ``hifigan`` and ``triton``, and that ``triton`` breaks torch.optim's check for the real one.
* Their monotonic alignment search is numba-compiled: ``numba`` must be installed (librosa
  brings it); it is compiled once before timing, so no step pays for the compilation.

Vocoder (``--model vocoder``): ours is ``Trainer._train_step`` with ``VocoderTask``'s two phases
(discriminators, then generator; AdamW 0.8/0.99 on both; mel L1 x45, LSGAN, feature matching x2;
the generator loss's backward computes no discriminator weight gradients). The authors' is the
body of their ``train.py`` loop (jik876/hifi-gan), their ``models.py`` imported from a folder
(``git -C hifi-gan archive HEAD models.py env.py utils.py | tar -x -C /tmp/hifi-gan``, then
``--authors-dir /tmp/hifi-gan``): generator forward, the mel of its output, MPD + MSD discriminator
losses, backward, ``optim_d.step()``, then generator losses, backward (into every weight, as theirs
does), ``optim_g.step()``. Their ``meldataset.mel_spectrogram`` no longer runs (``torch.stft``
without ``return_complex``; librosa >= 0.10 takes keyword arguments only), so both steps take the
loss mel from ``hifigan.audio.mel_spectrogram`` with their settings (``hifigan`` convention, fmax
None; tested equal to theirs in tests/test_audio.py). Both start from the same weights and see
the same batch: ``--batch-size`` random segments of ``--segment-size`` samples of a synthetic
harmonic signal, its mel as input. Before timing, one fp32 step of each from the same state is
compared (their losses against ours). bf16 rows wrap the forward and losses of both in CPU bf16
autocast (their code has no AMP; the mels stay fp32).

A run that fails (say NVIDIA's forward under bf16 autocast, or a non-finite loss) shows its error
in its table row instead of a time. Before timing, each config's two models run one eval-mode
fp32 forward on the batch and their losses are printed side by side (``--no-check`` skips it).
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import platform
import statistics
import sys
import time
import types
import warnings
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from hifigan.models.fastpitch import FastPitch
from hifigan.text.symbols import get_symbols
from hifigan.train.data import PreparedDataset, beta_binomial_prior, collate, load_manifest
from hifigan.train.fastpitch import FastPitchTask, FastPitchTrainConfig, model_config
from hifigan.train.losses import fastpitch_loss
from hifigan.train.trainer import LoopConfig, Trainer

NVIDIA_LOSS_SCALES = dict(dur_predictor_loss_scale=0.1, pitch_predictor_loss_scale=0.1,
                          attn_loss_scale=1.0)          # scripts/train.sh; energy 0.1 is the default
NVIDIA_PITCH_MEAN, NVIDIA_PITCH_STD = 214.72203, 65.72038  # train.py defaults


# ---------------------------------------------------------------- the batch

def synthetic_items(batch_size: int, text_len: tuple[int, int], frames_per_symbol: float,
                    n_symbols: int, n_mels: int, seed: int) -> list[dict]:
    """Random clips shaped like prepared ones: symbol ids, a smooth log-mel (never exactly 0),
    its frame norms as energy, normalised pitch with unvoiced (0) runs, the beta-binomial prior."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(batch_size):
        t = int(rng.integers(text_len[0], text_len[1] + 1))
        m = max(t, int(round(t * frames_per_symbol * rng.uniform(0.9, 1.1))))
        noise = rng.standard_normal((n_mels, m + 4))
        mel = -6.0 + 2.0 * (noise[:, :-4] + noise[:, 1:-3] + noise[:, 2:-2] + noise[:, 3:-1]) / 2
        mel = np.where(mel == 0.0, 1e-3, mel).astype(np.float32)
        steps = rng.standard_normal(m) * 0.1
        pitch = np.cumsum(steps) - np.cumsum(steps).mean() + rng.standard_normal() * 0.5
        voiced = np.repeat(rng.random(m // 8 + 1) < 0.7, 8)[:m]
        mel_t = torch.from_numpy(mel)
        items.append({
            "text": torch.from_numpy(rng.integers(1, n_symbols, t)).long(), "mel": mel_t,
            "pitch": torch.from_numpy(np.where(voiced, pitch, 0.0).astype(np.float32))[None],
            "energy": torch.linalg.vector_norm(mel_t, dim=0),
            "prior": torch.from_numpy(beta_binomial_prior(t, m)), "speaker": 0, "id": f"synthetic_{i}"})
    return items


def prepared_items(root, batch_size: int, quantile: float) -> tuple[list[dict], dict]:
    """The ``batch_size`` training clips whose mel lengths sit around ``quantile`` of the
    training set's (like one length-bucketed batch of long clips)."""
    manifest = load_manifest(root)
    ds = PreparedDataset(root, "train", manifest)
    if len(ds) < batch_size:
        sys.exit(f"{root}: {len(ds)} training clips, fewer than --batch-size {batch_size}")
    order = sorted(range(len(ds)), key=lambda i: ds.lengths()[i])
    centre = int(round(quantile * (len(order) - 1)))
    start = min(max(0, centre - batch_size // 2), len(order) - batch_size)
    return [ds[i] for i in order[start:start + batch_size]], manifest


# ---------------------------------------------------------------- our side

def our_trainer(cfg, precision: str, pitch_mean: float, pitch_std: float):
    """A Trainer set up as ``Trainer.fit`` sets it up, without data loading or files."""
    task = FastPitchTask.__new__(FastPitchTask)  # no prepared folder needed for the step
    task.tcfg = FastPitchTrainConfig(optimizer="adamw")
    task.config = cfg
    model = FastPitch(cfg)
    model.pitch_mean.fill_(pitch_mean)
    model.pitch_std.fill_(pitch_std)
    model.attention.attn_proj.requires_grad_(False)  # as FastPitchTask.modules
    model.train()
    tr = Trainer(task, Path("/nonexistent/train_speed"), LoopConfig(precision=precision, device="cpu"))
    tr.modules = {"fastpitch": model}
    tr.optims = task.optimizers(tr.modules)
    tr.scheds = {k: torch.optim.lr_scheduler.LambdaLR(o, lambda s: task.lr_scale(s + 1))
                 for k, o in tr.optims.items()}
    tr.scaler, tr.ema, tr.last_checkpoint = None, {}, None
    return tr, model


# ---------------------------------------------------------------- NVIDIA's side

class _TorchOnCPU(types.ModuleType):
    """``torch`` for NVIDIA's ``fastpitch.model``: ``torch.tensor(..., device=-1)`` (a CPU
    tensor's ``get_device()``) means the CPU; every other name is torch's."""

    def __init__(self):
        super().__init__("torch")

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def tensor(data, *args, device=None, **kwargs):
        if isinstance(device, int) and device < 0:
            device = "cpu"
        return torch.tensor(data, *args, device=device, **kwargs)


def load_nvidia(nvidia_dir):
    """Import NVIDIA's model and losses from their FastPitch folder (patched for the CPU)."""
    d = Path(nvidia_dir).resolve()
    if not (d / "fastpitch" / "model.py").is_file():
        sys.exit(f"--nvidia-dir {d}: no fastpitch/model.py (give the PyTorch/SpeechSynthesis/FastPitch folder)")
    # On the path only while importing: the folder also holds `hifigan` (ours is imported
    # already) and `triton` packages, and a `triton` found there breaks torch.optim's check for
    # the real one.
    sys.path.insert(0, str(d))
    try:
        import fastpitch.alignment as nv_alignment
        import fastpitch.model as nv_model
        from fastpitch.attn_loss_function import AttentionBinarizationLoss
        from fastpitch.loss_function import FastPitchLoss
    finally:
        sys.path.remove(str(d))
    for name in [m for m in sys.modules if m.split(".")[0] in ("triton", "hifigan")]:
        where = getattr(sys.modules[name], "__file__", None) or str(getattr(sys.modules[name], "__path__", ""))
        if str(d) in str(where):
            del sys.modules[name]
    warnings.filterwarnings("ignore", message=".*torch.lu is deprecated")  # their unused Invertible1x1ConvLUS

    if not str(Path(nv_model.__file__).resolve()).startswith(str(d)):
        sys.exit(f"imported fastpitch.model from {nv_model.__file__}, not from {d}")
    nv_model.torch = _TorchOnCPU()
    # compile the numba MAS now, for both array layouts binarize_attention passes it
    full = np.zeros((1, 1, 6, 4), dtype=np.float32)
    nv_alignment.mas_width1(full[0, 0])
    nv_alignment.mas_width1(full[0, 0, :5, :3])
    return types.SimpleNamespace(FastPitch=nv_model.FastPitch, FastPitchLoss=FastPitchLoss,
                                 AttentionBinarizationLoss=AttentionBinarizationLoss, dir=d)


def nvidia_model(nv, cfg, our_state: dict | None):
    model = nv.FastPitch(**cfg.to_dict())  # FastPitchConfig's fields are their constructor's arguments
    note = ""
    if our_state is not None:
        try:
            model.load_state_dict(our_state)
        except RuntimeError as e:
            note = f"could not take our weights ({str(e).splitlines()[0]})"
    return model.train(), note


def nvidia_criterion(nv):
    """Their ``FastPitchLoss`` with train.sh's scales. On the CPU, the backward of ``ctc_loss``
    gives NaN at the log-probabilities their ``AttentionCTCLoss`` masks with ``-inf`` (padded
    symbols), and the NaN spreads through ``log_softmax`` to every weight; a gradient hook on the
    CTC input turns those entries into 0, their true value (the gradient then equals ours)."""
    criterion = nv.FastPitchLoss(**NVIDIA_LOSS_SCALES)

    def nan_to_zero_grad(module, args):
        if args[0].requires_grad:
            args[0].register_hook(lambda g: g.nan_to_num(0.0, 0.0, 0.0))

    criterion.attn_ctc_loss.CTCLoss.register_forward_pre_hook(nan_to_zero_grad)
    return criterion


def nvidia_inputs(batch):
    """``batch_to_gpu``'s ``(x, y, num_frames)`` from our collated batch (fresh tensors)."""
    x = [batch["text"].clone().long(), batch["text_lens"].clone().long(), batch["mel"].clone().float(),
         batch["mel_lens"].clone().long(), batch["pitch"].clone().float(), batch["energy"].clone().float(),
         batch["speaker"].clone().long(), batch["prior"].clone().float(), list(batch["ids"])]
    y = [x[2], x[1], x[3]]
    return x, y, torch.sum(x[3])


def nvidia_step(model, optimizer, criterion, kl_loss, x, y, num_frames, autocast, kl_weight=1.0,
                grad_clip=1000.0):
    """One iteration of their train.py loop (grad accumulation 1, single process)."""
    model.zero_grad(set_to_none=True)
    with autocast():
        y_pred = model(x)
        loss, meta = criterion(y_pred, y)
        attn_soft, attn_hard = y_pred[8], y_pred[9]
        binarization_loss = kl_loss(attn_hard, attn_soft)
        meta["kl_loss"] = binarization_loss.clone().detach() * kl_weight
        loss += kl_weight * binarization_loss
        loss /= 1
    meta = {k: v / 1 for k, v in meta.items()}
    loss.backward()
    reduced_loss = loss.item()
    num_frames.item()
    if np.isnan(reduced_loss):
        raise RuntimeError("loss is NaN")
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    meta["mel_loss"].item(), meta["kl_loss"].item()
    return reduced_loss


# ---------------------------------------------------------------- timing

def n_params(model, trainable_only=False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def time_steps(step, warmup: int, steps: int) -> list[float]:
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step(i)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def autocast_for(precision: str):
    if precision == "fp32":
        return lambda: torch.autocast("cpu", enabled=False)
    return lambda: torch.autocast("cpu", dtype=torch.bfloat16)


def short_error(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}"[:110]


def check_forward(ours, nv_model, nv, batch, weights, kl_step):
    """Eval-mode fp32 forward and losses of both models (same weights, same batch)."""
    ours.eval(), nv_model.eval()
    try:
        with torch.no_grad():
            out = ours(FastPitchTask._inputs(batch))
            _, parts = fastpitch_loss(out, batch, weights, kl_step)
            x, y, _ = nvidia_inputs(batch)
            nv_out = nv_model(x)
            _, meta = nvidia_criterion(nv)(nv_out, y)
            nv_bin = nv.AttentionBinarizationLoss()(nv_out[9], nv_out[8])
        pairs = [("mel", parts["mel"], meta["mel_loss"]), ("dur", parts["dur"], meta["duration_predictor_loss"]),
                 ("pitch", parts["pitch"], meta["pitch_loss"]),
                 ("energy", parts.get("energy"), meta.get("energy_loss")),
                 ("ctc", parts["ctc"], meta["attn_loss"]), ("bin", parts["bin"], nv_bin)]
        losses = "  ".join(f"{k} {float(a):.5g}/{float(b):.5g}" for k, a, b in pairs if a is not None)
        hard_same = float((out[9] == nv_out[9]).all(dim=(1, 2, 3)).float().mean())
        mel_diff = float((out[0] - nv_out[0]).abs().max())
        print(f"  eval fp32, same weights (ours/NVIDIA's): {losses}")
        print(f"  hard alignments identical for {hard_same:.0%} of clips; max |mel_out diff| {mel_diff:.2e}")
    except Exception as e:  # a check, not the benchmark
        print(f"  forward check failed: {short_error(e)}")
    finally:
        ours.train(), nv_model.train()


# ---------------------------------------------------------------- the vocoder step

def vocoder_batch(batch_size: int, segment: int, seed: int):
    """Segments of a harmonic signal with a moving pitch and noise, and their mels."""
    from hifigan.audio import MelConfig, mel_spectrogram

    rng = np.random.default_rng(seed)
    t = np.arange(segment) / 22050
    audio = []
    for _ in range(batch_size):
        f0 = rng.uniform(80, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        phase = 2 * np.pi * np.cumsum(f0) / 22050
        x = sum(np.sin(k * phase) / k for k in range(1, 25)) + 0.05 * rng.standard_normal(segment)
        audio.append(0.5 * x / np.abs(x).max())
    y = torch.tensor(np.stack(audio), dtype=torch.float32)[:, None]
    mel = mel_spectrogram(y[:, 0], MelConfig())  # the hifigan convention: segment // 256 frames
    return {"mel": mel, "audio": y, "mel_lens": torch.full((batch_size,), mel.shape[2])}


def our_vocoder_trainer(gen_cfg, precision: str):
    from hifigan.audio import MelConfig
    from hifigan.models import Generator
    from hifigan.train.discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator
    from hifigan.train.vocoder import VocoderTask, VocoderTrainConfig, loss_mel_config

    task = VocoderTask.__new__(VocoderTask)  # no prepared folder needed for the step
    task.tcfg, task.mel_config = VocoderTrainConfig(), MelConfig()
    task.loss_mel, task.init_disc = loss_mel_config(task.mel_config), None
    mods = {"generator": Generator(gen_cfg).train(), "mpd": MultiPeriodDiscriminator().train(),
            "msd": MultiScaleDiscriminator().train()}
    tr = Trainer(task, Path("/nonexistent/train_speed"), LoopConfig(precision=precision, device="cpu"))
    tr.modules, tr.optims = mods, task.optimizers(mods)
    tr.scheds = {k: torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1.0) for k, o in tr.optims.items()}
    tr.scaler, tr.ema, tr.last_checkpoint = None, {}, None
    return tr, mods


def load_authors(authors_dir):
    import importlib.util

    path = Path(authors_dir) / "models.py"
    if not path.is_file():
        sys.exit(f"--authors-dir {authors_dir}: no models.py (extract jik876/hifi-gan's models.py, env.py, utils.py)")
    sys.path.insert(0, str(Path(authors_dir)))  # their models.py imports their utils
    try:
        spec = importlib.util.spec_from_file_location("authors_hifigan_models", path)
        module = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def authors_step(A, gen, mpd, msd, optim_g, optim_d, x, y, y_mel, mel_of, autocast) -> dict:
    """One iteration of their train.py loop body (no logging beyond its .item()s)."""
    with autocast():
        y_g_hat = gen(x)
    y_g_hat_mel = mel_of(y_g_hat.float().squeeze(1))
    optim_d.zero_grad()
    with autocast():
        y_df_hat_r, y_df_hat_g, _, _ = mpd(y, y_g_hat.detach())
        loss_disc_f, _, _ = A.discriminator_loss(y_df_hat_r, y_df_hat_g)
        y_ds_hat_r, y_ds_hat_g, _, _ = msd(y, y_g_hat.detach())
        loss_disc_s, _, _ = A.discriminator_loss(y_ds_hat_r, y_ds_hat_g)
        loss_disc_all = loss_disc_s + loss_disc_f
    loss_disc_all.backward()
    optim_d.step()
    optim_g.zero_grad()
    loss_mel = F.l1_loss(y_mel, y_g_hat_mel) * 45
    with autocast():
        y_df_hat_r, y_df_hat_g, fmap_f_r, fmap_f_g = mpd(y, y_g_hat)
        y_ds_hat_r, y_ds_hat_g, fmap_s_r, fmap_s_g = msd(y, y_g_hat)
        loss_fm_f = A.feature_loss(fmap_f_r, fmap_f_g)
        loss_fm_s = A.feature_loss(fmap_s_r, fmap_s_g)
        loss_gen_f, _ = A.generator_loss(y_df_hat_g)
        loss_gen_s, _ = A.generator_loss(y_ds_hat_g)
        loss_gen_all = loss_gen_s + loss_gen_f + loss_fm_s + loss_fm_f + loss_mel
    loss_gen_all.backward()
    optim_g.step()
    return {"disc": float(loss_disc_all), "total": float(loss_gen_all), "mel_l1": float(loss_mel) / 45}


def vocoder_main(args) -> None:
    import itertools
    import json as _json

    from hifigan.audio import MelConfig, mel_spectrogram
    from hifigan.models import PRESETS
    from hifigan.train.vocoder import loss_mel_config

    configs = args.configs or ["v1"]
    impls = [i for i in args.impl if i != "nvidia"] if args.impl != ["ours", "nvidia"] else ["ours", "authors"]
    A = None
    if "authors" in impls:
        if not args.authors_dir:
            sys.exit("--impl authors needs --authors-dir (or use --impl ours)")
        A = load_authors(args.authors_dir)
    batch = vocoder_batch(args.batch_size, args.segment_size, args.seed)
    loss_cfg = loss_mel_config(MelConfig())

    def mel_of(audio):
        with torch.autocast("cpu", enabled=False):
            return mel_spectrogram(audio.float(), loss_cfg)

    y_mel = mel_of(batch["audio"][:, 0])
    print(f"HiFi-GAN training step on cpu ({platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__})")
    print(f"batch {args.batch_size} x {args.segment_size} samples ({batch['mel'].shape[2]} frames), synthetic; "
          f"generator + MPD (periods 2, 3, 5, 7, 11) + MSD at the paper's sizes")
    if A is not None:
        print(f"the authors' code: {args.authors_dir}")
    print(f"median of {args.steps} steps after {args.warmup} warm-up steps\n")
    rows = []
    for name in configs:
        gen_cfg = PRESETS[name]
        torch.manual_seed(args.seed)
        ref_tr, ref_mods = our_vocoder_trainer(gen_cfg, "fp32")
        start = {k: {n: v.clone() for n, v in m.state_dict().items()} for k, m in ref_mods.items()}
        params = sum(p.numel() for m in ref_mods.values() for p in m.parameters())
        print(f"{name}: generator {sum(p.numel() for p in ref_mods['generator'].parameters()):,} parameters, "
              f"{params:,} with the discriminators")
        theirs = None
        if A is not None:
            h = _AttrDict({**{k: list(v) if isinstance(v, tuple) else v for k, v in _json.loads(_json.dumps(gen_cfg.to_dict())).items()},
                          "num_mels": 80})

            def theirs():
                gen, mpd, msd = A.Generator(h), A.MultiPeriodDiscriminator(), A.MultiScaleDiscriminator()
                ours_to_theirs(gen, start["generator"]), ours_to_theirs(mpd, start["mpd"]), ours_to_theirs(msd, start["msd"])
                og = torch.optim.AdamW(gen.parameters(), 2e-4, betas=[0.8, 0.99])
                od = torch.optim.AdamW(itertools.chain(msd.parameters(), mpd.parameters()), 2e-4, betas=[0.8, 0.99])
                return gen.train(), mpd.train(), msd.train(), og, od
            if not args.no_check:
                logs = ref_tr._train_step([dict(batch)], 1)
                g, p, m, og, od = theirs()
                ref = authors_step(A, g, p, m, og, od, batch["mel"], batch["audio"], y_mel, mel_of, autocast_for("fp32"))
                print("  first fp32 step, same weights (ours/theirs): " + "  ".join(
                    f"{k} {logs[k]:.5g}/{ref[k]:.5g}" for k in ("disc", "total", "mel_l1")))
                del g, p, m, og, od
        del ref_tr, ref_mods
        for precision in args.precisions:
            for impl in impls:
                gc.collect()
                try:
                    if impl == "ours":
                        tr, mods = our_vocoder_trainer(gen_cfg, precision)
                        for k, m in mods.items():
                            m.load_state_dict(start[k])

                        def step(i, tr=tr):
                            tr._train_step([dict(batch)], i + 1)
                    else:
                        g, p, m, og, od = theirs()
                        ac = autocast_for(precision)

                        def step(i, g=g, p=p, m=m, og=og, od=od, ac=ac):
                            authors_step(A, g, p, m, og, od, batch["mel"], batch["audio"], y_mel, mel_of, ac)
                    times = time_steps(step, args.warmup, args.steps)
                    t = statistics.median(times)
                    rows.append((impl, name, precision, f"{t:9.2f}",
                                 f"{args.batch_size * args.segment_size / t:9.0f}", f"{min(times):.2f}-{max(times):.2f}"))
                except Exception as e:
                    rows.append((impl, name, precision, "failed", short_error(e), ""))
                finally:
                    tr = mods = step = g = p = m = og = od = None
                print(f"  {'  '.join(str(c) for c in rows[-1])}", file=sys.stderr, flush=True)
    print(f"\n{'impl':<8} {'config':<6} {'prec':<5} {'batch':>5} {'s/step':>9} {'samples/s':>9}  range")
    for impl, name, precision, t, sps, spread in rows:
        print(f"{impl:<8} {name:<6} {precision:<5} {args.batch_size:>5} {t:>9} {sps}  {spread}")


class _AttrDict(dict):
    """The authors' config object: a dict read by attribute."""

    def __getattr__(self, name):
        return self[name]


def ours_to_theirs(module, our_sd: dict) -> None:
    """Load our state dict into the authors' module (their legacy weight-norm names)."""
    from hifigan.checkpoints import normalize_discriminator_state_dict, normalize_generator_state_dict

    theirs = module.state_dict()
    norm = normalize_generator_state_dict if "conv_pre.weight_g" in theirs else normalize_discriminator_state_dict
    mapping = dict(zip(norm(dict.fromkeys(theirs)).keys(), theirs.keys()))  # our name -> theirs
    module.load_state_dict({mapping[k]: v for k, v in our_sd.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fastpitch", choices=["fastpitch", "vocoder"])
    ap.add_argument("--nvidia-dir", help="NVIDIA's PyTorch/SpeechSynthesis/FastPitch folder (for --impl nvidia)")
    ap.add_argument("--authors-dir", help="--model vocoder: a folder with the HiFi-GAN authors' models.py, env.py, utils.py")
    ap.add_argument("--impl", nargs="+", default=["ours", "nvidia"], choices=["ours", "nvidia", "authors"],
                    help="default: ours and the reference (nvidia for FastPitch, authors for the vocoder)")
    ap.add_argument("--configs", nargs="+", default=None,
                    help="FastPitch: small default (default); vocoder: v1 (default), v2, v3")
    ap.add_argument("--segment-size", type=int, default=8192, help="--model vocoder: samples per segment")
    ap.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3, help="timed steps (the median is reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--text-len", type=int, nargs=2, default=[60, 160], metavar=("MIN", "MAX"),
                    help="synthetic batch: symbols per clip, uniform in [MIN, MAX]")
    ap.add_argument("--frames-per-symbol", type=float, default=4.3,
                    help="synthetic batch: mel frames per symbol (x uniform 0.9..1.1)")
    ap.add_argument("--prepared", help="take the batch from this 'hifigan prepare' folder instead")
    ap.add_argument("--quantile", type=float, default=0.9,
                    help="--prepared: the batch's clips sit at this quantile of the mel lengths")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-check", action="store_true",
                    help="skip the eval-mode comparison of the two forwards")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model == "vocoder":
        if args.steps < 1 or args.warmup < 0 or args.batch_size < 1 or args.segment_size < 256:
            ap.error("--steps and --batch-size must be >= 1, --warmup >= 0, --segment-size >= 256")
        return vocoder_main(args)
    args.configs = args.configs or ["small", "default"]
    args.impl = [i for i in args.impl if i != "authors"]
    if "nvidia" in args.impl and not args.nvidia_dir:
        ap.error("--impl nvidia needs --nvidia-dir (or use --impl ours)")
    if not 1 <= args.text_len[0] <= args.text_len[1]:
        ap.error("--text-len needs 1 <= MIN <= MAX")
    if args.steps < 1 or args.warmup < 0 or args.batch_size < 1:
        ap.error("--steps and --batch-size must be >= 1, --warmup >= 0")
    for name in args.configs:
        try:
            model_config(name, 1, 1)
        except Exception as e:
            ap.error(str(e))
    nv = load_nvidia(args.nvidia_dir) if "nvidia" in args.impl else None

    if args.prepared:
        items, manifest = prepared_items(args.prepared, args.batch_size, args.quantile)
        n_symbols = len(get_symbols(manifest["text"]["symbol_set"]))
        n_speakers = manifest["n_speakers"]
        pitch_mean, pitch_std = manifest["pitch"]["mean"], manifest["pitch"]["std"]
        source = f"{args.prepared} (train clips at the {args.quantile:g} length quantile)"
    else:
        n_symbols, n_speakers = len(get_symbols("english_basic")), 1
        pitch_mean, pitch_std = NVIDIA_PITCH_MEAN, NVIDIA_PITCH_STD
        items = synthetic_items(args.batch_size, tuple(args.text_len), args.frames_per_symbol, n_symbols, 80,
                                args.seed)
        source = (f"synthetic, seed {args.seed}, {args.text_len[0]}-{args.text_len[1]} symbols, "
                  f"~{args.frames_per_symbol:g} frames/symbol")
    items.sort(key=lambda x: -x["text"].shape[0])  # NVIDIA's TTSCollate order
    batch = collate(items)
    n_mels = batch["mel"].shape[1]
    frames = int(batch["mel_lens"].sum())
    print(f"FastPitch training step on cpu ({platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__})")
    print(f"batch {args.batch_size}: {source}; text {int(batch['text_lens'].min())}-"
          f"{int(batch['text_lens'].max())} symbols, mel {int(batch['mel_lens'].min())}-"
          f"{int(batch['mel_lens'].max())} frames, {frames} frames in all (padded to "
          f"{batch['text'].shape[1]} x {batch['mel'].shape[2]})")
    if nv is not None:
        print(f"NVIDIA's code: {nv.dir}")
    print(f"median of {args.steps} steps after {args.warmup} warm-up steps\n")

    weights = FastPitchTrainConfig().loss
    kl_step = weights.kl_start + weights.kl_warmup  # binarization loss at full weight
    rows, secs = [], {}
    for name in args.configs:
        cfg = model_config(name, n_symbols, n_speakers)
        if cfg.n_mel_channels != n_mels:
            cfg = dataclasses.replace(cfg, n_mel_channels=n_mels)
        torch.manual_seed(args.seed)
        ref = FastPitch(cfg)
        trained = n_params(ref) - n_params(ref.attention.attn_proj)
        line = f"{name}: ours {n_params(ref):,} parameters ({trained:,} trained)"
        if nv is not None:
            nvm, note = nvidia_model(nv, cfg, ref.state_dict())
            line += f"; NVIDIA's {n_params(nvm):,}" + (f" ({note})" if note else " (loaded with our weights)")
            print(line)
            if not args.no_check:
                check_forward(ref, nvm, nv, batch, weights, kl_step)
            del nvm
        else:
            print(line)
        state = ref.state_dict()
        del ref
        for precision in args.precisions:
            autocast = autocast_for(precision)
            for impl in args.impl:
                gc.collect()
                torch.manual_seed(args.seed)
                try:
                    if impl == "ours":
                        trainer, model = our_trainer(cfg, precision, pitch_mean, pitch_std)
                        model.load_state_dict(state)

                        def step(i, trainer=trainer):
                            trainer._train_step([batch], kl_step + i)
                    else:
                        model, _ = nvidia_model(nv, cfg, state)
                        model.pitch_mean[0], model.pitch_std[0] = pitch_mean, pitch_std
                        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9,
                                                weight_decay=1e-6)
                        criterion = nvidia_criterion(nv)
                        kl_loss = nv.AttentionBinarizationLoss()

                        inputs = nvidia_inputs(batch)  # their inputs are not modified in place

                        def step(i, model=model, opt=opt, criterion=criterion, kl_loss=kl_loss, inputs=inputs):
                            nvidia_step(model, opt, criterion, kl_loss, *inputs, autocast)
                    times = time_steps(step, args.warmup, args.steps)
                    t = statistics.median(times)
                    secs[(impl, name, precision)] = t
                    rows.append((impl, name, precision, f"{t:9.3f}", f"{frames / t:9.0f}",
                                 f"{min(times):.3f}-{max(times):.3f}"))
                except Exception as e:
                    rows.append((impl, name, precision, "failed", short_error(e), ""))
                finally:
                    model = trainer = step = None
                print(f"  {'  '.join(str(c) for c in rows[-1])}", file=sys.stderr, flush=True)
        del state

    print(f"\n{'impl':<7} {'config':<8} {'prec':<5} {'batch':>5} {'s/step':>9} {'frames/s':>9}  range")
    for impl, name, precision, t, fps, spread in rows:
        if t == "failed":
            print(f"{impl:<7} {name:<8} {precision:<5} {args.batch_size:>5} {'failed':>9}  {fps}")
        else:
            print(f"{impl:<7} {name:<8} {precision:<5} {args.batch_size:>5} {t} {fps}  {spread}")
    if set(args.impl) == {"ours", "nvidia"}:
        print("\nspeed-up of ours (NVIDIA's s/step / ours)")
        for name in args.configs:
            for precision in args.precisions:
                a, b = secs.get(("ours", name, precision)), secs.get(("nvidia", name, precision))
                ratio = f"{b / a:.2f}x" if a and b else "n/a"
                print(f"  {name:<8} {precision:<5} {ratio}")


if __name__ == "__main__":
    main()
