"""FastPitch 1.1 (Łańcucki, 2021): text symbols -> mel spectrogram, with pitch and energy.

The modules, their names and parameter shapes are those of NVIDIA DeepLearningExamples'
FastPitch 1.1 (``encoder``, ``decoder``, ``duration_predictor``, ``pitch_predictor``,
``energy_predictor``, ``pitch_emb``, ``energy_emb``, ``speaker_emb``, ``proj``, the
``pitch_mean``/``pitch_std`` buffers and the ``attention`` aligner), so their checkpoints load
unchanged. Numerics follow their newest code: post-LayerNorm FFT blocks, length regulation with
``floor(d / pace + 0.5)`` frames per symbol, NVIDIA's pitch-transform call convention.
Multi-head attention is correct for any number of heads.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from hifigan.models.dropout import Dropout
from hifigan.models.int8 import Int8TimeMajorConv

# NVIDIA's fallback for a model whose pitch_mean/pitch_std buffers were never filled (LJSpeech-1.1).
LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD = 218.14, 67.24
_ALIASES = {"n_formants": "pitch_conditioning_formants"}


@dataclass
class FastPitchConfig:
    """NVIDIA's FastPitch constructor arguments; the defaults build ``nvidia_fastpitch``'s model."""
    n_mel_channels: int = 80
    n_symbols: int = 148
    padding_idx: int = 0
    symbols_embedding_dim: int = 384
    in_fft_n_layers: int = 6
    in_fft_n_heads: int = 1
    in_fft_d_head: int = 64
    in_fft_conv1d_kernel_size: int = 3
    in_fft_conv1d_filter_size: int = 1536
    in_fft_output_size: int = 384
    p_in_fft_dropout: float = 0.1
    p_in_fft_dropatt: float = 0.1
    p_in_fft_dropemb: float = 0.0
    out_fft_n_layers: int = 6
    out_fft_n_heads: int = 1
    out_fft_d_head: int = 64
    out_fft_conv1d_kernel_size: int = 3
    out_fft_conv1d_filter_size: int = 1536
    out_fft_output_size: int = 384
    p_out_fft_dropout: float = 0.1
    p_out_fft_dropatt: float = 0.1
    p_out_fft_dropemb: float = 0.0
    dur_predictor_kernel_size: int = 3
    dur_predictor_filter_size: int = 256
    p_dur_predictor_dropout: float = 0.1
    dur_predictor_n_layers: int = 2
    pitch_predictor_kernel_size: int = 3
    pitch_predictor_filter_size: int = 256
    p_pitch_predictor_dropout: float = 0.1
    pitch_predictor_n_layers: int = 2
    pitch_embedding_kernel_size: int = 3
    n_speakers: int = 1
    speaker_emb_weight: float = 1.0
    energy_predictor_kernel_size: int = 3
    energy_predictor_filter_size: int = 256
    p_energy_predictor_dropout: float = 0.1
    energy_predictor_n_layers: int = 2
    energy_conditioning: bool = True
    energy_embedding_kernel_size: int = 3
    pitch_conditioning_formants: int = 1

    def __post_init__(self):
        for name, f in self.__dataclass_fields__.items():
            value = getattr(self, name)
            if f.type == "int":
                if isinstance(value, bool) or int(value) != value:
                    raise ValueError(f"{name} must be an integer, got {value!r}")
                setattr(self, name, int(value))
            elif f.type == "float":
                setattr(self, name, float(value))
            else:
                setattr(self, name, bool(value))
        positive = [n for n, f in self.__dataclass_fields__.items()
                    if f.type == "int" and n != "padding_idx" and getattr(self, n) < 1]
        if positive:
            raise ValueError(f"{positive[0]} must be >= 1, got {getattr(self, positive[0])}")
        d = self.symbols_embedding_dim
        if self.in_fft_output_size != d or self.out_fft_output_size != d:
            raise ValueError(f"in_fft_output_size and out_fft_output_size must equal "
                             f"symbols_embedding_dim ({d})")
        if not 0 <= self.padding_idx < self.n_symbols:
            raise ValueError(f"padding_idx {self.padding_idx} is not a symbol id (n_symbols {self.n_symbols})")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FastPitchConfig":
        """From ours or NVIDIA's ``config`` dict; unused keys (``max_seq_len``, ...) are ignored."""
        kw = {_ALIASES.get(k, k): v for k, v in d.items()}
        return cls(**{k: v for k, v in kw.items() if k in cls.__dataclass_fields__})


# Named model sizes. "default" is NVIDIA's FastPitch 1.1 (46 M parameters with its aligner);
# "small" is sized for training on a laptop CPU; "tiny" is for tests.
FASTPITCH_PRESETS = {
    "default": {},
    "small": dict(symbols_embedding_dim=256, in_fft_output_size=256, out_fft_output_size=256,
                  in_fft_n_layers=4, out_fft_n_layers=4, in_fft_conv1d_filter_size=1024,
                  out_fft_conv1d_filter_size=1024),
    # the default voice's size on a 2-core AVX2 CPU (53 GFLOP/s in fp32 GEMM): 8.9 M parameters,
    # 4.2 s a training step at batch 8 where "small" takes 12 s at batch 16
    "compact": dict(symbols_embedding_dim=192, in_fft_output_size=192, out_fft_output_size=192,
                    in_fft_n_layers=4, out_fft_n_layers=4, in_fft_conv1d_filter_size=768,
                    out_fft_conv1d_filter_size=768),
    "tiny": dict(symbols_embedding_dim=32, in_fft_output_size=32, out_fft_output_size=32,
                 in_fft_n_layers=1, out_fft_n_layers=1, in_fft_d_head=16, out_fft_d_head=16,
                 in_fft_conv1d_filter_size=64, out_fft_conv1d_filter_size=64, dur_predictor_filter_size=32,
                 pitch_predictor_filter_size=32, energy_predictor_filter_size=32),
}


