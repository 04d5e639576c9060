"""The ``deeprg`` command group and its subcommands."""

from __future__ import annotations

import sys

import click

from deeprg import __version__
from deeprg.cli._common import (
    emit,
    examples,
    json_option,
    limits_options,
    run_cli,
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "deeprg reproduce all --preset quick --out reports",
        "deeprg exact ising2d --L 16 --T 2.269",
        "deeprg COMMAND --help",
    ),
)
@click.version_option(__version__, prog_name="deeprg")
@limits_options
def cli():
    """deeprg: test, with numbers, whether deep learning works like the renormalization group."""


@cli.command(epilog=examples("deeprg info", "deeprg info --json"))
@json_option
def info(as_json):
    """Version, dependency versions, numba and torch devices."""
    from deeprg._info import system_info

    emit(system_info(), as_json)


def _register() -> None:
    from deeprg.cli.cheap import cheap
    from deeprg.cli.exact import exact
    from deeprg.cli.learn import eval_cmd, train
    from deeprg.cli.reproduce import reproduce
    from deeprg.cli.rg import rg
    from deeprg.cli.sample import observe, sample
    from deeprg.cli.sweep import sweep
    from deeprg.cli.vrg import vrg

    for command in (exact, sample, observe, rg, train, eval_cmd, cheap, vrg, reproduce, sweep):
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    code = run_cli(cli, argv)
    if argv is None:  # the process's own command line: `deeprg ...`, `python -m deeprg ...`
        _exit_without_teardown(code)
    sys.exit(code)


def _exit_without_teardown(code: int) -> None:
    """End the process now, skipping the interpreter's teardown: once numba kernels are
    loaded, freeing numba's and LLVM's objects at exit takes 0.4-0.6 s (measured with
    benchmarks/bench_sampling.py), as long as a whole small command. atexit handlers still
    run and the standard streams are flushed; nothing is skipped when other threads are
    alive (a normal exit would wait for them) or when a profiler, tracer or coverage is
    watching (they write their results after the program returns)."""
    import atexit
    import os
    import threading

    watched = sys.getprofile() is not None or sys.gettrace() is not None or "coverage" in sys.modules
    if watched or threading.active_count() > 1:
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to deliver
            pass
    os._exit(code)
