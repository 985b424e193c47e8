"""The vocoder as users hold it: a generator plus the mel settings it was trained on."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from hifigan import cpu
from hifigan.audio import MelConfig, mel_spectrogram
from hifigan.checkpoints import load_generator_checkpoint
from hifigan.errors import MelError
from hifigan.models import Denoiser, Generator
from hifigan.precision import dtype_of
from hifigan.pretrained import resolve_vocoder


def placement(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    """The device and dtype of ``module``'s weights; the CPU and float32 for one without any
    (an ONNX generator)."""
    p = next(module.parameters(), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)


def audio_train_setup(cfg: MelConfig) -> dict:
    """The audio keys of NVIDIA's ``train_setup`` dict, as the seed page compares them."""
    return {"sampling_rate": cfg.sample_rate, "filter_length": cfg.n_fft, "hop_length": cfg.hop_length,
            "win_length": cfg.win_length, "num_mels": cfg.n_mels, "mel_fmin": cfg.f_min,
            "mel_fmax": cfg.f_max, "max_wav_value": 32768.0}


def piece_plan(n: int, ctx: int, body: Sequence[int], ends: Sequence[int],
               head: Sequence[int] = ()) -> list[tuple[int, int, int, int, int]] | None:
    """Cover mel frames ``[0, n)`` with pieces whose generator inputs come in a fixed set of shapes,
    whatever ``n``. Each piece is vocoded with ``ctx`` frames of mel on both sides (none before
    frame 0): first the ``head`` sizes in order while they fit, then each time the largest of
    ``body`` whose right context still fits; then one end piece, the smallest of ``ends`` that holds the rest, aligned
    to the last frame with ``ctx`` frames on its left (its first frames repeat frames already made
    and are dropped).

    Returns ``(a, b, keep_start, keep_end, skip)`` per piece: vocode ``mel[..., a:b]`` keeping
    frames ``[keep_start, keep_end)`` of it and drop the first ``skip`` frames of that audio. A
    piece's shapes depend only on its size and where it starts if that is within ``ctx`` of frame
    0, never on ``n``. None when ``n`` is too short for any end piece."""
    plan, s = [], 0

    def add(size):
        nonlocal s
        a = max(0, s - ctx)
        plan.append((a, s + size + ctx, s - a, s + size - a, 0))
        s += size

    for size in head:
        if s + size + ctx > n:
            break
        add(size)
    while (size := max((z for z in body if s + z + ctx <= n), default=None)) is not None:
        add(size)
    rest = n - s
    if rest:
        q = min((q for q in ends if q >= rest and q + ctx <= n), default=None)
        if q is None:
            return None
        a = n - q - ctx
        plan.append((a, n, ctx, ctx + q, q - rest))
    return plan


