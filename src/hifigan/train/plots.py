"""Training pictures (alignments, mel pairs) as RGB arrays for TensorBoard, optionally saved as PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hifigan.files import atomic_output


def _canvas(n_rows: int, width: float = 9.0, height: float = 3.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height * n_rows), dpi=80)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(n_rows, 1, squeeze=False)[:, 0]


def _finish(fig, path) -> np.ndarray:
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    if path is not None:
        with atomic_output(Path(path)) as tmp:
            fig.savefig(tmp, format="png")
    return img


def alignment_figure(soft, hard, title: str = "", path=None) -> np.ndarray:
    """Soft attention and its MAS path, symbols (y) against mel frames (x)."""
    fig, (a, b) = _canvas(2)
    a.imshow(np.asarray(soft).T, origin="lower", aspect="auto", interpolation="none", cmap="viridis")
    a.set_title(f"soft alignment {title}")
    b.imshow(np.asarray(hard).T, origin="lower", aspect="auto", interpolation="none", cmap="gray_r")
    b.set_title("hard alignment (MAS)")
    for ax in (a, b):
        ax.set_xlabel("mel frame")
        ax.set_ylabel("symbol")
    return _finish(fig, path)


def mel_pair_figure(pred, target, title: str = "", path=None) -> np.ndarray:
    fig, (a, b) = _canvas(2)
    for ax, m, name in ((a, pred, "predicted"), (b, target, "target")):
        ax.imshow(np.asarray(m), origin="lower", aspect="auto", interpolation="none", cmap="magma")
        ax.set_title(f"{name} {title if ax is a else ''}")
        ax.set_xlabel("mel frame")
    return _finish(fig, path)
