"""One training loop for every model: checkpoints, exact resume, torchrun DDP, AMP, gradient
accumulation, EMA, validation, logging, signals and non-finite-loss stops.

A :class:`Task` says what is trained (modules, optimizers, the loss, validation, the inference
checkpoint); the :class:`Trainer` does the rest. A task with one optimizer gives ``loss``; a task
with several (a GAN: discriminators, then the generator) names them in ``phases`` and gives
``phase_loss``: each training step then runs the phases in order, each one forward/backward over
the micro-batches into its own optimizer's parameters only, then clipping, its optimizer step and
its scheduler step (AMP, accumulation, DDP and the non-finite check as for one optimizer). Under ``torchrun`` it joins the process group
(gloo on CPU, nccl on GPU), wraps the modules in ``DistributedDataParallel``, deals each rank its
batches, and only rank 0 writes files or logs.

A run folder holds ``run.json`` (the settings), ``metrics.jsonl``, TensorBoard events (when
``tensorboard`` is installed) and ``checkpoints/``: ``<model>_<step>.safetensors`` (inference
weights, EMA if enabled) beside ``state_<step>.pt`` (everything needed to resume bit for bit).
"""
from __future__ import annotations

import json
import math
import os
import random
import signal
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hifigan.errors import HifiganError
from hifigan.files import atomic_output
from hifigan.precision import cpu_has_native_bf16
from hifigan.train.data import bucket_batches

PRECISIONS = ("fp32", "bf16", "fp16")


class TrainingError(HifiganError):
    """Training cannot go on (one-line message)."""


@dataclass
class LoopConfig:
    steps: int = 1000
    batch_size: int = 16
    grad_accum: int = 1
    precision: str = "fp32"
    grad_clip: float = 1000.0
    ema_decay: float = 0.0          # 0: no EMA weights
    log_every: int = 10
    val_every: int = 500
    ckpt_every: int = 500
    keep_last: int = 3
    keep_every: int = 0             # >0: the exported weights of every step divisible by it are never pruned
    seed: int = 1234
    device: str = "auto"            # auto: cuda:LOCAL_RANK if a GPU is there, else cpu
    num_workers: int = 0
    progress: bool = True


class Task:
    """What a :class:`Trainer` trains. Subclasses set ``name`` and fill in the methods."""

    name = "model"
    # Several optimizers: their keys, in the order they step within one training step. Empty: the
    # task has one optimizer and gives ``loss``.
    phases: tuple[str, ...] = ()

    def modules(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def optimizers(self, modules: dict[str, nn.Module]) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def active_phases(self, step: int) -> tuple[str, ...]:
        """The ``phases`` that train at optimizer step ``step`` (1-based), in order; a phase left out
        keeps its weights and its scheduler for that step (e.g. discriminators warmed up alone)."""
        return self.phases

    def lr_scale(self, step: int, epoch: int = 0) -> float:
        """Multiplier of each optimizer's base learning rate at optimizer step ``step`` (1-based),
        which falls in epoch ``epoch`` (0-based; every epoch has the same number of steps)."""
        return 1.0

    def train_dataset(self):
        raise NotImplementedError

    def val_dataset(self):
        return None

    def collate(self, items):
        raise NotImplementedError

    def lengths(self, dataset) -> list[int]:
        return [1] * len(dataset)

    def batches(self, lengths, cfg: "LoopConfig", epoch: int, rank: int, world: int) -> list[list]:
        """This rank's batches of one epoch: lists of dataset keys (indices by default)."""

        return bucket_batches(lengths, cfg.batch_size, cfg.seed, epoch, rank, world)

    def loss(self, modules, batch, step: int) -> tuple[torch.Tensor, dict]:
        """``(total, {name: tensor})`` for one micro-batch (single-optimizer tasks)."""
        raise NotImplementedError

    def phase_loss(self, phase: str, modules, batch, step: int) -> tuple[torch.Tensor, dict]:
        """``(loss, {name: tensor})`` of one micro-batch for optimizer ``phase`` (tasks with
        ``phases``). Its backward reaches only that optimizer's parameters. A phase may keep
        tensors in ``batch`` (the same dict in every phase of the step) for the later phases."""
        raise NotImplementedError

    def validate(self, modules, loader, step: int, log) -> dict:
        return {}

    def export(self, modules, path: Path, step: int) -> Path:
        """Write the inference checkpoint of ``modules`` (already holding EMA weights if any)."""
        raise NotImplementedError


def read_json_config(name: str, presets: str) -> dict:
    """A ``--config`` that is not a preset name: a JSON object from a file (one-line errors)."""
    path = Path(name)
    if not path.is_file():
        raise TrainingError(f"config {name!r}: not one of {presets} nor a JSON file")
    try:
        d = json.loads(path.read_text())
    except ValueError as e:
        raise TrainingError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(d, dict):
        raise TrainingError(f"{path}: expected a JSON object")
    return d


def _dist_info():
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))


