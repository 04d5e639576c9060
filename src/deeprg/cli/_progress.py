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


def _count(x: float) -> str:
    """A count that may be fractional (a tracked loop inside another): 3, 2.5, 1024."""
    return f"{x:.0f}" if x == round(x) or x >= 100 else f"{x:.1f}"


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
    """Progress of an experiment: the step being computed and, when the step's loops report it
    (``advance(done, total, unit)``), how far it is, its rate and the time left.

    On a terminal: one live line (spinner, step, bar, count, rate, time left, elapsed). Not a
    terminal: a line when a step starts and one at most every ``every`` seconds inside it.
    Nothing with --quiet (the runner then gets no callbacks at all).
    """

    def __init__(
        self, name: str, quiet: bool, *, index: int, total: int, every: float = 5.0, clock=time.monotonic
    ):
        self.name, self.quiet, self.prefix = name, quiet, f"[{index}/{total} {name}]"
        self.every, self._now = every, clock  # the clock is injectable for tests
        self.tty = sys.stderr.isatty()
        self._bar = None
        self._task = None
        self._start = self._now()
        self._step = ""
        self._step_start = self._start
        self._count: tuple[float, float | None, str] | None = None  # done, total, unit
        self._clock: tuple[float, float] = (self._start, 0.0)  # when and where the rate starts
        self._last_line = -1e9
        self._last_text = ""

    # the two callbacks the runner takes (None under --quiet)
    @property
    def callbacks(self) -> dict:
        if self.quiet:
            return {"progress": None, "advance": None}
        return {"progress": self.step, "advance": self.advance}

    def step(self, step: str):
        if self.quiet:
            return
        self._step = step
        self._step_start = self._now()
        if self._count is not None and self._count[1] is not None and self._count[0] >= self._count[1]:
            self._count = None  # a finished loop says nothing about the new step
        if self.tty:
            self._live_update()
        else:
            elapsed = _duration(self._now() - self._start)
            click.echo(f"{self.prefix} {step} ({elapsed} so far)", err=True)
            self._last_line = self._now()

    def advance(self, done: float, total: float | None, unit: str = "it"):
        if self.quiet:
            return
        now = self._now()
        previous = self._count
        if previous is None:  # the first loop of the step: its rate counts from the step's start
            self._clock = (self._step_start, 0.0)
        elif previous[1:] != (total, unit) or done < previous[0]:
            self._clock = (now, float(done))  # another loop: its rate starts here
        self._count = (float(done), total, unit)
        if self.tty:
            self._live_update()
        elif now - self._last_line >= self.every or (total is not None and done >= total):
            line = f"{self.prefix}{' ' + self._step if self._step else ''}: {self._detail(now)}"
            if line != self._last_text:  # a finished inner loop and its outer item report the same
                click.echo(line, err=True)
                self._last_line, self._last_text = now, line

    def _detail(self, now: float, *, percent: bool = True) -> str:
        if self._count is None:
            return ""
        done, total, unit = self._count
        t0, d0 = self._clock
        rate = (done - d0) / (now - t0) if now > t0 and done > d0 else 0.0
        text = f"{_count(done)}/{_count(total)} {unit}" if total else f"{_count(done)} {unit}"
        if total and percent:
            text += f" ({100 * done / total:.0f}%)"
        if rate > 0:
            text += f", {rate:.0f} {unit}/s" if rate >= 100 else f", {rate:.3g} {unit}/s"
            left = (total - done) / rate if total else 0.0
            if left >= 1:
                text += f", about {_duration(left)} left"
        return text

    def _live_update(self):
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(bar_width=12),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=None, detail="")
        done, total = (self._count[0], self._count[1]) if self._count else (0, None)
        self._bar.update(
            self._task,
            description=f"{self.prefix} {self._step}",
            completed=done,
            total=total,
            detail=self._detail(self._now(), percent=False),
        )

    def stop(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
