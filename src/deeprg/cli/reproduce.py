"""``deeprg reproduce``: experiments with HTML reports."""

from __future__ import annotations

import json
import sys

import click

from deeprg.cli._common import (
    bad_input,
    emit,
    examples,
    json_option,
    output_dir,
)
from deeprg.cli._progress import _StepStatus


def _parse_overrides(pairs) -> dict:
    """--set key=value pairs; values are parsed as JSON when possible (numbers, lists, bools)."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise bad_input(f"--set expects key=value, got {pair!r}")
        key, raw = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


@click.command(
    epilog=examples(
        "deeprg reproduce all --preset quick --out reports",
        "deeprg reproduce mcrg-2d --preset paper --out reports",
        "deeprg reproduce decimation-1d --set steps=30 --set mc_samples=2000",
    )
)
@click.argument("name")
@click.option(
    "--preset", type=click.Choice(["quick", "paper", "paper-l1"]), default="quick", show_default=True
)
@click.option("--out", "out", type=click.Path(file_okay=False), default="reports", show_default=True)
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), default=None, help="TOML file of config keys."
)
@click.option(
    "--set", "overrides", multiple=True, help="Override a config key: --set key=value (repeatable)."
)
@click.option("--fresh", is_flag=True, help="Recompute every step instead of resuming.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
@json_option
def reproduce(name, preset, out, config_file, overrides, fresh, quiet, as_json):
    """Run one experiment (or 'all') and write its report under OUT/NAME/."""
    from pathlib import Path

    from deeprg.experiments import REGISTRY, resolve_config, run_experiment
    from deeprg.report import render_run, write_index

    output_dir(out)
    names = list(REGISTRY) if name == "all" else [name]
    if name != "all" and name not in REGISTRY:
        raise bad_input(f"unknown experiment {name!r}; expected one of {list(REGISTRY)} or 'all'")
    parsed = _parse_overrides(overrides)
    if name == "all" and (parsed or config_file):
        raise bad_input("--set and --config apply to one experiment, not to 'all'")
    configs = {n: resolve_config(n, preset, config_file=config_file, overrides=parsed) for n in names}
    summary = {}
    for n in names:
        run_dir = Path(out) / n

        status = _StepStatus(n, quiet or as_json, index=names.index(n) + 1, total=len(names))
        try:
            result, doc = run_experiment(n, run_dir, configs[n], **status.callbacks, fresh=fresh)
        finally:
            status.stop()
        report = render_run(run_dir, doc["title"], doc, result)
        summary[n] = {
            "report": str(report),
            "seconds": round(doc["timings_seconds"]["total"], 2),
            "verdicts": [c.verdict for c in result.claims],
            "summary": result.summary,
        }
        if not (quiet or as_json):
            click.echo(f"[{n}] done in {doc['timings_seconds']['total']:.1f} s: {result.summary}", err=True)
    index = write_index(out)
    if as_json:
        emit({"index": str(index), "runs": summary}, as_json)
    else:
        _print_summary(summary, index)


def _print_summary(summary: dict, index) -> None:
    """The table people read at the end of a run: experiment, verdicts, time, report."""
    from collections import Counter

    from rich import box
    from rich.console import Console
    from rich.table import Table

    colours = {"supported": "green", "not supported": "red", "inconclusive": "yellow"}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("experiment", no_wrap=True)
    table.add_column("verdicts")
    table.add_column("time", no_wrap=True)
    table.add_column("report", overflow="fold")
    for name, run in summary.items():
        counts = Counter(run["verdicts"])
        verdicts = ", ".join(
            f"[{colours.get(v, 'white')}]{k} {v}[/]" for v, k in sorted(counts.items(), key=lambda kv: kv[0])
        )
        table.add_row(name, verdicts or "-", f"{run['seconds']:.1f} s", run["report"])
    # Off a terminal (a log, `make demo | tee`) nothing forces 80 columns: keep each row, and its
    # report path, on one line.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    console.print(table)
    console.print(f"Open {index} for every claim with its verdict.")
