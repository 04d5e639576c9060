"""Render :class:`~deeprg.experiments.FigureSpec` objects with matplotlib (PNG and SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from deeprg.utils import atomic_path

_STYLES = {
    "line": {"linestyle": "-"},
    "dashed": {"linestyle": "--"},
    "points": {"linestyle": "none", "marker": "o", "markersize": 4},
}


def render_figure(spec, folder) -> dict[str, str]:
    """Draw one figure into ``folder`` as NAME.png and NAME.svg; returns their file names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if spec.kind == "images":
        n = len(spec.images)
        cols = min(n, 8)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols + 0.6, 1.9 * rows + 0.8), squeeze=False)
        for k, ax in enumerate(axes.ravel()):
            ax.set_xticks([])
            ax.set_yticks([])
            if k < n:
                img = np.asarray(spec.images[k], dtype=float)
                vmax = float(np.max(np.abs(img))) or 1.0  # each panel on its own symmetric scale
                im = ax.imshow(img, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
                cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
                cbar.ax.tick_params(labelsize=5)
                title = spec.image_titles[k] if k < len(spec.image_titles) else ""
                ax.set_title(title, fontsize=6)
            else:
                ax.axis("off")
        fig.suptitle(spec.title, fontsize=10)
    else:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for s in spec.series:
            style = dict(_STYLES.get(s.style, _STYLES["line"]))
            if s.yerr is not None:
                ax.errorbar(s.x, s.y, yerr=s.yerr, label=s.label or None, capsize=2, **style)
            else:
                ax.plot(s.x, s.y, label=s.label or None, **style)
        for y, label in spec.hlines:
            ax.axhline(y, color="gray", linestyle=":", linewidth=1)
            ax.annotate(
                label, (0.01, y), xycoords=("axes fraction", "data"), fontsize=7, color="gray", va="bottom"
            )
        for x, label in spec.vlines:
            ax.axvline(x, color="gray", linestyle=":", linewidth=1)
            ax.annotate(
                label,
                (x, 0.98),
                xycoords=("data", "axes fraction"),
                fontsize=7,
                color="gray",
                ha="left",
                va="top",
                rotation=90,
            )
        ax.set_xscale(spec.xscale)
        ax.set_yscale(spec.yscale)
        ax.set_xlabel(spec.xlabel)
        ax.set_ylabel(spec.ylabel)
        ax.set_title(spec.title, fontsize=10)
        if any(s.label for s in spec.series):
            ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
    fig.tight_layout() if spec.kind != "images" else None
    names = {}
    for ext in ("png", "svg"):
        target = folder / f"{spec.name}.{ext}"
        with atomic_path(target, suffix=f".{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=110)
        names[ext] = target.name
    plt.close(fig)
    return names
