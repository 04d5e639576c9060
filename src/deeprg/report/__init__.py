"""Reports: the only place that plots. Figures (PNG, SVG) and HTML pages for runs."""

from deeprg.report._figures import render_figure
from deeprg.report._html import render_run, write_index

__all__ = ["render_figure", "render_run", "write_index"]
