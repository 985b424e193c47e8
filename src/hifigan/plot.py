"""Spectrogram pictures. Uses matplotlib's Agg canvas directly: no display, no global backend."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hifigan.files import atomic_output


def plot_spectrogram(mel, path, sample_rate: int = 22050, hop_length: int = 256, title: str = "",
                     f_max: float | None = 8000.0) -> Path:
    """Save a labelled log-mel spectrogram ``[n_mels, T]`` as a PNG (written atomically)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mel = np.asarray(mel.detach().cpu().float() if hasattr(mel, "detach") else mel, dtype=np.float32)
    mel = mel.reshape(mel.shape[-2], mel.shape[-1])
    seconds = mel.shape[1] * hop_length / sample_rate
    fig = Figure(figsize=(max(6.0, min(20.0, 2 + 2.5 * seconds)), 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(mel, origin="lower", aspect="auto", interpolation="none", cmap="magma",
                   extent=(0, seconds, 0, mel.shape[0]))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"mel channel (0-{int(f_max or sample_rate / 2)} Hz)")
    ax.set_title(title or f"mel spectrogram, {mel.shape[0]} channels x {mel.shape[1]} frames")
    fig.colorbar(im, ax=ax, label="log magnitude (ln)")
    fig.tight_layout()
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    return path