class Vocoder(nn.Module):
    """Mel ``[B, n_mels, T]`` -> audio ``[B, 1, T * hop_length]`` in [-1, 1].

    ``mel_config`` describes the mel the generator expects; :meth:`mel` computes it from audio.

    Long mels are vocoded in chunks of ``chunk_frames`` with ``context_frames`` of overlap on each
    side, then cropped and joined: memory stays bounded and the speed flat with length. The context
    defaults to two frames more than :attr:`receptive_frames` (17 for V1), which equals a single
    pass up to float rounding (3e-6 on 24 s of speech). Each chunk computes only what its audio
    depends on (:meth:`Generator.cone`: under two frames of context from the second upsampling on),
    so a 512-frame chunk costs about 1% more than its share of one pass (7% before the cone, when
    every layer computed the whole context). ``chunk_frames=None`` disables it.

    **Fixed shapes** (``piece_frames``, on the CPU, one mel at a time): oneDNN builds its convolution
    kernels for each new input shape (with bf16 on an AMX Xeon about 0.85 s a sentence of a new
    length), and its kernel cache (1,024 entries), cycled through by many sentences, keeps none of
    them. So a mel can be vocoded in pieces of at most ``piece_frames`` (:func:`piece_plan`;
    streaming starts with smaller ones), each with ``context_frames`` on both sides, ending with one
    end-aligned piece of 8, 16 or 32 frames: the generator sees a dozen shapes whatever the text,
    and the pieces joined equal one pass up to float rounding. Mels too short for the plan (under
    about 50 frames, 0.6 s) go in one pass. The pieces cost 10-15% more than one pass (their context,
    the end piece's repeated frames), so ``"auto"`` (the default) uses 256-frame pieces only where new
    shapes are costly (:attr:`hifigan.cpu.CpuFeatures.shape_stable`: AMX); an int sets the size,
    ``None`` turns it off (the ONNX runtime, which computes each piece's whole context, never uses it).
    """

    #: the end pieces' sizes (:func:`piece_plan`)
    END_FRAMES = (8, 16, 32)

    def __init__(self, generator: Generator, mel_config: MelConfig, train_setup: dict | None = None,
                 chunk_frames: int | None = 512, context_frames: int | None = None,
                 piece_frames: int | str | None = "auto"):
        super().__init__()
        self.generator = generator
        self.mel_config = mel_config
        self.train_setup = {**audio_train_setup(mel_config), **(train_setup or {})}
        self.chunk_frames = chunk_frames
        self.context_frames = math.ceil(self.receptive_frames) + 2 if context_frames is None else context_frames
        if piece_frames != "auto" and piece_frames is not None and not (isinstance(piece_frames, int)
                                                                        and piece_frames >= 16):
            raise MelError(f"piece_frames must be an int >= 16, 'auto' or None, got {piece_frames!r}")
        self.piece_frames = piece_frames
        self._denoiser: Denoiser | None = None

    @property
    def sample_rate(self) -> int:
        return self.mel_config.sample_rate

    @property
    def hop_length(self) -> int:
        return self.generator.hop_length

    @property
    def n_mels(self) -> int:
        return self.generator.config.n_mels

    def check_mel(self, mel: torch.Tensor) -> None:
        if not isinstance(mel, torch.Tensor):
            raise MelError(f"mel must be a torch.Tensor, got {type(mel).__name__}")
        if mel.dim() != 3 or mel.shape[1] != self.n_mels or mel.shape[2] < 1:
            raise MelError(f"mel must have shape [batch, {self.n_mels}, frames], got {list(mel.shape)}")
        if not mel.is_floating_point():
            raise MelError(f"mel must be floating point, got {mel.dtype}")
        if not torch.isfinite(mel).all():
            raise MelError("mel contains NaN or infinite values")

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        self.check_mel(mel)
        mel = mel.to(*placement(self.generator))
        plan = self.plan(mel)
        if plan is not None:
            return torch.cat([self._piece(mel, *piece) for piece in plan], dim=-1)
        n, chunk, ctx = mel.shape[-1], self.chunk_frames, self.context_frames
        if not chunk or n <= chunk + 2 * ctx:
            return self.generator(mel)
        return torch.cat([self._span(mel, start, min(start + chunk, n)) for start in range(0, n, chunk)], dim=-1)

    @property
    def receptive_frames(self) -> float:
        """How many mel frames on each side can reach an output sample (an upper bound from the
        generator's config: conv_pre, each upsampling and its widest residual block, conv_post)."""
        c = self.generator.config
        reach, scale = 3.0, 1  # conv_pre: kernel 7
        for u, k in zip(c.upsample_rates, c.upsample_kernel_sizes):
            reach += math.ceil(k / u) / scale
            scale *= u
            reach += c.resblock_reach / scale
        return reach + 3.0 / scale  # conv_post: kernel 7

    def plan(self, mel: torch.Tensor, first_frames: int | None = None, growth: int = 4) -> list | None:
        """The fixed-shape pieces (:func:`piece_plan`) of ``mel``, or None where they do not apply
        (``piece_frames`` None, not on the CPU, a batch, a mel too short). Body pieces are
        ``piece_frames`` and its halvings down to 16 frames, end pieces 8, 16 or 32 frames.
        ``first_frames``: start with a piece that long, each next ``growth`` times longer up to
        ``piece_frames`` (streaming)."""
        p, n = self.piece_frames, mel.shape[-1]
        if p == "auto":
            p = 256 if cpu.features().shape_stable else None
        if p is None or mel.device.type != "cpu" or mel.shape[0] != 1:
            return None
        body = [p]
        while body[-1] // 2 >= 16:
            body.append(body[-1] // 2)
        head = []
        while first_frames is not None and first_frames < p:
            head.append(first_frames)
            first_frames *= growth
        return piece_plan(n, self.context_frames, body, self.END_FRAMES, head)

    def _piece(self, mel: torch.Tensor, a: int, b: int, keep_start: int, keep_end: int, skip: int) -> torch.Tensor:
        whole = keep_start == 0 and keep_end == b - a  # no context to crop: the plain pass
        audio = self.generator(mel[..., a:b], keep=None if whole else (keep_start, keep_end))
        return audio[..., skip * self.hop_length:] if skip else audio

    def _span(self, mel: torch.Tensor, start: int, end: int, ctx: int | None = None) -> torch.Tensor:
        """The audio of frames ``[start, end)``, vocoded with ``ctx`` (default ``context_frames``)
        frames of mel on each side."""
        n = mel.shape[-1]
        ctx = self.context_frames if ctx is None else ctx
        a, b = max(0, start - ctx), min(n, end + ctx)
        return self._piece(mel, a, b, start - a, end - a, 0)

    def stream_growth(self) -> int:
        """How many times longer each streamed piece is than the one before: 4 where the vocoder
        runs bf16 or on a GPU, else 2. Playback stays smooth while each piece is made before the
        audio sent so far has played; with growth ``g`` that holds while streaming runs faster than
        ``1 / g`` x real time (each piece is ``g`` times the last, whose making the audio before it
        covered): 0.25 for 4, 0.5 for 2. bf16 streams the default voice at about 0.2 x real time on
        a 2-core Zen 4, fp32 on an AVX2 CPU at 0.3-0.4, which needs 2."""
        device, dtype = placement(self.generator)
        return 4 if device.type != "cpu" or dtype == torch.bfloat16 else 2

    @torch.inference_mode()
    def stream(self, mel: torch.Tensor, first_frames: int = 8, growth: int | None = None):
        """Yield the audio of ``mel`` (``[1, n_mels, T]``) in pieces as they are made: ``[T_k]`` float32
        tensors, the first of ``first_frames`` frames, each next one ``growth`` times as long up to
        ``chunk_frames`` (default :meth:`stream_growth`); a rest of at most half a piece joins the
        piece before it (one generator call less). Fewer, longer pieces cost less: small ones cost
        more a frame (on a Zen 4 in bf16, 3.8 ms a frame for 8 frames, 2.4 for 32, 1.7 for a
        whole sentence). Each piece is vocoded with mel context on both sides, two frames more
        than :attr:`receptive_frames` (17 for V1; it was exact to 2e-5 where 12 was off by 4e-4),
        so the pieces joined equal :meth:`vocode` up to float rounding. The generator computes only
        each piece's dependency cone (:meth:`Generator.cone`), so the context costs little: on a
        2-core AVX2 CPU in fp32 the first 8 frames took 0.10 s against 0.18 s with the whole context
        computed at every layer (16 frames: 0.18 s against 0.24 s)."""
        self.check_mel(mel)
        if mel.shape[0] != 1:
            raise MelError(f"stream() takes one mel at a time, got a batch of {mel.shape[0]}")
        growth = self.stream_growth() if growth is None else growth
        if first_frames < 1 or growth < 2:
            raise MelError(f"need first_frames >= 1 and growth >= 2, got {first_frames} and {growth}")
        mel = mel.to(*placement(self.generator))
        plan = self.plan(mel, first_frames, growth)
        if plan is not None:
            for piece in plan:
                yield self._piece(mel, *piece)[0, 0].float().clamp(-1.0, 1.0)
            return
        n, start, size = mel.shape[-1], 0, first_frames
        ctx = math.ceil(self.receptive_frames) + 2
        while start < n:
            end = min(n, start + size)
            if n - end <= size // 2 and n - start <= (self.chunk_frames or n):  # a short rest joins in
                end = n
            yield self._span(mel, start, end, ctx)[0, 0].float().clamp(-1.0, 1.0)
            start, size = end, min(growth * size, self.chunk_frames or n)

    def mel(self, audio) -> torch.Tensor:
        """The log-mel spectrogram of audio at ``sample_rate``, as this vocoder expects it."""
        x = torch.as_tensor(np.asarray(audio, dtype=np.float32) if not isinstance(audio, torch.Tensor) else audio)
        return mel_spectrogram(x.float(), self.mel_config)

    def denoiser(self) -> Denoiser:
        if self._denoiser is None:
            c = self.mel_config
            self._denoiser = Denoiser(self.generator, n_fft=c.n_fft, hop_length=c.n_fft // 4,
                                      win_length=c.win_length)
        return self._denoiser

    @torch.inference_mode()
    def vocode(self, mel: torch.Tensor, denoise: float = 0.0) -> torch.Tensor:
        """Mel -> ``[B, T]`` float32 audio on the model's device, optionally denoised."""
        audio = self(mel).float()
        if denoise > 0:
            audio = self.denoiser().to(audio.device)(audio, denoise)
        return audio[:, 0].clamp(-1.0, 1.0)

    @torch.inference_mode()
    def vocode_many(self, mels: list[torch.Tensor], batch_size: int = 8, denoise: float = 0.0) -> list[torch.Tensor]:
        """Several mels (``[n_mels, T_i]`` each) -> their audio (``[T_i * hop_length]`` float32),
        vocoded ``batch_size`` at a time, longest first so that a batch holds similar lengths.

        Padding does not leak into the audio: the last frames of a shorter mel, those within the
        receptive field of its padding (:attr:`receptive_frames` + 2), are vocoded again from its
        own mel, so each result equals :meth:`vocode` of that mel alone up to float rounding.
        Batches pay off where the device has width to spare (a GPU); on a CPU the work is the same
        and ``batch_size=1`` is as fast."""
        if batch_size < 1:
            raise MelError(f"batch_size must be >= 1, got {batch_size}")
        for m in mels:
            self.check_mel(m[None] if isinstance(m, torch.Tensor) and m.dim() == 2 else m)
        device, dtype = placement(self.generator)
        mels = [m.to(device, dtype) for m in mels]
        ctx = math.ceil(self.receptive_frames) + 2
        hop = self.hop_length
        out: list[torch.Tensor | None] = [None] * len(mels)
        order = sorted(range(len(mels)), key=lambda i: -mels[i].shape[-1])
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            n = mels[idx[0]].shape[-1]
            batch = torch.stack([F.pad(mels[i][None], (0, n - mels[i].shape[-1]), mode="replicate")[0]
                                 if mels[i].shape[-1] < n else mels[i] for i in idx])
            audio = self(batch).float()[:, 0]
            for row, i in enumerate(idx):
                t = mels[i].shape[-1]
                a = audio[row, :t * hop].clone()
                if t < n:  # redo the frames that could see the padding, from this mel alone
                    start = max(0, t - ctx)
                    a[start * hop:] = self._span(mels[i][None], start, t, ctx)[0, 0].float()
                if denoise > 0:
                    a = self.denoiser().to(a.device)(a[None], denoise)[0, 0]
                out[i] = a.clamp(-1.0, 1.0)
        return out


def load_torch_vocoder(name_or_path="lj_v1", device="cpu", config=None, precision="fp32") -> Vocoder:
    """A bundled vocoder by name (``lj_v1``, ``universal_v1``) or any supported checkpoint file, for
    PyTorch (:func:`hifigan.loaders.load_vocoder` picks this or the ONNX runtime).

    Returns a :class:`Vocoder` in eval mode with weight norm removed, its weights in ``precision``
    (``fp32``, ``bf16``, ``fp16`` or ``auto``: see :mod:`hifigan.precision`); it takes mels of any
    float dtype and returns float32 audio.
    """
    dtype = dtype_of(precision, device)
    generator, mel_config, train_setup = load_generator_checkpoint(resolve_vocoder(name_or_path), config)
    generator.remove_weight_norm()
    return Vocoder(generator, mel_config, train_setup).eval().to(device, dtype)
