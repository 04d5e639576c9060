"""Progress display shared by long commands: a rich bar on terminals, nothing otherwise."""

from __future__ import annotations

import sys

import click


class _progress:
    """A rich progress bar on stderr (silent with --quiet or when stderr is not a terminal)."""

    def __init__(self, quiet: bool, label: str):
        self.enabled = not quiet and sys.stderr.isatty()
        self.label = label

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)

        def report(done, total):
            self._bar.update(self._task, completed=done, total=total)

        return report

    def __exit__(self, *exc):
        if self.enabled:
            self._bar.stop()
        return False


class _StepStatus:
    """Progress of an experiment: a live spinner with the step name and elapsed time on a
    terminal, one line per step otherwise; nothing with --quiet."""

    def __init__(self, name: str, quiet: bool, *, index: int, total: int):
        self.name, self.quiet, self.prefix = name, quiet, f"[{index}/{total} {name}]"
        self._live = None

    def step(self, step: str):
        if self.quiet:
            return
        if sys.stderr.isatty():
            from rich.console import Console

            self.stop()
            self._live = Console(stderr=True).status(f"{self.prefix} {step} ...")
            self._live.start()
        else:
            click.echo(f"{self.prefix} {step}", err=True)

    def stop(self):
        if self._live is not None:
            self._live.stop()
            self._live = None
