"""Reports: the only place that plots. Figures (PNG, SVG) and HTML pages for runs.

``make_figure(spec)`` returns a matplotlib Figure for a figure specification, for use in a
notebook; ``render_figure`` saves it as PNG and SVG; ``render_run`` writes a run's report.
"""

from deeprg.report._figures import make_figure, render_figure, save_figure
from deeprg.report._html import render_run, write_index

__all__ = ["make_figure", "render_figure", "render_run", "save_figure", "write_index"]