def _ignore_stop_signals(_worker_id: int) -> None:
    """In data-loading workers: a Ctrl-C or a ``kill`` of the whole process group must reach the
    main process alone, which saves a checkpoint and then shuts the workers down itself (a worker
    killed first would make the main process fail before it can save)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # born blocked: see _Loader


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class _Loader:
    """A DataLoader whose workers start with SIGINT/SIGTERM blocked until ``_ignore_stop_signals``
    ignores them: a stop signal that comes while they start (each epoch starts new ones) cannot
    kill one. The main process gets such a signal as soon as its workers are up."""

    def __init__(self, loader: torch.utils.data.DataLoader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        if not self.loader.num_workers:
            return iter(self.loader)
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            return iter(self.loader)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class EMA:
    """Exponential moving average of a module's parameters (buffers copied). The decay warms up
    as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so a short run's average is not
    dominated by the random initial weights (0.999 alone keeps 45% of them after 800 steps)."""

    def __init__(self, module: nn.Module, decay: float):
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone().float() if v.is_floating_point() else v.detach().clone()
                       for k, v in module.state_dict().items()}

    @torch.no_grad()
    def update(self, module: nn.Module):
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for k, v in module.state_dict().items():
            s = self.shadow[k]
            if v.is_floating_point():
                s.mul_(d).add_(v.detach().float(), alpha=1.0 - d)
            else:
                s.copy_(v)

    def state_dict(self):
        return {"shadow": self.shadow, "updates": self.updates}

    def load_state_dict(self, sd):
        self.updates = int(sd["updates"])
        for k in self.shadow:
            self.shadow[k].copy_(sd["shadow"][k])


class Trainer:
    def __init__(self, task: Task, run_dir, cfg: LoopConfig, resume: bool = False, run_info: dict | None = None):
        if cfg.precision not in PRECISIONS:
            raise TrainingError(f"precision must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
        for name in ("steps", "batch_size", "grad_accum", "log_every", "val_every", "ckpt_every", "keep_last"):
            if getattr(cfg, name) < 1:
                raise TrainingError(f"{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
        if cfg.keep_every < 0:
            raise TrainingError(f"keep-every must be >= 0, got {cfg.keep_every}")
        self.task, self.cfg = task, cfg
        self.run = Path(run_dir)
        self.ckpt_dir = self.run / "checkpoints"
        self.world, self.rank, self.local_rank = _dist_info()
        self.is_main = self.rank == 0
        self.device = self._pick_device(cfg.device)
        if cfg.precision == "fp16" and self.device.type != "cuda":
            raise TrainingError("fp16 training needs a GPU; use --precision bf16 on a CPU")
        if cfg.precision == "bf16" and self.device.type == "cpu" and self.is_main and not cpu_has_native_bf16():
            print("warning: this CPU has no native bf16 (AVX512-BF16 or AMX): bf16 is emulated and runs "
                  "several times slower than --precision fp32 here", file=sys.stderr)
        if self.world > 1 and not torch.distributed.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend)
        self.resume = resume
        self.run_info = run_info or {}
        self._stop_signal = None

    def _pick_device(self, spec: str) -> torch.device:
        if spec == "auto":
            return torch.device(f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu")
        dev = torch.device(spec)
        if dev.type == "cuda" and dev.index is None:
            dev = torch.device(f"cuda:{self.local_rank}")
        return dev

    # ------------------------------------------------------------ files

    def checkpoints(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.ckpt_dir.glob("state_*.pt"):
            try:
                found.append((int(p.stem.split("_")[1]), p))
            except ValueError:
                continue
        return sorted(found)

    def _save(self, step: int, epoch: int, pos: int):
        if not self.is_main:
            return
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        raw = {k: self._bare(m).state_dict() for k, m in self.modules.items()}
        state = {
            "step": step, "epoch": epoch, "pos": pos, "loop": asdict(self.cfg), "run": self.run_info,
            "modules": raw,
            "optimizers": {k: o.state_dict() for k, o in self.optims.items()},
            "schedulers": {k: s.state_dict() for k, s in self.scheds.items()},
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "ema": {k: e.state_dict() for k, e in self.ema.items()},
            "rng": self._rng_state(),
        }
        export = self.ckpt_dir / f"{self.task.name}_{step:07d}.safetensors"
        with self._ema_weights():
            self.task.export({k: self._bare(m) for k, m in self.modules.items()}, export, step)
        with atomic_output(self.ckpt_dir / f"state_{step:07d}.pt") as tmp:
            torch.save(state, tmp)
        for old_step, p in self.checkpoints()[:-self.cfg.keep_last]:
            p.unlink(missing_ok=True)
            if not (self.cfg.keep_every and old_step % self.cfg.keep_every == 0):
                (self.ckpt_dir / f"{self.task.name}_{old_step:07d}.safetensors").unlink(missing_ok=True)
        self.last_checkpoint = export

    def _rng_state(self) -> dict:
        np_state = np.random.get_state()
        st = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1]),
              "python_pos": random.getstate()[2],
              "numpy": torch.from_numpy(np_state[1].astype(np.int64)), "numpy_pos": int(np_state[2])}
        if torch.cuda.is_available():
            st["cuda"] = torch.cuda.get_rng_state_all()
        return st

    def _set_rng_state(self, st: dict):
        torch.set_rng_state(st["torch"])
        random.setstate((3, tuple(st["python"]), st["python_pos"]))
        np.random.set_state(("MT19937", st["numpy"].numpy().astype(np.uint32), st["numpy_pos"], 0, 0.0))
        if "cuda" in st and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(st["cuda"])

    def _load(self, path: Path) -> tuple[int, int, int]:
        try:
            st = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise TrainingError(f"{path}: cannot read the training state ({str(e).splitlines()[0]})") from None
        for k, m in self.modules.items():
            self._bare(m).load_state_dict(st["modules"][k])
        for k, o in self.optims.items():
            o.load_state_dict(st["optimizers"][k])
        for k, s in self.scheds.items():
            s.load_state_dict(st["schedulers"][k])
        if self.scaler is not None and st["scaler"]:
            self.scaler.load_state_dict(st["scaler"])
        for k, e in self.ema.items():
            e.load_state_dict(st["ema"][k])
        if self.world == 1:
            self._set_rng_state(st["rng"])
        else:  # each rank continues its own dropout stream from the saved one, offset by rank
            torch.manual_seed(self.cfg.seed + self.rank + 1000003 * st["step"])
        return st["step"], st["epoch"], st["pos"]

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _bare(m: nn.Module) -> nn.Module:
        return m.module if isinstance(m, nn.parallel.DistributedDataParallel) else m

    class _Swap:
        def __init__(self, trainer):
            self.t = trainer

        def __enter__(self):
            self.saved = {}
            for k, e in self.t.ema.items():
                m = self.t._bare(self.t.modules[k])
                self.saved[k] = {n: v.detach().clone() for n, v in m.state_dict().items()}
                m.load_state_dict({n: v.to(self.saved[k][n].dtype) for n, v in e.shadow.items()})

        def __exit__(self, *exc):
            for k, sd in self.saved.items():
                self.t._bare(self.t.modules[k]).load_state_dict(sd)

    def _ema_weights(self):
        return self._Swap(self)

    def autocast(self):
        if self.cfg.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.cfg.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _on_signal(self, signum, frame):
        self._stop_signal = signum

    def _all_true(self, flag: bool) -> bool:
        if self.world == 1:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return bool(t.item() > 0)

    def _loader(self, dataset, batches):
        # its own generator: creating a loader must not draw from the global RNG (exact resume)
        return _Loader(torch.utils.data.DataLoader(
            dataset, batch_sampler=batches, collate_fn=self.task.collate, num_workers=self.cfg.num_workers,
            generator=torch.Generator(), pin_memory=self.device.type == "cuda",
            worker_init_fn=_ignore_stop_signals if self.cfg.num_workers else None))

    def _to_device(self, batch):
        return {k: v.to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                for k, v in batch.items()}

    # ------------------------------------------------------------ the loop

    def fit(self) -> dict:
        cfg = self.cfg
        torch.manual_seed(cfg.seed + self.rank)
        random.seed(cfg.seed + self.rank)
        np.random.seed(cfg.seed + self.rank)
        mods = {k: m.to(self.device) for k, m in self.task.modules().items()}
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            mods = {k: nn.parallel.DistributedDataParallel(m, device_ids=ids) for k, m in mods.items()}
        self.modules = mods
        self.optims = self.task.optimizers({k: self._bare(m) for k, m in mods.items()})
        missing = [p for p in self.task.phases if p not in self.optims]
        if missing or (not self.task.phases and len(self.optims) != 1):
            raise TrainingError(f"task {self.task.name}: phases {self.task.phases} do not fit its optimizers "
                                f"{sorted(self.optims)}")
        train_ds, val_ds = self.task.train_dataset(), self.task.val_dataset()
        lengths = self.task.lengths(train_ds)
        if len(lengths) < cfg.batch_size * self.world:
            raise TrainingError(f"{len(lengths)} training clips are fewer than one batch "
                                f"({cfg.batch_size} x {self.world} processes); lower --batch-size")
        self.steps_per_epoch = max(1, len(self.task.batches(lengths, cfg, 0, self.rank, self.world)) // cfg.grad_accum)
        self.scheds = {k: torch.optim.lr_scheduler.LambdaLR(
            o, lambda s: self.task.lr_scale(s + 1, s // self.steps_per_epoch)) for k, o in self.optims.items()}
        self.scaler = torch.amp.GradScaler("cuda") if cfg.precision == "fp16" else None
        self.ema = {k: EMA(self._bare(m), cfg.ema_decay) for k, m in mods.items()} if cfg.ema_decay > 0 else {}
        self.last_checkpoint = None

        step, epoch, pos = 0, 0, 0
        found = self.checkpoints()
        if self.resume and found:
            step, epoch, pos = self._load(found[-1][1])
            self.last_checkpoint = self.ckpt_dir / f"{self.task.name}_{step:07d}.safetensors"
        elif self.resume and self.is_main:
            print(f"no checkpoint in {self.ckpt_dir}; starting from step 0", file=sys.stderr)
        elif found and not self.resume:
            raise TrainingError(f"{self.run} already has checkpoints (last: step {found[-1][0]}): "
                                f"pass --resume to continue, or use a new run folder")
        if step >= cfg.steps:
            if self.is_main:
                print(f"already at step {step} of {cfg.steps}; nothing to do", file=sys.stderr)
            return {"step": step}

        writer = None
        if self.is_main:
            self.run.mkdir(parents=True, exist_ok=True)
            with atomic_output(self.run / "run.json") as tmp:
                tmp.write_text(json.dumps({"loop": asdict(cfg), **self.run_info}, indent=1))
            try:
                from torch.utils.tensorboard import SummaryWriter
                writer = SummaryWriter(str(self.run / "tensorboard"), purge_step=step + 1)
            except ImportError:
                print("tensorboard is not installed: metrics go to metrics.jsonl only "
                      "(pip install tensorboard for curves and images)", file=sys.stderr)
        log = _Logger(self.run / "metrics.jsonl" if self.is_main else None, writer)

        val_loader = None
        if val_ds is not None and len(val_ds) > 0:
            val_batches = [list(range(i, min(i + cfg.batch_size, len(val_ds))))
                           for i in range(0, len(val_ds), cfg.batch_size)]
            val_loader = self._loader(val_ds, val_batches)

        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        bar = None
        if self.is_main and cfg.progress:
            from tqdm import tqdm
            bar = tqdm(total=cfg.steps, initial=step, desc=f"train {self.task.name}", unit="step",
                       dynamic_ncols=True)
        try:
            t_last, sums, n_sums, frames = time.time(), {}, 0, 0
            while step < cfg.steps:
                batches = self.task_batches(lengths, epoch)
                loader = iter(self._loader(train_ds, batches[pos:]))
                while step < cfg.steps:
                    micro = []
                    for _ in range(cfg.grad_accum):
                        b = next(loader, None)
                        if b is None:
                            break
                        micro.append(b)
                        pos += 1
                    if len(micro) < cfg.grad_accum:
                        break
                    logs = self._train_step(micro, step + 1)
                    step += 1
                    for k, v in logs.items():
                        sums[k] = sums.get(k, 0.0) + v
                    n_sums += 1
                    frames += sum(int(b["mel_lens"].sum()) for b in micro if "mel_lens" in b)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{logs['total']:.3f}", refresh=False)
                    stop = self._all_true(self._stop_signal is not None)
                    if step % cfg.log_every == 0 or step == cfg.steps:
                        dt = time.time() - t_last
                        rec = {k: v / n_sums for k, v in sums.items()}
                        lrs = {k: sch.get_last_lr()[0] for k, sch in self.scheds.items()}
                        rec["lr"] = next(iter(lrs.values()))
                        rec.update({f"lr_{k}": v for k, v in lrs.items() if v != rec["lr"]})  # where they differ
                        rec.update(step_time=dt / n_sums, frames_per_s=frames * self.world / max(dt, 1e-9))
                        log.scalars("train", rec, step)
                        t_last, sums, n_sums, frames = time.time(), {}, 0, 0
                    if val_loader is not None and (step % cfg.val_every == 0 or step == cfg.steps):
                        self._validate(val_loader, step, log)
                    if step % cfg.ckpt_every == 0 or step == cfg.steps or stop:
                        self._save(step, epoch, pos)
                        self._barrier()
                    if stop:
                        name = signal.Signals(self._stop_signal).name if self._stop_signal else "signal"
                        if self.is_main:
                            print(f"\n{name}: saved step {step} to {self.last_checkpoint}; continue with --resume",
                                  file=sys.stderr)
                        raise _Stopped(128 + int(self._stop_signal or signal.SIGTERM))
                else:
                    continue
                epoch, pos = epoch + 1, 0
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            if bar is not None:
                bar.close()
            log.close()
        return {"step": step, "checkpoint": str(self.last_checkpoint) if self.last_checkpoint else None}

    def task_batches(self, lengths, epoch):
        return self.task.batches(lengths, self.cfg, epoch, self.rank, self.world)

    def _barrier(self):
        if self.world > 1:
            torch.distributed.barrier()

    def _train_step(self, micro: list[dict], step: int) -> dict:
        """One training step: for each phase (the one optimizer, or the task's ``phases`` in
        order), forward/backward over the micro-batches, then clipping and that optimizer's step."""
        micro = [self._to_device(b) for b in micro]
        logs: dict = {}
        if self.task.phases:
            for phase in self.task.active_phases(step):
                self._phase(phase, micro, step, logs)
        else:
            self._phase(None, micro, step, logs)
        if self.scaler is not None:
            self.scaler.update()
        for k, e in self.ema.items():
            e.update(self._bare(self.modules[k]))
        return logs

    def _phase(self, phase: str | None, micro: list[dict], step: int, logs: dict) -> None:
        cfg = self.cfg
        okey = phase if phase is not None else next(iter(self.optims))
        opt = self.optims[okey]
        mods = self.modules
        opt.zero_grad(set_to_none=True)
        # a phase's backward reaches its own optimizer's parameters only (a GAN's generator loss
        # goes through the discriminators without computing their gradients)
        inputs = None if phase is None else \
            [p for g in opt.param_groups for p in g["params"] if p.requires_grad]
        for i, batch in enumerate(micro):
            last = i == len(micro) - 1
            syncs = [m.no_sync() for m in mods.values()
                     if isinstance(m, nn.parallel.DistributedDataParallel) and not last]
            with _all(syncs):
                with self.autocast():
                    if phase is None:
                        loss, parts = self.task.loss(mods, batch, step)
                    else:
                        loss, parts = self.task.phase_loss(phase, mods, batch, step)
                bad = not torch.isfinite(loss.detach()).all()
                if self._all_true(bool(bad)):
                    vals = ", ".join(f"{k} {float(v.detach()):.4g}" for k, v in parts.items())
                    where = f"; the last good checkpoint is {self.last_checkpoint}" if self.last_checkpoint \
                        else "; no checkpoint was written"
                    what = "the loss" if phase is None else f"the {phase} loss"
                    raise TrainingError(f"step {step}: {what} is not finite ({vals}); stopped without "
                                        f"saving{where}")
                scaled = loss / len(micro)
                (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward(inputs=inputs)
            for k, v in parts.items():
                logs[k] = logs.get(k, 0.0) + float(v.detach()) / len(micro)
        if self.scaler is not None:
            self.scaler.unscale_(opt)
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
        gnorm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        logs["grad_norm" if phase is None else f"grad_norm_{phase}"] = float(gnorm)
        if self.scaler is not None:
            self.scaler.step(opt)
        else:
            opt.step()
        self.scheds[okey].step()

    def _validate(self, loader, step: int, log):
        if self.is_main:
            bare = {k: self._bare(m) for k, m in self.modules.items()}
            for m in bare.values():
                m.eval()
            try:
                with self._ema_weights(), torch.no_grad(), self.autocast():
                    rec = self.task.validate(bare, loader, step, log)
            finally:
                for m in bare.values():
                    m.train()
            if rec:
                log.scalars("val", rec, step)
        self._barrier()


class _Stopped(SystemExit):
    pass


class _all:
    """Enter several context managers (DDP ``no_sync`` for each module)."""

    def __init__(self, cms):
        self.cms = cms

    def __enter__(self):
        for c in self.cms:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self.cms):
            c.__exit__(*exc)


class _Logger:
    def __init__(self, path: Path | None, writer):
        self.f = open(path, "a", encoding="utf-8") if path is not None else None
        self.writer = writer

    def scalars(self, split: str, rec: dict, step: int):
        if self.f is None:
            return
        self.f.write(json.dumps({"split": split, "step": step, **{k: round(float(v), 6) for k, v in rec.items()
                                                                  if math.isfinite(float(v))}}) + "\n")
        self.f.flush()
        if self.writer is not None:
            for k, v in rec.items():
                self.writer.add_scalar(f"{split}/{k}", float(v), step)

    def image(self, tag: str, fig_array: np.ndarray, step: int):
        if self.writer is not None:
            self.writer.add_image(tag, fig_array, step, dataformats="HWC")

    def audio(self, tag: str, audio, sample_rate: int, step: int):
        if self.writer is not None:
            self.writer.add_audio(tag, torch.as_tensor(audio).reshape(1, -1), step, sample_rate=sample_rate)

    def close(self):
        if self.f is not None:
            self.f.close()
        if self.writer is not None:
            self.writer.close()