# ---------------------------------------------------------------- functions

def mask_from_lens(lens: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``[B, max_len]`` bool, True inside each sequence."""
    max_len = int(lens.max()) if max_len is None else int(max_len)
    return torch.arange(max_len, device=lens.device) < lens[:, None]


def regulate_len(durations, enc_out, pace: float = 1.0, mel_max_len: int | None = None,
                 pad_to: Callable[[int], int] | None = None):
    """Repeat each symbol's vector ``floor(duration / pace + 0.5)`` times (NVIDIA's rounding).

    ``durations`` ``[B, T]`` (non-negative), ``enc_out`` ``[B, T, C]`` ->
    ``([B, max(lens), C]`` zero-padded, ``lens [B]``), both cut at ``mel_max_len`` if given.
    ``pad_to``: the padded length for a longest of ``max(lens)`` frames (a length bucket).
    """
    reps = (durations.float() / pace + 0.5).long()
    dec_lens = reps.sum(dim=1)
    max_len = int(dec_lens.max()) if dec_lens.numel() else 0
    if pad_to is not None and max_len:
        max_len = max(max_len, int(pad_to(max_len)))
    frames = torch.arange(max_len, device=enc_out.device).expand(reps.size(0), max_len).contiguous()
    src = torch.searchsorted(reps.cumsum(dim=1).contiguous(), frames, right=True)  # symbol of each frame
    src = src.clamp(max=enc_out.size(1) - 1)
    out = enc_out.gather(1, src[..., None].expand(-1, -1, enc_out.size(2)))
    out = torch.where((frames < dec_lens[:, None])[..., None], out, out.new_zeros(()))
    if mel_max_len is not None:
        out, dec_lens = out[:, :mel_max_len], dec_lens.clamp_max(mel_max_len)
    return out, dec_lens


def average_pitch(pitch: torch.Tensor, durs: torch.Tensor) -> torch.Tensor:
    """Mean of the non-zero (voiced) values of ``pitch [B, F, T_mel]`` over each symbol's
    frames, ``durs [B, T]`` -> ``[B, F, T]`` (0 where a symbol has no voiced frame)."""
    ends = torch.cumsum(durs, dim=1).long()
    starts = F.pad(ends[:, :-1], (1, 0))
    b, n, f = ends.size(0), ends.size(1), pitch.size(1)
    cum = F.pad(torch.cumsum(pitch, dim=2), (1, 0))
    voiced = F.pad(torch.cumsum(pitch != 0.0, dim=2), (1, 0))
    s, e = starts[:, None].expand(b, f, n), ends[:, None].expand(b, f, n)
    total = (cum.gather(2, e) - cum.gather(2, s)).float()
    count = (voiced.gather(2, e) - voiced.gather(2, s)).float()
    return torch.where(count == 0.0, count, total / count.clamp_min(1.0))


def mas_width1(log_attn: np.ndarray) -> np.ndarray:
    """Monotonic alignment search over ``log_attn [T_mel, T_text]``: the most likely path that
    starts at (0, 0), ends at the last symbol and advances by 0 or 1 symbol per frame.
    Returns the 0/1 path; ties go to the earlier symbol, as in NVIDIA's numba version."""
    log_p = np.array(log_attn, dtype=np.float32)
    n_mel, n_text = log_p.shape
    log_p[0, 1:] = -np.inf
    for i in range(1, n_mel):
        prev = log_p[i - 1]
        log_p[i] += np.maximum(prev, np.concatenate(([-np.inf], prev[:-1])).astype(np.float32))
    opt = np.zeros_like(log_p)
    j = n_text - 1
    for i in range(n_mel - 1, 0, -1):
        opt[i, j] = 1
        if j > 0 and log_p[i - 1, j - 1] >= log_p[i - 1, j]:
            j -= 1
            if j == 0:
                opt[1:i, 0] = 1
                break
    opt[0, j] = 1
    return opt


def mas(log_p: np.ndarray, text_lens, mel_lens) -> np.ndarray:
    """Batched monotonic alignment search: ``mas_width1`` for every utterance at once.

    ``log_p [B, T_mel, T_text]``; each path starts at (0, 0), ends at (mel_len-1, text_len-1) and
    advances by 0 or 1 symbol per frame. Returns the 0/1 paths ``[B, T_mel, T_text]`` float32 (zero
    outside each utterance). One numpy step per mel frame, vectorized over the batch.
    """
    log_p = np.asarray(log_p, dtype=np.float64)
    b, n_mel, n_text = log_p.shape
    text_lens = np.asarray(text_lens, dtype=np.int64)
    mel_lens = np.asarray(mel_lens, dtype=np.int64)
    q = np.where(np.arange(n_text)[None, None] < text_lens[:, None, None], log_p, -np.inf)
    q[:, 0, 1:] = -np.inf
    neg = np.full((b, 1), -np.inf)
    for i in range(1, n_mel):
        prev = q[:, i - 1]
        q[:, i] += np.maximum(prev, np.concatenate([neg, prev[:, :-1]], axis=1))
    path = np.zeros((b, n_mel, n_text), dtype=np.float32)
    rows = np.arange(b)
    j = np.maximum(text_lens - 1, 0)
    for i in range(n_mel - 1, -1, -1):
        active = i < mel_lens
        path[rows[active], i, j[active]] = 1.0
        if i == 0:
            break
        jm1 = np.maximum(j - 1, 0)
        step = active & (j > 0) & (q[rows, i - 1, jm1] >= q[rows, i - 1, j])
        j = np.where(step, j - 1, j)
    return path


