"""FastPitch 1.1 training losses with NVIDIA's weights: mel MSE, log-duration, pitch and energy
MSE (each masked to the real frames or symbols), the attention CTC loss and the binarization
loss with its warm-up."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from hifigan.audio import MelConfig, magnitude_spectrogram


def attention_ctc_loss(attn_logprob: torch.Tensor, text_lens, mel_lens, blank_logprob: float = -1.0):
    """NVIDIA's ``AttentionCTCLoss`` in one batched ``ctc_loss`` call: each mel frame's distribution
    over (blank, symbol 1..text_len) must spell the symbols in order. ``attn_logprob
    [B, 1, T_mel, T_text]``. Equals NVIDIA's per-utterance loop: the batch mean of each
    utterance's loss divided by its text length, impossible alignments counting 0."""
    b, _, n_mel, n_text = attn_logprob.shape
    text_lens = torch.as_tensor(text_lens, device=attn_logprob.device)
    mel_lens = torch.as_tensor(mel_lens, device=attn_logprob.device)
    logits = F.pad(attn_logprob[:, 0].float(), (1, 0), value=blank_logprob)   # [B, T_mel, 1 + T_text]
    pad = torch.arange(n_text + 1, device=logits.device)[None] > text_lens[:, None]
    logits = logits.masked_fill(pad[:, None], -1e4)  # not -inf: ctc_loss's gradient would be NaN
    log_probs = F.log_softmax(logits, dim=2).transpose(0, 1)                  # [T_mel, B, C]
    targets = torch.arange(1, n_text + 1, device=logits.device).expand(b, n_text)
    return F.ctc_loss(log_probs, targets, mel_lens, text_lens, blank=0, reduction="mean",
                      zero_infinity=True)


def binarization_loss(attn_hard: torch.Tensor, attn_soft: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """NVIDIA's ``AttentionBinarizationLoss``: mean ``-log`` of the soft attention on the hard path."""
    log_sum = torch.log(attn_soft[attn_hard == 1].float().clamp_min(eps)).sum()
    return -log_sum / attn_hard.sum()


@dataclass
class FastPitchLossWeights:
    """NVIDIA's defaults (``train.py``: ``--dur-predictor-loss-scale 0.1`` ..., ``--kl-loss-*``)."""
    dur: float = 0.1
    pitch: float = 0.1
    energy: float = 0.1
    attn_ctc: float = 1.0
    kl: float = 1.0                # binarization loss weight after warm-up
    kl_start: int = 250            # step at which the binarization loss starts
    kl_warmup: int = 100           # steps over which its weight ramps up linearly

    def kl_weight(self, step: int) -> float:
        if step < self.kl_start:
            return 0.0
        return min((step - self.kl_start) / max(self.kl_warmup, 1), 1.0) * self.kl


def fastpitch_loss(out, batch, weights: FastPitchLossWeights, step: int) -> tuple[torch.Tensor, dict]:
    """Total loss and its parts for :meth:`FastPitch.forward`'s outputs on ``batch``."""
    (mel_out, dec_mask, dur_pred, log_dur_pred, pitch_pred, pitch_tgt, energy_pred, energy_tgt,
     attn_soft, attn_hard, attn_dur, attn_logprob) = out
    text_lens, mel_tgt, mel_lens = batch["text_lens"], batch["mel"], batch["mel_lens"]
    dur_mask = (torch.arange(log_dur_pred.size(1), device=text_lens.device)[None] < text_lens[:, None]).float()
    n_sym = dur_mask.sum()

    mel_tgt = mel_tgt.transpose(1, 2)
    mel_mask = dec_mask.float()                                              # [B, T_mel, 1]
    mel_err = (mel_out.float() - mel_tgt[:, :mel_out.size(1)]) ** 2
    mel_loss = (mel_err.mean(-1, keepdim=True) * mel_mask).sum() / mel_mask.sum()

    log_dur_tgt = torch.log(attn_dur.float() + 1.0)
    dur_loss = ((log_dur_pred.float() - log_dur_tgt) ** 2 * dur_mask).sum() / n_sym
    pitch_loss = ((pitch_pred.float() - pitch_tgt.float()) ** 2 * dur_mask[:, None]).sum() / n_sym
    parts = {"mel": mel_loss, "dur": dur_loss, "pitch": pitch_loss}
    total = mel_loss + weights.dur * dur_loss + weights.pitch * pitch_loss
    if energy_pred is not None:
        energy_loss = ((energy_pred.float() - energy_tgt.float()) ** 2 * dur_mask).sum() / n_sym
        parts["energy"] = energy_loss
        total = total + weights.energy * energy_loss
    ctc = attention_ctc_loss(attn_logprob, text_lens, mel_lens)
    parts["ctc"] = ctc
    total = total + weights.attn_ctc * ctc
    kl_w = weights.kl_weight(step)
    bin_loss = binarization_loss(attn_hard, attn_soft)
    parts["bin"] = bin_loss
    if kl_w > 0:
        total = total + kl_w * bin_loss
    parts["total"] = total
    return total, parts


# ---------------------------------------------------------------- HiFi-GAN (Kong et al., 2020)

def discriminator_loss(real_scores, fake_scores) -> torch.Tensor:
    """LSGAN: the sum over sub-discriminators of ``mean((1 - D(y))^2) + mean(D(G(s))^2)``."""
    total = 0.0
    for r, f in zip(real_scores, fake_scores):
        total = total + (torch.mean((1 - r.float()) ** 2) + torch.mean(f.float() ** 2))
    return total


def generator_adversarial_loss(fake_scores) -> torch.Tensor:
    """LSGAN: the sum over sub-discriminators of ``mean((1 - D(G(s)))^2)``."""
    total = 0.0
    for f in fake_scores:
        total = total + torch.mean((1 - f.float()) ** 2)
    return total


def feature_matching_loss(real_fmaps, fake_fmaps) -> torch.Tensor:
    """Twice the sum over every sub-discriminator's every layer of ``mean |D_l(y) - D_l(G(s))|``."""
    total = 0.0
    for rs, fs in zip(real_fmaps, fake_fmaps):
        for r, f in zip(rs, fs):
            total = total + torch.mean(torch.abs(r.float() - f.float()))
    return 2 * total


STFT_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))  # Parallel WaveGAN's (n_fft, hop, win)


