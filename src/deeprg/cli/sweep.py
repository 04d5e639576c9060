"""``deeprg sweep sample`` and ``deeprg sweep observe``: grids of K x L x seed on Dask."""

from __future__ import annotations

import sys
import time

import click

from deeprg.cli._common import (
    FINITE,
    bad_input,
    check_sampling_cost,
    check_seed,
    emit,
    examples,
    int_or_auto,
    json_option,
    output_dir,
)

ALGOS = click.Choice(["metropolis", "heatbath", "wolff", "sw"], case_sensitive=False)


class _SweepProgress:
    """Progress of a whole sweep on stderr: a rich bar on terminals, plain lines otherwise
    (about every 5% of the points or 30 s), nothing with --quiet or --json."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._bar = None
        self._last_line, self._last_done = 0.0, -1

    def __call__(self, rate) -> None:
        if self.quiet:
            return
        if self.tty:
            if self._bar is None:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                self._bar = Progress(
                    TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}")
                )
                self._bar.start()
                self._task = self._bar.add_task("", total=rate.total)
            self._bar.update(self._task, completed=rate.done, description=rate.line())
            return
        step = max(1, rate.total // 20)
        now = time.monotonic()
        if (
            rate.done == rate.total
            or rate.done == rate.skipped
            or rate.done - self._last_done >= step
            or now - self._last_line > 30
        ) and rate.done != self._last_done:
            click.echo(f"sweep: {rate.line()}", err=True)
            self._last_line, self._last_done = now, rate.done

    def close(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _axis(text, name, integer=False):
    from deeprg.sweep import parse_values

    return parse_values(text, name=name, integer=integer)


@click.group(epilog=examples("deeprg sweep sample ising2d --K 0.40:0.48:5 --L 8,16 --n 500 --out sw/"))
def sweep():
    """Grids of couplings x sizes x seeds, one Dask task per point."""


@sweep.command(
    "sample",
    epilog=examples(
        "deeprg sweep sample ising2d --K 0.40:0.48:5 --L 8,16 --n 500 --out sw/",
        "deeprg sweep sample ising2d --T 2.0,2.269,2.5 --L 16 --seeds 3 --n 1000 --out sw/",
    ),
)
@click.argument("model", type=click.Choice(["ising2d", "ising1d"]))
@click.option("--K", "K", default=None, help="Couplings: a:b:n (n values, inclusive) or a,b,c.")
@click.option("--T", "T", default=None, help="Temperatures T = 1/K instead of --K (same forms).")
@click.option("--L", "L", required=True, help="Sizes, e.g. 16,32,64 (ising2d: L x L torus; ising1d: ring).")
@click.option("--seeds", type=int, default=1, show_default=True, help="Seed replicas per (K, L).")
@click.option("--n", "n", type=int, required=True, help="Configurations per point.")
@click.option("--algo", type=ALGOS, default="wolff", show_default=True, help="Update rule.")
@click.option("--h", "h", type=FINITE, default=0.0, show_default=True, help="Field (metropolis, heatbath).")
@click.option("--seed", type=int, default=None, help="Sweep seed (default: the stored one, else drawn).")
@click.option("--chains", type=int, default=None, help="Chains per point (default: the sampler's).")
@click.option("--burn-in", "burn_in", default="auto", show_default=True, help="Updates per chain, or 'auto'.")
@click.option("--decorrelate", default="auto", show_default=True, help="Updates between samples, or 'auto'.")
@click.option(
    "--store",
    type=click.Choice(["configs", "observables"]),
    default="configs",
    show_default=True,
    help="Keep every configuration (HDF5 per point) or only observables and a digest (JSON).",
)
@click.option(
    "--scheduler",
    default=None,
    help="tcp://HOST:PORT of a Dask scheduler, 'local' or 'serial' "
    "(default: $DASK_SCHEDULER_ADDRESS, else a LocalCluster sized to this machine).",
)
@click.option("--workers", type=int, default=None, help="Worker processes of the local cluster.")
@click.option("--retries", type=int, default=2, show_default=True, help="Extra attempts for a failed point.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Sweep folder.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@json_option
def sweep_sample(model, K, T, L, seeds, n, algo, h, seed, chains, burn_in, decorrelate, store, **kw):
    """Sample every point of K (or T) x L x seed replicas; resumes an interrupted sweep."""
    import numpy as np

    from deeprg.errors import SweepError
    from deeprg.sweep import SweepSpec, run_sweep, stored_spec

    if (K is None) == (T is None):
        raise bad_input("give exactly one of --K and --T")
    if K is not None:
        Ks = _axis(K, "--K")
    else:
        temps = _axis(T, "--T")
        if any(t <= 0 for t in temps):
            raise bad_input(f"--T must be > 0, got {[t for t in temps if t <= 0]}")
        Ks = tuple(1.0 / t for t in temps)
    if any(k <= 0 for k in Ks):
        raise bad_input(f"--K must be > 0, got {[k for k in Ks if k <= 0]}")
    Ls = _axis(L, "--L", integer=True)
    if seeds < 1:
        raise bad_input(f"--seeds must be at least 1, got {seeds}")
    if kw["workers"] is not None and kw["workers"] < 1:
        raise bad_input(f"--workers must be at least 1, got {kw['workers']}")
    if kw["workers"] is not None and kw["scheduler"] not in (None, "local"):
        raise bad_input(
            "--workers sizes the local cluster; it cannot be combined with --scheduler " + kw["scheduler"]
        )
    if kw["retries"] < 0:
        raise bad_input(f"--retries must be >= 0, got {kw['retries']}")
    if seed is not None and seed < 0:
        raise bad_input(f"--seed must be >= 0, got {seed}")
    check_seed(seed)
    output_dir(kw["out"])
    if n < 1:
        raise bad_input(f"--n must be at least 1 configuration, got {n}")
    check_sampling_cost(  # the largest point; points run one per worker
        max(Ls) ** 2 if model == "ising2d" else max(Ls),
        n,
        chains,
        int_or_auto(burn_in, "--burn-in", 0),
        int_or_auto(decorrelate, "--decorrelate", 1),
    )
    if seed is None:
        previous = stored_spec(kw["out"])
        seed = previous.seed if previous is not None else int(np.random.SeedSequence().entropy % (1 << 63))
    spec = SweepSpec(
        model=model,
        n_samples=n,
        algorithm=algo.lower(),
        seed=seed,
        h=h,
        chains=chains,
        burn_in=int_or_auto(burn_in, "--burn-in", 0),
        decorrelate=int_or_auto(decorrelate, "--decorrelate", 1),
        store_configs=store == "configs",
    )
    progress = _SweepProgress(kw["quiet"] or kw["as_json"])
    try:
        summary = run_sweep(
            spec,
            Ks,
            Ls,
            seeds,
            kw["out"],
            scheduler=kw["scheduler"],
            n_workers=kw["workers"],
            retries=kw["retries"],
            progress=progress,
            raise_on_failure=False,
        )
    finally:
        progress.close()
    emit(summary, kw["as_json"])
    if summary["failed"]:
        raise SweepError(
            f"{len(summary['failed'])} of {summary['points']} points failed (first: {summary['failed'][0]}); "
            "run the same command again to retry them",
            failed=tuple(summary["failed"]),
        )


_COLUMNS = (
    ("energy_per_site", "u"),
    ("abs_magnetization", "|m|"),
    ("susceptibility", "chi"),
    ("specific_heat", "c"),
    ("binder", "U4"),
)


@sweep.command(
    "observe", epilog=examples("deeprg sweep observe sw/", "deeprg sweep observe sw/ --average --json")
)
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--average", is_flag=True, help="One row per (L, K): mean and standard error over seeds.")
@json_option
def sweep_observe(folder, average, as_json):
    """Observables of every point of a sweep, as a table (or JSON rows)."""
    from deeprg.sweep import sweep_table

    rows = sweep_table(folder, average=average)
    if as_json:
        emit({"folder": folder, "points": rows}, True)
        return
    head = ["L", "K", "seeds" if average else "replica"] + [label for _, label in _COLUMNS]
    lines = [head]
    for row in rows:
        cells = [str(row["L"]), f"{row['K']:.8g}", str(row["replicas"] if average else row["replica"])]
        for key, _ in _COLUMNS:
            value, error = row[key], row.get(f"{key}_error")
            cells.append(f"{value:.6g}" if error is None else f"{value:.6g} +- {error:.2g}")
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        click.echo("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