def hard_alignment(log_attn: torch.Tensor, in_lens, out_lens) -> torch.Tensor:
    """MAS over log soft attention ``[B, 1, T_mel, T_text]`` -> 0/1 alignment of the same shape."""
    with torch.no_grad():
        path = mas(log_attn.detach()[:, 0].float().cpu().numpy(),
                   torch.as_tensor(in_lens).cpu().numpy(), torch.as_tensor(out_lens).cpu().numpy())
    return torch.from_numpy(path)[:, None].to(device=log_attn.device, dtype=log_attn.dtype)


def binarize_attention(attn: torch.Tensor, in_lens, out_lens) -> torch.Tensor:
    """Hard alignment (MAS on ``log attn``) of soft ``attn [B, 1, T_mel, T_text]``; no gradient.
    NVIDIA's interface; training uses :func:`hard_alignment` on ``log_softmax`` instead, since
    ``log(softmax)`` underflows to ``-inf`` on long utterances."""
    with torch.no_grad():
        return hard_alignment(torch.log(attn.detach().float()), in_lens, out_lens).to(attn.dtype)


# ---------------------------------------------------------------- FFT transformer

class PositionalEmbedding(nn.Module):
    """Sinusoidal ``[1, L, demb]``: sines in the first half of the channels, cosines in the second."""

    def __init__(self, demb: int):
        super().__init__()
        self.demb = demb
        self.register_buffer("inv_freq", 1 / (10000 ** (torch.arange(0.0, demb, 2.0) / demb)))

    def forward(self, pos_seq: torch.Tensor) -> torch.Tensor:
        angles = pos_seq[:, None] * self.inv_freq[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=1)[None]