def stft_magnitude(x: torch.Tensor, n_fft: int, hop: int, win: int) -> torch.Tensor:
    """``|STFT(x)|`` of ``x [B, T]`` (the project's centred, reflect-padded STFT with a Hann window
    of ``win`` samples), floored at ``sqrt(1e-7)`` so that its log stays finite."""
    cfg = MelConfig(n_fft=n_fft, hop_length=hop, win_length=win, convention="tacotron")
    return magnitude_spectrogram(x.float(), cfg).clamp_min(math.sqrt(1e-7))


def multi_resolution_stft_loss(y_hat: torch.Tensor, y: torch.Tensor,
                               resolutions=STFT_RESOLUTIONS) -> tuple[torch.Tensor, torch.Tensor]:
    """Parallel WaveGAN's auxiliary loss (Yamamoto et al., 2020), averaged over ``resolutions``:
    spectral convergence ``||Y| - |Y_hat|||_F / ||Y|||_F`` and log-magnitude L1
    ``mean |log|Y| - log|Y_hat|||``. Returns ``(convergence, log_magnitude)``."""
    sc = mag = 0.0
    for n_fft, hop, win in resolutions:
        a, b = stft_magnitude(y_hat, n_fft, hop, win), stft_magnitude(y, n_fft, hop, win)
        sc = sc + torch.linalg.norm(b - a) / torch.linalg.norm(b)
        mag = mag + F.l1_loss(torch.log(a), torch.log(b))
    return sc / len(resolutions), mag / len(resolutions)


@dataclass
class VocoderLossWeights:
    """The paper's weights: adversarial 1, feature matching 2 (inside the loss, as the authors'),
    mel L1 45; the multi-resolution STFT loss (not in the paper) off."""
    mel: float = 45.0
    adversarial: float = 1.0
    feature: float = 1.0
    stft: float = 0.0
