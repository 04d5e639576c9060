"""Render :class:`~deeprg.experiments.FigureSpec` objects with matplotlib.

:func:`make_figure` returns a :class:`matplotlib.figure.Figure` (not registered with pyplot,
so nothing leaks between calls); :func:`save_figure` writes it as PNG and SVG atomically;
:func:`render_figure` does both.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from deeprg.utils import atomic_path

_STYLES = {
    "line": {"linestyle": "-"},
    "dashed": {"linestyle": "--"},
    "points": {"linestyle": "none", "marker": "o", "markersize": 4},
}
# Series that share a system size (e.g. "MC L=8" and "Kaufman L=8") share a colour.
_GROUP = re.compile(r"\b([LNn])\s*=\s*([\w.]+)")


def _group(label: str) -> str:
    m = _GROUP.search(label or "")
    return f"{m.group(1)}={m.group(2)}" if m else f"#{label}"


def _all_integers(values) -> bool:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.size > 0 and bool(np.all(np.isfinite(a))) and bool(np.all(a == np.round(a)))


def make_figure(spec) -> Figure:
    """Draw one figure specification; returns the matplotlib Figure.

    kind 'images': a grid of panels, each on its own symmetric colour scale with a colourbar.
    kind 'xy': series (error bars where given), one colour per system size, reference lines
    drawn dotted and named in the legend, integer ticks on axes whose data are integers.
    """
    if spec.kind == "images":
        return _images(spec)
    return _xy(spec)


def _images(spec) -> Figure:
    n = len(spec.images)
    cols = spec.image_columns or min(max(n, 1), 6)
    rows = -(-n // cols) if n else 1
    fig = Figure(figsize=(2.5 * cols + 0.4, 2.3 * rows + 0.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.axis("off")
            continue
        img = np.asarray(spec.images[k], dtype=float)
        vmax = float(np.max(np.abs(img))) or 1.0  # each panel on its own symmetric scale
        im = ax.imshow(img, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        title = spec.image_titles[k] if k < len(spec.image_titles) else ""
        ax.set_title(title, fontsize=9)
        bar = fig.colorbar(im, ax=ax, shrink=0.85, pad=0.03)
        bar.ax.tick_params(labelsize=7)
    width = fig.get_size_inches()[0]
    fig.suptitle(textwrap.fill(spec.title, max(20, int(width * 8.5))), fontsize=11)
    return fig


def _xy(spec) -> Figure:
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    colours: dict[str, str] = {}
    xs, ys = [], []
    for s in spec.series:
        if len(s.x) == 0:
            continue  # nothing to draw: no legend entry without a line
        style = dict(_STYLES.get(s.style, _STYLES["line"]))
        colour = colours.setdefault(_group(s.label), f"C{len(colours) % 10}")
        if s.yerr is not None:
            ax.errorbar(s.x, s.y, yerr=s.yerr, label=s.label or None, capsize=2, color=colour, **style)
        else:
            ax.plot(s.x, s.y, label=s.label or None, color=colour, **style)
        xs.extend(s.x)
        ys.extend(s.y)
    # Reference lines are named in the legend, never written over the data.
    # each reference line its own dash pattern, so that two of them stay apart in the legend
    dashes = (":", (0, (6, 3)), (0, (1, 2, 6, 2)), (0, (3, 1)))
    for k, (y, label) in enumerate(spec.hlines):
        ax.axhline(y, color="0.35", linestyle=dashes[k % len(dashes)], linewidth=1.2, label=label or None)
    for k, (x, label) in enumerate(spec.vlines):
        style = "-." if k == 0 else dashes[(k - 1) % len(dashes)]
        ax.axvline(x, color="0.2", linestyle=style, linewidth=1.0, label=label or None)
    ax.set_xscale(spec.xscale)
    ax.set_yscale(spec.yscale)
    if spec.xscale == "linear" and _all_integers(xs):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spec.yscale == "linear" and _all_integers(ys):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    ax.set_title(textwrap.fill(spec.title, 80), fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    return fig


def clipped_text(fig: Figure) -> list[str]:
    """The visible texts of ``fig`` (titles, labels, tick labels) that stick out of the canvas:
    what a saved PNG would show cut off. Empty for a figure without that defect."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height()
    # Tick labels exist for ticks outside the view limits too, but only those inside are drawn.
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = {id(t) for t in axis._update_ticks()}
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if id(tick) not in drawn:
                    undrawn.update((id(tick.label1), id(tick.label2)))
    out = []
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
        if id(text) in undrawn or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            out.append(text.get_text())
    return out


def ink_at_edges(png, *, margin: int = 1, threshold: float = 0.9) -> list[str]:
    """The edges ('top', 'bottom', 'left', 'right') of a rendered PNG that carry ink.

    The report's figures are laid out with padding on a white canvas, so nothing drawn should
    touch the border: a text or a panel cut off by the canvas leaves dark pixels in the outer
    ``margin`` rows or columns (channel values below ``threshold`` on a 0..1 scale). Reads the
    file as it is served, so it also catches what :func:`clipped_text` cannot see in a file.
    """
    from matplotlib.image import imread

    img = np.asarray(imread(png), dtype=float)
    if img.ndim == 2:
        img = img[..., None]
    if img.dtype.kind != "f" or img.max() > 1.0:
        img = img / 255.0
    rgb = img[..., :3]
    if img.shape[-1] == 4:  # transparent pixels count as background
        rgb = np.where(img[..., 3:4] < 0.1, 1.0, rgb)
    dark = (rgb < threshold).any(axis=-1)
    edges = {
        "top": dark[:margin, :],
        "bottom": dark[-margin:, :],
        "left": dark[:, :margin],
        "right": dark[:, -margin:],
    }
    return [name for name, band in edges.items() if band.any()]


def save_figure(fig: Figure, folder, name: str) -> dict[str, str]:
    """Write ``fig`` into ``folder`` as NAME.png and NAME.svg (atomically); returns the names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for ext in ("png", "svg"):
        target = folder / f"{name}.{ext}"
        with atomic_path(target, suffix=f".{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=110)
        names[ext] = target.name
    return names


def render_figure(spec, folder) -> dict[str, str]:
    """Draw one figure into ``folder`` as NAME.png and NAME.svg; returns their file names."""
    return save_figure(make_figure(spec), folder, spec.name)