class PositionwiseConvFF(nn.Module):
    """Post-LN conv feed-forward: ``layer_norm(x + conv(relu(conv(x))))``."""

    def __init__(self, d_model: int, d_inner: int, kernel_size: int, dropout: float):
        super().__init__()
        self.CoreNet = nn.Sequential(
            nn.Conv1d(d_model, d_inner, kernel_size, 1, kernel_size // 2), nn.ReLU(),
            nn.Conv1d(d_inner, d_model, kernel_size, 1, kernel_size // 2), Dropout(dropout))
        self.layer_norm = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        """``x [B, T, C]``; ``mask [B, T, 1]`` (True inside) zeroes the padding between the two
        convolutions, so that a sequence's output does not depend on what it is batched with
        (NVIDIA's code lets the bias of the padded positions leak into the last ones). In
        training the padding is not computed at all (see :func:`_packed_rows`); the padded
        positions of the result are then 0, as the caller's mask makes them anyway."""
        conv1, _, conv2, drop = self.CoreNet
        rows = _packed_rows(mask, conv1.kernel_size[0]) if self.training and mask is not None else None
        if rows is not None:
            gather, inside, dest = rows
            b, t, c = x.shape
            flat = x.reshape(b * t, c)
            # index_select: its backward is index_add_, cheaper than indexing's index_put_
            xp = torch.cat([flat, flat.new_zeros(1, c)]).index_select(0, gather)[None]  # [1, N, C]
            h = time_major_conv1d(xp, conv1, relu=True)
            h = h * (gather < b * t)[None, :, None]  # the gaps stay zero
            y = drop(time_major_conv1d(h, conv2))[0].index_select(0, inside)
            out = self.layer_norm(flat.index_select(0, dest) + y)
            return flat.new_zeros(b * t, out.shape[1], dtype=out.dtype).index_copy(0, dest, out).view(b, t, -1)
        h = time_major_conv1d(x, conv1, relu=True)
        if mask is not None:
            h = h * mask
        return self.layer_norm(x + drop(time_major_conv1d(h, conv2)))


def _packed_rows(mask: torch.Tensor, k: int):
    """The sequences of a padded batch laid end to end, ``k // 2`` zero rows after each: a "same"
    convolution of that one long sequence gives each sequence exactly what it gets alone (its
    windows see zeros past both ends), and the padding costs nothing (in a length-sorted batch of
    60-160 symbols it was 30% of the decoder's frames). ``mask [B, T, 1]`` must be a prefix
    mask (True for the first ``len`` positions). Returns ``(gather [N]`` indices into the
    flattened ``[B*T]`` rows, ``B*T`` meaning a zero row; ``inside``, the packed rows that are a
    sequence's, not a gap; ``dest`` the ``[B*T]`` rows of the sequences, in packed order``)``, or None
    when there is no padding to skip or the mask is not a prefix mask."""
    m = mask[:, :, 0]
    b, t = m.shape
    lens = m.sum(1)
    pos = torch.arange(t + k // 2, device=m.device)
    if bool((lens == t).all()) or not torch.equal(m, pos[None, :t] < lens[:, None]):
        return None
    seq = pos[None] < lens[:, None]                                  # [B, T+g]
    rows = torch.arange(b, device=m.device)[:, None] * t + pos[None]
    kept = pos[None] < (lens + k // 2)[:, None]
    gather = torch.where(seq, rows, b * t)[kept]
    inside = seq[kept].nonzero().squeeze(1)
    return gather, inside, rows[seq]


def time_major_conv1d(x: torch.Tensor, conv: nn.Conv1d, relu: bool = False) -> torch.Tensor:
    """``conv`` ("same" padding, stride 1) on time-major ``x [B, T, C]`` as one matrix product over
    the unfolded windows ``[B, T, C*k]``: the same sums as ``conv(x.transpose(1, 2))``, with no
    transposes; on a 2-core AVX2 CPU 1.4x the speed of oneDNN's convolution, forward and backward.
    With gradients it runs as :class:`_TimeMajorConv` (same forward, a cheaper backward). ``relu``:
    followed by a ReLU (fused into the product for an int8 ``conv``, see ``FastPitch.quantize_int8``)."""
    if isinstance(conv, Int8TimeMajorConv):
        return conv.time_major(x, relu)
    k = conv.kernel_size[0]
    w = conv.weight.reshape(conv.out_channels, -1)  # [O, C*k], channel-major like the windows below
    if x.shape[1] == 0:  # nothing to convolve (e.g. every duration rounded to 0)
        out = x.new_zeros(x.shape[0], 0, conv.out_channels)
    elif k > 1 and torch.is_grad_enabled() and (x.requires_grad or w.requires_grad):
        out = _TimeMajorConv.apply(x, w, conv.bias, k)
    else:
        out = F.linear(_windows(x, k) if k > 1 else x, w, conv.bias)
    return torch.relu(out) if relu else out


def _windows(x: torch.Tensor, k: int) -> torch.Tensor:
    """``[B, T, C] -> [B, T, C*k]``: each step's zero-padded window, channel-major."""
    return F.pad(x, (0, 0, k // 2, (k - 1) // 2)).unfold(1, k, 1).reshape(x.shape[0], x.shape[1], -1)


class _TimeMajorConv(torch.autograd.Function):
    """``time_major_conv1d`` for training. The windows are cut tap-major (``[B, T, k*C]``, ``k``
    contiguous slices, the weight permuted to match: the channel-major copy of ``unfold`` gathers
    with a stride of C and took 5% of a FastPitch training step), and the backward sums the
    windows' gradient back with ``k`` shifted slice additions instead of ``unfold``'s general
    backward (a scatter, 14% of the step). Under autocast it computes in the autocast dtype, as
    ``F.linear`` would, and returns each gradient in its input's dtype."""

    @staticmethod
    def forward(ctx, x, w, bias, k):
        dev = x.device.type
        dtype = torch.get_autocast_dtype(dev) if torch.is_autocast_enabled(dev) else x.dtype
        b, t, c = x.shape
        o = w.shape[0]
        with torch.autocast(dev, enabled=False):
            xp = F.pad(x.to(dtype), (0, 0, k // 2, (k - 1) // 2))
            cols = torch.cat([xp[:, j:j + t] for j in range(k)], dim=-1)
            w_taps = w.to(dtype).view(o, c, k).transpose(1, 2).reshape(o, k * c)
            out = F.linear(cols, w_taps, None if bias is None else bias.to(dtype))
        ctx.save_for_backward(cols, w_taps)
        ctx.k, ctx.x_dtype, ctx.w_dtype, ctx.has_bias = k, x.dtype, w.dtype, bias is not None
        return out

    @staticmethod
    def backward(ctx, grad):
        cols, w_taps = ctx.saved_tensors
        k = ctx.k
        b, t, o = grad.shape
        c = w_taps.shape[1] // k
        g = grad.to(w_taps.dtype).reshape(b * t, o)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            gcols = (g @ w_taps).view(b, t, k, c)
            gpad = gcols.new_zeros(b, t + k - 1, c)
            for j in range(k):
                gpad[:, j:j + t] += gcols[:, :, j]
            grad_x = gpad[:, k // 2:k // 2 + t].to(ctx.x_dtype)
        if ctx.needs_input_grad[1]:
            gw = g.t() @ cols.reshape(b * t, k * c)  # [O, k*C] tap-major -> the weight's [O, C*k]
            grad_w = gw.view(o, k, c).transpose(1, 2).reshape(o, c * k).to(ctx.w_dtype)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum(0, dtype=torch.float32).to(ctx.w_dtype)
        return grad_x, grad_w, grad_b, None


class MultiHeadAttn(nn.Module):
    """Post-LN self-attention. ``qkv_net`` yields ``[q | k | v]``, each laid out head-major
    (head ``h`` owns channels ``h*d_head:(h+1)*d_head``), as in NVIDIA's checkpoints."""

    def __init__(self, n_head: int, d_model: int, d_head: int, dropout: float, dropatt: float = 0.1):
        super().__init__()
        self.n_head, self.d_head, self.scale = n_head, d_head, 1 / math.sqrt(d_head)
        self.qkv_net = nn.Linear(d_model, 3 * n_head * d_head)
        self.drop = Dropout(dropout)
        self.dropatt = Dropout(dropatt)
        self.o_net = nn.Linear(n_head * d_head, d_model, bias=False)
        self.layer_norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x [B, L, d_model]``; ``pad_mask [B, L]`` True at padding (never attended to)."""
        b, n = x.shape[:2]
        q, k, v = (t.view(b, n, self.n_head, self.d_head).transpose(1, 2)
                   for t in self.qkv_net(x).chunk(3, dim=-1))          # [B, H, L, d_head]
        if not self.training:  # one fused kernel; the same sums up to float rounding
            bias = None if pad_mask is None else \
                torch.zeros(pad_mask.shape, dtype=q.dtype, device=q.device).masked_fill_(
                    pad_mask, torch.finfo(q.dtype).min)[:, None, None, :]
            vec = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=self.scale)
            vec = vec.transpose(1, 2).reshape(b, n, self.n_head * self.d_head)
            return self.layer_norm(x + self.o_net(vec))
        score = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        if pad_mask is not None:  # a large finite value: an all-padding row gives no NaN
            score = score.masked_fill(pad_mask[:, None, None, :], torch.finfo(score.dtype).min)
        prob = self.dropatt(torch.softmax(score, dim=-1))
        vec = torch.matmul(prob, v).transpose(1, 2).reshape(b, n, self.n_head * self.d_head)
        return self.layer_norm(x + self.drop(self.o_net(vec)))


class TransformerLayer(nn.Module):
    def __init__(self, n_head, d_model, d_head, d_inner, kernel_size, dropout, dropatt):
        super().__init__()
        self.dec_attn = MultiHeadAttn(n_head, d_model, d_head, dropout, dropatt)
        self.pos_ff = PositionwiseConvFF(d_model, d_inner, kernel_size, dropout)

    def forward(self, x, mask):
        """``mask [B, L, 1]`` True inside the sequence; padded positions come out zero. ``None``:
        no padding (the same result without the masking work)."""
        if mask is None:
            return self.pos_ff(self.dec_attn(x))
        x = self.dec_attn(x, pad_mask=~mask.squeeze(2)) * mask
        return self.pos_ff(x, mask) * mask


class FFTransformer(nn.Module):
    """A stack of FFT blocks. With ``n_embed`` it embeds symbol ids (padding = ``padding_idx``),
    otherwise it takes vectors and their lengths."""

    def __init__(self, n_layer, n_head, d_model, d_head, d_inner, kernel_size, dropout, dropatt,
                 dropemb=0.0, n_embed=None, padding_idx=0):
        super().__init__()
        self.padding_idx = padding_idx
        self.word_emb = nn.Embedding(n_embed, d_model, padding_idx=padding_idx) if n_embed else None
        self.pos_emb = PositionalEmbedding(d_model)
        self.drop = Dropout(dropemb)
        self.layers = nn.ModuleList(
            TransformerLayer(n_head, d_model, d_head, d_inner, kernel_size, dropout, dropatt)
            for _ in range(n_layer))

    def forward(self, x, seq_lens=None, conditioning=0):
        """-> ``(out [B, L, d_model], mask [B, L, 1])``."""
        if self.word_emb is None:
            inp, mask = x, mask_from_lens(seq_lens, x.size(1)).unsqueeze(2)
        else:
            inp, mask = self.word_emb(x), (x != self.padding_idx).unsqueeze(2)
        pos = self.pos_emb(torch.arange(inp.size(1), device=inp.device).to(inp.dtype)) * mask
        out = self.drop(inp + pos + conditioning)
        layer_mask = None if not self.training and bool(mask.all()) else mask  # inference without padding
        for layer in self.layers:
            out = layer(out, layer_mask)
        return out, mask


# ---------------------------------------------------------------- predictors and aligner

class ConvReLUNorm(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=1, dropout=0.0):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.LayerNorm(out_channels)
        self.dropout = Dropout(dropout)

    def forward(self, x):  # [B, C, T]
        return self.time_major(x.transpose(1, 2)).transpose(1, 2)

    def time_major(self, x):  # [B, T, C]: the convolution as time_major_conv1d, no transposes
        return self.dropout(self.norm(time_major_conv1d(x, self.conv, relu=True)))


class TemporalPredictor(nn.Module):
    """``n_predictions`` values per symbol: ``[B, T, C]`` -> ``[B, T, n_predictions]`` (0 at padding)."""

    def __init__(self, input_size, filter_size, kernel_size, dropout, n_layers=2, n_predictions=1):
        super().__init__()
        self.layers = nn.Sequential(*[
            ConvReLUNorm(input_size if i == 0 else filter_size, filter_size, kernel_size, dropout)
            for i in range(n_layers)])
        self.fc = nn.Linear(filter_size, n_predictions)

    def forward(self, enc_out, enc_mask):
        """Padding is zeroed before every convolution (batch-invariant; NVIDIA's only before the first)."""
        out = enc_out
        for layer in self.layers:
            out = layer.time_major(out * enc_mask)
        return self.fc(out) * enc_mask


class ConvNorm(nn.Module):
    """A Conv1d (Xavier-initialised, 'same' padding) under the name ``conv``."""

    def __init__(self, in_channels, out_channels, kernel_size=1, w_init_gain="linear"):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2)
        nn.init.xavier_uniform_(self.conv.weight, gain=nn.init.calculate_gain(w_init_gain))

    def forward(self, x):
        return self.conv(x)


class ConvAttention(nn.Module):
    """The training-time aligner (One TTS Alignment To Rule Them All): a Gaussian-kernel soft
    attention of mel frames over symbols, ``[B, 1, T_mel, T_text]``. ``attn_proj`` exists in
    NVIDIA's checkpoints but is unused."""

    def __init__(self, n_mel_channels=80, n_text_channels=384, n_att_channels=80):
        super().__init__()
        self.key_proj = nn.Sequential(
            ConvNorm(n_text_channels, n_text_channels * 2, 3, "relu"), nn.ReLU(),
            ConvNorm(n_text_channels * 2, n_att_channels, 1))
        self.query_proj = nn.Sequential(
            ConvNorm(n_mel_channels, n_mel_channels * 2, 3, "relu"), nn.ReLU(),
            ConvNorm(n_mel_channels * 2, n_mel_channels, 1), nn.ReLU(),
            ConvNorm(n_mel_channels, n_att_channels, 1))
        self.attn_proj = nn.Conv2d(n_att_channels, 1, kernel_size=1)

    def forward(self, queries, keys, query_lens=None, mask=None, key_lens=None, keys_encoded=None,
                attn_prior=None):
        """``queries`` mel ``[B, n_mel, T1]``, ``keys`` symbol embeddings ``[B, C, T2]``, ``mask``
        ``[B, T2, 1]`` True at padded symbols, ``attn_prior [B, T1, T2]``.
        Returns ``(attn, attn_logprob)``, both ``[B, 1, T1, T2]``; attn sums to 1 over T2."""
        k = self.key_proj(keys.float())
        q = self.query_proj(queries.float())
        # squared distances as |q|^2 + |k|^2 - 2 q.k: one [B, T1, T2] matrix product instead of
        # NVIDIA's [B, C, T1, T2] broadcast (same values to float32 rounding, far less memory)
        dist = q.square().sum(1)[:, :, None] + k.square().sum(1)[:, None, :] - 2 * torch.bmm(q.transpose(1, 2), k)
        attn = -0.0005 * dist.clamp_min(0.0)[:, None]
        if attn_prior is not None:
            attn = F.log_softmax(attn, dim=3) + torch.log(attn_prior[:, None] + 1e-8)
        attn_logprob = attn.clone()
        if mask is not None:
            attn = attn.masked_fill(mask.permute(0, 2, 1).unsqueeze(2), -float("inf"))
        return torch.softmax(attn, dim=3), attn_logprob


# ---------------------------------------------------------------- FastPitch

def _as_channels(x, channels: int, length: int, name: str) -> torch.Tensor:
    """A per-symbol target given as ``[B, T]`` or ``[B, channels, T]`` -> float ``[B, channels, T]``."""
    x = torch.as_tensor(x)
    if x.dim() == 2 and channels == 1:
        x = x.unsqueeze(1)
    if x.dim() != 3 or x.size(1) != channels or x.size(2) != length:
        raise ValueError(f"{name} must have shape [batch, {channels}, {length}]"
                         f"{f' or [batch, {length}]' if channels == 1 else ''}, got {list(x.shape)}")
    return x.float()


def _check_inputs(inputs, n_symbols: int) -> None:
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 2 or inputs.is_floating_point() \
            or inputs.is_complex() or inputs.dtype == torch.bool:
        what = (f"a {inputs.dim()}-D {inputs.dtype} tensor" if isinstance(inputs, torch.Tensor)
                else type(inputs).__name__)
        raise ValueError(f"inputs must be a 2-D integer tensor of symbol ids [batch, symbols], got {what}")
    if inputs.numel() == 0:
        raise ValueError(f"inputs is empty (shape {list(inputs.shape)})")
    lo, hi = int(inputs.min()), int(inputs.max())
    if lo < 0 or hi >= n_symbols:
        raise ValueError(f"symbol id {lo if lo < 0 else hi} out of range: the model has {n_symbols} symbols")


def _check_pace(pace) -> float:
    if isinstance(pace, torch.Tensor) and pace.numel() == 1:
        pace = float(pace)
    if isinstance(pace, bool) or not isinstance(pace, (int, float)) or not 0 < pace < math.inf:
        raise ValueError(f"pace must be > 0, got {pace!r}")
    return float(pace)


def _check_speaker(speaker, batch: int, n_speakers: int) -> None:
    if isinstance(speaker, torch.Tensor):
        if speaker.is_floating_point() or speaker.is_complex() or speaker.dim() > 1 or \
                (speaker.dim() == 1 and speaker.numel() not in (1, batch)):
            raise ValueError(f"speaker must be an int or an integer tensor of shape [] or [{batch}], "
                             f"got {speaker.dtype} {list(speaker.shape)}")
        ids = speaker.flatten().tolist()
    elif isinstance(speaker, (int, np.integer)) and not isinstance(speaker, bool):
        ids = [int(speaker)]
    else:
        raise ValueError(f"speaker must be an int or an integer tensor, got {speaker!r}")
    for s in ids:
        if not 0 <= s < n_speakers:
            raise ValueError(f"speaker {s} out of range: the model has {n_speakers} speakers")


class FastPitch(nn.Module):
    """Symbol ids ``[B, T]`` (0 = padding) -> mel ``[B, n_mel_channels, frames]``.

    ``FastPitch(config)`` or, like NVIDIA's, ``FastPitch(**checkpoint['config'])``.
    :meth:`infer` synthesises; :meth:`forward` is the training pass with the aligner.
    """

    def __init__(self, config: FastPitchConfig | None = None, **nvidia_kwargs):
        super().__init__()
        if nvidia_kwargs:
            config = FastPitchConfig.from_dict({**(config.to_dict() if config else {}), **nvidia_kwargs})
        self.config = c = config or FastPitchConfig()
        d = c.symbols_embedding_dim
        self.encoder = FFTransformer(
            c.in_fft_n_layers, c.in_fft_n_heads, d, c.in_fft_d_head, c.in_fft_conv1d_filter_size,
            c.in_fft_conv1d_kernel_size, c.p_in_fft_dropout, c.p_in_fft_dropatt, c.p_in_fft_dropemb,
            n_embed=c.n_symbols, padding_idx=c.padding_idx)
        self.speaker_emb = nn.Embedding(c.n_speakers, d) if c.n_speakers > 1 else None
        self.speaker_emb_weight = c.speaker_emb_weight
        self.duration_predictor = TemporalPredictor(
            c.in_fft_output_size, c.dur_predictor_filter_size, c.dur_predictor_kernel_size,
            c.p_dur_predictor_dropout, c.dur_predictor_n_layers)
        self.decoder = FFTransformer(
            c.out_fft_n_layers, c.out_fft_n_heads, d, c.out_fft_d_head, c.out_fft_conv1d_filter_size,
            c.out_fft_conv1d_kernel_size, c.p_out_fft_dropout, c.p_out_fft_dropatt, c.p_out_fft_dropemb)
        self.pitch_predictor = TemporalPredictor(
            c.in_fft_output_size, c.pitch_predictor_filter_size, c.pitch_predictor_kernel_size,
            c.p_pitch_predictor_dropout, c.pitch_predictor_n_layers, c.pitch_conditioning_formants)
        k = c.pitch_embedding_kernel_size
        self.pitch_emb = nn.Conv1d(c.pitch_conditioning_formants, d, k, padding=(k - 1) // 2)
        self.register_buffer("pitch_mean", torch.zeros(1))  # training-data statistics, in Hz
        self.register_buffer("pitch_std", torch.zeros(1))
        self.energy_conditioning = c.energy_conditioning
        if c.energy_conditioning:
            self.energy_predictor = TemporalPredictor(
                c.in_fft_output_size, c.energy_predictor_filter_size, c.energy_predictor_kernel_size,
                c.p_energy_predictor_dropout, c.energy_predictor_n_layers)
            k = c.energy_embedding_kernel_size
            self.energy_emb = nn.Conv1d(1, d, k, padding=(k - 1) // 2)
        self.proj = nn.Linear(c.out_fft_output_size, c.n_mel_channels)
        self.attention = ConvAttention(c.n_mel_channels, d)

    @property
    def n_speakers(self) -> int:
        return self.config.n_speakers

    @property
    def is_int8(self) -> bool:
        return isinstance(self.encoder.layers[0].pos_ff.CoreNet[0], Int8TimeMajorConv)

    def quantize_int8(self, predictors: bool = True) -> "FastPitch":
        """In place, for CPU inference: the convolutions of the encoder's and decoder's feed-forward
        blocks and (``predictors``) of the duration, pitch and energy predictors become int8
        (:mod:`hifigan.models.int8`), the rest stays float32 (the attention projections too: in
        int8 their quantisation cost more than it saved). Returns ``self``, in eval mode; it can no
        longer train or be saved as a checkpoint."""
        if self.proj.weight.device.type != "cpu":
            raise RuntimeError("int8 FastPitch runs on a CPU (oneDNN): quantise a model on the CPU")
        self.float().eval()
        if self.is_int8:
            return self
        for fft in (self.encoder, self.decoder):
            for layer in fft.layers:
                ff = layer.pos_ff.CoreNet
                ff[0], ff[2] = Int8TimeMajorConv(ff[0]), Int8TimeMajorConv(ff[2])
        if predictors:
            for p in (self.duration_predictor, self.pitch_predictor, getattr(self, "energy_predictor", None)):
                for layer in p.layers if p is not None else ():
                    layer.conv = Int8TimeMajorConv(layer.conv)
        return self

    def train(self, mode: bool = True):
        if mode and self.is_int8:
            raise RuntimeError("an int8 FastPitch is for inference only: train a float model")
        return super().train(mode)

    def binarize_attention(self, attn, in_lens, out_lens):
        return binarize_attention(attn, in_lens, out_lens)

    def align(self, text, text_lens, mel, mel_lens, attn_prior=None):
        """The aligner, always in fp32 (under bf16 its query projection grows without bound):
        ``(attn_soft, attn_logprob, attn_hard)``, each ``[B, 1, T_mel, T_text]``. The hard path is
        MAS over ``log_softmax`` of the prior-weighted scores (no underflow)."""
        text_emb = self.encoder.word_emb(text)
        attn_mask = ~mask_from_lens(text_lens, text.size(1))[..., None]
        with torch.autocast(mel.device.type, enabled=False):
            attn_soft, attn_logprob = self.attention(
                mel.float(), text_emb.float().permute(0, 2, 1), mel_lens, attn_mask, key_lens=text_lens,
                attn_prior=None if attn_prior is None else attn_prior.float())
            log_attn = attn_logprob.masked_fill(attn_mask.permute(0, 2, 1).unsqueeze(2), -float("inf"))
            attn_hard = hard_alignment(F.log_softmax(log_attn, dim=3), text_lens, mel_lens)
        return attn_soft, attn_logprob, attn_hard

    def _speaker_embedding(self, speaker, batch: int, device):
        if self.speaker_emb is None:
            return 0
        speaker = torch.ones(batch, dtype=torch.long, device=device) * torch.as_tensor(speaker, device=device)
        return self.speaker_emb(speaker).unsqueeze(1) * self.speaker_emb_weight

    def infer(self, inputs, pace=1.0, dur_tgt=None, pitch_tgt=None, energy_tgt=None,
              pitch_transform=None, max_duration=75, speaker=0, mel_pad_to=None):
        """Synthesise. ``inputs [B, T]`` symbol ids, 0-padded; ``pace`` > 1 is faster speech.

        Optional overrides: ``dur_tgt [B, T]`` frames per symbol, ``pitch_tgt`` / ``energy_tgt``
        ``[B, 1, T]`` (or ``[B, T]``) normalised values; ``pitch_transform(pitch, lens, mean, std)``
        edits the predicted normalised pitch ``[B, 1, T]`` (mean/std in Hz).
        ``mel_pad_to(frames) -> frames'``: pad the decoder's input to a length bucket (the padding
        is masked; the caller cuts each mel at ``mel_lens``).
        Returns ``(mel [B, n_mel, frames], mel_lens [B], dur_pred [B, T], pitch_pred [B, 1, T],
        energy_pred [B, T] or None)``.
        """
        _check_inputs(inputs, self.config.n_symbols)
        pace = _check_pace(pace)
        _check_speaker(speaker, inputs.size(0), self.n_speakers)
        spk_emb = self._speaker_embedding(speaker, inputs.size(0), inputs.device)
        enc_out, enc_mask = self.encoder(inputs, conditioning=spk_emb)

        log_dur_pred = self.duration_predictor(enc_out, enc_mask).squeeze(-1)
        # in float32 whatever the weights' dtype: bf16 would move durations by whole frames
        dur_pred = torch.clamp(torch.exp(log_dur_pred.float()) - 1, 0, max_duration)

        pitch_pred = self.pitch_predictor(enc_out, enc_mask).permute(0, 2, 1)
        if pitch_transform is not None:
            if self.pitch_std[0] == 0.0:
                mean, std = LJSPEECH_PITCH_MEAN, LJSPEECH_PITCH_STD
            else:
                mean, std = self.pitch_mean[0], self.pitch_std[0]
            pitch_pred = pitch_transform(pitch_pred, enc_mask.sum(dim=(1, 2)), mean, std)
        pitch = pitch_pred if pitch_tgt is None else \
            _as_channels(pitch_tgt, self.config.pitch_conditioning_formants, inputs.size(1), "pitch_tgt")
        # zero at the padding before the embedding's convolution: a transform or a target that moves
        # the padding (NVIDIA's does) would reach a shorter text's last symbols, so that a text in a
        # batch would not sound as it does alone
        enc_out = enc_out + time_major_conv1d(pitch.to(enc_out).transpose(1, 2) * enc_mask, self.pitch_emb)

        energy_pred = None
        if self.energy_conditioning:
            energy_pred = self.energy_predictor(enc_out, enc_mask).squeeze(-1)
            energy = energy_pred.unsqueeze(1) if energy_tgt is None else \
                _as_channels(energy_tgt, 1, inputs.size(1), "energy_tgt")
            enc_out = enc_out + time_major_conv1d(energy.to(enc_out).transpose(1, 2) * enc_mask, self.energy_emb)

        if dur_tgt is not None:
            dur_tgt = torch.as_tensor(dur_tgt, device=inputs.device)
            if dur_tgt.shape != inputs.shape:
                raise ValueError(f"dur_tgt must have the shape of inputs {list(inputs.shape)}, "
                                 f"got {list(dur_tgt.shape)}")
            if (dur_tgt < 0).any():
                raise ValueError("dur_tgt must be >= 0")
        len_regulated, dec_lens = regulate_len(dur_pred if dur_tgt is None else dur_tgt, enc_out, pace,
                                               pad_to=mel_pad_to)
        dec_out, _ = self.decoder(len_regulated, dec_lens)
        mel_out = self.proj(dec_out).permute(0, 2, 1)
        return mel_out, dec_lens, dur_pred, pitch_pred, energy_pred

    def forward(self, inputs, use_gt_pitch=True, pace=1.0, max_duration=75):
        """Training pass on NVIDIA's batch ``(text [B, T], text_lens, mel [B, n_mel, T_mel],
        mel_lens, pitch_dense [B, F, T_mel], energy_dense [B, T_mel], speaker [B],
        attn_prior [B, T_mel, T] or None[, audiopaths])``.

        Durations come from the aligner (MAS over its soft attention), pitch and energy targets
        are averaged over each symbol's frames. Returns ``(mel_out [B, T_mel', n_mel], dec_mask,
        dur_pred, log_dur_pred, pitch_pred, pitch_tgt, energy_pred, energy_tgt, attn_soft,
        attn_hard, attn_hard_dur, attn_logprob)``, as NVIDIA's.
        """
        (text, input_lens, mel_tgt, mel_lens, pitch_dense, energy_dense, speaker,
         attn_prior) = inputs[:8]
        mel_max_len = mel_tgt.size(2)

        spk_emb = 0 if self.speaker_emb is None else \
            self.speaker_emb(speaker).unsqueeze(1) * self.speaker_emb_weight
        enc_out, enc_mask = self.encoder(text, conditioning=spk_emb)

        log_dur_pred = self.duration_predictor(enc_out, enc_mask).squeeze(-1)
        dur_pred = torch.clamp(torch.exp(log_dur_pred) - 1, 0, max_duration)
        pitch_pred = self.pitch_predictor(enc_out, enc_mask).permute(0, 2, 1)

        # alignment: symbol embeddings (no positions, no speaker) against the target mel
        attn_soft, attn_logprob, attn_hard = self.align(text, input_lens, mel_tgt, mel_lens, attn_prior)
        attn_hard_dur = attn_hard.sum(2)[:, 0, :]
        dur_tgt = attn_hard_dur
        if not torch.equal(dur_tgt.sum(dim=1).long(), mel_lens.long()):
            raise ValueError("the hard alignment does not cover mel_lens: each mel_len must be "
                             "<= the mel length and each text must be non-empty")

        pitch_tgt = average_pitch(pitch_dense, dur_tgt)
        enc_out = enc_out + time_major_conv1d((pitch_tgt if use_gt_pitch else pitch_pred).transpose(1, 2), self.pitch_emb)

        energy_pred = energy_tgt = None
        if self.energy_conditioning:
            energy_pred = self.energy_predictor(enc_out, enc_mask).squeeze(-1)
            energy_tgt = torch.log(1.0 + average_pitch(energy_dense.unsqueeze(1), dur_tgt))
            enc_out = enc_out + time_major_conv1d(energy_tgt.transpose(1, 2), self.energy_emb)
            energy_tgt = energy_tgt.squeeze(1)

        len_regulated, dec_lens = regulate_len(dur_tgt, enc_out, pace, mel_max_len)
        dec_out, dec_mask = self.decoder(len_regulated, dec_lens)
        mel_out = self.proj(dec_out)
        return (mel_out, dec_mask, dur_pred, log_dur_pred, pitch_pred, pitch_tgt, energy_pred,
                energy_tgt, attn_soft, attn_hard, attn_hard_dur, attn_logprob)
