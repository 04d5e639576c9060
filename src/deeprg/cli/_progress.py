"""Progress shown by long commands.

On a terminal: a rich bar on stderr with the count, the rate and the time remaining. When stderr
is not a terminal (a log file, CI): a plain line at most every few seconds, with the same
numbers. Nothing with ``--quiet`` or ``--json``: the callback is then ``None``, and the library
functions skip reporting altogether.
"""

from __future__ import annotations

import sys
import time

import click


def _duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class _PlainReporter:
    """callback(done, total): one plain line every ``every`` seconds (and at the end)."""

    def __init__(self, label: str, unit: str, every: float = 5.0):
        self.label, self.unit, self.every = label, unit, every
        self.start = time.monotonic()
        self.last = -1e9

    def __call__(self, done, total=None, note: str = ""):
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self.last < self.every and not finished:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        text = f"{self.label}: {done}"
        if total:
            text += f"/{total} ({100 * done / total:.0f}%)"
        text += f", {rate:.3g} {self.unit}/s"
        if total and not finished and rate > 0:
            text += f", about {_duration((total - done) / rate)} left"
        elif finished:
            text += f", {_duration(elapsed)}"
        click.echo(text + (f"; {note}" if note else ""), err=True)


class _progress:
    """``with _progress(quiet, label, unit) as report:`` gives ``report(done, total)`` or None."""

    def __init__(self, quiet: bool, label: str, unit: str = "it", *, every: float = 5.0):
        self.quiet, self.label, self.unit, self.every = quiet, label, unit, every
        self.tty = sys.stderr.isatty()
        self._bar = None

    def __enter__(self):
        if self.quiet:
            return None
        if not self.tty:
            return _PlainReporter(self.label, self.unit, self.every)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        task = self._bar.add_task(self.label, total=None, rate="")
        start = time.monotonic()

        def report(done, total=None, note: str = ""):
            elapsed = max(time.monotonic() - start, 1e-9)
            rate = f"{done / elapsed:.3g} {self.unit}/s" + (f"  {note}" if note else "")
            self._bar.update(task, completed=done, total=total, rate=rate)

        return report

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


class _StepStatus:
    """Progress of an experiment: a live spinner with the step name and elapsed time on a
    terminal, one line per step otherwise; nothing with --quiet."""

    def __init__(self, name: str, quiet: bool, *, index: int, total: int):
        self.name, self.quiet, self.prefix = name, quiet, f"[{index}/{total} {name}]"
        self._live = None
        self._start = time.monotonic()

    def step(self, step: str):
        if self.quiet:
            return
        elapsed = _duration(time.monotonic() - self._start)
        if sys.stderr.isatty():
            from rich.console import Console

            self.stop()
            self._live = Console(stderr=True).status(f"{self.prefix} {step} ... ({elapsed} so far)")
            self._live.start()
        else:
            click.echo(f"{self.prefix} {step} ({elapsed} so far)", err=True)

    def stop(self):
        if self._live is not None:
            self._live.stop()
            self._live = None
